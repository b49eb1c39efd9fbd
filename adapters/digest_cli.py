"""`tally digest preview|send`: a forum's weekly digest in the terminal (text or JSON, the chart to a file), or
posted to its channel now, under the same once-only delivery claim the scheduler uses."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.engine import Engine

from adapters.config import Settings
from digests.delivery import DigestDelivery, DigestPoster, Sent
from digests.jsonable import dumps
from digests.model import Digest
from digests.text import digest_text
from digests.weeks import IsoWeek
from storage.model import Platform, Workspace
from storage.secrets import TokenCipher
from storage.uow import SqlUnitOfWorkFactory


class CliError(Exception):
    """What the operator typed doesn't fit the data; the message says how to write it."""


def pick_workspace(engine: Engine, external_id: str | None) -> Workspace:
    """The named workspace (its Slack team or Teams tenant id), or the only one there is."""
    with SqlUnitOfWorkFactory(engine)(write=False) as uow:
        everyone = uow.workspaces.all()
    if external_id:
        found = [w for w in everyone if w.external_id == external_id]
        if not found:
            raise CliError(f"No workspace {external_id!r}. Workspaces: {_names(everyone)}.")
        return found[0]
    if len(everyone) == 1:
        return everyone[0]
    if not everyone:
        raise CliError("There is no workspace yet: Tally makes one when someone first uses it in Slack or Teams.")
    raise CliError(f"There are {len(everyone)} workspaces: name one with --workspace ({_names(everyone)}).")


def _names(workspaces: list[Workspace]) -> str:
    return ", ".join(f"{w.external_id} ({w.platform})" for w in workspaces[:20]) or "none"


def the_week(text: str | None, workspace: Workspace) -> IsoWeek:
    if not text:
        return IsoWeek.last_complete(datetime.now(UTC), workspace.timezone)
    try:
        return IsoWeek.parse(text)
    except ValueError as exc:
        raise CliError(f"{exc}.") from exc


def as_json(digest: Digest) -> str:
    body = dataclasses.asdict(digest) | {
        "failure_demand_share": digest.failure_demand_share,
        "quiet": digest.quiet,
        "trial_limits": digest.trial_limits,
        "key": digest.key,
    }
    return dumps(body)


def preview(settings: Settings, engine: Engine, args: Any) -> int:
    workspace = pick_workspace(engine, args.workspace)
    week = the_week(args.week, workspace)
    delivery = DigestDelivery(SqlUnitOfWorkFactory(engine), {}, me="cli")
    assert workspace.id is not None
    step(f"Building the {args.forum or 'first forum'}'s digest for {week} ({workspace.external_id})…")
    try:
        digest, chart = delivery.preview(workspace.id, args.forum or "", week)
    except LookupError as exc:
        raise CliError(f"{exc}: `tally digest preview` without --forum takes the first forum.") from exc
    print(as_json(digest) if args.json else digest_text(digest))
    save_chart(args.chart, chart)
    return 0


def save_chart(path: str | None, chart: bytes | None) -> None:
    if not path:
        return
    if chart is None:
        step("No chart: nothing to draw for that week.")
        return
    Path(path).write_bytes(chart)
    step(f"Chart written to {path} ({len(chart):,} bytes).")


def send(settings: Settings, engine: Engine, args: Any) -> int:
    workspace = pick_workspace(engine, args.workspace)
    week = the_week(args.week, workspace)
    return asyncio.run(_send(settings, engine, workspace, week, args))


async def _send(settings: Settings, engine: Engine, workspace: Workspace, week: IsoWeek, args: Any) -> int:
    assert workspace.id is not None
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        posters = await asyncio.to_thread(_posters, settings, engine, session)
        if workspace.platform not in posters:
            raise CliError(f"Tally can't post to {workspace.platform} from here: its credentials aren't configured.")
        delivery = DigestDelivery(SqlUnitOfWorkFactory(engine), posters, me=f"cli:{workspace.external_id}")
        step(f"Posting the {args.forum or 'first forum'}'s digest for {week} to {workspace.platform}…")
        try:
            outcome = await delivery.deliver(workspace.id, args.forum or "", week, again=args.again)
        except LookupError as exc:
            raise CliError(str(exc)) from exc
    messages = {
        Sent.POSTED: f"Posted (message {outcome.message_id}).",
        Sent.FOUND: f"It had been posted already (message {outcome.message_id}); recorded it, posted nothing.",
        Sent.ALREADY: "Already posted for that week (or being posted right now): nothing sent. "
        "Add --again to post it once more.",
        Sent.ASKED: "Unknown whether an earlier attempt posted it; the forum's owners were asked. Add --again to post.",
        Sent.FAILED: f"Not posted: {outcome.detail}. Run it again to retry.",
        Sent.NOWHERE: "The forum has no channel yet: an owner types `/tally forum here` in the channel.",
    }
    print(messages[outcome.sent])
    return 0 if outcome.sent in (Sent.POSTED, Sent.FOUND, Sent.ALREADY) else 1


def _posters(settings: Settings, engine: Engine, session: aiohttp.ClientSession) -> dict[Platform, DigestPoster]:
    from adapters.slack.digests import SlackDigestPoster
    from adapters.slack.notifier import installation_token
    from storage.conversations import ConversationStore
    from storage.slack_installations import SlackInstallations

    posters: dict[Platform, DigestPoster] = {}
    if settings.slack_oauth:
        find = installation_token(SlackInstallations(engine, TokenCipher(settings.secret_key)).find)
        posters[Platform.SLACK] = SlackDigestPoster(session, settings.slack_api_url, find)
    elif settings.slack_bot_token:
        posters[Platform.SLACK] = SlackDigestPoster(session, settings.slack_api_url, lambda _: settings.slack_bot_token)
    if settings.microsoft_app_id:
        from adapters.teams.digests import TeamsDigestPoster
        from adapters.teams.routes import make_connector

        connector, _ = make_connector(settings, session)
        posters[Platform.TEAMS] = TeamsDigestPoster(connector, ConversationStore(engine))
    return posters


def step(text: str) -> None:
    """Progress goes to stderr, so --json output stays clean."""
    print(text, file=sys.stderr, flush=True)
