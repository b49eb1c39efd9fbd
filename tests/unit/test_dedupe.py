import random
from collections import Counter

from bot import dedupe
from bot.dedupe import similarity
from storage.model import OpenProblems, Problem


def test_rewordings_of_the_same_problem_match():
    a = "Users complaining they have not received a decision letter"
    b = "users complain they haven't received their decision letter"
    assert similarity(a, b) >= 0.6


def test_different_problems_do_not_match():
    assert similarity("printer broken", "phones broken") < 0.6
    assert similarity("Scanner offline in reception", "Decision letters not sent") < 0.6


def test_typos_match():
    assert similarity("Recieved no decision leter", "received no decision letter") >= 0.6


def test_nothing_meaningful():
    assert similarity("the a of", "the a of") == 0.0


def test_packed_letter_counts_give_the_letters_two_spellings_share():
    """The shortcut must agree with a Counter intersection exactly, or it could turn away a real match."""
    rng = random.Random(7)
    for _ in range(500):
        a, b = ("".join(rng.choice(dedupe.ALPHABET) for _ in range(rng.randint(0, 300))) for _ in "ab")
        expected = sum((Counter(a) & Counter(b)).values())
        assert dedupe._letters_in_common(dedupe._packed(a), dedupe._packed(b)) == expected
    long = "a" * 40_000 + "b" * 20_000  # near the largest count a field holds
    assert dedupe._letters_in_common(dedupe._packed(long), dedupe._packed("a" * 30_000 + "b" * 25_000)) == 50_000


def test_a_spelling_too_long_to_pack_is_still_compared():
    text = "printer jammed " * 6_000
    assert dedupe._words(text).letters is None
    assert dedupe.similarity(text, text) == 1.0
    assert dedupe.similarity(text, "printer " + "scanner offline " * 6_000) < 0.6  # its letters rule it out


WORDS = "printer scanner phone queue letter decision portal payment login form housing benefit tax council".split()


def _text(rng: random.Random) -> str:
    words = rng.sample(WORDS, rng.randint(1, 5))
    if rng.random() < 0.3:  # a misspelling: only the close-spelling test can match it
        i = rng.randrange(len(words))
        words[i] = words[i][:-1] + rng.choice("aeiou")
    return " ".join(words)


def test_an_areas_index_finds_what_comparing_every_candidate_finds():
    """The index only skips candidates sharing no stem, which can't match: same answers as the full comparison,
    ties to the oldest, while problems come and go between versions of the area."""
    rng = random.Random(11)
    problems: dict[int, Problem] = {}
    numbers = iter(range(1, 10_000))  # a workspace never gives a number twice
    for version in range(60):
        for _ in range(rng.randint(0, 8)):
            number = next(numbers)
            problems[number] = Problem(1, number, _text(rng), id=number)
        for number in rng.sample(sorted(problems), min(len(problems), rng.randint(0, 3))):
            del problems[number]
        newest_first = tuple(sorted(problems.values(), key=lambda p: -p.number))
        area = OpenProblems((1, 1, 7), (version,), newest_first)
        for _ in range(20):
            text = _text(rng)
            expected = dedupe.most_similar(text, list(newest_first))
            assert dedupe.most_similar(text, area) == expected, text


def test_the_index_is_kept_per_area_and_let_go_when_too_many_are_held(monkeypatch):
    monkeypatch.setattr(dedupe, "KEPT_INDEXED", 2)
    monkeypatch.setattr(dedupe, "_indexes", type(dedupe._indexes)())
    one = OpenProblems((1, 1, 1), (1,), (Problem(1, 2, "printer jammed", id=2), Problem(1, 1, "phone queue", id=1)))
    two = OpenProblems((1, 1, 2), (1,), (Problem(1, 1, "printer jammed", id=3),))
    assert dedupe.most_similar("printer jammed again", one).number == 2
    assert dedupe.most_similar("printer jammed again", two).id == 3  # another area: its own problems
    assert list(dedupe._indexes) == [(1, 1, 2)]  # three held is over the limit: the older area went
    assert dedupe.most_similar("phone queue long", one).number == 1  # and comes back when checked again


def test_an_index_grown_from_its_own_version_matches_one_built_afresh():
    """A version that only adds problems (and lets the full window's oldest go) is applied as just that: the
    answers stay those of comparing every candidate, through growth, a full window and a change in between."""
    rng = random.Random(5)
    limit, numbers = 40, iter(range(1, 10_000))
    window: tuple[Problem, ...] = ()
    area = OpenProblems((1, 1, 9), (0,), window)
    for step in range(80):
        if step % 17 == 16:  # something else changed (a problem closed): a new window, not grown
            window = window[1:]
            area = OpenProblems(area.key, (step, 1), window)
        else:
            added = tuple(
                Problem(1, n, _text(rng), id=n)
                for n in sorted((next(numbers) for _ in range(rng.randint(1, 6))), reverse=True)
            )
            window = (added + window)[:limit]
            area = OpenProblems(area.key, (step, 0), window, grew_from=area.version, added=added)
        for _ in range(15):
            text = _text(rng)
            assert dedupe.most_similar(text, area) == dedupe.most_similar(text, list(window)), text
        index = dedupe._index_of(area)
        assert index.problems == {p.number: p for p in window}
        assert set(index.words) == set(index.problems)
        assert {n for held in index.postings.values() for n in held} == set(index.problems)
