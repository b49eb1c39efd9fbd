"""Notifications: events become replies nobody asked for, handed to the notifier of the workspace's platform."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, Protocol

from bot.commands import WorkspaceRef
from bot.events import AgendaCarriedOver, ExperimentReviewDue, IdeaChanged, IdeasNeedOwners, ProblemStatusChanged
from bot.help import spell
from bot.replies import Reply, ReplyKind, Section, Target
from storage.model import Platform, Status

log = logging.getLogger("tally.notify")


class NotDeliverable(Exception):
    """The platform has no way to reach that destination (never installed there, or removed)."""


class Notifier(Protocol):
    async def send(self, workspace: WorkspaceRef, reply: Reply) -> None:
        """Post `reply` to `reply.recipient`: a user (Target.DIRECT) or a conversation id (Target.CONVERSATION)."""


CLOSED = {Status.FIXED: "marked fixed", Status.WONT_FIX: "marked won't fix"}


def notifications(event: object) -> list[Reply]:
    """Who hears about an event, and what they are told."""
    if isinstance(event, ProblemStatusChanged):
        said = CLOSED.get(event.after)
        if said and event.reporter_id and event.reporter_id != event.changed_by:
            text = f"#{event.number} {event.title}, which you reported, has been {said}. Thank you for logging it."
            return [Reply(text=text, to=Target.DIRECT, recipient=event.reporter_id, problem_number=event.number)]
    if isinstance(event, IdeaChanged):
        return idea_notifications(event)
    if isinstance(event, ExperimentReviewDue):
        text = (
            f"I{event.number} {event.title}, an experiment, was due for review on {event.review_on.isoformat()}. "
            f"Did it work? /idea decide I{event.number} done <what it achieved>, or reject or park it with why."
        )
        return [Reply(text=text, to=Target.DIRECT, recipient=owner) for owner in event.owners]
    if isinstance(event, IdeasNeedOwners):
        return triage_notifications(event)
    if isinstance(event, AgendaCarriedOver):
        return carried_over_notifications(event)
    return []


def triage_notifications(event: IdeasNeedOwners) -> list[Reply]:
    sections = []
    if event.ready:
        sections.append(Section("Ready to move on from information", event.ready))
    if event.quiet:
        sections.append(Section("No activity for 30 days: move on, decide or park", event.quiet))
    text = "This week's idea triage, so no idea waits unseen."
    return [
        Reply(text=text, kind=ReplyKind.LIST, to=Target.DIRECT, recipient=owner, sections=tuple(sections))
        for owner in event.owners
    ]


def carried_over_notifications(event: AgendaCarriedOver) -> list[Reply]:
    """Each person once, with the ideas of theirs the forum left undecided."""
    theirs: dict[str, list[str]] = {}
    for idea, people in event.ideas:
        for person in people:
            theirs.setdefault(person, []).append(idea)
    after = f"its next meeting on {event.next_on:%-d %B}" if event.next_on else "its next meeting"
    told = []
    for person, ideas in sorted(theirs.items()):
        which = ", ".join(ideas[:5]) + (f" and {len(ideas) - 5} more" if len(ideas) > 5 else "")
        text = (
            f"The {event.forum} met on {event.met_on:%-d %B} without deciding {which}, which you proposed or voted "
            f"for. It stays on the agenda for {after}."
        )
        told.append(Reply(text=text, to=Target.DIRECT, recipient=person))
    return told


def idea_notifications(event: IdeaChanged) -> list[Reply]:
    """The proposer and everyone who voted, each once, never the person who made the change."""
    told: list[Reply] = []
    because = f" Why: {event.reason}" if event.reason else ""
    people = ([(event.proposer_id, "you proposed")] if event.proposer_id else []) + [
        (voter, "you voted for") for voter in event.voters
    ]
    seen = {event.changed_by}
    for user, role in people:
        if user in seen:
            continue
        seen.add(user)
        text = f"I{event.number} {event.title}, which {role}, was {event.what}.{because}"
        told.append(Reply(text=text, to=Target.DIRECT, recipient=user))
    return told


class Dispatcher:
    """Hands a committed unit of work's events to the notifiers; one failure never stops the rest."""

    def __init__(self, notifiers: Mapping[Platform, Notifier] | None = None) -> None:
        self.notifiers = dict(notifiers or {})
        self.listeners: list[tuple[type, Callable[[Any], Awaitable[None]]]] = []

    def register(self, platform: Platform, notifier: Notifier) -> None:
        self.notifiers[platform] = notifier

    def listen(self, event_type: type, callback: Callable[[Any], Awaitable[None]]) -> None:
        """`await callback(event)` for every committed event of `event_type` (or a subclass), after its
        notifications; a failing listener is logged and never stops the rest."""
        self.listeners.append((event_type, callback))

    async def dispatch(self, events: Iterable[object]) -> None:
        for event in events:
            await self._notify(event)
            for event_type, callback in self.listeners:
                if isinstance(event, event_type):
                    try:
                        await callback(event)
                    except Exception:  # noqa: BLE001 - one listener's failure must not stop the others
                        log.exception("a listener for %s failed", type(event).__name__)

    async def _notify(self, event: object) -> None:
        replies = notifications(event)
        if not replies:
            return
        ws: WorkspaceRef = event.ws  # type: ignore[attr-defined]
        notifier = self.notifiers.get(ws.platform)
        for reply in replies:
            if notifier is None:
                log.info("no notifier for %s: a %s notification was not sent", ws.platform, type(event).__name__)
                continue
            reply = replace(reply, text=spell(reply.text, Platform(ws.platform)))
            try:
                await notifier.send(ws, reply)
            except NotDeliverable as exc:
                log.info("notification not delivered: %s", exc)
            except Exception:  # noqa: BLE001 - a platform failure must not stop the other notifications
                log.exception("notification failed on %s", ws.platform)
