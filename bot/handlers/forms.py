"""The forms: the capture form (open it, and turn a submission into a report or a list of field errors) and the
idea form ('Propose a fix' on a problem's card: open it for that problem; the core checks a submission)."""

from __future__ import annotations

from bot import commands as c
from bot.errors import BadInput
from bot.grammar import MAX_AREA_NAME, MAX_TEXT, area_name, clean, parse_count, parse_effort, parse_users
from bot.handlers.context import Context, get_problem, workspace
from bot.handlers.problems import report_problem
from bot.ids import FormField, FormOption, IdeaField
from bot.replies import CaptureForm, Choice, IdeaForm, Reply, ReplyKind, Target
from storage.model import ImpactArea


def _area_choices(ctx: Context, ws_ref: c.WorkspaceRef) -> tuple[Choice, ...]:
    ws = workspace(ctx, ws_ref)
    return tuple(Choice(a.name, a.slug) for a in ctx.uow.areas.list(ws.id))


def open_capture_form(cmd: c.OpenCaptureForm, ctx: Context) -> Reply:
    values: dict[FormField, object] = {FormField.ISSUE: cmd.prefill[:MAX_TEXT]} if cmd.prefill else {}
    form = CaptureForm(values=values, areas=_area_choices(ctx, cmd.ws))
    return Reply(text="Log a problem", kind=ReplyKind.FORM, form=form, to=Target.FORM)


def _text(values: dict, key: FormField) -> str:
    value = values.get(key)
    return clean(str(value)).strip() if value is not None else ""


def _field(errors: dict[FormField, str], key: FormField, parse, raw: str, default):  # type: ignore[no-untyped-def]
    """Run one field's parser, keeping its message as that field's error."""
    if not raw:
        return default
    try:
        return parse(raw)
    except BadInput as exc:
        errors[key] = f"{exc.message} {exc.how}".strip()
        return default


def read_form(cmd: c.SubmitCaptureForm) -> tuple[c.ReportProblem | None, dict[FormField, str]]:
    """Validate every field with the grammar's own rules; all errors at once, per field."""
    v, errors = cmd.values, {}
    issue = _text(v, FormField.ISSUE)
    if not issue:
        errors[FormField.ISSUE] = "Say what went wrong, in a sentence or two."
    elif len(issue) > MAX_TEXT:
        errors[FormField.ISSUE] = f"Keep it under {MAX_TEXT:,} characters (this is {len(issue):,})."
    new_area = _text(v, FormField.NEW_AREA)
    picked = _text(v, FormField.AREA)
    if new_area and len(new_area) > MAX_AREA_NAME:
        errors[FormField.NEW_AREA] = f"Keep an area's name under {MAX_AREA_NAME} characters."
    area = area_name("#" + picked) if picked else None
    if new_area:
        area = area_name(f'#"{new_area}"')
    count = _field(errors, FormField.OCCURRENCES, parse_count, _text(v, FormField.OCCURRENCES), 1)
    effort = _field(errors, FormField.EFFORT, parse_effort, _text(v, FormField.EFFORT), None)
    users = _field(errors, FormField.USERS, parse_users, _text(v, FormField.USERS), None)
    impacts = []
    for raw in v.get(FormField.IMPACTS) or ():
        try:
            impacts.append(ImpactArea(raw))
        except ValueError:
            errors[FormField.IMPACTS] = "Pick from cost, delivery, quality and people."
    options = set(v.get(FormField.OPTIONS) or ())
    if errors:
        return None, errors
    return (
        c.ReportProblem(
            ws=cmd.ws,
            actor=cmd.actor,
            text=" ".join(issue.split()),
            area=area,
            count=count,
            effort_minutes=effort,
            users=users,
            impacts=tuple(impacts),
            failure_demand=FormOption.FAILURE_DEMAND.value in options,
            anonymous=FormOption.ANONYMOUS.value in options,
            delivery_id=cmd.delivery_id,
        ),
        {},
    )


def submit_capture_form(cmd: c.SubmitCaptureForm, ctx: Context) -> Reply:
    report, errors = read_form(cmd)
    if report is None:
        form = CaptureForm(values=dict(cmd.values), areas=_area_choices(ctx, cmd.ws), errors=errors)
        return Reply(text="Some answers need another look.", kind=ReplyKind.FORM, form=form, to=Target.FORM)
    return report_problem(report, ctx)


# --- the idea form --------------------------------------------------------------------------------------------
def idea_form(form: IdeaForm, text: str = "Propose a fix", footer: str = "") -> Reply:
    return Reply(text=text, kind=ReplyKind.FORM, to=Target.FORM, form=form, footer=footer)


def open_idea_form(cmd: c.PressButton, number: int, ctx: Context) -> Reply:
    """'Propose a fix' on problem #n's card: the idea form, with #n in 'Problems it fixes' (which stays editable)."""
    problem = get_problem(ctx, workspace(ctx, cmd.ws), number)
    form = IdeaForm(values={IdeaField.FIXES: f"#{problem.number}"}, problems=(problem.number,))
    typed = f"Or type /idea <what would fix it> for #{problem.number}"  # where there is no form: the console
    return idea_form(form, text=f"Propose a fix for #{problem.number}", footer=typed)


def idea_form_errors(values: dict, problems: tuple[int, ...], errors: dict[IdeaField, str]) -> Reply:
    """The idea form again, as it was filled in, with what is wrong with each field; nothing was stored."""
    form = IdeaForm(values=dict(values), problems=problems, errors=errors)
    return idea_form(form, text="Some answers need another look.")
