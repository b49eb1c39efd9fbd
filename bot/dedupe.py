"""'Same as #n?': a cheap text similarity that catches a colleague's wording of the same problem."""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from sys import intern

from storage.model import OpenProblems, Problem

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
_COUNT_MAX = (1 << (FIELD - 1)) - 1  # a spelling longer than this is not packed: its letters are counted per check
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


@dataclass(frozen=True, slots=True)
class _Words:
    """A text as the comparison reads it, worked out once: its distinct stems, and the spelling's letters."""

    stems: tuple[str, ...]  # distinct and interned: a tuple is a third of a frozenset's size, and it is cached
    spelling: str  # the stems joined by spaces, what the character similarity compares
    letters: int | None  # packed counts (above); None for a spelling too long to pack


# The words of every open problem compared lately. A server's memory must level off early in its life, so this
# holds the open problems of a few busy areas (about 0.6 KB each), not the whole organisation's 20,000: a
# check in an area not compared lately works its candidates' words out again (about 8 µs each).
WORDS_CACHED = 12_000


@lru_cache(maxsize=WORDS_CACHED)
def _words(text: str) -> _Words:
    """Stems are interned: staff use a few thousand words, so each is held once, not once per text."""
    stems = tuple(intern(_stem(w)) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP)
    spelling = " ".join(stems)
    letters = _packed(spelling) if len(spelling) <= _COUNT_MAX else None
    return _Words(tuple(dict.fromkeys(stems)), spelling, letters)


def _score(a: frozenset[str], a_words: _Words, b: _Words) -> float:
    """`a` is a_words' stems as a set, made once per check rather than once per candidate."""
    if not a or not b.stems:
        return 0.0
    return _score_shared(len(a.intersection(b.stems)), a, a_words, b)


def _score_shared(common: int, a: frozenset[str], a_words: _Words, b: _Words) -> float:
    """_score, given how many stems the two share."""
    if not common:  # a misspelling of the same words still shares some: no word in common is no match
        return 0.0
    jaccard = common / (len(a) + len(b.stems) - common)
    if jaccard >= THRESHOLD:
        return jaccard
    # Spelling is the expensive test: run it only when the cheap upper bounds allow a match. They are
    # SequenceMatcher's real_quick_ratio and quick_ratio, worked out from lengths and cached letter counts.
    size = len(a_words.spelling) + len(b.spelling)
    if 2.0 * min(len(a_words.spelling), len(b.spelling)) / size < CLOSE_SPELLING:
        return jaccard
    if a_words.letters is not None and b.letters is not None:
        in_common = _letters_in_common(a_words.letters, b.letters)
    else:  # too long to pack: counted here, still far cheaper than the character comparison below
        in_common = sum((Counter(a_words.spelling) & Counter(b.spelling)).values())
    if 2.0 * in_common / size < CLOSE_SPELLING:
        return jaccard
    close = SequenceMatcher(None, a_words.spelling, b.spelling, autojunk=False).ratio() >= CLOSE_SPELLING
    return 1.0 if close else jaccard


def similarity(a: str, b: str) -> float:
    """Word-stem overlap (Jaccard), or near-identical spelling of the whole text."""
    words = _words(a)
    return _score(frozenset(words.stems), words, _words(b))


def most_similar(text: str, candidates: OpenProblems | Iterable[Problem]) -> Problem | None:
    """The most similar candidate at or over the threshold; of equal ones, the oldest (lowest number).
    An area's open problems are looked up by their words (`_AreaIndex`); any other list is compared in full."""
    if isinstance(candidates, OpenProblems):
        index = _index_of(candidates)
        with index.lock:  # threads checking one area bring it up to date and read it one at a time
            index.follow(candidates)
            found = index.most_similar(text)
        _let_go()
        return found
    wanted = _words(text)
    wanted_stems = frozenset(wanted.stems)
    best, best_score = None, THRESHOLD
    for problem in candidates:
        score = _score(wanted_stems, wanted, _words(problem.description or problem.title))
        if score >= best_score:
            best, best_score = problem, score
    return best


# The open problems of the areas checked lately, each with the stems its texts hold. A match needs a stem in
# common (see _score), so a check compares only the candidates sharing one of its stems, not the whole area.
KEPT_INDEXED = 10_000  # problems across all areas, about 0.6 KB each: memory levels off whatever the history


class _AreaIndex:
    """An area's candidates by stem, brought in step with each version of the area it is given."""

    def __init__(self) -> None:
        self.version: tuple[int, ...] | None = None
        self.problems: dict[int, Problem] = {}  # by number: unique in a workspace
        self.words: dict[int, _Words] = {}
        self.postings: dict[str, set[int]] = {}
        self.lock = threading.Lock()

    def follow(self, area: OpenProblems) -> None:
        if area.version == self.version:
            return
        if area.grew_from is not None and area.grew_from == self.version:  # problems added: index just those
            for problem in area.added:
                self._add(problem)
            if len(self.problems) > len(area.problems):  # the window was full: its oldest went
                floor = area.problems[-1].number
                for number in [n for n in self.problems if n < floor]:
                    self._remove(number)
        else:
            now = {p.number: p for p in area.problems}
            for number in self.problems.keys() - now.keys():
                self._remove(number)
            for number in now.keys() - self.problems.keys():
                self._add(now[number])
            self.problems = now  # this version's own objects (a status may have changed)
        self.version = area.version

    def _add(self, problem: Problem) -> None:
        words = self.words[problem.number] = _words(problem.description or problem.title)
        self.problems[problem.number] = problem
        for stem in words.stems:
            self.postings.setdefault(stem, set()).add(problem.number)

    def _remove(self, number: int) -> None:
        del self.problems[number]
        for stem in self.words.pop(number).stems:
            numbers = self.postings[stem]
            numbers.discard(number)
            if not numbers:
                del self.postings[stem]

    def most_similar(self, text: str) -> Problem | None:
        """The stems each candidate shares are counted from the postings (a C loop per stem), so the stem overlap
        needs no set intersection per candidate; the rest of the comparison is _score's, from that count."""
        wanted = _words(text)
        stems = frozenset(wanted.stems)
        shared: Counter[int] = Counter()
        for stem in stems:
            shared.update(self.postings.get(stem, ()))
        best: tuple[float, int] | None = None  # (score, -number): the highest score, then the oldest
        for number, common in shared.items():
            score = _score_shared(common, stems, wanted, self.words[number])
            if score >= THRESHOLD and (best is None or (score, -number) > best):
                best = (score, -number)
        return None if best is None else self.problems[-best[1]]


_indexes: OrderedDict[tuple[int, int, int | None], _AreaIndex] = OrderedDict()
_indexes_lock = threading.Lock()


def _index_of(area: OpenProblems) -> _AreaIndex:
    with _indexes_lock:
        index = _indexes.get(area.key)
        if index is None:
            index = _indexes[area.key] = _AreaIndex()
        _indexes.move_to_end(area.key)
        return index


def _let_go() -> None:
    """While too many problems are held, the areas checked longest ago go (the newest always stays)."""
    with _indexes_lock:
        held = sum(len(i.problems) for i in _indexes.values())
        while held > KEPT_INDEXED and len(_indexes) > 1:
            _, evicted = _indexes.popitem(last=False)
            held -= len(evicted.problems)
