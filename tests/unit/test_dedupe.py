import random
from collections import Counter

from bot import dedupe
from bot.dedupe import similarity


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
