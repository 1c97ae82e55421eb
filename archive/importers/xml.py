"""Reading XML from outside: safely (defusedxml) and as a stream."""

import functools
import re
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import errors as expat_errors

import defusedxml
import defusedxml.ElementTree as SafeET

from archive.importers.base import ImportFailed

# The prefixes WordPress (and WordPress.com) exports use, with the
# namespaces WordPress itself declares for them. WordPress.com exports of
# 2011-2012 use `atom:` in the channel without declaring it; WordPress's
# importer reads them, so we read them again with these declared.
USUAL_PREFIXES = {
    "atom": "http://www.w3.org/2005/Atom",
    "media": "http://search.yahoo.com/mrss/",
    "georss": "http://www.georss.org/georss",
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "sy": "http://purl.org/rss/1.0/modules/syndication/",
    "slash": "http://purl.org/rss/1.0/modules/slash/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "wp": "http://wordpress.org/export/1.2/",
}
UNBOUND_PREFIX = expat_errors.codes[expat_errors.XML_ERROR_UNBOUND_PREFIX]
# How far into the file the root's start tag may end (past the XML
# declaration and comments); a file whose root tag ends later is read as is.
ROOT_TAG_WITHIN = 1024 * 1024
_ROOT_START_TAG = re.compile(
    rb"""\A(?:\xef\xbb\xbf)?(?:\s|<\?.*?\?>|<!--.*?-->)*"""
    rb"""<[A-Za-z_][\w.:-]*((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*/?>""",
    re.DOTALL,
)
_DECLARED_PREFIX = re.compile(rb"\bxmlns:([\w.-]+)\s*=")


class UndeclaredPrefix(ImportFailed):
    """Not well-formed only because an element or attribute uses an undeclared prefix."""


class DeclaringPrefixes:
    """A file read with the usual prefixes declared on its root element.

    Reads like the file (`read(size)`), as a stream: only the start of the
    file, up to the end of the root's start tag, is held, and the missing
    `xmlns:prefix="..."` attributes are added to that tag. Lines are not
    moved (nothing but attributes is added), so later error positions hold.
    `.declared` maps the namespaces added to their prefixes.
    """

    def __init__(self, stream, prefixes=USUAL_PREFIXES):
        self.stream = stream
        self.prefixes = prefixes
        self.declared = {}
        self._head = None

    def read(self, size=-1):
        if self._head is None:
            self._head = self._declare(self._read_head())
        if not self._head:
            return self.stream.read(size)
        if size is None or size < 0:
            data, self._head = self._head + self.stream.read(), b""
        else:
            data, self._head = self._head[:size], self._head[size:]
        return data

    def _read_head(self):
        head = b""
        while len(head) < ROOT_TAG_WITHIN:
            chunk = self.stream.read(16 * 1024)
            if not chunk:
                break
            head += chunk
            if b">" in chunk and _ROOT_START_TAG.match(head):
                break
        return head

    def _declare(self, head):
        match = _ROOT_START_TAG.match(head)
        if match is None:  # not found (or not UTF-8/ASCII): read as is, and fail as before
            return head
        present = {prefix.decode() for prefix in _DECLARED_PREFIX.findall(match.group(1))}
        added = b""
        for prefix, namespace in self.prefixes.items():
            if prefix not in present:
                self.declared[namespace] = prefix
                added += f' xmlns:{prefix}="{namespace}"'.encode()
        end = match.end(1)
        return head[:end] + added + head[end:]


@functools.lru_cache(maxsize=1024)
def namespace_of(tag):
    return tag[1:].partition("}")[0] if isinstance(tag, str) and tag.startswith("{") else ""


@functools.lru_cache(maxsize=1024)
def local_name(tag):
    """ "{https://wordpress.org/export/1.2/}comment" -> "comment" (a file has few distinct tags)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def stream_elements(source, containers, namespaces_seen=None):
    """Yield (element, its parent's local name) for each complete child of a
    container element (a WXR <channel>, the Disqus root), then drop it.

    Entities, external references and anything else defusedxml forbids end
    the import with a message; so does XML that is not well-formed, with
    its line and column (UndeclaredPrefix for an undeclared prefix).
    `namespaces_seen`, a set, receives every namespace elements and
    attributes use.
    """
    stack = []
    try:
        for event, element in SafeET.iterparse(source, events=("start", "end")):
            if event == "start":
                stack.append(element)
                if namespaces_seen is not None:
                    namespaces_seen.add(namespace_of(element.tag))
                    namespaces_seen.update(namespace_of(name) for name in element.attrib)
                continue
            stack.pop()
            parent = stack[-1] if stack else None
            parent_name = local_name(parent.tag) if parent is not None else None
            if parent_name in containers:
                yield element, parent_name
                element.clear()
                parent.remove(element)
    except ParseError as error:
        line, column = error.position
        reason = str(error).split(": line ", 1)[0]
        if error.code == UNBOUND_PREFIX:
            raise UndeclaredPrefix(
                f"not well-formed XML at line {line}, column {column + 1}: {reason} (a namespace "
                "prefix used without being declared)."
            ) from error
        raise ImportFailed(f"not well-formed XML at line {line}, column {column + 1}: {reason}.") from error
    except defusedxml.EntitiesForbidden as error:
        raise ImportFailed(
            f"refused: the file declares the XML entity {error.name!r} (entity expansion, as in "
            "“billion laughs”, and external entities are not read)."
        ) from error
    except defusedxml.ExternalReferenceForbidden as error:
        raise ImportFailed(
            f"refused: the file refers to an external resource ({error.sysid or error.pubid!r}); "
            "external references are not read."
        ) from error
    except defusedxml.DTDForbidden as error:
        raise ImportFailed("refused: the file carries a document type definition.") from error
