"""What a card action's outcome becomes in Teams: a submitted form card is replaced by what it created."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.core import Outcome
from bot.replies import Reply, Target

from . import translate
from .ids import FORM_VERBS, DataKey


def is_plain(reply: Reply) -> bool:
    """A reply that reads as one line of text (an error, a notice), with nothing to press."""
    return not (reply.buttons or reply.fields or reply.lines or reply.sections or reply.form)


def submits_form(data: dict[str, Any]) -> bool:
    """The card action is a form's submit button (the capture form's or the idea form's)."""
    return translate.button(data)[0] in FORM_VERBS


def as_replacement(outcome: Outcome, submitted: dict[str, Any]) -> Outcome:
    """A submitted form card turns into what it created: the new problem's (or idea's) card replaces the form."""
    if not submits_form(submitted) or outcome.first(Target.REPLACE):
        return outcome
    if DataKey.ORIGIN.value in submitted:  # a form answered in 1:1 for a channel: the card goes to the channel
        return outcome
    swapped = (Target.CONVERSATION, Target.FORM)
    return Outcome(
        tuple(replace(r, to=Target.REPLACE) if r.to in swapped else r for r in outcome.replies),
        outcome.redelivered,
        outcome.sequence,
    )
