"""The `deploy/` example (compose file, nginx, Dockerfile) cannot be run here (no container
engine), so its parts are checked against the product: every `coach` command it runs is
one the command line accepts, every `COACH_*` variable is a setting and the values make
valid settings, and it has the processes the README promises."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet

from coach.cli import build_parser
from coach.settings import REPO_ROOT, Settings

DEPLOY = REPO_ROOT / "deploy"


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return compose


def _coach_services() -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in _compose()["services"].items()
        if service.get("command", [None])[0] == "coach"
    }


def _settings_of(environment: dict[str, str]) -> Settings:
    """The settings a process started with `environment` reads (compose's `${VAR:?…}`
    filled in as the operator would)."""
    values = {
        name.removeprefix("COACH_").lower(): re.sub(
            r"\$\{COACH_SECRET_KEY[^}]*\}", Fernet.generate_key().decode(), value
        )
        for name, value in environment.items()
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_example_runs_two_web_processes_one_worker_postgres_and_redis() -> None:
    services = _compose()["services"]
    commands = {name: s["command"][1] for name, s in _coach_services().items()}
    assert sorted(commands.values()).count("serve") == 2
    assert list(commands.values()).count("worker") == 1
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    # The web processes leave pushing to the worker.
    for name, command in _coach_services().items():
        if command["command"][1] == "serve":
            assert "--no-push-worker" in command["command"], name


@pytest.mark.parametrize("name", sorted(_coach_services()))
def test_every_command_and_setting_exists(name: str) -> None:
    service = _coach_services()[name]
    build_parser().parse_args(service["command"][1:])
    environment = service["environment"]
    fields = {f"COACH_{field.upper()}" for field in Settings.model_fields}
    assert set(environment) <= fields, set(environment) - fields
    settings = _settings_of(environment)
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.redis_url and settings.redis_url.startswith("redis://redis:")
    grace = float(service["stop_grace_period"].removesuffix("s"))
    assert settings.shutdown_grace_s < grace


def test_nginx_spreads_requests_over_every_web_process() -> None:
    config = (DEPLOY / "nginx.conf").read_text()
    upstream = set(re.findall(r"server (\S+):8000;", config))
    web = {n for n, s in _coach_services().items() if s["command"][1] == "serve"}
    assert upstream == web
    assert "proxy_buffering off;" in config
    assert _compose()["services"]["nginx"]["volumes"] == [
        "./nginx.conf:/etc/nginx/conf.d/default.conf:ro"
    ]


def test_the_image_copies_what_exists_and_sets_only_settings() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        words = shlex.split(line) if line and not line.startswith("#") else []
        if words[:1] == ["COPY"]:
            for source in words[1:-1]:
                assert (REPO_ROOT / source).exists(), source
        if words[:1] == ["ENV"]:
            names = {w.split("=", 1)[0] for w in words[1:]}
            fields = {f"COACH_{field.upper()}" for field in Settings.model_fields}
            assert names <= fields, names - fields
    assert (REPO_ROOT / "principles").is_dir() and (REPO_ROOT / "prompts").is_dir()


def test_the_readme_explains_the_example() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert "deploy/compose.yaml" in readme
    assert Path(DEPLOY / "compose.yaml").is_file()
