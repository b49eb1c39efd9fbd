"""Issue 11, item 7: someone in workspace B can't see, log, vote on, change, merge, comment on, move, decide or export
anything of workspace A by guessing its numbers: in every command of the grammar, in forged button payloads (Slack
block_actions signed as from B, naming A's problem and idea numbers) and in forged Teams card actions (Action.Execute
invokes, Action.Submit messages, a file-consent answer replayed from A).

Slack runs in OAuth mode with two installations, each with its own token; Teams in two tenants. The attacker is
workspace B's own admin and owner, the strongest there is. A has problems #1 to #3 and ideas I1 to I3; B has a #1
and an I1 of its own, so a guessed number either finds B's own or nothing. Afterwards every row of A is as it was,
no row of B points at a row of A, and nothing Tally sent or answered (HTTP answers, messages, DMs, cards, exported
files) holds A's marker word, A's area or A's people.

Run: .venv/bin/python -m pytest -q tests/reliability/test_isolation.py
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import inspect, text

from adapters.server import SCHEDULER
from bot.ids import Action
from tests.e2e.conftest import oauth_settings, start_tally, teams_post
from tests.e2e.fake_connector import activity
from tests.e2e.slack_client import install

MARKER = "zyxwv"  # in every title, idea and area of workspace A, and nowhere else
A_TEAM, B_TEAM = "T0AAAAAAA", "T0BBBBBBB"
A_USER, B_ADMIN = "U0ALICEOFA", "U0MALLORYOFB"
A_PEOPLE = (A_USER, "U0BOBOFA")
A_LINES = (
    ("/problem", f"{MARKER} printer jammed in room 101 10m #{MARKER}-ward"),
    ("/problem", f"{MARKER} phones dropped calls x3 5m #{MARKER}-ward"),
    ("/problem", f"{MARKER} lift broken again 30m"),
    ("/idea", f"{MARKER} buy a second printer for #1"),
    ("/idea", f"{MARKER} switch phones to a cloud provider for #2"),
    ("/idea", f"{MARKER} call the lift engineer every month for #3"),
    ("/idea", "vote 1"),
)
B_LINES = (("/problem", "Kettle broken in the staff room 5m"), ("/idea", "Buy a new kettle for the staff room"))
NUMBERS = (1, 2, 3)  # 1: B has its own; 2 and 3: only A has them

# Every command of the grammar that names a number, as B's admin would type it to reach A's.
GUESSES = tuple(
    line
    for n in NUMBERS
    for line in (
        ("/problem", f"show {n}"),
        ("/problem", f"again {n}"),
        ("/problem", f"again {n} x5 20m anon"),
        ("/problem", f"status {n} fixed"),
        ("/idea", f"show I{n}"),
        ("/idea", f"vote {n}"),
        ("/idea", f"unvote {n}"),
        ("/idea", f"evidence {n} we saw it happen twice"),
        ("/idea", f"insight {n} the root cause is the supplier"),
        ("/idea", f"estimate {n} reduction=40% cost=2000"),
        ("/idea", f"move {n} insight the evidence is in"),
        ("/idea", f"decide {n} approve it is cheap"),
        ("/idea", f"A better kettle rota for #{n}"),
    )
) + (
    ("/problem", "merge 2 into 1"),
    ("/problem", "merge 3 into 2"),
    ("/problem", "list all"),
    ("/problem", f"list #{MARKER}-ward all"),
    ("/problem", "top quarter"),
    ("/idea", "merge 2 into 1"),
    ("/idea", "merge 3 into 2"),
    ("/idea", "list all"),
    ("/tally", "agenda"),
    ("/tally", "roi"),
    ("/tally", "digest"),
    ("/tally", "forum"),
    ("/tally", "owners"),
    ("/tally", "settings"),
    ("/tally", "export csv"),
    ("/tally", "export json"),
    ("/tally", "export xlsx"),
)
BUTTONS = tuple(
    (action, str(n))
    for n in NUMBERS
    for action in (Action.HAPPENED_AGAIN, Action.PROPOSE_FIX, Action.VOTE, Action.UNVOTE, Action.ADD_EVIDENCE)
) + tuple(
    (action, json.dumps({"match": n, key: held}))
    for n in NUMBERS
    for action, key, held in (
        (Action.SAME_AS, "report", {"text": "Kettle broken again", "count": 1}),
        (Action.NOT_SAME, "report", {"text": f"Kettle broken on floor {n}", "count": 1}),
        (Action.VOTE_INSTEAD, "idea", {"text": f"Kettle rota number {n}", "problems": [n]}),
        (Action.NEW_IDEA, "idea", {"text": f"Kettle descaling {n}", "problems": [2, 3]}),
    )
)


# --- what belongs to whom ---------------------------------------------------------------------------------------
def workspace_id(engine, platform: str, external_id: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        query = text("select id from workspace where platform = :p and external_id = :e")
        return int(conn.execute(query, {"p": platform, "e": external_id}).scalar_one())


def rows_of(engine, ws: int) -> dict[str, list]:  # type: ignore[no-untyped-def]
    """Every row of every table that belongs to workspace `ws`, every column."""
    found: dict[str, list] = {}
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            columns = {c["name"] for c in inspect(conn).get_columns(table)}
            key = "id" if table == "workspace" else "workspace_id" if "workspace_id" in columns else None
            if key:
                found[table] = [tuple(r) for r in conn.execute(text(f"select * from {table} where {key} = {ws}"))]
    return found


REFERENCES = {"problem_id": "problem", "idea_id": "idea", "area_id": "process_area", "forum_id": "forum"}


def crossings(engine) -> list[str]:  # type: ignore[no-untyped-def]
    """Rows pointing at a row of another workspace (a vote of B's on A's idea, a link from B's idea to A's problem)."""
    found = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            columns = {c["name"] for c in inspect(conn).get_columns(table)}
            if "workspace_id" not in columns:
                continue
            refs = {**REFERENCES, "merged_into_id": table}
            for column, target in refs.items():
                if column in columns:
                    sql = (
                        f"select count(*) from {table} x join {target} r on r.id = x.{column} "
                        "where r.workspace_id <> x.workspace_id"
                    )
                    if n := conn.execute(text(sql)).scalar():
                        found.append(f"{table}.{column}: {n}")
    return found


def assert_b_was_served(running, b: int) -> None:  # type: ignore[no-untyped-def]
    """The same commands and buttons did reach B's own #1 and I1: they were handled, not dropped at the door."""
    occurrences = running.count(f"select sum(count) from occurrence where workspace_id = {b}")
    evidence = running.count(f"select count(*) from idea_evidence where workspace_id = {b}")
    decided = running.count(f"select count(*) from idea where workspace_id = {b} and decision = 'approve'")
    assert occurrences > 1 and evidence >= 1 and decided >= 1, (occurrences, evidence, decided)


