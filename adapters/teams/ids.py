"""Every Teams card verb, data key and command id Tally uses (button actions are bot.ids.Action)."""

from enum import StrEnum

from bot.ids import FormId


class CardVerb(StrEnum):
    """Action.Execute verbs that are not plain buttons."""

    SUBMIT_FORM = "tally_submit_form"  # the capture form
    SUBMIT_IDEA_FORM = "tally_submit_idea_form"  # the idea form ('Propose a fix')


FORM_VERBS: dict[str, FormId] = {  # which form a submit verb sends
    CardVerb.SUBMIT_FORM.value: FormId.CAPTURE,
    CardVerb.SUBMIT_IDEA_FORM.value: FormId.IDEA,
}


class DataKey(StrEnum):
    """Keys Tally puts in a card action's data, beside the form's inputs."""

    ACTION = "tally_action"
    VALUE = "tally_value"
    ORIGIN = "tally_origin"  # on cards sent to a 1:1 chat: the conversation the person was in
    ORIGIN_SEAL = "tally_origin_seal"  # a keyed hash of the origin, so a tampered card can't redirect posts


class InvokeName(StrEnum):
    CARD_ACTION = "adaptiveCard/action"
    EXTENSION_FETCH = "composeExtension/fetchTask"
    EXTENSION_SUBMIT = "composeExtension/submitAction"
    FILE_CONSENT = "fileConsent/invoke"  # the person accepted or declined a file Tally offered


class ExtensionCommand(StrEnum):
    LOG_AS_PROBLEM = "logAsProblem"


ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
FILE_CONSENT_CARD = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO_CARD = "application/vnd.microsoft.teams.card.file.info"
