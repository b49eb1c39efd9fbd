"""`/tally export` in chat: the file reaches only the person who asked. Slack: conversations.open, then
files_upload_v2 into their direct messages. Teams: a file consent card in their 1:1 chat; once accepted, the file
is made again, PUT to the upload URL Teams gave (the fake connector stands in for OneDrive) and shown as a file
card. Bad input is answered with how to write it, and nothing is sent."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from openpyxl import load_workbook

from adapters.slack.outbox import CANT_SEND_FILE
from adapters.teams.files import DECLINED, EXPIRED
from adapters.teams.ids import FILE_CONSENT_CARD, FILE_INFO_CARD
from tests.e2e.conftest import teams_post
from tests.e2e.fake_connector import activity
from tests.e2e.test_ideas_teams import ALICE, BOB, channel_message

SEED = (
    "Users contacting us to complain that they have not received a decision letter "
    "#communicating-decision-on-application x17 30m +quality fd"
)
TEMPLATE = ["Number of occurrences", "Effort to work around (minutes each)", "Total impact: staff hours"]


def uploaded(fake) -> list[bytes]:  # type: ignore[no-untyped-def]
    return [b for b in fake.history.uploads.values() if b]


async def test_slash_tally_export_reaches_only_the_person_in_their_direct_messages(tally):
    status, _ = await tally.slack.slash(SEED)
    assert status == 200
    status, _ = await tally.slack.slash("The phone queue drops callers #phones x3 5m anon")
    assert status == 200
    status, body = await tally.slack.slash("export csv", command="/tally", user_id="U0BOB")
    assert status == 200
    answer = json.loads(body)
    assert answer.get("response_type") == "ephemeral" and "on its way" in answer["text"]
    await tally.settle()
    [opened] = tally.fake.called("conversations.open")
    assert opened.args["users"] == "U0BOB"
    [complete] = tally.fake.called("files.completeUploadExternal")
    assert complete.args["channel_id"] == "DU0BOB"  # the DM conversations.open gave, not the channel asked in
    assert "No reporter is named" in complete.args["initial_comment"]
    [data] = uploaded(tally.fake)
    rows = {r["Issue"][:5]: r for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}
    assert [rows["Users"][k] for k in TEMPLATE] + [rows["Users"]["Total impact: service users"]] == [
        "17",
        "30",
        "8.5",
        "17",
    ]
    assert rows["The p"]["Number of occurrences"] == "3"
    assert b"U0ALICE" not in data and b"alice" not in data.lower()  # nobody who reported is in it
    assert not [c for c in tally.fake.called("chat.postMessage") if "export" in str(c.args.get("text", ""))]


async def test_slash_tally_export_defaults_to_an_xlsx_of_typed_cells(tally):
    await tally.slack.slash(SEED)
    status, _ = await tally.slack.slash("export", command="/tally")
    assert status == 200
    await tally.settle()
    [data] = uploaded(tally.fake)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Problems", "Ideas", "Weekly totals"]
    header = [c.value for c in book["Problems"][1]]
    row = [c.value for c in book["Problems"][2]]
    picked = [row[header.index(k)] for k in TEMPLATE]
    assert picked == [17, 30, 8.5] and all(isinstance(v, int | float) for v in picked)
    [started] = tally.fake.called("files.getUploadURLExternal")
    assert started.args["filename"].endswith(".xlsx")


async def test_a_bad_export_says_how_to_write_it_and_sends_nothing(tally):
    await tally.slack.slash(SEED)
    for text in ("export pdf", "export from yesterday", "export from 2026-11-01 to 2026-10-01"):
        status, body = await tally.slack.slash(text, command="/tally")
        assert status == 200
        assert "/tally export [xlsx|csv|json]" in body, body
    await tally.settle()
    assert tally.fake.called("files.getUploadURLExternal") == []
    assert tally.fake.called("conversations.open") == []


async def test_without_im_write_the_person_is_told_to_have_tally_reinstalled(tally):
    await tally.slack.slash(SEED)
    tally.fake.failing["conversations.open"] = "missing_scope"
    status, _ = await tally.slack.slash("export csv", command="/tally")
    assert status == 200
    await tally.settle()
    assert uploaded(tally.fake) == []
    told = [p.get("text") for _, p in tally.fake.responses]
    assert CANT_SEND_FILE in told


# --- Teams ---------------------------------------------------------------------------------------------------------
def consent_cards(connector) -> list[tuple[Any, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    return [
        (s, a)
        for s in connector.sent
        for a in s.activity.get("attachments") or ()
        if a.get("contentType") == FILE_CONSENT_CARD
    ]


def texts(connector) -> str:  # type: ignore[no-untyped-def]
    return json.dumps([s.activity for s in connector.sent], ensure_ascii=False)


def consent_answer(connector, context: dict[str, Any], action: str, invoke_id: str, user: dict = ALICE) -> dict:  # type: ignore[no-untyped-def]
    body = activity("invoke_file_consent", connector.service_url, id=invoke_id)
    body["from"] = user
    body["value"]["action"] = action
    body["value"]["context"] = context
    if action != "accept":
        body["value"].pop("uploadInfo")
    return body


async def asked_for_an_export(teams) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    connector = teams.connector
    await teams_post(teams, activity("conversation_update", connector.service_url, **{"from": ALICE}))
    lines = (f"problem {SEED}", "problem Lost post #post x2 10m anon", "tally export")
    for n, line in enumerate(lines):
        status, _ = await teams_post(teams, channel_message(connector, line, f"17000000009{n:02d}", ALICE))
        assert status in (200, 201)
    [(sent, consent)] = consent_cards(connector)
    assert sent.conversation_id == "a:1on1-29:1alice-teams-id"  # Alice's 1:1 chat, not the channel
    return consent


async def test_teams_offers_the_export_in_a_1_1_chat_and_uploads_it_once_accepted(teams):
    connector = teams.connector
    consent = await asked_for_an_export(teams)
    content = consent["content"]
    assert consent["name"].endswith(".xlsx") and content["sizeInBytes"] > 1000
    assert content["acceptContext"]["again"].startswith("tally export xlsx from ")
    status, _ = await teams_post(teams, consent_answer(connector, content["acceptContext"], "accept", "f:accept-1"))
    assert status == 200
    [(name, data, headers)] = connector.uploads
    assert name == "export.xlsx" and "Authorization" not in headers  # Tally's token never goes to OneDrive
    assert headers["Content-Range"] == f"bytes 0-{len(data) - 1}/{len(data)}"
    sheet = load_workbook(io.BytesIO(data))["Problems"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if str(r[2]).startswith("Users"))
    assert [row[header.index(k)] for k in TEMPLATE] == [17, 30, 8.5]
    assert ALICE["aadObjectId"].encode() not in data and b"Alice" not in data
    info = [
        a for s in connector.sent for a in s.activity.get("attachments") or () if a["contentType"] == FILE_INFO_CARD
    ]
    assert [(i["name"], i["content"]["fileType"]) for i in info] == [("export.xlsx", "xlsx")]
    # Teams sending the same accept again uploads nothing more.
    await teams_post(teams, consent_answer(connector, content["acceptContext"], "accept", "f:accept-1"))
    assert len(connector.uploads) == 1


async def test_teams_declined_or_tampered_offers_upload_nothing(teams):
    connector = teams.connector
    consent = await asked_for_an_export(teams)
    context = consent["content"]["declineContext"]
    status, _ = await teams_post(teams, consent_answer(connector, context, "decline", "f:decline-1"))
    assert status == 200 and DECLINED in texts(connector)
    forged = {"again": f"tally owners add <at>{BOB['name']}</at>"}
    status, _ = await teams_post(teams, consent_answer(connector, forged, "accept", "f:forged-1", user=BOB))
    assert status == 200 and EXPIRED in texts(connector)
    assert connector.uploads == []
