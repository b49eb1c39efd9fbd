"""Files for one person in Teams (an export): offered with a file consent card in their 1:1 chat; once they
accept, made afresh from the command the card carries, uploaded to the URL Teams gives (their OneDrive), and
shown as a file card. Teams only offers files in a personal chat, so nobody else sees them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from botbuilder.core import InvokeResponse, MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment

from bot import inputs
from bot.core import Outcome
from bot.replies import Reply, ReplyKind

from .connector import ConnectorError
from .ids import FILE_CONSENT_CARD, FILE_INFO_CARD

if TYPE_CHECKING:
    from .bot import TallyTeamsBot

log = logging.getLogger("tally.teams")

MAX_DESCRIPTION = 1000
EXPORT_COMMAND = "tally export "  # the only command a consent card may carry: nothing else is made this way
DECLINED = "OK, the file wasn't sent. Type tally export to ask for it again."
EXPIRED = "That file offer can't be used. Type tally export to ask for the file again."
NOT_UPLOADED = "Teams didn't take the file, so it wasn't sent. Please try tally export again in a minute."


def consent_attachment(reply: Reply) -> dict[str, Any]:
    """The file consent card: the file's name and size, and the command that makes it, returned on accept."""
    assert reply.file is not None
    context = {"again": reply.file.again}
    return {
        "contentType": FILE_CONSENT_CARD,
        "name": reply.file.name,
        "content": {
            "description": reply.text[:MAX_DESCRIPTION],
            "sizeInBytes": len(reply.file.content),
            "acceptContext": context,
            "declineContext": context,
        },
    }


def consent_activity(reply: Reply) -> dict[str, Any]:
    return {"type": "message", "attachments": [consent_attachment(reply)]}


def file_info(upload: dict[str, Any], text: str) -> Activity:
    """The card Teams shows for a file now in the person's OneDrive."""
    card = Attachment(
        content_type=FILE_INFO_CARD,
        content_url=str(upload.get("contentUrl") or ""),
        name=str(upload.get("name") or ""),
        content={"uniqueId": upload.get("uniqueId"), "fileType": upload.get("fileType")},
    )
    return Activity(type=ActivityTypes.message, text=text, attachments=[card])


def read_consent(value: Any) -> tuple[bool, str, dict[str, Any]]:
    """(accepted, the command to make the file again, where to upload it) from a fileConsent/invoke's value."""
    value = value if isinstance(value, dict) else {}
    context = value.get("context")
    again = str(context.get("again") or "") if isinstance(context, dict) else ""
    upload = value.get("uploadInfo")
    return value.get("action") == "accept", again, upload if isinstance(upload, dict) else {}


async def on_file_consent(bot: TallyTeamsBot, turn_context: TurnContext) -> InvokeResponse:
    """Accepted: the file is made again as the person who accepted it (only exports), uploaded, then shown."""
    activity = turn_context.activity
    accepted, again, upload = read_consent(activity.value)
    if not accepted:
        await turn_context.send_activity(MessageFactory.text(DECLINED))
        return InvokeResponse(status=200)
    upload_url = str(upload.get("uploadUrl") or "")
    if not again.startswith(EXPORT_COMMAND) or not upload_url or bot.outbox is None:
        await turn_context.send_activity(MessageFactory.text(EXPIRED))
        return InvokeResponse(status=200)
    turn = bot.turn(turn_context)
    outcome = await bot.core.handle(inputs.Typed(**bot.source(activity), text=again), bot.asks(turn))
    made = next((r for r in outcome.replies if r.file is not None), None)
    if made is None or made.file is None:  # an error (said as it is), or Teams sent the same accept again
        await bot.deliver(turn, Outcome(tuple(r for r in outcome.replies if r.kind is ReplyKind.ERROR)))
        return InvokeResponse(status=200)
    try:
        await bot.outbox.connector.upload(upload_url, made.file.content)
    except (ConnectorError, aiohttp.ClientError, TimeoutError) as exc:
        log.warning("could not upload a file the person accepted (%s)", type(exc).__name__)
        await turn_context.send_activity(MessageFactory.text(NOT_UPLOADED))
        return InvokeResponse(status=200)
    await turn_context.send_activity(file_info(upload, made.text))
    return InvokeResponse(status=200)
