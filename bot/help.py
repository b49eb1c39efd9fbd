"""Usage text: every error points at the form that works.

Commands are written the Slack way (`/problem …`, `/tally …`, `/idea …`); `spell` rewrites them as
the person's platform spells them just before a reply goes out.
"""

from __future__ import annotations

import re

from storage.model import Platform

PROBLEM_USAGE = (
    "/problem <what went wrong> [#area] [xN] [effort] [users=N] [+cost|+delivery|+quality|+people] "
    "[fd] [anon] [on DATE]"
)
EXAMPLE = "/problem Users chasing their decision letter #communicating-decision x17 20m+10m +quality +delivery +cost"

AGAIN_USAGE = "/problem again <id> [xN] [effort] [users=N] [on DATE] [anon]   e.g. /problem again 42 x3"
SHOW_USAGE = "/problem show <id>   e.g. /problem show 42"
LIST_USAGE = "/problem list [#area] [open|investigating|fixed|wontfix|all]"
TOP_USAGE = "/problem top [week|month|quarter]"
STATUS_USAGE = "/problem status <id> open|investigating|fixed|wontfix   e.g. /problem status 42 fixed"
MERGE_USAGE = "/problem merge <id> into <id>   e.g. /problem merge 43 into 42"
DATE_USAGE = "Write the date as on YYYY-MM-DD, on today or on yesterday (not in the future, at most 90 days back)."

PROBLEM_HELP = "\n".join(
    [
        "Tally counts the problems that stop you serving people well, so they get fixed.",
        "",
        "/problem                      open the capture form",
        PROBLEM_USAGE,
        "    options go at the end of the line; everything before them is the description, as typed",
        "    effort: 20m, 1h, 1h30m, 0.5h or 20m+10m (per occurrence)   xN: how many times (x17)",
        "    users=N: service users affected each time (default 1)   fd: failure demand",
        "    anon: keep no record of who reported it   on DATE: YYYY-MM-DD, today or yesterday",
        '    #area: a process area, e.g. #communicating-decision or #"Communicating decision"',
        f"    e.g. {EXAMPLE}",
        AGAIN_USAGE,
        SHOW_USAGE,
        LIST_USAGE,
        TOP_USAGE,
        STATUS_USAGE,
        MERGE_USAGE,
        "/tally help                   this help",
    ]
)

COMMANDS_HELP = "Commands: /problem …, /idea … and /tally help."

# A command word at the start of a word: not inside a URL or a path (https://x/problem), nor part of
# a longer word (/problems, /problem-solving). Markdown and quotes may come just before it.
_COMMAND = re.compile(r"(?<![\w/:.\-])/(problem|tally|idea)(?![\w/\-])( {2,})?")


def spell(text: str, platform: Platform) -> str:
    """Commands as `platform` spells them: `/problem` in Slack, `problem` in Teams and the console.

    Where a command word starts a column (two or more spaces after it), the column stays aligned.
    """
    if platform == Platform.SLACK:
        return text

    def plain(match: re.Match[str]) -> str:
        gap = match.group(2)
        return match.group(1) + (gap + " " if gap else "")

    return _COMMAND.sub(plain, text)
