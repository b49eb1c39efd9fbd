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
