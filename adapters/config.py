"""Settings from the environment (and a .env file), read once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv

from storage.engine import DEFAULT_DATABASE_URL
from storage.model import WorkspaceDefaults

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    slack_signing_secret: str = ""
    slack_bot_token: str = ""
    slack_client_id: str = ""
    slack_client_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = DEFAULT_SLACK_API_URL
    microsoft_app_id: str = ""
    microsoft_app_password: str = ""
    microsoft_app_tenant_id: str = ""
    microsoft_app_type: str = "MultiTenant"
    secret_key: str = ""
    teams_openid_metadata_url: str = ""  # tests only: where the Bot Framework's signing keys are published
    teams_login_url: str = ""  # tests only: the login service Tally gets its own Bot Framework tokens from
    defaults: WorkspaceDefaults = WorkspaceDefaults()
    reminder_seconds: int = 900  # TALLY_REMINDER_SECONDS: how often due experiment reviews are looked for (0: never)
    lead_seconds: int = 15  # TALLY_LEAD_SECONDS: how often a replica tries to take the scheduler's lead
    sweep_seconds: int = 60  # TALLY_SWEEP_SECONDS: how often the lead looks for digests and agendas that are due
    claim_seconds: int = 600  # TALLY_CLAIM_SECONDS: a digest claimed this long ago and never recorded was abandoned

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_signing_secret or self.slack_app_token)

    @property
    def slack_oauth(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    def secret_values(self) -> list[str]:
        """What the log redactor must never print, whatever library logs it."""
        secrets = (
            self.slack_signing_secret,
            self.slack_bot_token,
            self.slack_client_secret,
            self.slack_app_token,
            self.microsoft_app_password,
            self.secret_key,
            *(key.strip() for key in self.secret_key.split(",")),  # each key of a rotation's "new,old" alone too
        )
        return [s for s in secrets if s]

    def __repr__(self) -> str:  # secrets stay out of logs and tracebacks
        return f"Settings(database={self.database_url.split('@')[-1]!r}, slack={self.slack_enabled})"


def _defaults(env: dict[str, str]) -> WorkspaceDefaults:
    tz = env.get("TALLY_TIMEZONE") or "Europe/London"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"TALLY_TIMEZONE={tz!r} is not a timezone; use a name like Europe/London.") from exc
    raw_cost = env.get("TALLY_HOURLY_COST") or "25"
    try:
        cost = Decimal(raw_cost)
    except InvalidOperation as exc:
        raise ConfigError(f"TALLY_HOURLY_COST={raw_cost!r} is not a number; use e.g. 25 or 31.50.") from exc
    if cost < 0:
        raise ConfigError("TALLY_HOURLY_COST can't be negative.")
    currency = (env.get("TALLY_CURRENCY") or "GBP").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ConfigError(f"TALLY_CURRENCY={currency!r} should be a three-letter code such as GBP.")
    return WorkspaceDefaults(hourly_cost=cost, currency=currency, timezone=tz)


def _whole(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    if not raw.isdigit():
        raise ConfigError(f"{name}={raw!r} should be a whole number of seconds, e.g. {default}.")
    return int(raw)


def load_settings(env: dict[str, str] | None = None, dotenv: bool = True) -> Settings:
    if env is None:
        if dotenv:
            load_dotenv(override=False)
        env = dict(os.environ)
    settings = Settings(
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        slack_signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
        slack_bot_token=env.get("SLACK_BOT_TOKEN", ""),
        slack_client_id=env.get("SLACK_CLIENT_ID", ""),
        slack_client_secret=env.get("SLACK_CLIENT_SECRET", ""),
        slack_app_token=env.get("SLACK_APP_TOKEN", ""),
        slack_api_url=env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL,
        microsoft_app_id=env.get("MICROSOFT_APP_ID", ""),
        microsoft_app_password=env.get("MICROSOFT_APP_PASSWORD", ""),
        microsoft_app_tenant_id=env.get("MICROSOFT_APP_TENANT_ID", ""),
        microsoft_app_type=env.get("MICROSOFT_APP_TYPE") or "MultiTenant",
        secret_key=env.get("TALLY_SECRET_KEY", ""),
        reminder_seconds=_whole(env, "TALLY_REMINDER_SECONDS", 900),
        lead_seconds=max(1, _whole(env, "TALLY_LEAD_SECONDS", 15)),
        sweep_seconds=max(1, _whole(env, "TALLY_SWEEP_SECONDS", 60)),
        claim_seconds=max(2, _whole(env, "TALLY_CLAIM_SECONDS", 600)),
        defaults=_defaults(env),
    )
    if settings.slack_oauth and not settings.secret_key:
        raise ConfigError("Set TALLY_SECRET_KEY: it encrypts the Slack tokens Tally stores for each workspace.")
    if settings.slack_oauth and not settings.slack_signing_secret:
        raise ConfigError("Set SLACK_SIGNING_SECRET too: every Slack request is verified with it.")
    if settings.slack_enabled and not (settings.slack_bot_token or settings.slack_oauth):
        raise ConfigError(
            "Slack needs a token: set SLACK_BOT_TOKEN for one workspace, "
            "or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for many."
        )
    if settings.slack_app_token and not settings.slack_app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN should be an app-level token starting xapp- (for Socket Mode).")
    return settings
