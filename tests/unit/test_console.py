"""The console adapter: plain text out, a prompt only for a person at a terminal."""

from __future__ import annotations

import io

from adapters.console import ConsoleSession, render_text, run_console
from bot.replies import CaptureForm, Reply, Section


def test_prompt_when_interactive(core):
    out = io.StringIO()
    run_console(
        ConsoleSession(core, "alice"), io.StringIO("problem Printer jammed 10m\nexit\nproblem never\n"), out, True
    )
    text = out.getvalue()
    assert text.startswith("Tally console.") and text.count("tally> ") == 2
    assert "#1 Printer jammed" in text and "never" not in text


def test_no_prompt_when_piped_and_comments_skipped(core):
    out = io.StringIO()
    run_console(ConsoleSession(core, "alice"), io.StringIO("// a comment\n\nproblem list\n"), out, False)
    assert out.getvalue() == "Open/investigating problems: none.\n"


async def test_a_number_without_buttons_is_just_text(core):
    session = ConsoleSession(core, "alice")
    (reply,) = (await session.say("1")).replies
    assert "I don't know the command '1'" in reply.text


def test_render_text_shows_sections_and_form_hint():
    text = render_text(Reply(text="Home", sections=(Section("Yours", ()),), form=CaptureForm()))
    assert "Yours:\n  Nothing yet." in text and "one line" in text
