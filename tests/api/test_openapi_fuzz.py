"""Schemathesis fuzzes every operation of /openapi.json with a valid key and the optional
features configured: no 5xx, and no status, header, body or SSE event that breaks what the
document says. Two runs: one with every parameter generated (NUL bytes and other odd text
included), one with the path ids of a seeded tenant, which reaches past the 404s."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulators.aiendurance import AIEnduranceEmulator
from tests.support.databases import POSTGRES_URL, fresh_database
from tests.support.live import LiveServer, live_server, serve_app
from tests.support.push import push_settings
from tests.support.tenants import Tenant, make_tenant

# The schemathesis CLI, started with a deeper recursion limit: on CPython 3.11.7, hypothesis
# describing a filter lambda from deep in schemathesis' stack can run ast.parse out of depth,
# which that release reports as "SystemError: AST constructor recursion depth mismatch".
SCHEMATHESIS = (
    sys.executable,
    "-c",
    "import sys; sys.setrecursionlimit(20000); "
    "from schemathesis.cli import schemathesis; sys.exit(schemathesis())",
)
# positive_data_acceptance expects every schema-valid request to succeed; ours are also
# refused by rules no schema states (an id that does not exist, another tenant's id).
EXCLUDED = "positive_data_acceptance"
# Revoking and rotating keys may take away the key a run fuzzes with: they run last.
KEY_OPERATIONS = r"^/v1/keys/\{key_id\}"
REDIRECT_URI = "https://coach.example/aiendurance/callback"
DRAFT = "W1 D1 Easy run, 40 min, 7 km\nW1 D3 Tempo 20 min, 50 min\nW2 D2 Long run, 80 min"


@contextlib.contextmanager
def _service(tmp_path: Path) -> Iterator[tuple[LiveServer, Tenant]]:
    # PostgreSQL when there is one: it refuses what SQLite takes (a NUL in a string).
    backend = "postgres" if POSTGRES_URL else "sqlite"
    emulator = AIEnduranceEmulator(redirect_uri=REDIRECT_URI)
    with (
        fresh_database(backend, tmp_path) as database_url,
        serve_app(emulator.app()) as emulator_url,
    ):
        settings = push_settings(
            database_url,
            aiendurance_client_id=emulator.client_id,
            aiendurance_client_secret=emulator.client_secret,
            aiendurance_redirect_uri=REDIRECT_URI,
            aiendurance_authorize_url=f"{emulator_url}/authorize",
            aiendurance_api_base=emulator_url,
            _env_file=None,
        )
        with live_server(settings) as live:
            yield live, make_tenant(live.db)


def _seed(live: LiveServer, tenant: Tenant) -> dict[str, object]:
    """One of each resource, so operations on ids get past their 404."""
    with live.client(tenant.coach_key) as http:
        user_id = http.post("/v1/athletes", json={"name": "Ada"}).json()["user_id"]
        connection = http.post(f"/v1/athletes/{user_id}/connections", json={"provider": "ics"})
        plan = {
            "weeks": 2,
            "experience_level": "beginner",
            "organization_id": tenant.organization_id,
            "start_date": "2026-12-07",
            "refined_draft": DRAFT,
        }
        generated = http.post("/v1/coach/generate-plan", json=plan).json()
        plan_id, workout = generated["plan_id"], generated["content"][0]
        job_id = http.post(f"/v1/coach/plans/{plan_id}/push", json={"user_id": user_id}).json()[
            "job_id"
        ]
        deadline = time.monotonic() + 30
        while http.get(f"/v1/coach/push-jobs/{job_id}").json()["status"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        planned = http.get("/v2/plannedWorkouts", params={"user_id": user_id}).json()
        first = planned["planned_workouts"][0]
    return {
        "path.user_id": user_id,
        "path.plan_id": plan_id,
        "path.job_id": job_id,
        "path.connection_id": connection.json()["connection_id"],
        "path.planned_workout_id": first["planned_workout_id"],
        "path.workout_id": first["workout_id"],
        "path.provider_workout_id": first["provider_workout_id"],
        "path.organization_id": tenant.organization_id,
        # A plan's workout and revision, for the editor's operations.
        "path.week": workout["week"],
        "path.day": workout["day"],
        "path.revision": 1,
    }


def _schemathesis(
    live: LiveServer, key: str, tmp_path: Path, *options: str, config: Path | None = None
) -> str:
    """Run the schemathesis CLI against `live`; its counts ("N generated, N passed")."""
    result = subprocess.run(
        [
            *SCHEMATHESIS,
            *(["--config-file", str(config)] if config else []),
            "run",
            f"{live.base_url}/openapi.json",
            "--header",
            f"Authorization: Bearer {key}",
            "--checks",
            "all",
            "--exclude-checks",
            EXCLUDED,
            "--seed",
            "20261130",
            "--workers",
            "2",
            "--request-timeout",
            "30",
            "--no-color",
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    output = result.stdout
    assert result.returncode == 0, output[-8000:] + result.stderr[-2000:]
    counts = output[output.rfind("Test cases:") :].splitlines()
    return counts[1].strip() if len(counts) > 1 else ""


@pytest.mark.filterwarnings("ignore")
def test_schemathesis_finds_no_server_error_and_no_schema_violation(tmp_path: Path) -> None:
    with _service(tmp_path) as (live, tenant):
        # Each run has a tenant of its own: the admin key it fuzzes with may revoke keys.
        seeded = _seed(live, tenant)
        # Not in the working directory, where schemathesis would load it for every run.
        config = tmp_path / "seeded.toml"
        config.write_text(
            "[parameters]\n" + "".join(f'"{k}" = {json.dumps(v)}\n' for k, v in seeded.items())
        )
        on_ids = _schemathesis(
            live,
            tenant.admin_key,
            tmp_path,
            "--max-examples",
            "20",
            "--include-path-regex",
            r"\{",
            "--exclude-path-regex",
            KEY_OPERATIONS,
            # The coverage phase crashes inside schemathesis 4.32 with parameter overrides.
            "--phases",
            "examples,fuzzing",
            config=config,
        )
        generated = _schemathesis(
            live,
            make_tenant(live.db).admin_key,
            tmp_path,
            "--max-examples",
            "40",
            "--generation-allow-x00",
            "true",
            "--exclude-path-regex",
            KEY_OPERATIONS,
        )
        keys = _schemathesis(
            live,
            make_tenant(live.db).admin_key,
            tmp_path,
            "--max-examples",
            "40",
            "--include-path-regex",
            KEY_OPERATIONS,
        )
    # The counts, for the record: `pytest -rP` shows them.
    sys.stdout.write(f"schemathesis: {generated}; seeded ids: {on_ids}; key revocation: {keys}\n")
    assert all("generated" in run for run in (generated, on_ids, keys))
