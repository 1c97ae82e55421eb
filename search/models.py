"""Search over published posts and approved comments: one ranked list.

The columns, the search_post table and the indexes live in the database
(migrations/0001_initial.py); no model declares them, so nothing in Django
ever writes them.

How a query is matched (docs/search.md says more):
- its words must match the row's tsvector (websearch_to_tsquery, through
  a GIN index), and
- each of its runs of Chinese, Japanese, Thai, ... must be a substring of
  the row's folded text (LIKE, through a trigram GIN index).
A row matching both parts (or the only part there is) is a hit.

Hits come in three tiers: posts whose heading (title, artist, album)
matches, then posts matching in their body, then comments. Within a tier,
by score, then newest first. The score is ts_rank on the weighted tsvector
(title and artist A, album B, body C; a comment's body counts 0.1, its
author's name 0.05) plus, for each substring, the weight of the best field
it was found in (title or artist 1.0, album 0.4, body 0.2; a comment's
body 0.1, its name 0.05).

Each tier ranks at most CANDIDATES rows, the first the index finds: ranking
needs every candidate's row, so an unbounded "the" over a million comments
would read them all. Beyond that the count says "1,000+" and a reader adds a
word to narrow the search.
"""

import html
import re
from dataclasses import dataclass
from datetime import datetime

import nh3
from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.db.models import F, Func, TextField, Value
from django.db.models.functions import Replace
from django.utils.formats import number_format
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

from comments.models import Comment
from posts.models import Post, reading

CANDIDATES = 1000
# ts_headline marks matches with these; comment bodies cannot hold control
# characters, and snippet() copes with strays from imported posts.
START, STOP = "\x02", "\x03"
SNIPPET_CONTEXT = 80  # characters either side of a substring match
_SPACES = re.compile(r"\s+")

# websearch_to_tsquery on a literal is folded to a constant when the query
# is planned, so the planner sees the real tsquery (and its estimates).
# The reader's words as written (wflm_unaccent):
_AS_WRITTEN = "websearch_to_tsquery('wflm_unaccent', %(words)s)"
# ts_rank weights are {D, C, B, A}. Posts: the defaults (body C 0.2, album
# B 0.4, title and artist A 1.0). Comments: body D 0.1, name C 0.05.
_COMMENT_RANK_WEIGHTS = "'{0.1, 0.05, 0, 0}', "


def _tsquery(configs):
    """SQL: the words as written, OR'ed with them stemmed in each content language in use.

    Each language's stems are tagged as its rows' are
    (search/migrations/0002_content_languages.py), so a row only ever
    matches its own language's stems; search_tagged_query is immutable, so
    it is folded at planning as well.
    """
    stemmed = [
        f"search_tagged_query(%(config{index})s::regconfig, %(tag{index})s, %(words)s)"
        for index in range(len(configs))
    ]
    return "(" + " || ".join([_AS_WRITTEN, *stemmed]) + ")"


_POST_HEADING = "concat_ws(' ', p.title, p.artist, p.album)"


@dataclass
class Hit:
    kind: str  # "post" or "comment"
    url: str
    post_title: str
    author: str
    date: datetime
    snippet: str  # safe HTML


@dataclass
class Results:
    total: int
    hits: list
    # More hits than were ranked: total is a lower bound.
    capped: bool = False

    @property
    def count_label(self):
        """ "1,234 results" ("1,000+ results" when capped), in the interface language."""
        count = number_format(self.total, force_grouping=True)
        if self.capped:
            return ngettext("%(count)s+ result", "%(count)s+ results", self.total) % {"count": count}
        return ngettext("%(count)s result", "%(count)s results", self.total) % {"count": count}


def _like(index):
    return f"'%%' || search_fold(%(sub{index})s) || '%%'"


def _words(terms, vector, tsquery, guard=True):
    match = f"{vector} @@ {tsquery}"
    if terms.substrings:
        # Words without a lexeme ("&|!") add no condition when a substring
        # narrows the search; "-word" still excludes.
        return f"(numnode({tsquery}) = 0 OR {match})"
    if guard:
        # Without one, only exclusions ("-miles") match nothing rather than
        # every row (querytree is 'T' when nothing can use the index).
        return f"querytree({tsquery}) <> 'T' AND {match}"
    return match


def _condition(terms, vector, tsquery, text, guard=True):
    """SQL: the row's words match and its text holds every substring."""
    conditions = [_words(terms, vector, tsquery, guard)] if terms.words else []
    conditions += [f"{text} LIKE {_like(index)}" for index in range(len(terms.substrings))]
    return " AND ".join(conditions)


def _substring_scores(terms, fields):
    """For each substring, the weight of the first of fields [(SQL text, weight)] holding it."""
    scores = []
    for index in range(len(terms.substrings)):
        cases = " ".join(
            f"WHEN search_fold({column}) LIKE {_like(index)} THEN {weight}" for column, weight in fields[:-1]
        )
        scores.append(f"CASE {cases} ELSE {fields[-1][1]} END")
    return scores


