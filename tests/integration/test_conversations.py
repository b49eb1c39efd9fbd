"""Conversation references on real SQLite and PostgreSQL: one row a conversation, rewritten only on change."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from storage.conversations import ConversationStore

REF = {"conversation": {"id": "19:frontdesk"}, "serviceUrl": "https://smba.example/", "bot": {"id": "28:tally"}}


def test_an_unchanged_reference_is_never_rewritten_even_after_a_restart(engine):
    assert ConversationStore(engine).remember("teams", "T1", "19:frontdesk", "channel", REF) is True
    restarted = ConversationStore(engine)  # a new process: nothing cached
    assert restarted.remember("teams", "T1", "19:frontdesk", "channel", REF) is False
    moved = {**REF, "serviceUrl": "https://smba.example/emea/"}
    assert restarted.remember("teams", "T1", "19:frontdesk", "channel", moved) is True
    assert restarted.find("teams", "T1", "19:frontdesk") == moved
    assert restarted.list("teams", "T1") == [("19:frontdesk", "channel")]
    assert restarted.find("teams", "T2", "19:frontdesk") is None


def test_concurrent_first_messages_make_one_row(engine):
    stores = [ConversationStore(engine) for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda s: s.remember("teams", "T1", "a:1chat", "personal", REF), stores))
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from conversation_ref")).scalar() == 1
