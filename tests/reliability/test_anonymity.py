"""Issue 11, item 8: after anonymous captures, repeats and ideas (typed with `anon`, the capture form's and the idea
form's anonymous option, and a 'same as #n?' answered for an anonymous report), in Slack and in Teams, the reporter's
user id and names are nowhere: not in any column of any table, not in the audit trail, not in any log line (every
logger at DEBUG, the SDKs' and aiohttp's access log too), not in an export (the chat command's file and the
`tally export` CLI's CSV, JSON and XLSX), and not in anything Tally sent anyone else (posts, card updates, DMs,
notifications when the problem is fixed and the idea decided).

The reporter's ids are distinctive (U0ANONYMOUS1, ...) so a search can't miss them. Then others act on what they
reported (vote, fix, decide, export), so every notification path runs with an anonymous origin.

Run: .venv/bin/python -m pytest -q tests/reliability/test_anonymity.py
"""

from __future__ import annotations

import argparse
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from adapters.export_cli import export
from adapters.logs import LIBRARY_LEVELS
from bot.ids import Action
from tests.databases import dump_tables
from tests.e2e.conftest import teams_post
from tests.e2e.fake_connector import activity

ANON = "U0ANONYMOUS1"
ANON_NAMES = ("anonymous.reporter1", "Anonymous Reporter One")
ADMIN, VOTER = "U0LEADPERSON", "U0VOTERPERSON"
TEAMS_ANON = {"id": "29:1ANONYMOUS1-member", "name": "Anonymous Reporter One", "aadObjectId": "a0a0a0a0-anonymous1"}
TEAMS_ADMIN = {"id": "29:1lead-member", "name": "Lead Person", "aadObjectId": "1ead1ead-0000-4000-8000-000000000001"}
TEAMS_VOTER = {"id": "29:1voter-member", "name": "Voter Person", "aadObjectId": "b0b0b0b0-0000-4000-8000-000000000002"}
TENANT = "72f988bf-0000-4000-8000-00000c0unc11"
# How the reporter could be found: Slack's ids and names; Teams' member id, name, Entra object id, and their 1:1 chat.
SLACK_TRACES = (ANON, *ANON_NAMES)
TEAMS_TRACES = (*TEAMS_ANON.values(), "1ANONYMOUS1", "anonymous1")


class Everything(logging.Handler):
    """Every record from every logger, formatted with its traceback, unredacted: what any log sink could get."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def every_log_line() -> Iterator[Everything]:
    """Root and every library logger at DEBUG, for this test only (the aiohttp access log included)."""
    handler = Everything()
    names = ("", *LIBRARY_LEVELS, "aiohttp", "aiohttp.access", "aiohttp.server", "aiohttp.web", "sqlalchemy", "tally")
    loggers = [logging.getLogger(name) for name in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)
    for lg, level in zip(loggers, levels, strict=True):
        lg.setLevel(level)


def found(traces: tuple[str, ...], where: str) -> list[str]:
    lowered = where.lower()
    return [t for t in traces if t.lower() in lowered]


def exported(engine, workspace: str, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """`tally export` in all three formats, as text (an XLSX's every cell)."""
    texts = []
    for fmt in ("csv", "json", "xlsx"):
        out = tmp_path / f"export.{fmt}"
        args = argparse.Namespace(workspace=workspace, start=None, end=None, format=fmt, out=str(out))
        assert export(engine, args) == 0
        texts.append(file_text(out.read_bytes()))
    return "\n".join(texts)


def file_text(data: bytes) -> str:
    if data[:2] == b"PK":
        book = load_workbook(io.BytesIO(data))
        return json.dumps([[str(v) for v in row] for sheet in book for row in sheet.iter_rows(values_only=True)])
    return data.decode("utf-8-sig", errors="replace")


def assert_no_trace(traces: tuple[str, ...], engine, logs: Everything, sent: str, files: str) -> int:  # type: ignore[no-untyped-def]
    """Nowhere: every table (audit_event included), every log line, everything sent, every exported file."""
    tables = dump_tables(engine)
    for table, rows in tables.items():
        assert found(traces, rows) == [], table
    leaked = [line for line in logs.lines if found(traces, line)]
    assert leaked == [], leaked[:5]
    assert found(traces, sent) == []
    assert found(traces, files) == []
    with engine.connect() as conn:
        return sum(int(conn.execute(text(f"select count(*) from {table}")).scalar() or 0) for table in tables)


# --- Slack ------------------------------------------------------------------------------------------------------
def slack_user(user: str = ANON) -> dict[str, str]:
    return {"id": user, "username": ANON_NAMES[0], "name": ANON_NAMES[1], "team_id": "T0COUNCIL"}


def button(blocks: list[dict[str, Any]], action: Action) -> dict[str, Any]:
    return next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action.value)


