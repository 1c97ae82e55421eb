"""A post page saved as text (the shape of ../shared/seed): title, body,
"N Responses so far.", numbered responses, "Leave a Reply".

    Miles Davis - Ascenseur pour l'echafaud (1958)

    <body paragraphs>

    14 Responses so far.

      1. what about A Tribute to Jack Johnson?

      2. Anonymous says:

        i believe Tribute to JJ was ...

A response whose author line ("X says:") is missing lost its name when
the page was captured (themes link the names of commenters with a
website). The importer recovers what the text itself makes clear, and
says so: a closing one-word signature, or an opening "@X" right after a
nameless response (X is taken as that response's author, as in
"@poetichigh, that's cute"). Anything else stays "Anonymous".

The page records no dates and no reply links: the post is dated by the
file's modification time and the responses a minute apart in page order
(all reported as placeholders). Reply links come from --infer-replies
("@name") and from the archivist (--replies 2=1,8=7), each recorded as
inferred, never as recorded by the source.
"""

import datetime
import os
import re

from django.utils.text import slugify

from archive.importers.base import CommentRecord, ImportFailed, PostRecord
from archive.models import CommentSource
from wflm.ids import is_digits

COUNT_LINE = re.compile(r"^\s*(?:(\d+)|no|one)\s+responses?\s+so\s+far\.?\s*$", re.IGNORECASE)
RESPONSE_START = re.compile(r"^ {1,4}(\d+)\.\s+(.*)$")
AUTHOR_LINE = re.compile(r"^(.{1,100}?) says:\s*$")
END_LINE = re.compile(r"^\s*leave a reply\s*$", re.IGNORECASE)
SIGNATURE = re.compile(r"^[^\W\d_][\w'-]{1,29}$")
OPENING_MENTION = re.compile(r"^@(\w[\w.-]*\w|\w)")


def parse_replies(text):
    """ "2=1,8=7" (reply=parent, by response number) as {2: 1, 8: 7}."""
    links = {}
    for pair in (text or "").split(","):
        if not pair.strip():
            continue
        child, sep, parent = pair.partition("=")
        if not (sep and is_digits(child.strip()) and is_digits(parent.strip())):
            raise ImportFailed(
                f"--replies: {pair.strip()!r} should be REPLY=PARENT response numbers (e.g. 2=1,8=7)."
            )
        child, parent = int(child), int(parent)
        if parent >= child:
            raise ImportFailed(f"--replies: {child}={parent}: a response can only answer an earlier one.")
        links[child] = parent
    return links


