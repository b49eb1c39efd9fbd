"""Usage text for ideas, the forum's agenda and owners: every error points at the form that works."""

IDEA_USAGE = "/idea <what would fix it> [for #<problem id> …] [anon]   e.g. /idea Email the decision letter too for #12"
VOTE_USAGE = "/idea vote <id>   /idea unvote <id>   e.g. /idea vote I3"
SHOW_USAGE = "/idea show <id>   e.g. /idea show I3"
LIST_USAGE = "/idea list [information|insight|improve|decided|all]"
EVIDENCE_USAGE = "/idea evidence <id> <what you saw>   e.g. /idea evidence I3 Six callers today asked the same"
INSIGHT_USAGE = "/idea insight <id> <root cause>   e.g. /idea insight I3 Letters go second class"
ESTIMATE_USAGE = "/idea estimate <id> reduction=<N>% cost=<amount>   e.g. /idea estimate I3 reduction=40% cost=2000"
MOVE_USAGE = "/idea move <id> information|insight|improve [why]   e.g. /idea move I3 improve Evidence is in"
DECIDE_USAGE = (
    "/idea decide <id> approve|experiment|reject|park|done <why>   e.g. /idea decide I3 approve Cheap and quick"
    "   (experiment: add review=YYYY-MM-DD)"
)
MERGE_USAGE = "/idea merge <id> into <id>   e.g. /idea merge I4 into I3"
OWNERS_USAGE = "/tally owners   /tally owners add @someone   /tally owners remove @someone"
SETTINGS_USAGE = "/tally settings [hourly-cost 30 | currency GBP | timezone Europe/London]"
DEMAND_USAGE = "/tally demand #area <total contacts or cases> [YYYY-Www]   e.g. /tally demand #benefits 1200 2026-W47"
ROI_USAGE = "/tally roi [programme-cost N]   the failure-demand business case; e.g. /tally roi programme-cost 50000"
FORUM_SHOW_USAGE = "/tally forum [<slug>]         the forums: their areas, where and when digests go, when they meet"
FORUM_NEW_USAGE = "/tally forum new <name> #area [#area …]   e.g. /tally forum new Benefits forum #benefits #appeals"
FORUM_HERE_USAGE = "/tally forum [<slug>] here    the forum's weekly digest goes to this channel or conversation"
FORUM_SCHEDULE_USAGE = "/tally forum [<slug>] schedule <mon…sun> <HH:MM>   e.g. /tally forum schedule mon 09:00"
FORUM_MEETS_USAGE = (
    "/tally forum [<slug>] meets <first|second|third|fourth|last>-<mon…sun>   e.g. /tally forum meets first-tue"
)
FORUM_USAGE = "\n".join([FORUM_SHOW_USAGE, FORUM_NEW_USAGE, FORUM_HERE_USAGE, FORUM_SCHEDULE_USAGE, FORUM_MEETS_USAGE])
EXPORT_USAGE = (
    "/tally export [xlsx|csv|json] [from YYYY-MM-DD] [to YYYY-MM-DD]   the evidence as a file, sent only to you; "
    "e.g. /tally export csv from 2026-01-01"
)
DIGEST_USAGE = "/tally digest [forum <slug>] [week YYYY-Www]   the weekly digest, shown only to you; e.g. /tally digest week 2026-W47"

IDEA_HELP = "\n".join(
    [
        "Ideas go through the '3 I' forum: Information, Insight, Improve. Anyone proposes, votes and adds",
        "evidence; the forum's owners move ideas on and decide, and everyone who proposed or voted is told why.",
        "",
        IDEA_USAGE,
        VOTE_USAGE,
        SHOW_USAGE,
        LIST_USAGE,
        EVIDENCE_USAGE,
        INSIGHT_USAGE,
        ESTIMATE_USAGE,
        MOVE_USAGE,
        DECIDE_USAGE,
        MERGE_USAGE,
    ]
)

TALLY_HELP = "\n".join(
    [
        "/problem help                 capturing problems",
        "/idea help                    ideas, votes and the forum's decisions",
        "/tally agenda                 the ideas ready for the forum, ranked by return then votes",
        DIGEST_USAGE,
        FORUM_USAGE,
        "    without a <slug>, forum commands act on the first forum; owners add forums and change them",
        OWNERS_USAGE,
        SETTINGS_USAGE,
        DEMAND_USAGE,
        ROI_USAGE,
        EXPORT_USAGE,
        "/tally help                   this help",
    ]
)