async def test_anonymous_slack_reports_repeats_and_ideas_leave_the_reporter_nowhere(tally, every_log_line, tmp_path):
    fake, slack = tally.fake, tally.slack
    fake.admins.add(ADMIN)
    me = {"user_id": ANON, "user_name": ANON_NAMES[0]}
    # 1. typed: an anonymous report, and an anonymous repeat of it
    await slack.slash("Bullying on the night shift #ward-seven x2 10m +people anon", **me)
    await slack.slash("again 1 x3 20m anon", **me)
    # 2. the capture form with its anonymous option
    form = slack.payload("view_submission")
    form["user"] = slack_user()
    form["view"]["state"]["values"]["options"]["options"]["selected_options"] = [
        {"text": {"type": "plain_text", "text": "Anonymous"}, "value": "anon"}
    ]
    await slack.interact(form)
    # 3. 'same as #1?' for an anonymous report, answered Yes by the reporter
    status, body = await slack.slash("Bullying on the night shift again and again #ward-seven anon", **me)
    question = json.loads(body) if body else fake.responses[-1][1]
    yes = button(question["blocks"], Action.SAME_AS)
    press = slack.payload("block_actions")
    press["user"] = slack_user()
    press["actions"] = [{**press["actions"][0], "action_id": yes["action_id"], "value": yes["value"]}]
    await slack.interact(press)
    # 4. an anonymous idea typed, and one through the idea form ('Propose a fix' on #1's card)
    await slack.slash("Mediation for night shift leads for #1 anon", command="/idea", **me)
    card = next(c for c in fake.called("chat.postMessage") if "Bullying" in json.dumps(c.args.get("blocks")))
    fix = button(card.args["blocks"], Action.PROPOSE_FIX)
    press = slack.payload("block_actions")
    press["user"] = slack_user()
    press["trigger_id"] = "anon-propose-trigger"
    press["actions"] = [{**press["actions"][0], "action_id": fix["action_id"], "value": fix["value"]}]
    await slack.interact(press, retry=True)
    (opened,) = fake.called("views.open")
    view = opened.args["view"] if isinstance(opened.args["view"], dict) else json.loads(opened.args["view"])
    submit = slack.payload("view_submission")
    submit["user"] = slack_user()
    chosen = [{"value": "anon", "text": {"type": "plain_text", "text": "Propose anonymously"}}]
    submit["view"] = {
        **submit["view"],
        "id": "V0IDEA1",
        "callback_id": view["callback_id"],
        "private_metadata": view["private_metadata"],
        "state": {
            "values": {
                "idea_text": {"idea_text": {"type": "plain_text_input", "value": "Rota changes agreed a week ahead"}},
                "idea_fixes": {"idea_fixes": {"type": "plain_text_input", "value": "#1"}},
                "idea_options": {"idea_options": {"type": "checkboxes", "selected_options": chosen}},
            }
        },
    }
    await slack.interact(submit)
    stored = (
        tally.count("select count(*) from problem where reporter_id is null"),
        tally.count("select sum(count) from occurrence where reporter_id is null"),
        tally.count("select count(*) from idea where proposer_id is null"),
    )
    assert stored == (2, 2 + 3 + 17 + 1, 2), stored  # everything the reporter did was stored, with nobody on it
    private_to_reporter = len(fake.calls)

    # Others act on it: a vote, a fix, decisions, exports; each would tell the reporter if anything named them.
    await slack.slash("vote 1", command="/idea", user_id=VOTER)
    await slack.slash("status 1 fixed", user_id=ADMIN)
    await slack.slash("decide 1 approve the night shift asked for it", command="/idea", user_id=ADMIN)
    await slack.slash("decide 2 park not this quarter", command="/idea", user_id=ADMIN)
    await slack.slash("export csv", command="/tally", user_id=ADMIN)
    await slack.slash("export json", command="/tally", user_id=ADMIN)
    assert fake.called("conversations.open")  # the voter was told of the decision: the DM path ran
    sent = json.dumps([(c.method, c.args) for c in fake.calls[private_to_reporter:]] + fake.responses)
    files = "\n".join(file_text(d) for d in fake.history.uploads.values()) + exported(tally.engine, None, tmp_path)
    rows = assert_no_trace(SLACK_TRACES, tally.engine, every_log_line, sent, files)
    assert any(ADMIN in line for line in every_log_line.lines)  # the logs do show who did what, when it's not anon
    # What went only to the reporter (their own ephemeral answers) names them only as whom it was for.
    to_reporter = json.dumps([c.args for c in fake.calls[:private_to_reporter] if c.method != "chat.postEphemeral"])
    assert found(SLACK_TRACES, to_reporter) == []
    print(
        f"\nslack anonymity: {rows} rows and {len(every_log_line.lines)} log lines scanned, "
        f"{len(fake.calls)} API calls, {len(fake.history.uploads) + 3} exported files: 0 traces"
    )