class SeedTextImporter:
    format = "seed"

    def __init__(self, cleaner, site_url=None, replies=None, file_date=None):
        self.cleaner = cleaner
        self.report = cleaner.report
        self.site_url = site_url
        self.replies = replies or {}
        self.file_date = file_date

    @property
    def site(self):
        from archive.importers.wxr import site_of

        return site_of(self.site_url) if self.site_url else "seed"

    def records(self, stream):
        try:
            text = stream.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ImportFailed(f"not UTF-8 text (byte {error.start}).") from error
        text = self.cleaner.text(text, "the page", "text")
        lines = text.split("\n")
        title_index = next((n for n, line in enumerate(lines) if line.strip()), None)
        count_index = next((n for n, line in enumerate(lines) if COUNT_LINE.match(line)), None)
        if title_index is None or count_index is None or count_index <= title_index:
            raise ImportFailed('not a saved post page: expected a title, a body and "N Responses so far."')
        title, _ = self.cleaner.line(lines[title_index], "the page", "title")
        body_paragraphs = "\n".join(line.strip() for line in lines[title_index + 1 : count_index]).strip()
        body = "\n".join(f"<p>{p}</p>" for p in re.split(r"\n\s*\n", body_paragraphs) if p.strip())
        announced = COUNT_LINE.match(lines[count_index]).group(1)
        responses = self._responses(lines[count_index + 1 :])
        if announced and int(announced) != len(responses):
            self.report.warn(
                f"the page says {announced} responses; {len(responses)} are on it (the rest were never captured)."
            )
        key = slugify(title, allow_unicode=True) or "page"
        published_at = self.file_date or datetime.datetime.now(datetime.UTC)
        self.report.warn(
            f"the page carries no dates: the post is dated {published_at:%Y-%m-%d %H:%M} UTC (the file's "
            "modification time) and its responses a minute apart in page order."
        )
        record = PostRecord(key=key, label=f"“{title}”", title=title, body=body, published_at=published_at)
        names = self._names(responses)
        unknown = [number for number, name in names.items() if name is None]
        if unknown:
            self.report.warn(
                f"responses {', '.join(map(str, unknown))}: the page shows no author and the text names none; "
                "“Anonymous”."
            )
        numbers = {number for number, _ in responses}
        for order, (number, text) in enumerate(responses):
            comment = CommentRecord(
                key=f"{key}/{number}",
                original_id=str(number),
                name=self.cleaner.name(names[number] or "", f"response {number}", {}),
                body=text,
                created_at=published_at + datetime.timedelta(minutes=order + 1),
                order=order,
            )
            parent = self.replies.get(number)
            if parent is not None:
                if parent not in numbers:
                    raise ImportFailed(f"--replies: response {parent} is not on the page.")
                comment.parent_key = f"{key}/{parent}"
                comment.original_parent_id = str(parent)
                comment.parent_origin = CommentSource.ParentOrigin.STATED
                comment.reply_inferred = True
                comment.inferred_from = "--replies"
            record.comments.append(comment)
        unknown_replies = set(self.replies) - numbers
        if unknown_replies:
            raise ImportFailed(f"--replies: response {min(unknown_replies)} is not on the page.")
        return iter([record])

    def _responses(self, lines):
        responses, current = [], None
        for line in lines:
            if END_LINE.match(line):
                break
            start = RESPONSE_START.match(line)
            if start and (current is None or int(start.group(1)) == current[0] + 1):
                current = (int(start.group(1)), [start.group(2)])
                responses.append(current)
            elif current is not None:
                current[1].append(line)
        result = []
        for number, body_lines in responses:
            result.append((number, _dedent("\n".join(body_lines))))
        return result

    def _names(self, responses):
        names = {}
        bodies = dict(responses)
        for number, text in responses:
            first, _, rest = text.partition("\n")
            author = AUTHOR_LINE.match(first)
            if author:
                names[number] = author.group(1).strip()
                bodies[number] = rest.strip("\n")
                continue
            names[number] = None
            paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
            if len(paragraphs) > 1 and SIGNATURE.match(paragraphs[-1].strip()):
                names[number] = paragraphs[-1].strip()
                self.report.warn(f"response {number}: author named from its signature, {names[number]!r}.")
        previous = None
        for number, _ in responses:
            mention = OPENING_MENTION.match(bodies[number])
            known = {name.lower() for n, name in names.items() if name and n < number}
            if mention and previous is not None and names[previous] is None:
                addressed = mention.group(1)
                if addressed.lower() not in known:
                    names[previous] = addressed
                    self.report.warn(
                        f"response {previous}: the page shows no author; named {addressed!r} from how "
                        f"response {number} addresses it."
                    )
            previous = number
        responses[:] = [(number, bodies[number]) for number, _ in responses]
        return names


def _dedent(text):
    lines = text.split("\n")
    first, rest = lines[0], lines[1:]
    indents = [len(line) - len(line.lstrip(" ")) for line in rest if line.strip()]
    cut = min(indents, default=0)
    return "\n".join([first.strip()] + [line[cut:].rstrip() for line in rest]).strip("\n")


def file_date(path):
    try:
        return datetime.datetime.fromtimestamp(os.stat(path).st_mtime, tz=datetime.UTC).replace(microsecond=0)
    except OSError:
        return None