def leaks(seen: str) -> list[str]:
    lowered = seen.lower()
    return [word for word in (MARKER, *(p.lower() for p in A_PEOPLE), A_TEAM.lower()) if word in lowered]


def exported_text(data: bytes) -> str:
    """An uploaded export as text: an XLSX's cells, or the CSV or JSON itself."""
    if data[:2] == b"PK":
        book = load_workbook(io.BytesIO(data))
        return json.dumps([[str(v) for v in row] for ws in book for row in ws.iter_rows(values_only=True)])
    return data.decode("utf-8-sig", errors="replace")


async def quiet(running) -> None:  # type: ignore[no-untyped-def]
    """Stop the scheduled jobs: A's own triage and digests, sent to A's owners on the schedule, are tested elsewhere
    and would blur what B's requests caused."""
    running.server.app[SCHEDULER].aps.pause()


# --- Slack: two installations -----------------------------------------------------------------------------------
@pytest.fixture
async def two_workspaces(db_url, fake_slack, fixed_clock, monkeypatch):
    """Tally in OAuth mode, installed in A and then in B, each with its own bot token."""
    plain, teams_left = fake_slack.answer, [A_TEAM, B_TEAM]

    def answer(method: str, args: dict) -> dict:
        given = plain(method, args)
        if method == "oauth.v2.access":
            team = teams_left.pop(0)
            installer = A_USER if team == A_TEAM else B_ADMIN
            given = {**given, "access_token": f"xoxb-{team}-token", "team": {"id": team, "name": team}}
            given["authed_user"] = {"id": installer}
        return given

    monkeypatch.setattr(fake_slack, "answer", answer)
    running = await start_tally(oauth_settings(db_url, fake_slack), fake_slack, fixed_clock)
    await quiet(running)
    for _ in range(2):
        assert (await install(running.url)).status == 200
    yield running
    await running.server.close()


