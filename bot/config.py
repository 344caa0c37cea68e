"""Every setting, read from the environment and `.env` (see `.env.example`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/companion.db"


def _split(value: object) -> object:
    if isinstance(value, str):
        return [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    database_url: str = DEFAULT_DATABASE_URL
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"

    console_user_id: str = "me"
    console_workspace_id: str = "local"
    console_images_dir: str = "data/images"

    discord_token: SecretStr | None = None
    discord_api_base: str = "https://discord.com/api/v10"
    discord_guild_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    discord_shard_count: int | None = None
    discord_shard_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_scopes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [
            "commands",
            "chat:write",
            "im:write",
            "mpim:write",
            "im:history",
            "users:read",
            "channels:read",
            "groups:read",
            "files:write",
        ]
    )
    slack_api_url: str = "https://slack.com/api/"
    slack_admin_user_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    port: int = 3000

    scheduler_enabled: bool = True
    scheduler_interval_seconds: float = Field(default=30.0, gt=0)
    scheduler_batch_size: int = Field(default=500, gt=0)
    # Run the claim pass in a process of its own (false: on a thread of the bot's process).
    claim_process: bool = True
    discord_rate_per_second: float = Field(default=46.0, gt=0)
    slack_rate_per_second: float = Field(default=1.0, gt=0)
    outbox_lease_seconds: float = Field(default=120.0, ge=10)
    outbox_max_attempts: int = Field(default=8, gt=0)
    delivery_concurrency: int = Field(default=8, ge=1, le=64)
    # Processes that draw pictures beside the bot (0: draw them in a thread of the bot's own).
    picture_processes: int = Field(default=1, ge=0, le=8)

    papers_live: Literal["off", "arxiv"] = "off"
    papers_arxiv_categories: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["cs.LG", "cs.CL", "cs.AI", "cs.CR"]
    )
    papers_arxiv_api_url: str = "https://export.arxiv.org/api/query"
    papers_arxiv_max_results: int = Field(default=50, ge=1, le=200)
    papers_arxiv_timeout_seconds: float = Field(default=20.0, gt=0)

    health_port: int | None = None
    # Where /healthz, /readyz and /metrics listen; 0.0.0.0 exposes them beyond this host.
    health_host: str = "127.0.0.1"

    # Finished outbox rows lose their rendered message after this many days (the row and its
    # key stay, so a slot is never sent twice); Slack event ids are forgotten after this many days.
    outbox_retention_days: int = Field(default=30, ge=1)
    seen_events_retention_days: int = Field(default=2, ge=1)

    # `python -m bot db copy` target when --to is not given (keeps a password off the command line).
    db_copy_to: SecretStr | None = None

    @field_validator(
        "discord_guild_ids",
        "discord_shard_ids",
        "slack_admin_user_ids",
        "slack_scopes",
        "papers_arxiv_categories",
        mode="before",
    )
    @classmethod
    def _comma_lists(cls, value: object) -> object:
        return _split(value)

    @property
    def discord_configured(self) -> bool:
        return self.discord_token is not None and bool(self.discord_token.get_secret_value())

    @property
    def slack_configured(self) -> bool:
        has_token = self.slack_bot_token is not None or self.slack_client_id is not None
        return has_token and self.slack_signing_secret is not None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
