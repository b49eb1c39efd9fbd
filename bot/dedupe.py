"""'Same as #n?': a cheap text similarity that catches a colleague's wording of the same problem."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from storage.model import Problem

THRESHOLD = 0.6  # share of meaningful word stems in common
CLOSE_SPELLING = 0.85  # whole-text character similarity that counts as a match on its own
_STOP_WORDS = (
    "a an the to of and or in on for is are was were be been it its they them their we us our i you "
    "that this with at by from as not no have has had do does did haven hasn didn don doesn t s again"
)
_STOP = frozenset(_STOP_WORDS.split(" "))
_SUFFIXES = ("ing", "ed", "es", "s")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


# A spelling's letter counts packed into one integer, a field of FIELD bits per character of ALPHABET (the
# spelling holds no others), its top bit a guard: the letters two texts have in common come out of a few
# integer operations instead of a Counter intersection per candidate (0.35 µs against 3.3).
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 "
FIELD = 17
_COUNT_MAX = (1 << (FIELD - 1)) - 1  # a spelling longer than this skips the letters bound (it is only a shortcut)
_GUARDS = sum(1 << (FIELD * i + FIELD - 1) for i in range(len(ALPHABET)))
_COUNTS = sum(_COUNT_MAX << (FIELD * i) for i in range(len(ALPHABET)))
_FIELDS_SUM = (1 << FIELD) - 1  # n mod (2^FIELD - 1) adds up n's fields, while their sum stays below it


def _packed(spelling: str) -> int:
    return sum(spelling.count(ch) << (FIELD * i) for i, ch in enumerate(ALPHABET))


def _letters_in_common(a: int, b: int) -> int:
    """Σ min(a_i, b_i) over the fields: each field of (b + guard) - a keeps its guard bit where b_i >= a_i."""
    b_not_less = (((b | _GUARDS) - a) & _GUARDS) >> (FIELD - 1)
    take_a = (b_not_less << (FIELD - 1)) - b_not_less
    return ((a & take_a) | (b & ~take_a & _COUNTS)) % _FIELDS_SUM


@dataclass(frozen=True)
class _Words:
    """A text as the comparison reads it, worked out once: stems, their set, and the spelling's letters."""

    stems: frozenset[str]
    spelling: str  # the stems joined by spaces, what the character similarity compares
    letters: int | None  # packed counts (above); None for a spelling too long to pack


@lru_cache(maxsize=32768)
def _words(text: str) -> _Words:
    """Cached: the same open problems are compared with every new report in their area (20,000 fit)."""
    stems = tuple(_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP)
    spelling = " ".join(stems)
    return _Words(frozenset(stems), spelling, _packed(spelling) if len(spelling) <= _COUNT_MAX else None)


def _score(a: _Words, b: _Words) -> float:
    if not a.stems or not b.stems:
        return 0.0
    common = len(a.stems & b.stems)
    if not common:  # a misspelling of the same words still shares some: no word in common is no match
        return 0.0
    jaccard = common / (len(a.stems) + len(b.stems) - common)
    if jaccard >= THRESHOLD:
        return jaccard
    # Spelling is the expensive test: run it only when the cheap upper bounds allow a match. They are
    # SequenceMatcher's real_quick_ratio and quick_ratio, worked out from lengths and cached letter counts.
    size = len(a.spelling) + len(b.spelling)
    if 2.0 * min(len(a.spelling), len(b.spelling)) / size < CLOSE_SPELLING:
        return jaccard
    if a.letters is not None and b.letters is not None:
        in_common = _letters_in_common(a.letters, b.letters)
    else:  # too long to pack: counted here, still far cheaper than the character comparison below
        in_common = sum((Counter(a.spelling) & Counter(b.spelling)).values())
    if 2.0 * in_common / size < CLOSE_SPELLING:
        return jaccard
    close = SequenceMatcher(None, a.spelling, b.spelling, autojunk=False).ratio() >= CLOSE_SPELLING
    return 1.0 if close else jaccard


def similarity(a: str, b: str) -> float:
    """Word-stem overlap (Jaccard), or near-identical spelling of the whole text."""
    return _score(_words(a), _words(b))


def most_similar(text: str, candidates: Iterable[Problem]) -> Problem | None:
    wanted = _words(text)
    best, best_score = None, THRESHOLD
    for problem in candidates:
        score = _score(wanted, _words(problem.description or problem.title))
        if score >= best_score:
            best, best_score = problem, score
    return best
