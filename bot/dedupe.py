"""'Same as #n?': a cheap text similarity that catches a colleague's wording of the same problem."""

from __future__ import annotations

import re
from collections.abc import Iterable
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


@lru_cache(maxsize=8192)
def _stems(text: str) -> tuple[str, ...]:
    """Cached: the same open problems are compared with every new report in their area."""
    return tuple(_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP)


def _score(sa: tuple[str, ...], sb: tuple[str, ...]) -> float:
    if not sa or not sb:
        return 0.0
    common = set(sa) & set(sb)
    if not common:  # a misspelling of the same words still shares some: no word in common is no match
        return 0.0
    jaccard = len(common) / len(set(sa) | set(sb))
    if jaccard >= THRESHOLD:
        return jaccard
    # Spelling is the expensive test: run it only when the cheap upper bounds allow a match.
    matcher = SequenceMatcher(None, " ".join(sa), " ".join(sb), autojunk=False)
    close = (
        matcher.real_quick_ratio() >= CLOSE_SPELLING
        and matcher.quick_ratio() >= CLOSE_SPELLING
        and matcher.ratio() >= CLOSE_SPELLING
    )
    return 1.0 if close else jaccard


def similarity(a: str, b: str) -> float:
    """Word-stem overlap (Jaccard), or near-identical spelling of the whole text."""
    return _score(_stems(a), _stems(b))


def most_similar(text: str, candidates: Iterable[Problem]) -> Problem | None:
    wanted = _stems(text)
    best, best_score = None, THRESHOLD
    for problem in candidates:
        score = _score(wanted, _stems(problem.description or problem.title))
        if score >= best_score:
            best, best_score = problem, score
    return best
