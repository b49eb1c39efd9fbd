"""Every button action and form field id the core hands to the adapters."""

from enum import StrEnum


class Action(StrEnum):
    """What a button does; each adapter carries it as its action id."""

    HAPPENED_AGAIN = "problem_happened_again"
    SAME_AS = "problem_same_as"
    NOT_SAME = "problem_not_same"
    PROPOSE_FIX = "problem_propose_fix"
    VOTE = "idea_vote"
    UNVOTE = "idea_unvote"
    ADD_EVIDENCE = "idea_add_evidence"
    VOTE_INSTEAD = "idea_vote_instead"  # 'vote for I<n> instead?': vote for the open idea the new one matched
    NEW_IDEA = "idea_new_anyway"  # no: propose the new idea after all


class FormField(StrEnum):
    """Fields of the capture form; adapters use them as block, input and card ids."""

    ISSUE = "issue"
    AREA = "area"
    NEW_AREA = "new_area"
    IMPACTS = "impacts"
    OCCURRENCES = "occurrences"
    EFFORT = "effort"
    USERS = "users"
    OPTIONS = "options"


class IdeaField(StrEnum):
    """Fields of the idea form ('Propose a fix'); ids of their own, so no block or input of one form is
    mistaken for the other's."""

    TEXT = "idea_text"  # what would fix it
    FIXES = "idea_fixes"  # the problems it fixes, as typed: '#12 #13'
    OPTIONS = "idea_options"


class FormId(StrEnum):
    """Which form a submission comes from."""

    CAPTURE = "capture"
    IDEA = "idea"


class FormOption(StrEnum):
    """Values of the forms' option checkboxes (the idea form offers ANONYMOUS only)."""

    FAILURE_DEMAND = "fd"
    ANONYMOUS = "anon"
