"""SQLModel tables: the only place that knows how Tally's records are laid out in SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Column, Index, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class WorkspaceRow(SQLModel, table=True):
    __tablename__ = "workspace"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_workspace_platform_external"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    name: str = Field(default="", max_length=200)
    hourly_cost: Decimal = Field(default=Decimal("25"), sa_column=Column(Numeric(12, 2), nullable=False))
    currency: str = Field(default="GBP", max_length=3)
    timezone: str = Field(default="Europe/London", max_length=64)
    week_start: int = Field(default=0)
    problem_seq: int = Field(default=0)
    idea_seq: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class AreaRow(SQLModel, table=True):
    __tablename__ = "process_area"
    __table_args__ = (UniqueConstraint("workspace_id", "slug", name="uq_area_workspace_slug"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    name: str = Field(max_length=120)
    slug: str = Field(max_length=120)


class ProblemRow(SQLModel, table=True):
    __tablename__ = "problem"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number", name="uq_problem_workspace_number"),
        # Lists filter on (workspace, status), and on area too.
        Index("ix_problem_workspace_status_area", "workspace_id", "status", "area_id"),
        # A forum's digest starts from its areas' problems (then their occurrences, by problem and date); the
        # duplicate check reads an area's newest problems by number, and checks its window from status and id alone.
        Index("ix_problem_workspace_area_window", "workspace_id", "area_id", "number", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    number: int
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    area_id: int | None = Field(default=None, foreign_key="process_area.id")
    impact_areas: str = Field(default="", max_length=64)
    effort_minutes: int = Field(default=0)
    users_per_occurrence: int = Field(default=1)
    failure_demand: bool = Field(default=False)
    status: str = Field(default="open", max_length=16)
    merged_into_id: int | None = Field(default=None, foreign_key="problem.id")
    reporter_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
    status_changed_at: datetime | None = Field(default=None)  # when it was last marked fixed (or anything else)


class OccurrenceRow(SQLModel, table=True):
    __tablename__ = "occurrence"
    __table_args__ = (
        UniqueConstraint("workspace_id", "delivery_id", name="uq_occurrence_workspace_delivery"),
        # A digest's weeks are summed from this index alone: count, effort and users ride along (migration 0010).
        Index(
            "ix_occurrence_workspace_problem_date_tally",
            "workspace_id",
            "problem_id",
            "occurred_on",
            "count",
            "effort_minutes",
            "users_affected",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    problem_id: int = Field(foreign_key="problem.id")
    occurred_on: date
    count: int = Field(default=1)
    effort_minutes: int = Field(default=0)
    users_affected: int = Field(default=1)
    reporter_id: str | None = Field(default=None, max_length=128)
    note: str = Field(default="", max_length=1000)
    delivery_id: str | None = Field(default=None, max_length=200)


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    actor_id: str | None = Field(default=None, max_length=128)
    action: str = Field(max_length=64)
    subject: str = Field(max_length=64)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SlackInstallationRow(SQLModel, table=True):
    """One Slack workspace (or Grid org) that installed Tally; tokens are encrypted at rest."""

    __tablename__ = "slack_installation"
    __table_args__ = (UniqueConstraint("enterprise_id", "team_id", name="uq_slack_installation_team"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: str = Field(default="", max_length=32)
    team_id: str = Field(default="", max_length=32)
    is_enterprise_install: bool = Field(default=False)
    installer_user_id: str = Field(default="", max_length=32)
    bot_user_id: str = Field(default="", max_length=32)
    bot_id: str = Field(default="", max_length=32)
    bot_scopes: str = Field(default="", max_length=1000)
    data_encrypted: str = Field(default="", sa_column=Column(Text, nullable=False))
    installed_at: datetime = Field(default_factory=utcnow)


class SlackOAuthStateRow(SQLModel, table=True):
    """A one-time OAuth state, so an install callback can't be forged or replayed."""

    __tablename__ = "slack_oauth_state"

    state: str = Field(primary_key=True, max_length=100)
    expires_at: datetime


