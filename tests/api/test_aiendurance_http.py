"""AI Endurance over HTTP: authorize, callback, import into the library, refresh, revoke.

The service runs on loopback with its settings pointing at the AI Endurance emulator. The
"browser" is the test: it follows the service's 302 to the emulator, then brings the
emulator's redirect (a public URL the service sits behind) back to the service.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from sqlmodel import Session, col, select

from coach.db.tables import ConnectionRow, WorkoutTemplateRow
from coach.secrets import CredentialBox
from tests.emulators.aiendurance import AIEnduranceEmulator
from tests.support.live import LiveServer, live_server, serve_app
from tests.support.push import SECRET_KEY, push_settings
from tests.support.tenants import Tenant, make_tenant

REDIRECT_URI = "https://coach.example/v1/oauth/aiendurance/callback"
CALLBACK = "/v1/oauth/aiendurance/callback"
BOX = CredentialBox(SECRET_KEY.encode())

# The reference's two examples in a dated envelope, a ride, and a swim (not imported).
ENDURANCE = {
    "id": 11,
    "date": "2027-03-02",
    "steps": {
        "act_type": "Run",
        "type": "Endurance",
        "duration": 1800,
        "stress": 26,
        "is_long": False,
        "target_high": 3.45,
    },
}
TEMPO = {
    "id": 12,
    "date": "2027-03-04",
    "steps": {
        "act_type": "Run",
        "type": "Tempo",
        "stress": 38,
        "is_long": False,
        "repeats": 2,
        "duration_warmup": 600,
        "duration_cooldown": 720,
        "duration_on": 540,
        "duration_off": 300,
        "duration_add_endurance": 0,
        "target_off_low": None,
        "target_off_high": 3.1050000000000004,
        "target_warmup_low": None,
        "target_warmup_high": 3.45,
        "target_cooldown_low": None,
        "target_cooldown_high": 3.1050000000000004,
        "target_add_endurance_low": None,
        "target_add_endurance_high": 3.45,
        "target_on_low": 3.45,
        "target_on_high": 3.6656250000000004,
    },
}
RIDE = {
    "id": 13,
    "date": "2027-03-05",
    "steps": {
        "act_type": "Ride",
        "type": "Threshold",
        "repeats": 3,
        "duration_warmup": 900,
        "duration_on": 600,
        "duration_off": 300,
        "duration_cooldown": 600,
        "target_on_low": 240,
        "target_on_high": 260,
        "target_off_high": 150,
    },
}
SWIM = {"id": 14, "date": "2027-03-06", "steps": {"act_type": "Swim"}}


@dataclass
class World:
    live: LiveServer
    emulator: AIEnduranceEmulator
    emulator_url: str
    tenant: Tenant
    seen: list[str]  # every response body the service sent, to look for secrets

    def client(self, key: str | None = None) -> httpx2.Client:
        return self.live.client(key)

    def athlete(self, http: httpx2.Client) -> str:
        resp = self.record(http.post("/v1/athletes", json={"name": "Ada"}))
        assert resp.status_code == 200, resp.text
        return str(resp.json()["user_id"])

    def record(self, resp: httpx2.Response) -> httpx2.Response:
        self.seen.append(resp.text + repr(dict(resp.headers)))
        return resp

    def authorize(self, http: httpx2.Client, user_id: str) -> httpx2.Response:
        return self.record(http.get(f"/v1/athletes/{user_id}/connections/aiendurance/authorize"))

    def back_from_emulator(self, location: str) -> dict[str, list[str]]:
        """The browser at AI Endurance: it approves (or not) and redirects to our URI."""
        resp = httpx2.get(location, follow_redirects=False)
        assert resp.status_code == 302, resp.text
        back = resp.headers["location"]
        assert back.startswith(REDIRECT_URI + "?")
        return parse_qs(urlsplit(back).query)

    def callback(self, **params: str) -> httpx2.Response:
        with self.client() as browser:  # no API key: the state authorizes the callback
            return self.record(browser.get(CALLBACK, params=params))

    def connect(self, http: httpx2.Client, user_id: str) -> dict[str, Any]:
        redirect = self.authorize(http, user_id)
        assert redirect.status_code == 302, redirect.text
        back = self.back_from_emulator(redirect.headers["location"])
        resp = self.callback(code=back["code"][0], state=back["state"][0])
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def stored(self, connection_id: int) -> ConnectionRow:
        row = self.live.db.call(lambda s: s.get(ConnectionRow, connection_id))
        assert row is not None
        return row

    def credentials(self, connection_id: int) -> dict[str, Any]:
        return BOX.open(self.stored(connection_id).credentials_encrypted)

    def reseal(self, connection_id: int, credentials: dict[str, Any]) -> None:
        def write(session: Session) -> None:
            row = session.get(ConnectionRow, connection_id)
            assert row is not None
            row.credentials_encrypted = BOX.seal(credentials)
            session.add(row)

        self.live.db.call(write)


@contextmanager
def world(database_url: str, *, configured: bool = True) -> Iterator[World]:
    emulator = AIEnduranceEmulator(redirect_uri=REDIRECT_URI)
    emulator.workouts = [ENDURANCE, TEMPO, RIDE, SWIM]
    with serve_app(emulator.app()) as url:
        app: dict[str, Any] = (
            {
                "aiendurance_client_id": emulator.client_id,
                "aiendurance_client_secret": emulator.client_secret,
                "aiendurance_redirect_uri": REDIRECT_URI,
            }
            if configured
            else {}
        )
        settings = push_settings(
            database_url,
            aiendurance_authorize_url=f"{url}/authorize",
            aiendurance_api_base=url,
            _env_file=None,
            **app,
        )
        with live_server(settings) as live:
            yield World(live, emulator, url, make_tenant(live.db), [])


def test_connect_redirects_with_a_bound_state_and_stores_tokens_encrypted(
    database_url: str,
) -> None:
    with world(database_url) as w, w.client(w.tenant.coach_key) as http:
        user_id = w.athlete(http)
        redirect = w.authorize(http, user_id)
        assert redirect.status_code == 302, redirect.text
        location = redirect.headers["location"]
        assert location.startswith(f"{w.emulator_url}/authorize?")
        query = parse_qs(urlsplit(location).query)
        assert query["client_id"] == [w.emulator.client_id]
        assert query["redirect_uri"] == [REDIRECT_URI]
        assert query["response_type"] == ["code"]
        state = query["state"][0]
        assert user_id not in state  # sealed, not just signed
        assert BOX.open(state)["user_id"] == user_id
        assert redirect.json()["authorize_url"] == location
        plain = w.record(
            http.get(
                f"/v1/athletes/{user_id}/connections/aiendurance/authorize",
                params={"redirect": "false"},
            )
        )
        assert plain.status_code == 200 and "location" not in plain.headers
        assert plain.json()["authorize_url"].startswith(f"{w.emulator_url}/authorize?")

        back = w.back_from_emulator(location)
        assert back["state"] == [state]
        connected = w.callback(code=back["code"][0], state=state)
        assert connected.status_code == 200, connected.text
        view = connected.json()
        assert (view["provider"], view["user_id"], view["reconnected"]) == (
            "aiendurance",
            user_id,
            False,
        )
        assert "credentials" not in view
        listed = w.record(http.get(f"/v1/athletes/{user_id}/connections")).json()
        assert [c["connection_id"] for c in listed["connections"]] == [view["connection_id"]]

        # Connecting again (e.g. after AI Endurance revoked us) renews the same connection.
        again = w.connect(http, user_id)
        assert (again["connection_id"], again["reconnected"]) == (view["connection_id"], True)

        row = w.stored(view["connection_id"])
        tokens = w.credentials(view["connection_id"])
    assert set(tokens) == {"access_token", "refresh_token", "expires_at"}
    assert tokens["access_token"] in w.emulator.access
    assert tokens["refresh_token"] in w.emulator.refresh
    assert abs(tokens["expires_at"] - (time.time() + 36000)) < 60
    for secret in (tokens["access_token"], tokens["refresh_token"], w.emulator.client_secret):
        assert secret not in row.credentials_encrypted
        assert not any(secret in body for body in w.seen)


def test_import_fills_the_library_once_and_follows_changes(database_url: str) -> None:
    with world(database_url) as w, w.client(w.tenant.coach_key) as http:
        user_id = w.athlete(http)
        connection_id = w.connect(http, user_id)["connection_id"]
        path = f"/v1/athletes/{user_id}/connections/{connection_id}/import"

        first = w.record(http.post(path))
        assert first.status_code == 200, first.text
        imported = first.json()["workouts"]
        assert [(i["source_id"], i["planned_date"], i["status"]) for i in imported] == [
            ("11", "2027-03-02", "created"),
            ("12", "2027-03-04", "created"),
            ("13", "2027-03-05", "created"),
        ]  # the swim is not a run or a ride
        names = [i["workout_template"]["name"] for i in imported]
        assert names == ["Endurance run", "Tempo run 2x9 min", "Threshold ride 3x10 min"]
        assert imported[0]["workout_template"]["description"] == (
            "AI Endurance: Endurance, 26 ESS\n[aiendurance:11]"
        )

        library = http.get("/v2/workouts").json()["workouts"]
        assert {(x["workout_id"], x["workout_template"]["name"]) for x in library} == {
            (i["workout_id"], i["workout_template"]["name"]) for i in imported
        }
        assert http.get(f"/v2/workouts/{imported[1]['workout_id']}").status_code == 200

        second = w.record(http.post(path)).json()["workouts"]
        assert [(i["workout_id"], i["status"]) for i in second] == [
            (i["workout_id"], "unchanged") for i in imported
        ]
        assert len(http.get("/v2/workouts").json()["workouts"]) == 3

        # AI Endurance adapts the plan: the same workout id updates its template in place.
        changed = copy.deepcopy(TEMPO)
        changed["steps"]["repeats"] = 3
        w.emulator.workouts = [ENDURANCE, changed, RIDE]
        third = w.record(http.post(path)).json()["workouts"]
        assert [(i["workout_id"], i["status"]) for i in third] == [
            (imported[0]["workout_id"], "unchanged"),
            (imported[1]["workout_id"], "updated"),
            (imported[2]["workout_id"], "unchanged"),
        ]
        assert third[1]["workout_template"]["name"] == "Tempo run 3x9 min"
        library = http.get("/v2/workouts").json()["workouts"]
        assert len(library) == 3
        assert "Tempo run 3x9 min" in {x["workout_template"]["name"] for x in library}

        dated = w.record(http.post(path, params={"start_date": "2027-03-03"})).json()
        assert [i["source_id"] for i in dated["workouts"]] == ["12", "13"]
        assert w.record(http.post(path, params={"start_date": "soon"})).status_code == 400

        # Another organization importing the same AI Endurance plan gets its own copies.
        other = make_tenant(w.live.db)
        with w.client(other.coach_key) as theirs:
            other_user = w.athlete(theirs)
            other_conn = w.connect(theirs, other_user)["connection_id"]
            mine = {i["workout_id"] for i in imported}
            got = theirs.post(f"/v1/athletes/{other_user}/connections/{other_conn}/import")
            assert {i["status"] for i in got.json()["workouts"]} == {"created"}
            assert not mine & {i["workout_id"] for i in got.json()["workouts"]}
            assert theirs.post(path).status_code == 404  # not their athlete: as if none

        rows = len(
            w.live.db.call(
                lambda s: s.exec(
                    select(WorkoutTemplateRow).where(
                        col(WorkoutTemplateRow.organization_id) == w.tenant.organization_id
                    )
                ).all()
            )
        )
        tokens = w.credentials(connection_id)
    assert rows == 3
    assert not any(tokens["access_token"] in body for body in w.seen)
    assert w.emulator.calls["POST /o/token/"] == 2  # two codes, no refresh needed


def test_a_token_near_expiry_is_refreshed_first_and_the_new_one_stored(
    database_url: str,
) -> None:
    with world(database_url) as w, w.client(w.tenant.admin_key) as http:
        user_id = w.athlete(http)
        connection_id = w.connect(http, user_id)["connection_id"]
        path = f"/v1/athletes/{user_id}/connections/{connection_id}/import"
        old = w.credentials(connection_id)
        near = {**old, "expires_at": time.time() + 60}  # inside the 10-minute margin
        w.reseal(connection_id, near)
        assert w.credentials(connection_id)["expires_at"] == near["expires_at"]

        resp = w.record(http.post(path))
        assert resp.status_code == 200, resp.text
        new = w.credentials(connection_id)
        assert w.emulator.calls["POST /o/token/"] == 2  # the code, then one refresh
        assert new["access_token"] != old["access_token"]
        assert new["refresh_token"] != old["refresh_token"]
        assert old["refresh_token"] not in w.emulator.refresh  # rotated away
        assert new["refresh_token"] in w.emulator.refresh
        assert new["expires_at"] > time.time() + 35000

        # A fresh token is used as is.
        assert w.record(http.post(path)).status_code == 200
        assert w.emulator.calls["POST /o/token/"] == 2

        # AI Endurance dropped the access token early: a 401, one refresh, stored again.
        w.emulator.access.pop(new["access_token"])
        assert w.record(http.post(path)).status_code == 200
        newer = w.credentials(connection_id)
        assert newer["refresh_token"] != new["refresh_token"]
        assert newer["access_token"] in w.emulator.access
        assert w.emulator.calls["POST /o/token/"] == 3
    for creds in (old, new, newer):
        assert not any(creds["refresh_token"] in body for body in w.seen)


def test_disconnect_revokes_both_tokens(database_url: str) -> None:
    with world(database_url) as w, w.client(w.tenant.coach_key) as http:
        user_id = w.athlete(http)
        connection_id = w.connect(http, user_id)["connection_id"]
        tokens = w.credentials(connection_id)
        gone = w.record(http.delete(f"/v1/athletes/{user_id}/connections/{connection_id}"))
        assert gone.status_code == 200, gone.text
        assert set(w.emulator.revoked) == {tokens["access_token"], tokens["refresh_token"]}
        assert tokens["access_token"] not in w.emulator.access
        assert http.get(f"/v1/athletes/{user_id}/connections").json()["connections"] == []
        again = http.post(f"/v1/athletes/{user_id}/connections/{connection_id}/import")
        assert again.status_code == 404
        # Connecting after a disconnect makes a new connection.
        fresh = w.connect(http, user_id)
        assert (fresh["reconnected"], fresh["connection_id"] != connection_id) == (False, True)


def test_bad_states_refusals_and_bad_codes_are_rejected(database_url: str) -> None:
    with world(database_url) as w, w.client(w.tenant.coach_key) as http:
        user_id = w.athlete(http)
        location = w.authorize(http, user_id).headers["location"]
        back = w.back_from_emulator(location)
        code, state = back["code"][0], back["state"][0]

        def rejected(field: str, **params: str) -> str:
            resp = w.callback(**params)
            assert resp.status_code == 400, resp.text
            assert resp.json()["details"][0]["field"] == field
            return str(resp.json()["error"])

        tampered = state[:-6] + ("A" if state[-6] != "A" else "B") + state[-5:]
        assert "tampered" in rejected("state", code=code, state=tampered)
        assert "missing" in rejected("state", code=code)
        # Sealed with the service's key, but not a state (e.g. stolen connection credentials).
        assert "invalid" in rejected(
            "state",
            code=code,
            state=BOX.seal({"access_token": "a", "refresh_token": "r", "expires_at": 0}),
        )
        expired = {**BOX.open(state), "exp": time.time() - 1}
        assert "expired" in rejected("state", code=code, state=BOX.seal(expired))
        other_key = CredentialBox(b"x" * 43 + b"=")
        assert "tampered" in rejected("state", code=code, state=other_key.seal(BOX.open(state)))
        assert w.emulator.calls["POST /o/token/"] == 0  # no code was spent on a bad state

        w.emulator.approve = False  # the athlete says no: back without a code
        refused = w.back_from_emulator(w.authorize(http, user_id).headers["location"])
        assert "code" not in refused
        assert "did not authorize" in rejected("code", state=refused["state"][0])
        assert "access_denied" in rejected("code", state=refused["state"][0], error="access_denied")

        bad = w.callback(code="not-a-code", state=state)
        assert bad.status_code == 502, bad.text
        assert "invalid_grant" in bad.json()["error"]
        assert bad.json()["details"][0]["provider_status"] == 400
        assert w.callback(code=code, state=state).status_code == 200
        reused = w.callback(code=code, state=state)  # codes are single-use
        assert reused.status_code == 502 and "invalid_grant" in reused.json()["error"]
        assert len(http.get(f"/v1/athletes/{user_id}/connections").json()["connections"]) == 1


def test_keys_roles_and_tenancy(database_url: str) -> None:
    with world(database_url) as w, w.client(w.tenant.coach_key) as http:
        user_id = w.athlete(http)
        url = f"/v1/athletes/{user_id}/connections/aiendurance/authorize"
        with w.client() as anonymous:
            assert anonymous.get(url).status_code == 401
        with w.client(w.tenant.athlete_key) as athlete:
            assert athlete.get(url).status_code == 403
        with w.client(make_tenant(w.live.db).admin_key) as stranger:
            assert stranger.get(url).status_code == 404
        missing = http.get(
            "/v1/athletes/00000000-0000-4000-8000-000000000000/connections/aiendurance/authorize"
        )
        assert missing.status_code == 404
        fit = http.post(f"/v1/athletes/{user_id}/connections", json={"provider": "fit"})
        wrong = http.post(
            f"/v1/athletes/{user_id}/connections/{fit.json()['connection_id']}/import"
        )
        assert wrong.status_code == 400 and "fit connection" in wrong.json()["error"]
        assert http.post(f"/v1/athletes/{user_id}/connections/999999/import").status_code == 404


def test_without_the_app_settings_the_error_names_them(database_url: str) -> None:
    with world(database_url, configured=False) as w, w.client(w.tenant.coach_key) as http:
        user_id = w.athlete(http)
        resp = http.get(f"/v1/athletes/{user_id}/connections/aiendurance/authorize")
        assert resp.status_code == 501, resp.text
        error = resp.json()
        for name in (
            "COACH_AIENDURANCE_CLIENT_ID",
            "COACH_AIENDURANCE_CLIENT_SECRET",
            "COACH_AIENDURANCE_REDIRECT_URI",
        ):
            assert name in error["error"]
            assert {"field": name, "message": "missing setting"} in error["details"]
        callback = w.callback(code="c", state="s")
        assert callback.status_code == 501
        # Nor can a connection be made by hand to a provider the service cannot use.
        made = http.post(
            f"/v1/athletes/{user_id}/connections",
            json={
                "provider": "aiendurance",
                "credentials": {"access_token": "a", "refresh_token": "r", "expires_at": 0},
            },
        )
        assert made.status_code == 400, made.text
        assert made.json()["details"][0]["field"] == "provider"
        assert "COACH_AIENDURANCE_CLIENT_ID" in made.json()["error"]
        assert w.emulator.calls == {}


@pytest.mark.parametrize("missing", ["aiendurance_client_secret", "aiendurance_redirect_uri"])
def test_a_partly_configured_app_names_what_is_missing(database_url: str, missing: str) -> None:
    emulator = AIEnduranceEmulator(redirect_uri=REDIRECT_URI)
    app = {
        "aiendurance_client_id": emulator.client_id,
        "aiendurance_client_secret": emulator.client_secret,
        "aiendurance_redirect_uri": REDIRECT_URI,
    }
    del app[missing]
    with live_server(push_settings(database_url, _env_file=None, **app)) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            user_id = http.post("/v1/athletes", json={"name": "Ada"}).json()["user_id"]
            resp = http.get(f"/v1/athletes/{user_id}/connections/aiendurance/authorize")
    assert resp.status_code == 501
    assert [d["field"] for d in resp.json()["details"]] == [f"COACH_{missing.upper()}"]


def test_a_planned_workout_reaches_ai_endurance_as_a_pinged_fit_file(database_url: str) -> None:
    with world(database_url) as w, w.client(w.tenant.coach_key) as http:
        user_id = w.athlete(http)
        connection_id = w.connect(http, user_id)["connection_id"]
        imported = http.post(f"/v1/athletes/{user_id}/connections/{connection_id}/import")
        workout_id = imported.json()["workouts"][1]["workout_id"]  # the tempo run
        pushed = w.record(
            http.post(
                "/v2/plannedWorkouts",
                params={"user_id": user_id},
                json={"workout_id": workout_id, "planned_date": "2027-03-09"},
            )
        )
        assert pushed.status_code == 200, pushed.text
        row = pushed.json()
        listed = http.get(
            "/v2/plannedWorkouts",
            params={"user_id": user_id, "start_date": "2027-03-01", "end_date": "2027-03-31"},
        ).json()["planned_workouts"]
        fit = http.get(row["file_url"])
        moved = http.patch(
            f"/v2/plannedWorkouts/{row['planned_workout_id']}", json={"planned_date": "2027-03-10"}
        )
        deleted = http.delete(f"/v2/plannedWorkouts/{row['planned_workout_id']}")
    assert row["status"] == "pushed" and row["provider_workout_id"].endswith(".fit")
    [(name, held)] = w.emulator.fit_files.items()
    assert name == row["provider_workout_id"] and held["priority"] == 1
    assert held["data"] == fit.content and fit.headers["content-type"] == "application/vnd.ant.fit"
    assert held["start_time_in_seconds"] == str(
        int(dt.datetime(2027, 3, 9, tzinfo=dt.UTC).timestamp())
    )
    # Ours, and AI Endurance's own plan (external_only), by date.
    assert [(x["planned_date"], x["external_only"]) for x in listed] == [
        ("2027-03-02", True),
        ("2027-03-04", True),
        ("2027-03-05", True),
        ("2027-03-09", False),
    ]
    assert moved.status_code == 501, moved.text
    assert "re-date" in moved.json()["error"]
    assert deleted.status_code == 200, deleted.text
    assert w.emulator.calls["POST /api/fit_partner_ping/"] == 1
