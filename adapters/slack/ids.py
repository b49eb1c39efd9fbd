"""Every Slack callback and block id Tally uses (button action ids are bot.ids.Action)."""

from enum import StrEnum


class CallbackId(StrEnum):
    CAPTURE_MODAL = "tally_capture_problem"
    IDEA_MODAL = "tally_propose_idea"  # 'Propose a fix' on a problem's card
    LOG_MESSAGE_SHORTCUT = "tally_log_message_as_problem"


class BlockId(StrEnum):
    TITLE = "tally_title"
    FIELDS = "tally_fields"
    LINES = "tally_lines"
    ACTIONS = "tally_actions"
    FOOTER = "tally_footer"
    HOME_INTRO = "tally_home_intro"


class SlashCommand(StrEnum):
    PROBLEM = "/problem"
    IDEA = "/idea"
    TALLY = "/tally"
