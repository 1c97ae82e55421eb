"""Reading XML from outside: safely (defusedxml) and as a stream."""

import functools
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from archive.importers.base import ImportFailed


@functools.lru_cache(maxsize=1024)
def local_name(tag):
    """ "{https://wordpress.org/export/1.2/}comment" -> "comment" (a file has few distinct tags)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def stream_elements(source, containers):
    """Yield (element, its parent's local name) for each complete child of a
    container element (a WXR <channel>, the Disqus root), then drop it.

    Entities, external references and anything else defusedxml forbids end
    the import with a message; so does XML that is not well-formed, with
    its line and column.
    """
    stack = []
    try:
        for event, element in SafeET.iterparse(source, events=("start", "end")):
            if event == "start":
                stack.append(element)
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