def ranked_ids_sql(terms, offset, limit, now, configs=()):
    """(SQL, params) of the query listing one page of hits, best first, with the total.

    configs: [(configuration, tag)] of the content languages in use
    (content_configs()).
    """
    tsquery = _tsquery(configs)
    post_score = " + ".join(
        ([f"ts_rank(d.search_words, {tsquery}, 32)"] if terms.words else [])
        + _substring_scores(terms, [("concat_ws(' ', p.title, p.artist)", 1.0), ("p.album", 0.4), ("", 0.2)])
    )
    comment_score = " + ".join(
        ([f"ts_rank({_COMMENT_RANK_WEIGHTS}c.search_words, {tsquery}, 32)"] if terms.words else [])
        + _substring_scores(terms, [("c.body", 0.1), ("", 0.05)])
    )
    post_match = _condition(terms, "d.search_words", tsquery, "d.search_text")
    heading = _condition(
        terms, "d.search_heading_words", tsquery, f"search_fold({_POST_HEADING})", guard=False
    )
    comment_match = _condition(terms, "c.search_words", tsquery, "search_comment_text(c.body, c.name)")
    # Built only from this module's constants; the reader's text is in params.
    sql = f"""
        WITH hits AS (
            (SELECT 3 AS tier, 'post' AS kind, p.id, p.published_at AS at, {post_score} AS score
               FROM search_post d JOIN posts_post p ON p.id = d.post_id
              WHERE p.published_at <= %(now)s AND {post_match} AND {heading}
              LIMIT %(candidates)s)
            UNION ALL
            (SELECT 2, 'post', p.id, p.published_at, {post_score}
               FROM search_post d JOIN posts_post p ON p.id = d.post_id
              WHERE p.published_at <= %(now)s AND {post_match} AND NOT ({heading})
              LIMIT %(candidates)s)
            UNION ALL
            (SELECT 1, 'comment', c.id, c.created_at, {comment_score}
               FROM comments_comment c JOIN posts_post p ON p.id = c.post_id
              WHERE c.status = 'approved' AND c.kind = 'comment' AND p.published_at <= %(now)s
                AND {comment_match}
              LIMIT %(candidates)s)
        )
        SELECT kind, id, count(*) OVER (),
               count(*) FILTER (WHERE tier = 3) OVER () >= %(candidates)s
               OR count(*) FILTER (WHERE tier = 2) OVER () >= %(candidates)s
               OR count(*) FILTER (WHERE tier = 1) OVER () >= %(candidates)s
          FROM hits
         ORDER BY tier DESC, score DESC, at DESC, id DESC
         LIMIT %(limit)s OFFSET %(offset)s
    """  # noqa: S608
    params = {
        "now": now,
        "words": terms.words,
        "limit": limit,
        "offset": offset,
        "candidates": CANDIDATES,
    }
    params.update({f"sub{index}": substring for index, substring in enumerate(terms.substrings)})
    for index, (config, tag) in enumerate(configs):
        params.update({f"config{index}": config, f"tag{index}": tag})
    return sql, params


# The configurations that some post (and so its comments) is stemmed in: a
# few index probes, however large the archive.
_CONTENT_CONFIGS = """
    SELECT DISTINCT l.config::text, search_config_tag(l.config) FROM search_language l
     WHERE EXISTS (SELECT 1 FROM search_post d WHERE d.config = l.config)
     ORDER BY 1
"""


def content_configs(cursor):
    """[(configuration, tag)] of the content languages in the archive: [("wflm_french", "french"), ...]."""
    cursor.execute(_CONTENT_CONFIGS)
    return [tuple(row) for row in cursor.fetchall()]


def _ranked_ids(terms, offset, limit, now):
    """[(kind, id, total, capped)] for one page of hits, best first.

    Queries: the content languages in use (1, when the query has words),
    then the ranked ids with the total (1).
    """
    with reading(Post).cursor() as cursor:  # where the page's other reads go (a replica, if any)
        configs = content_configs(cursor) if terms.words else []
        cursor.execute(*ranked_ids_sql(terms, offset, limit, now, configs))
        return cursor.fetchall()


