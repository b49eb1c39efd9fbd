"""Usage text: every error points at the form that works."""

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

PROBLEM_HELP = "\n".join(
    [
        "Tally counts the problems that stop you serving people well, so they get fixed.",
        "",
        "/problem                      open the capture form",
        PROBLEM_USAGE,
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

COMMANDS_HELP = "Commands: /problem (or: problem …) and /tally help."
