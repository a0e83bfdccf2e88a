"""AI Endurance: the OAuth2 flow of its reference, refresh before expiry, revoke, import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from garmin_fit_sdk import Decoder, Stream

from coach.providers import registry
from coach.providers.aiendurance import (
    AIEnduranceApp,
    AIEnduranceCredentials,
    authorize_url,
    exchange_code,
)
from coach.providers.aiendurance_import import future_workout_to_template
from coach.providers.base import ProviderAuthError, ProviderContext, ProviderUnsupported
from tests.emulators.aiendurance import AIEnduranceEmulator
from tests.emulators.clock import FakeClock
from tests.support.live import serve_app

pytestmark = pytest.mark.anyio

# The two examples of the AI Endurance Partner API (https://aiendurance.com/partnerapi),
# in a dated envelope.
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


@pytest.fixture
def emulator(clock: FakeClock) -> AIEnduranceEmulator:
    emu = AIEnduranceEmulator(clock=clock)
    emu.workouts = [
        ENDURANCE,
        TEMPO,
        RIDE,
        {"id": 14, "date": "2027-03-06", "steps": {"act_type": "Swim"}},
    ]
    return emu


@pytest.fixture
def app(emulator: AIEnduranceEmulator) -> Iterator[AIEnduranceApp]:
    with serve_app(emulator.app()) as url:
        yield AIEnduranceApp(
            client_id="client-test",
            client_secret="secret-test",
            redirect_uri=emulator.redirect_uri,
            authorize_url=f"{url}/authorize",
            api_base=url,
        )


async def connect(app: AIEnduranceApp, ctx: ProviderContext) -> AIEnduranceCredentials:
    async with httpx2.AsyncClient() as client:
        resp = await client.get(authorize_url(app, state="s1"))
    assert resp.status_code == 302
    back = parse_qs(urlsplit(resp.headers["location"]).query)
    assert back["state"] == ["s1"]
    return await exchange_code(app, back["code"][0], ctx)


async def test_oauth_flow_import_refresh_and_revoke(
    app: AIEnduranceApp, emulator: AIEnduranceEmulator, clock: FakeClock
) -> None:
    ctx = ProviderContext(clock=clock, apps={"aiendurance": app})
    creds = await connect(app, ctx)
    assert creds.expires_at == clock.wall() + 36000
    saved: list[AIEnduranceCredentials] = []

    async def on_refresh(new: AIEnduranceCredentials) -> None:
        saved.append(new)

    adapter = registry.create("aiendurance", creds, {}, ctx, on_refresh=on_refresh)
    async with adapter:
        imported = await adapter.import_workouts(dt.date(2027, 3, 1))  # type: ignore[attr-defined]
        assert [w.source_id for w in imported] == ["11", "12", "13"]
        assert saved == []
        clock.advance(36000 - 300)  # inside the refresh margin: refreshed before the call
        listed = await adapter.list(dt.date(2027, 3, 3), dt.date(2027, 3, 31))
        assert [w.provider_workout_id for w in listed] == ["12", "13"]
        assert len(saved) == 1 and saved[0].refresh_token != creds.refresh_token
        assert creds.refresh_token not in emulator.refresh  # rotated
        await adapter.disconnect()  # type: ignore[attr-defined]
        assert set(emulator.revoked) == {saved[0].access_token, saved[0].refresh_token}
        with pytest.raises(ProviderAuthError):
            await adapter.import_workouts()  # type: ignore[attr-defined]
        with pytest.raises(ProviderUnsupported):
            await adapter.move("k.fit", dt.date(2027, 3, 2))
    assert emulator.calls["POST /o/token/"] == 3  # code, refresh, failed refresh


async def test_a_refused_or_stale_authorization_gives_no_token(
    app: AIEnduranceApp, emulator: AIEnduranceEmulator, clock: FakeClock
) -> None:
    ctx = ProviderContext(clock=clock)
    emulator.approve = False
    async with httpx2.AsyncClient() as client:
        resp = await client.get(authorize_url(app, state="s2"))
    assert "code" not in parse_qs(urlsplit(resp.headers["location"]).query)
    emulator.approve = True
    async with httpx2.AsyncClient() as client:
        resp = await client.get(authorize_url(app, state="s3"))
    code = parse_qs(urlsplit(resp.headers["location"]).query)["code"][0]
    clock.advance(15 * 60 + 1)  # codes live 15 minutes
    with pytest.raises(ProviderAuthError):
        await exchange_code(app, code, ctx)


async def test_a_workouts_read_hiccup_is_retried(
    app: AIEnduranceApp, emulator: AIEnduranceEmulator, clock: FakeClock
) -> None:
    ctx = ProviderContext(clock=clock, apps={"aiendurance": app})
    creds = await connect(app, ctx)
    emulator.faults.add("status", path="/o/future_workout_static/", status=502)
    async with registry.create("aiendurance", creds, {}, ctx) as adapter:
        assert len(await adapter.import_workouts()) == 3  # type: ignore[attr-defined]
    # The read a request waits for is tried again on the one back-off curve (1 s first).
    assert emulator.calls["GET /o/future_workout_static/"] == 2
    assert 0.75 <= clock.slept <= 1.0


def test_endurance_and_interval_workouts_become_templates() -> None:
    endurance = future_workout_to_template(ENDURANCE)
    assert endurance is not None and endurance.planned_date == dt.date(2027, 3, 2)
    t = endurance.template
    assert (t.name, t.sport, len(t.step_blocks)) == ("Endurance run", "running", 1)
    only = t.step_blocks[0].steps[0]
    assert (only.duration_type, only.duration_value, only.intensity_type) == (
        "time",
        1800.0,
        "active",
    )
    assert only.intensity_targets[0].model_dump(exclude_none=True) == {  # type: ignore[index]
        "target_type": "speed",
        "value_high": 3.45,
    }

    tempo = future_workout_to_template(TEMPO)
    assert tempo is not None
    blocks = tempo.template.step_blocks
    assert tempo.template.name == "Tempo run 2x9 min"
    assert [b.completion_condition.value for b in blocks] == [1, 2, 1]
    on, off = blocks[1].steps
    assert (on.intensity_type, on.duration_value) == ("interval", 540.0)
    assert on.intensity_targets[0].model_dump(exclude_none=True) == {  # type: ignore[index]
        "target_type": "speed",
        "value_low": 3.45,
        "value_high": 3.6656,
    }
    assert (off.intensity_type, off.duration_value) == ("recovery", 300.0)
    assert blocks[2].steps[0].intensity_type == "cooldown"

    ride = future_workout_to_template(RIDE)
    assert ride is not None and ride.template.sport == "biking"
    target = ride.template.step_blocks[1].steps[0].intensity_targets[0]  # type: ignore[index]
    assert (target.target_type, target.value_low, target.value_high) == ("power", 240, 260)
    assert future_workout_to_template({"id": 1, "steps": {"act_type": "Swim"}}) is None


def test_the_adapter_needs_the_app_configured() -> None:
    with pytest.raises(ProviderUnsupported):
        registry.create("aiendurance", {"access_token": "a", "refresh_token": "r", "expires_at": 0})


async def test_a_push_is_a_fit_file_sent_with_fit_partner_ping(
    app: AIEnduranceApp, emulator: AIEnduranceEmulator, clock: FakeClock
) -> None:
    ctx = ProviderContext(clock=clock, apps={"aiendurance": app})
    creds = await connect(app, ctx)
    template = future_workout_to_template(TEMPO)
    assert template is not None
    day = dt.date(2027, 3, 9)
    async with registry.create("aiendurance", creds, {}, ctx) as adapter:
        first = await adapter.push(template.template, day, idempotency_key="pw-1")
        # A retry after an unknown outcome overwrites the file instead of adding one.
        again = await adapter.push(template.template, day, idempotency_key="pw-1", reconcile=True)
    assert first.provider_workout_id == again.provider_workout_id == "pw-1.fit"
    assert emulator.calls["POST /api/fit_partner_ping/"] == 2
    [(name, held)] = emulator.fit_files.items()
    assert name == "pw-1.fit"
    assert held["data"] == first.artifact  # the file itself, base64 in callback_url
    assert held["imported"] and held["priority"] == 1 and held["overwrite_mode"] is True
    assert held["file_type"] == "FIT" and held["source"] == "coach-agent"
    assert held["activity_name"] == "Tempo run 2x9 min"
    midnight = dt.datetime(2027, 3, 9, tzinfo=dt.UTC)
    assert held["start_time_in_seconds"] == str(int(midnight.timestamp()))
    assert [p["client_id"] for p in emulator.pings] == ["client-test"] * 2
    assert emulator.pings[0]["activity_files"][0]["overwrite_mode"] is False
    messages, errors = Decoder(Stream.from_byte_array(bytearray(first.artifact or b""))).read()
    assert errors == []
    assert messages["workout_mesgs"][0]["wkt_name"] == "Tempo run 2x9 min"
    assert len(messages["workout_step_mesgs"]) >= 3


async def test_a_ping_with_an_expired_token_refreshes_once(
    app: AIEnduranceApp, emulator: AIEnduranceEmulator, clock: FakeClock
) -> None:
    ctx = ProviderContext(clock=clock, apps={"aiendurance": app})
    creds = await connect(app, ctx)
    emulator.access.clear()  # revoked on AI Endurance's side before our expiry
    template = future_workout_to_template(ENDURANCE)
    assert template is not None
    async with registry.create("aiendurance", creds, {}, ctx) as adapter:
        await adapter.push(template.template, dt.date(2027, 3, 2), idempotency_key="pw-2")
        await adapter.delete("pw-2.fit")  # the partner API has no delete: nothing is sent
    assert emulator.calls["POST /api/fit_partner_ping/"] == 2  # refused, then sent
    assert emulator.calls["POST /o/token/"] == 2  # the code, then one refresh
    assert list(emulator.fit_files) == ["pw-2.fit"]