def search(terms, *, offset, limit, now):
    """One page of hits for terms (a search.query.Terms) and the total.

    Queries: the ranked ids with the total (1), the page's posts (1, if
    any) and the page's comments with their posts (1, if any).
    """
    rows = _ranked_ids(terms, offset, limit, now) if terms else []
    total, capped = rows[0][2:] if rows else (0, False)
    post_ids = [pk for kind, pk, *_ in rows if kind == "post"]
    comment_ids = [pk for kind, pk, *_ in rows if kind == "comment"]
    posts, comments = {}, {}
    if post_ids:
        queryset = Post.objects.filter(pk__in=post_ids).only(
            "title", "slug", "artist", "body", "excerpt", "published_at"
        )
        if terms.words:
            queryset = queryset.annotate(headline=_headline(terms, _strip_tags("body"), "language"))
        posts = {post.pk: post for post in queryset}
    if comment_ids:
        queryset = (
            Comment.objects.filter(pk__in=comment_ids)
            .select_related("post")
            .only("name", "body", "created_at", "post__title", "post__slug", "post__published_at")
        )
        if terms.words:
            # Escaped first: ts_headline drops whatever looks like an HTML
            # tag, and a plain-text comment's "<b>" is text to show.
            queryset = queryset.annotate(headline=_headline(terms, _escape("body"), "post__language"))
        comments = {comment.pk: comment for comment in queryset}
    hits = []
    for kind, pk, *_ in rows:
        if kind == "post" and pk in posts:
            hits.append(_post_hit(posts[pk], terms))
        elif kind == "comment" and pk in comments:
            hits.append(_comment_hit(comments[pk], terms))
    return Results(total=total, hits=hits, capped=capped)


def _strip_tags(column):
    return Func(F(column), function="search_strip_tags")


def _escape(column):
    escaped = F(column)
    for char, entity in [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")]:
        escaped = Replace(escaped, Value(char), Value(entity))
    return escaped


def _headline(terms, text, language_field):
    """ts_headline of text, its words matched as the language of language_field's content stems them.

    Stemmed, "trompettes" marks "trompette"; words as typed still match
    (wflm_unaccent when the language has no configuration).
    """
    config = Func(F(language_field), function="search_headline_config", output_field=TextField())
    return SearchHeadline(
        text,
        SearchQuery(terms.words, search_type="websearch", config=config),
        config=config,
        start_sel=START,
        stop_sel=STOP,
        max_words=35,
        min_words=15,
    )


def _post_hit(post, terms):
    text = " ".join(html.unescape(nh3.clean(post.body, tags=set())).split()) or post.excerpt
    return Hit(
        kind="post",
        url=post.get_absolute_url(),
        post_title=post.title,
        author=post.artist,
        date=post.published_at,
        snippet=snippet(getattr(post, "headline", None), text, terms.substrings, unescape=True),
    )


def _comment_hit(comment, terms):
    return Hit(
        kind="comment",
        url=comment.get_absolute_url(),
        post_title=comment.post.title,
        author=comment.name,
        date=comment.created_at,
        snippet=snippet(getattr(comment, "headline", None), comment.body, terms.substrings, unescape=True),
    )


def snippet(headline, text, substrings, unescape=False):
    """Safe HTML: the headline (or text around the first substring), escaped, matches in <mark>.

    headline is ts_headline's output, matches between START and STOP;
    None when the query had no words. unescape: the headline holds
    entities (from HTML, or escaped for ts_headline), decoded before
    escaping again; text (plain) never does.
    """
    if headline is None or (substrings and not any(s.lower() in headline.lower() for s in substrings)):
        headline, unescape = _around(text, substrings), False
    parts, inside = [], False
    for index, piece in enumerate(_split_marks(headline)):
        if index % 2:  # a marker
            if (piece == START) != inside:
                parts.append("<mark>" if not inside else "</mark>")
                inside = not inside
            continue
        # Stripped tags leave runs of spaces.
        piece = _SPACES.sub(" ", html.unescape(piece) if unescape else piece)
        parts.append(_mark_substrings(html.escape(piece), substrings))
    if inside:
        parts.append("</mark>")
    return mark_safe("".join(parts).strip())  # noqa: S308 (every piece of text is escaped above)


def _split_marks(text):
    """[text, marker, text, marker, ..., text]."""
    pieces, current = [], []
    for char in text:
        if char in (START, STOP):
            pieces += ["".join(current), char]
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return pieces


def _around(text, substrings):
    """SNIPPET_CONTEXT characters either side of the first substring found in text."""
    text = text.replace(START, " ").replace(STOP, " ")
    lowered = text.lower()
    found = [lowered.find(s.lower()) for s in substrings]
    found = [position for position in found if position >= 0]
    if not found:
        return text[: 2 * SNIPPET_CONTEXT] + ("…" if len(text) > 2 * SNIPPET_CONTEXT else "")
    start = max(0, min(found) - SNIPPET_CONTEXT)
    end = min(len(text), min(found) + SNIPPET_CONTEXT)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def _mark_substrings(escaped, substrings):
    # Substrings are runs of letters (no &, <, >), so they read the same escaped.
    for substring in substrings:
        escaped = escaped.replace(html.escape(substring), f"<mark>{html.escape(substring)}</mark>")
    return escaped
