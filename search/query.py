"""What a reader typed in the search box, made safe and split in two.

Words go to PostgreSQL's websearch_to_tsquery ("quoted phrases",
-exclusions, or), which never raises on odd input. Runs of characters
from scripts written without spaces (Chinese, Japanese, Thai, ...) are
taken out and searched as substrings instead: the full-text parser would
see "我喜欢这张专辑" as one word, so "喜欢" would never match it.
"""

import re
import unicodedata
from dataclasses import dataclass, field

# A query is cut to this many characters: enough for any phrase a reader
# remembers, and it bounds the work (and the trigram look-ups) per search.
MAX_LENGTH = 200
# Pages for longer queries are not kept in the page cache: nobody asks
# for the same 150-character query twice, so they would only push out
# pages that are shared.
MAX_CACHED_LENGTH = 100
# At most this many substrings per query (each is one more LIKE).
MAX_SUBSTRINGS = 8

# Thai, Lao, Myanmar, Khmer, Hiragana and Katakana, CJK (extension A,
# unified, compatibility), Hangul syllables, half-width Katakana. Keep in
# step with search/migrations/0001_initial.py UNSPACED_CLASS.
UNSPACED = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
)
_UNSPACED_RUN = re.compile(f"[{UNSPACED}]+")
# Control characters (PostgreSQL refuses NUL in text), format characters
# (bidi overrides, zero-width joiners) and unpaired surrogates become spaces.
_UNWANTED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def normalise(raw):
    """The query as searched and cached: NFC, no control characters, single spaces."""
    text = unicodedata.normalize("NFC", raw or "")
    text = "".join(" " if unicodedata.category(char) in _UNWANTED_CATEGORIES else char for char in text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Terms:
    """A normalised query: its text, the words part and the substrings."""

    text: str
    words: str
    substrings: tuple = field(default=())
    truncated: bool = False

    @classmethod
    def parse(cls, raw):
        text = normalise(raw)
        truncated = len(text) > MAX_LENGTH
        if truncated:
            text = text[:MAX_LENGTH].rstrip()
        substrings = []
        for run in _UNSPACED_RUN.findall(text):
            if run not in substrings:
                substrings.append(run)
        words = " ".join(_UNSPACED_RUN.sub(" ", text).split())
        return cls(text=text, words=words, substrings=tuple(substrings[:MAX_SUBSTRINGS]), truncated=truncated)

    def __bool__(self):
        return bool(self.text)

    @property
    def cacheable(self):
        return len(self.text) <= MAX_CACHED_LENGTH