async def slash(running, command: str, line: str, team: str, user: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    channel = "C0AWARD" if team == A_TEAM else "C0BWARD"
    return await running.slack.slash(line, command=command, team_id=team, user_id=user, channel_id=channel)


def press(running, action: Action, value: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A button on a card in B's channel, as B's admin presses it, naming what the test chose."""
    payload = running.slack.payload("block_actions")
    payload["team"] = {"id": B_TEAM, "domain": "bteam"}
    payload["user"] = {"id": B_ADMIN, "username": "mallory", "name": "mallory", "team_id": B_TEAM}
    payload["channel"] = {"id": "C0BWARD", "name": "b-ward"}
    payload["container"] = {**payload["container"], "channel_id": "C0BWARD"}
    payload["actions"] = [{**payload["actions"][0], "action_id": action.value, "value": value}]
    return payload


def idea_form(running, view: Any, fixes: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The idea modal as Slack submits it from B, answered with these problem numbers."""
    view = view if isinstance(view, dict) else json.loads(view)
    payload = running.slack.payload("view_submission")
    payload["team"] = {"id": B_TEAM, "domain": "bteam"}
    payload["user"] = {"id": B_ADMIN, "username": "mallory", "name": "mallory", "team_id": B_TEAM}
    values = {
        "idea_text": {"idea_text": {"type": "plain_text_input", "value": "A kettle for every floor"}},
        "idea_fixes": {"idea_fixes": {"type": "plain_text_input", "value": fixes}},
        "idea_options": {"idea_options": {"type": "checkboxes", "selected_options": []}},
    }
    payload["view"] = {
        **payload["view"],
        "team_id": B_TEAM,
        "callback_id": view["callback_id"],
        "private_metadata": view["private_metadata"],
        "state": {"values": values},
    }
    return payload


async def test_slack_workspace_b_reaches_nothing_of_workspace_a(two_workspaces):
    running, fake = two_workspaces, two_workspaces.fake
    fake.admins.add(B_ADMIN)  # B's own admin: allowed everything in B
    for command, line in A_LINES:
        assert (await slash(running, command, line, A_TEAM, A_USER))[0] == 200
    await slash(running, "/idea", "vote 2", A_TEAM, "U0BOBOFA")
    for command, line in B_LINES:
        assert (await slash(running, command, line, B_TEAM, B_ADMIN))[0] == 200
    a, b = workspace_id(running.engine, "slack", A_TEAM), workspace_id(running.engine, "slack", B_TEAM)
    assert running.count(f"select count(*) from problem where workspace_id = {a}") == 3
    assert running.count(f"select count(*) from idea where workspace_id = {a}") == 3
    before = rows_of(running.engine, a)
    calls, responses = len(fake.calls), len(fake.responses)

    answered: list[tuple[str, str]] = []  # (what was forged, what Tally answered)
    for command, line in GUESSES:
        status, body = await slash(running, command, line, B_TEAM, B_ADMIN)
        assert status == 200, (line, status, body)
        answered.append((line, body))
    for action, value in BUTTONS:
        status, body = await running.slack.interact(press(running, action, value))
        assert status == 200, (action, value, status, body)
        answered.append((value, body))
    # The idea form B's 'Propose a fix' opened, submitted naming A's problems.
    opened = fake.called("views.open")[-1]
    assert opened.token == f"xoxb-{B_TEAM}-token"
    status, body = await running.slack.interact(idea_form(running, opened.args["view"], "#2 #3"))
    assert status == 200
    answered.append(("idea form for #2 #3", body))

    assert rows_of(running.engine, a) == before
    assert crossings(running.engine) == []
    sent = json.dumps([c.args for c in fake.calls[calls:]] + [r for _, r in fake.responses[responses:]])
    uploads = [exported_text(data) for data in fake.history.uploads.values()]
    assert len(uploads) == 3  # the three exports reached B's admin...
    for what, said in answered:
        if MARKER in what:  # B typed A's area name: the answer names only what B typed
            assert "no process area" in said, said
        else:
            assert leaks(said) == [], (what, said)
    assert leaks(sent) == [] and leaks("\n".join(uploads)) == []  # ...with no A
    assert all(c.token == f"xoxb-{B_TEAM}-token" for c in fake.calls[calls:])  # and only B's token was used
    assert_b_was_served(running, b)
    tried = len(answered)
    print(f"\nslack isolation: {tried} commands and forged buttons from B naming A's numbers; A's rows unchanged")


async def test_slack_b_typing_a_problem_of_a_is_not_asked_same_as_a(two_workspaces):
    """The duplicate check looks at B's own problems only: A's matching title is never offered."""
    running = two_workspaces
    for command, line in A_LINES[:3]:
        await slash(running, command, line, A_TEAM, A_USER)
    calls = len(running.fake.calls)
    status, body = await slash(running, "/problem", f"{MARKER} printer jammed in room 101", B_TEAM, B_ADMIN)
    assert status == 200
    b = workspace_id(running.engine, "slack", B_TEAM)
    assert running.count(f"select count(*) from problem where workspace_id = {b}") == 1  # stored, not held back
    sent = json.dumps([c.args for c in running.fake.calls[calls:]])
    assert "same as" not in (body + sent).lower() and "room 101" in sent  # B's own card, no question about A's


# --- Teams: two tenants ---------------------------------------------------------------------------------------
A_TENANT, B_TENANT = "aaaaaaaa-0000-4000-8000-00000000000a", "bbbbbbbb-0000-4000-8000-00000000000b"
ALICE = {"id": "29:1alice-of-a", "name": "Alice of A", "aadObjectId": "aaaaaaaa-1111-4000-8000-0000000a11ce"}
MALLORY = {"id": "29:1mallory-of-b", "name": "Mallory of B", "aadObjectId": "bbbbbbbb-1111-4000-8000-00000000a110"}


def in_tenant(body: dict[str, Any], tenant: str, user: dict) -> dict[str, Any]:  # type: ignore[type-arg]
    body["from"] = user
    body["conversation"] = {**body["conversation"], "tenantId": tenant, "id": f"a:1personal-{user['id']}"}
    body["channelData"] = {"tenant": {"id": tenant}}
    return body


def typed(fake, line: str, n: int, tenant: str, user: dict) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return in_tenant(activity("message_personal", fake.service_url, text=line, id=f"m-{tenant[:1]}-{n}"), tenant, user)


def executed(fake, action: Action, value: str, n: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Action.Execute on a card in Mallory's chat, naming what the test chose."""
    body = activity("invoke_card_action", fake.service_url, id=f"f:exec-{n}", replyToId="sent-1")
    data = {"tally_action": action.value, "tally_value": value}
    body["value"]["action"] = {"type": "Action.Execute", "title": "x", "verb": action.value, "data": data}
    return in_tenant(body, B_TENANT, MALLORY)


def submitted(fake, action: Action, value: str, n: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Action.Submit: a message with no text whose value is the card's data."""
    body = activity("message_personal", fake.service_url, text="", id=f"m-submit-{n}", replyToId="sent-1")
    body["value"] = {"tally_action": action.value, "tally_value": value}
    body.pop("text")
    return in_tenant(body, B_TENANT, MALLORY)


async def test_teams_tenant_b_reaches_nothing_of_tenant_a(teams):
    fake = teams.connector
    await quiet(teams)
    for tenant, user in ((A_TENANT, ALICE), (B_TENANT, MALLORY)):  # each adds Tally: its first owner
        update = in_tenant(activity("conversation_update", fake.service_url, id=f"f:install-{tenant}"), tenant, user)
        assert (await teams_post(teams, update))[0] in (200, 201)
    for n, (command, line) in enumerate((*A_LINES, ("/tally", "export csv"))):
        await teams_post(teams, typed(fake, f"{command[1:]} {line}", n, A_TENANT, ALICE))
    for n, (command, line) in enumerate(B_LINES):
        await teams_post(teams, typed(fake, f"{command[1:]} {line}", 100 + n, B_TENANT, MALLORY))
    a, b = workspace_id(teams.engine, "teams", A_TENANT), workspace_id(teams.engine, "teams", B_TENANT)
    assert teams.count(f"select count(*) from problem where workspace_id = {a}") == 3
    offer = next(  # Alice's own export offer: its context is what Mallory replays
        att["content"]["acceptContext"]
        for s in fake.sent
        for att in s.activity.get("attachments") or ()
        if att.get("contentType") == "application/vnd.microsoft.teams.card.file.consent"
    )
    before = rows_of(teams.engine, a)

    answered: list[tuple[str, str]] = []  # (what was forged, everything Tally answered and sent for it)

    async def send(forged: dict[str, Any], what: str) -> None:
        count = len(fake.sent)
        status, body = await teams_post(teams, forged)
        assert status in (200, 201), (what, status, body)
        answered.append((what, body + json.dumps([s.activity for s in fake.sent[count:]])))

    for n, (command, line) in enumerate(GUESSES):
        await send(typed(fake, f"{command[1:]} {line}", 200 + n, B_TENANT, MALLORY), line)
    for n, (action, value) in enumerate(BUTTONS):
        await send(executed(fake, action, value, n), value)
        await send(submitted(fake, action, value, n), value)
    forms = {"tally_submit_idea_form": {"idea_text": "A kettle for every floor", "idea_fixes": "#2 #3"}}
    for n, (verb, data) in enumerate(forms.items()):
        body = activity("invoke_card_action", fake.service_url, id=f"f:form-{n}", replyToId="sent-1")
        body["value"]["action"] = {"type": "Action.Execute", "verb": verb, "data": {"tally_action": verb, **data}}
        await send(in_tenant(body, B_TENANT, MALLORY), f"{verb} naming #2 #3")
    consent = in_tenant(activity("invoke_file_consent", fake.service_url, id="f:replayed"), B_TENANT, MALLORY)
    consent["value"]["context"] = offer
    await send(consent, "A's export offer")

    for what, said in answered:
        if MARKER in what:  # B typed A's area name: the answer names only what B typed
            assert "no process area" in said, said
        else:
            assert leaks(said) == [], (what, said)
    assert rows_of(teams.engine, a) == before
    assert crossings(teams.engine) == []
    assert all(leaks(exported_text(data)) == [] for _, data, _ in fake.uploads)
    assert_b_was_served(teams, b)
    tried = len(answered)
    print(f"\nteams isolation: {tried} commands and forged card actions from tenant B naming A's ids; A unchanged")