# --- Teams ------------------------------------------------------------------------------------------------------
def personal(fake, text: str, message_id: str, user: dict = TEAMS_ANON) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = activity("message_personal", fake.service_url, text=text, id=message_id)
    body["from"] = user
    body["conversation"] = {**body["conversation"], "id": f"a:1chat-{message_id}-{user['name'][:4]}"}
    if user is TEAMS_ANON:
        body["conversation"]["id"] = "a:1Hr7qPz0personal"  # as opaque as Teams' own; the reporter's 1:1 chat
    return body


def executed(fake, verb: str, data: dict[str, Any], invoke_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = activity("invoke_card_action", fake.service_url, id=invoke_id, replyToId="sent-1")
    body["value"]["action"] = {"type": "Action.Execute", "verb": verb, "data": {"tally_action": verb, **data}}
    body["from"] = TEAMS_ANON
    body["conversation"] = {"conversationType": "personal", "tenantId": TENANT, "id": "a:1Hr7qPz0personal"}
    return body


async def test_anonymous_teams_reports_repeats_and_ideas_leave_the_reporter_nowhere(teams, every_log_line, tmp_path):
    fake = teams.connector
    for member in (TEAMS_ADMIN, TEAMS_VOTER):
        fake.object_ids[member["id"]] = member["aadObjectId"]
    await teams_post(teams, activity("conversation_update", fake.service_url, **{"from": TEAMS_ADMIN}))
    await teams_post(teams, personal(fake, "problem Bullying on the night shift #ward-seven x2 10m anon", "an-1"))
    await teams_post(teams, personal(fake, "problem again 1 x3 anon", "an-2"))
    form = {"issue": "Rota changed without notice", "occurrences": "4", "options": "anon"}
    await teams_post(teams, executed(fake, "tally_submit_form", form, "f:an-3"))
    status, body = await teams_post(
        teams, personal(fake, "problem Bullying on the night shift again #ward-seven anon", "an-4")
    )
    question = next(s.card for s in reversed(fake.sent) if "attachments" in s.activity)
    yes = next(a for a in question.get("actions", ()) if a.get("verb") == Action.SAME_AS.value)
    await teams_post(teams, executed(fake, yes["verb"], {"tally_value": yes["data"]["tally_value"]}, "f:an-5"))
    await teams_post(teams, personal(fake, "idea Mediation for night shift leads for #1 anon", "an-6"))
    idea_form = {"idea_text": "Rota changes agreed a week ahead", "idea_fixes": "#1", "idea_options": "anon"}
    await teams_post(teams, executed(fake, "tally_submit_idea_form", idea_form, "f:an-7"))
    stored = (
        teams.count("select count(*) from problem where reporter_id is null"),
        teams.count("select sum(count) from occurrence where reporter_id is null"),
        teams.count("select count(*) from idea where proposer_id is null"),
    )
    assert stored == (2, 2 + 3 + 4 + 1, 2), stored
    to_reporter = len(fake.sent)

    await teams_post(teams, personal(fake, "idea vote 1", "v-1", TEAMS_VOTER))
    await teams_post(teams, personal(fake, "problem status 1 fixed", "l-1", TEAMS_ADMIN))
    await teams_post(teams, personal(fake, "idea decide 1 approve the night shift asked for it", "l-2", TEAMS_ADMIN))
    await teams_post(teams, personal(fake, "idea decide 2 park not this quarter", "l-3", TEAMS_ADMIN))
    await teams_post(teams, personal(fake, "tally export csv", "l-4", TEAMS_ADMIN))
    offer = next(
        a["content"]["acceptContext"]
        for s in fake.sent[to_reporter:]
        for a in s.activity.get("attachments") or ()
        if a.get("contentType") == "application/vnd.microsoft.teams.card.file.consent"
    )
    accept = activity("invoke_file_consent", fake.service_url, id="f:accept-export")
    accept["from"] = TEAMS_ADMIN
    accept["value"]["context"] = offer
    await teams_post(teams, accept)
    assert len(fake.uploads) == 1
    told = [
        s for s in fake.sent if s.kind == "create" and s.activity["members"] == [{"id": TEAMS_VOTER["aadObjectId"]}]
    ]
    assert told  # the voter was told of the decision: the notification path ran
    sent = json.dumps([s.activity for s in fake.sent[to_reporter:]] + [s.conversation_id for s in fake.sent])
    files = "\n".join(file_text(d) for _, d, _ in fake.uploads) + exported(teams.engine, TENANT, tmp_path)
    rows = assert_no_trace(TEAMS_TRACES, teams.engine, every_log_line, sent, files)
    assert any(TEAMS_ADMIN["aadObjectId"] in line for line in every_log_line.lines)  # named when not anonymous
    # Tally's answers to the reporter went back into their own chat; none names them.
    answers = [s.activity for s in fake.sent[:to_reporter]]
    for answer in answers:
        answer = {k: v for k, v in answer.items() if k not in ("recipient", "conversation")}  # addressed to them
        assert found(TEAMS_TRACES, json.dumps(answer)) == [], answer
    print(
        f"\nteams anonymity: {rows} rows and {len(every_log_line.lines)} log lines scanned, "
        f"{len(fake.sent)} activities sent, {len(fake.uploads) + 3} exported files: 0 traces"
    )


async def test_teams_anonymous_report_cant_be_tied_to_a_personal_chat_by_write_order(teams):
    """On PostgreSQL every row carries the id of the transaction that wrote it (xmin). A first anonymous report
    in a 1:1 chat stores that chat's conversation reference (a personal chat's id leads to one person) in the
    transaction just before the report's: whoever holds the database could tie the two. Found by this suite; a 1:1
    chat is now never stored by its id (adapters/teams/bot.py, PERSONAL)."""
    if teams.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps no writing transaction's id on its rows")
    fake = teams.connector
    other = {"id": "29:1someone-else", "name": "Someone Else", "aadObjectId": "5e5e5e5e-0000-4000-8000-000000000005"}
    await teams_post(teams, personal(fake, "problem Printer jammed on floor two", "o-1", other))
    await teams_post(teams, personal(fake, "problem Bullying on the night shift anon", "an-1"))
    with teams.engine.connect() as conn:
        report = int(
            conn.execute(text("select xmin::text::bigint from problem where reporter_id is null")).scalar_one()
        )
        chats = dict(conn.execute(text("select conversation_id, xmin::text::bigint from conversation_ref")).all())
    assert not [chat for chat in chats if chat.startswith("a:")], f"a 1:1 chat's id is stored: {chats}"
    nearest = min(chats, key=lambda chat: abs(chats[chat] - report))
    assert nearest != "a:1Hr7qPz0personal", f"report written in transaction {report}, next to the chat's {chats}"