class ConversationRefRow(SQLModel, table=True):
    """Where a platform lets Tally post unprompted (a Teams conversation reference, as JSON)."""

    __tablename__ = "conversation_ref"
    __table_args__ = (UniqueConstraint("platform", "tenant_id", "conversation_id", name="uq_conversation_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    tenant_id: str = Field(max_length=128)
    conversation_id: str = Field(max_length=400)
    conversation_type: str = Field(default="", max_length=32)
    reference: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class WorkspaceOwnerRow(SQLModel, table=True):
    """People who run Tally for a workspace: they merge problems and, later, manage forums."""

    __tablename__ = "workspace_owner"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", name="uq_workspace_owner"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    user_id: str = Field(max_length=128)
    added_at: datetime = Field(default_factory=utcnow)


class ForumRow(SQLModel, table=True):
    """A '3 I' improvement forum: where its digest goes, which areas it covers, when it meets."""

    __tablename__ = "forum"
    __table_args__ = (UniqueConstraint("workspace_id", "slug", name="uq_forum_workspace_slug"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    slug: str = Field(max_length=120)
    name: str = Field(max_length=120)
    destination: str | None = Field(default=None, max_length=400)
    # Process area ids, as a JSON list; empty: every area. Read whole with the forum, never queried into.
    area_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    meets: str = Field(default="first-tue", max_length=32)
    digest_day: int = Field(default=0)
    digest_time: str = Field(default="09:00", max_length=8)


class IdeaRow(SQLModel, table=True):
    __tablename__ = "idea"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number", name="uq_idea_workspace_number"),
        Index("ix_idea_workspace_stage", "workspace_id", "stage"),
        Index("ix_idea_workspace_forum", "workspace_id", "forum_id"),  # a forum's digest reads its own ideas
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    number: int
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    proposer_id: str | None = Field(default=None, max_length=128)  # NULL: proposed anonymously
    stage: str = Field(default="information", max_length=16)
    decision: str | None = Field(default=None, max_length=16)
    decision_reason: str = Field(default="", max_length=4000)
    decided_by: str | None = Field(default=None, max_length=128)
    decided_at: datetime | None = Field(default=None)
    review_on: date | None = Field(default=None)
    root_cause: str = Field(default="", max_length=4000)
    reduction_pct: Decimal | None = Field(default=None, sa_column=Column(Numeric(5, 2), nullable=True))
    cost: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2), nullable=True))
    outcome: str = Field(default="", max_length=4000)
    merged_into_id: int | None = Field(default=None, foreign_key="idea.id")
    forum_id: int | None = Field(default=None, foreign_key="forum.id")
    created_at: datetime = Field(default_factory=utcnow)


class IdeaProblemRow(SQLModel, table=True):
    """An idea's link to a problem it would reduce."""

    __tablename__ = "idea_problem"
    __table_args__ = (UniqueConstraint("idea_id", "problem_id", name="uq_idea_problem"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    idea_id: int = Field(foreign_key="idea.id")
    problem_id: int = Field(foreign_key="problem.id")


class IdeaVoteRow(SQLModel, table=True):
    """One person's vote for an idea: the unique constraint keeps it one, however many arrive at once.
    No time is kept: a vote says who, not when."""

    __tablename__ = "idea_vote"
    __table_args__ = (
        UniqueConstraint("idea_id", "user_id", name="uq_idea_vote"),
        Index("ix_idea_vote_workspace_user", "workspace_id", "user_id"),  # "my ideas"
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    idea_id: int = Field(foreign_key="idea.id")
    user_id: str = Field(max_length=128)


class IdeaEvidenceRow(SQLModel, table=True):
    __tablename__ = "idea_evidence"
    __table_args__ = (Index("ix_idea_evidence_workspace_idea", "workspace_id", "idea_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    idea_id: int = Field(foreign_key="idea.id")
    text: str = Field(max_length=4000)
    author_id: str | None = Field(default=None, max_length=128)
    at: datetime = Field(default_factory=utcnow)


class IdeaChangeRow(SQLModel, table=True):
    """An idea's stage and decision history: who, when, from, to, why."""

    __tablename__ = "idea_change"
    __table_args__ = (Index("ix_idea_change_workspace_idea", "workspace_id", "idea_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    idea_id: int = Field(foreign_key="idea.id")
    actor_id: str | None = Field(default=None, max_length=128)
    before: str = Field(max_length=32)
    after: str = Field(max_length=32)
    reason: str = Field(default="", max_length=4000)
    at: datetime = Field(default_factory=utcnow)


class IdeaReviewReminderRow(SQLModel, table=True):
    """An experiment's review reminder, claimed before it is sent: sent once, whatever replicas or restarts do."""

    __tablename__ = "idea_review_reminder"
    __table_args__ = (UniqueConstraint("idea_id", "review_on", name="uq_idea_review_reminder"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    idea_id: int = Field(foreign_key="idea.id")
    review_on: date


class DemandRow(SQLModel, table=True):
    """Total contacts or cases in a process area in a week: the denominator of the failure-demand share."""

    __tablename__ = "demand"
    __table_args__ = (UniqueConstraint("workspace_id", "area_id", "week_start", name="uq_demand_area_week"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    area_id: int = Field(foreign_key="process_area.id")
    week_start: date
    total: int = Field(sa_column=Column(BigInteger, nullable=False))


class DeliveryRow(SQLModel, table=True):
    """A scheduled post (a forum's digest or agenda for a period), claimed before it is posted and marked with the
    platform's message id after: posted once, whatever retries, restarts or replicas do."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("forum_id", "kind", "period", name="uq_delivery_forum_kind_period"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    forum_id: int = Field(foreign_key="forum.id")
    kind: str = Field(max_length=16)
    period: str = Field(max_length=16)  # "2026-W47" for a week, "2026-12" for a month
    status: str = Field(default="claimed", max_length=16)  # claimed, posted, failed, asked
    claimed_at: datetime = Field(default_factory=utcnow)
    claimed_by: str = Field(default="", max_length=120)
    attempts: int = Field(default=1)
    destination: str = Field(default="", max_length=400)
    message_id: str | None = Field(default=None, max_length=200)
    posted_at: datetime | None = Field(default=None)
    error: str = Field(default="", max_length=400)
