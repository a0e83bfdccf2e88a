"""The credential key: one key file in the data directory wherever the service starts, a
start-up that refuses a key unable to open stored credentials, and `coach secret rotate`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

from cryptography.fernet import Fernet

from tests.support.live import LiveServer
from tests.support.push import (
    athlete_with,
    connection_body,
    dated_plan,
    emulators,
    service,
    wait_for_job,
)
from tests.support.tenants import Tenant, make_tenant


def _env(database_url: str, **values: str | None) -> dict[str, str]:
    """The environment of a `coach` process: no COACH_SECRET_KEY unless given."""
    env = {k: v for k, v in os.environ.items() if k not in ("COACH_SECRET_KEY", "COACH_DATA_DIR")}
    env["COACH_DATABASE_URL"] = database_url
    env.update({f"COACH_{name.upper()}": value for name, value in values.items() if value})
    return env


def coach(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def serve_until_listening(env: dict[str, str], cwd: Path) -> str:
    """Start `coach serve`, wait until it says it listens, stop it; its log."""
    process = subprocess.Popen(
        [sys.executable, "-m", "coach.cli", "serve", "--port", "0"],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(120, process.kill)  # a hung start ends the read below
    watchdog.start()
    assert process.stderr is not None
    log = []
    try:
        for line in process.stderr:
            log.append(line)
            if "listening on" in line:
                break
    finally:
        watchdog.cancel()
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()
    text = "".join(log)
    assert "listening on" in text, text
    return text


def _data_dir(database_url: str, tmp_path: Path) -> tuple[Path, str | None]:
    """Where the key file goes, and the COACH_DATA_DIR to set for it: none for SQLite
    (its directory is the default), one under tmp_path for PostgreSQL (whose default is
    the user's home)."""
    if database_url.startswith("sqlite"):
        return Path(database_url.removeprefix("sqlite:///")).parent, None
    data = tmp_path / "data"
    return data, str(data)


def _sealed_connection(live: LiveServer) -> tuple[Tenant, int]:
    tenant = make_tenant(live.db)
    with live.client(tenant.coach_key) as http:
        _, connection_id = athlete_with(http, connection_body("terra"))
    return tenant, connection_id


def test_the_key_file_is_made_in_the_data_dir_wherever_the_service_starts(
    own_database_url: str, tmp_path: Path
) -> None:
    data, data_setting = _data_dir(own_database_url, tmp_path)
    env = _env(own_database_url, data_dir=data_setting)
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    key_file = data / "secret.key"
    assert not key_file.exists()

    first = serve_until_listening(env, cwd=here)
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert f"created the credential key file {key_file}" in first
    key = key_file.read_bytes()
    Fernet(key.strip())

    second = serve_until_listening(env, cwd=there)
    assert "created the credential key file" not in second
    assert f"credential key: the key file {key_file}" in second
    assert key_file.read_bytes() == key
    for directory in (here, there):
        assert list(directory.iterdir()) == []


def test_start_up_refuses_a_key_that_cannot_open_stored_credentials(
    own_database_url: str, tmp_path: Path
) -> None:
    with service(own_database_url) as live:
        _, connection_id = _sealed_connection(live)

    other_key = Fernet.generate_key().decode()
    refused = coach(
        "serve", "--port", "0", env=_env(own_database_url, secret_key=other_key), cwd=tmp_path
    )
    assert refused.returncode == 2, refused.stderr
    assert (
        "COACH_SECRET_KEY" in refused.stderr and f"connection(s) {connection_id}" in refused.stderr
    )
    assert "Traceback" not in refused.stderr and "listening" not in refused.stderr

    # No key at all: no new key file is made for a database that holds credentials.
    empty = tmp_path / "empty"
    missing = coach(
        "serve", "--port", "0", env=_env(own_database_url, data_dir=str(empty)), cwd=tmp_path
    )
    assert missing.returncode == 2, missing.stderr
    assert "COACH_SECRET_KEY" in missing.stderr and str(empty / "secret.key") in missing.stderr
    assert not (empty / "secret.key").exists()

    # The app's own start-up refuses too, however it is served.
    app = subprocess.run(
        [sys.executable, "-m", "uvicorn", "--factory", "coach.app:create_app", "--port", "0"],
        env=_env(own_database_url, secret_key=other_key),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert app.returncode != 0
    assert "COACH_SECRET_KEY" in app.stderr and "Application startup failed" in app.stderr


def test_no_key_is_made_while_the_database_cannot_be_read(tmp_path: Path) -> None:
    # It may hold credentials sealed with a key this host does not have.
    data = tmp_path / "data"
    app = subprocess.run(
        [sys.executable, "-m", "uvicorn", "--factory", "coach.app:create_app", "--port", "0"],
        env=_env("postgresql://nobody@127.0.0.1:1/none", data_dir=str(data)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert app.returncode != 0
    assert "COACH_SECRET_KEY" in app.stderr and "cannot be read" in app.stderr
    assert not (data / "secret.key").exists()


def test_secret_rotate_from_the_environment(own_database_url: str, tmp_path: Path) -> None:
    old_key = Fernet.generate_key().decode()
    with emulators() as emulated:
        with service(own_database_url, emulated, secret_key=old_key) as live:
            tenant = make_tenant(live.db)
            with live.client(tenant.coach_key) as http:
                user_id, terra_connection = athlete_with(http, connection_body("terra"))
                http.post(f"/v1/athletes/{user_id}/connections", json=connection_body("ics"))

        rotated = coach(
            "secret",
            "rotate",
            "--json",
            env=_env(own_database_url, secret_key=old_key),
            cwd=tmp_path,
        )
        assert rotated.returncode == 0, rotated.stderr
        result = json.loads(rotated.stdout)
        new_key, kept = result["secret_key"].split(",")
        assert kept == old_key and new_key == result["new_key"] != old_key
        assert result["key_source"] == "environment" and result["key_file"] is None
        assert (result["credentials"], result["resealed"], result["unreadable"]) == (2, 2, [])

        # New first, old after: both valid while hosts restart.
        with service(own_database_url, emulated, secret_key=result["secret_key"]):
            pass
        # The operator drops the old key: every credential opens with the new one alone ...
        with service(own_database_url, emulated, secret_key=new_key) as live:
            with live.client(tenant.coach_key) as http:
                plan = dated_plan(http, tenant, weeks=1)
                job = http.post(
                    f"/v1/coach/plans/{plan['plan_id']}/push",
                    json={"user_id": user_id, "connection_id": terra_connection},
                )
                assert job.status_code == 202, job.text
                assert wait_for_job(http, job.json()["job_id"])["status"] == "complete"
        assert len(emulated.terra.planned) == len(plan["content"])
    resealed = coach(
        "secret", "reseal", "--json", env=_env(own_database_url, secret_key=new_key), cwd=tmp_path
    )
    assert resealed.returncode == 0, resealed.stderr
    assert json.loads(resealed.stdout)["unreadable"] == []
    assert json.loads(resealed.stdout)["resealed"] == 0
    # ... and the old one alone opens nothing any more.
    refused = coach(
        "serve", "--port", "0", env=_env(own_database_url, secret_key=old_key), cwd=tmp_path
    )
    assert refused.returncode == 2 and "COACH_SECRET_KEY" in refused.stderr


def test_secret_rotate_rewrites_the_key_file(own_database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    key_file = data / "secret.key"
    with emulators() as emulated:
        with service(own_database_url, emulated, secret_key=None, data_dir=data) as live:
            tenant = make_tenant(live.db)
            with live.client(tenant.coach_key) as http:
                user_id, _ = athlete_with(http, connection_body("terra"))
        old_key = key_file.read_text().strip()

        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        rotated = coach(
            "secret",
            "rotate",
            "--json",
            env=_env(own_database_url, data_dir=str(data)),
            cwd=elsewhere,
        )
        assert rotated.returncode == 0, rotated.stderr
        result = json.loads(rotated.stdout)
        new_key = key_file.read_text().strip()
        assert result["key_source"] == "file" and result["key_file"] == str(key_file)
        assert (result["resealed"], result["unreadable"]) == (1, [])
        assert "secret_key" not in result and new_key not in rotated.stdout
        assert new_key != old_key and "," not in new_key and "\n" not in new_key
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert list(elsewhere.iterdir()) == []

        with service(own_database_url, emulated, secret_key=None, data_dir=data) as live:
            with live.client(tenant.coach_key) as http:
                plan = dated_plan(http, tenant, weeks=1)
                job = http.post(
                    f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
                )
                assert job.status_code == 202, job.text
                assert wait_for_job(http, job.json()["job_id"])["status"] == "complete"
        assert len(emulated.terra.planned) == len(plan["content"])
    refused = coach(
        "serve", "--port", "0", env=_env(own_database_url, secret_key=old_key), cwd=tmp_path
    )
    assert refused.returncode == 2 and "COACH_SECRET_KEY" in refused.stderr
