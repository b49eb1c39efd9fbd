"""The forms' wording, said once: each adapter lays it out its own way."""

from __future__ import annotations

from bot.grammar import MAX_TEXT
from bot.ids import FormField, FormOption, IdeaField
from storage.model import ImpactArea

TITLE = "Log a problem"
SUBMIT = "Log it"
ISSUE_MAX_LENGTH = MAX_TEXT

LABELS = {
    FormField.ISSUE: "What went wrong?",
    FormField.AREA: "Process area",
    FormField.IMPACTS: "Impact",
    FormField.OCCURRENCES: "How many times?",
    FormField.EFFORT: "Effort to work around it, each time",
    FormField.USERS: "Service users affected each time",
    FormField.OPTIONS: "Options",
}
PLACEHOLDERS = {
    FormField.ISSUE: "e.g. Users chasing a decision letter they never got",
    FormField.AREA: "Pick a process area",
    FormField.NEW_AREA: "e.g. Communicating decision on application",
    FormField.OCCURRENCES: "1",
    FormField.EFFORT: "e.g. 30m, 1h30m or 20m+10m",
    FormField.USERS: "1",
}
OCCURRENCES_HINT = "Whole number, e.g. 17"
ISSUE_REQUIRED = "Say what went wrong"

IMPACT_CHOICES = (
    ("Cost", ImpactArea.COST.value),
    ("Delivery (time, delays)", ImpactArea.DELIVERY.value),
    ("Quality (users' experience)", ImpactArea.QUALITY.value),
    ("People (staff wellbeing)", ImpactArea.PEOPLE.value),
)
OPTION_CHOICES = (
    ("Failure demand (people contacting us because we failed them)", FormOption.FAILURE_DEMAND.value),
    ("Report anonymously (no record of who I am)", FormOption.ANONYMOUS.value),
)


def new_area_label(has_areas: bool) -> str:
    """With areas to pick from, naming one is the alternative; without, it is the only way."""
    return "…or name a new process area" if has_areas else LABELS[FormField.AREA]


# --- the idea form ('Propose a fix' on a problem's card) ------------------------------------------------------
IDEA_TITLE = "Propose a fix"
IDEA_SUBMIT = "Propose it"
IDEA_MAX_LENGTH = MAX_TEXT
FIXES_MAX_LENGTH = 500  # '#12 #13 …': room for dozens of problem numbers

IDEA_LABELS = {
    IdeaField.TEXT: "What would fix it?",
    IdeaField.FIXES: "Problems it fixes",
    IdeaField.OPTIONS: "Options",
}
IDEA_PLACEHOLDERS = {
    IdeaField.TEXT: "e.g. Email the decision letter as well as posting it",
    IdeaField.FIXES: "e.g. #12 #13",
}
FIXES_HINT = "Problem numbers, like #12 #13. Leave it empty if it fixes none yet."
IDEA_REQUIRED = "Say what would fix it"
IDEA_OPTION_CHOICES = (("Propose anonymously (no record of who I am)", FormOption.ANONYMOUS.value),)


def idea_intro(problems: tuple[int, ...]) -> str:
    """What the form is for, above its fields."""
    shown = ", ".join(f"#{n}" for n in problems[:10]) + (" and more" if len(problems) > 10 else "")
    first = f"A fix for {shown}." if problems else "A fix for one or more problems."
    return f"{first} Its card is posted here: anyone can vote for it, and the forum decides."
