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


@dataclass(frozen=True)
class _Words:
    """A text as the comparison reads it, worked out once: stems, their set, and the spelling's letters."""

    stems: frozenset[str]
    spelling: str  # the stems joined by spaces, what the character similarity compares
    letters: Counter[str]


@lru_cache(maxsize=32768)
def _words(text: str) -> _Words:
    """Cached: the same open problems are compared with every new report in their area (20,000 fit)."""
    stems = tuple(_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP)
    spelling = " ".join(stems)
    return _Words(frozenset(stems), spelling, Counter(spelling))


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
    if 2.0 * sum((a.letters & b.letters).values()) / size < CLOSE_SPELLING:
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
