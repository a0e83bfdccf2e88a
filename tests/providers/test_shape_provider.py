"""Shape: batching, client-side rate limits on a fake clock, 429 back-off, step format."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from coach.providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    PushItem,
    PushResult,
    Thresholds,
)
from coach.providers.load import training_load
from coach.providers.retry import RetryPolicy, retry_inline
from coach.providers.shape import ShapeProvider
from coach.providers.shape_format import short_title, to_activity
from coach.templates.convert import workout_to_template
from coach.templates.models import IntensityTarget
from tests.emulators.clock import FakeClock
from tests.emulators.shape import ShapeEmulator
from tests.providers.conftest import plan_items, shape_adapter
from tests.support.live import serve_app
from tests.templates.sample_plans import sample_workout

pytestmark = pytest.mark.anyio


async def test_52_week_plan_in_fewest_requests_and_no_429(
    shape_url: str, shape_emulator: ShapeEmulator, clock: FakeClock
) -> None:
    items = plan_items(52)
    async with shape_adapter(shape_url, clock) as adapter:
        results = await adapter.push_many(items)
    assert len(items) == 312
    assert shape_emulator.requests == math.ceil(len(items) / 100) == 4
    assert shape_emulator.calls == {"POST /activities/batch": 4}
    assert shape_emulator.rate_limited == 0
    assert len(shape_emulator.activities) == 312
    assert {r.provider_workout_id for r in results} == set(shape_emulator.activities)


async def test_one_call_per_workout_is_paced_under_both_limits(
    shape_url: str, shape_emulator: ShapeEmulator, clock: FakeClock
) -> None:
    # 204 single pushes: more than the 200/h Shape allows, so the limiter must wait.
    items = plan_items(34)
    async with shape_adapter(shape_url, clock) as adapter:
        for item in items:
            await adapter.push(
                item.template, item.planned_date, idempotency_key=item.idempotency_key
            )
        assert isinstance(adapter, ShapeProvider)
        assert adapter.limiter.waited_s > 3600
    assert shape_emulator.rate_limited == 0
    assert shape_emulator.requests == len(items) == 204
    assert len(shape_emulator.activities) == 204


async def test_a_429_is_honoured_and_nothing_is_duplicated(clock: FakeClock) -> None:
    # The provider is stricter than the adapter was told: 429s come, Retry-After rules.
    emulator = ShapeEmulator({"shape_strict"}, clock=clock, per_minute=2, per_hour=200)
    with serve_app(emulator.app()) as url:
        async with shape_adapter(url + "/api/v1", clock, token="shape_strict") as adapter:
            items = plan_items(1)
            first = items[0]
            await adapter.push(first.template, first.planned_date, idempotency_key="a")
            await adapter.push(first.template, first.planned_date, idempotency_key="b")
            with pytest.raises(ProviderRateLimited) as caught:
                await adapter.push(first.template, first.planned_date, idempotency_key="c")
            assert caught.value.retryable and caught.value.retry_after == 60
            # The caller's policy waits Retry-After; the limiter holds everyone as long.
            start = clock.now()
            for item in items[2:]:

                async def push(again: bool, item: PushItem = item) -> PushResult:
                    key = item.idempotency_key
                    return await adapter.push(
                        item.template, item.planned_date, idempotency_key=key, reconcile=again
                    )

                await retry_inline(push, RetryPolicy(), clock)
            assert clock.now() - start >= 60
    assert emulator.rate_limited >= 1
    assert len(emulator.activities) == 2 + len(items[2:])


async def test_batch_deletes_and_moves_use_the_batch_endpoints(
    shape_url: str, shape_emulator: ShapeEmulator, clock: FakeClock
) -> None:
    items = plan_items(40)  # 240 workouts: 3 batches each way
    async with shape_adapter(shape_url, clock) as adapter:
        ids = [r.provider_workout_id for r in await adapter.push_many(items)]
        await adapter.move_many([(pid, dt.date(2028, 1, 1)) for pid in ids[:150]])
        await adapter.delete_many(ids[150:])
    assert shape_emulator.calls == {
        "POST /activities/batch": 3,
        "PATCH /activities/batch": 2,
        "DELETE /activities/batch": 1,
    }
    assert {a["date"] for a in shape_emulator.activities.values()} == {"2028-01-01"}


async def test_a_wrong_token_is_an_auth_error(shape_url: str, clock: FakeClock) -> None:
    async with shape_adapter(shape_url, clock, token="shape_wrong") as adapter:
        with pytest.raises(ProviderAuthError):
            await adapter.list(dt.date(2027, 1, 1), dt.date(2027, 1, 31))


async def test_persistent_502s_end_in_a_retryable_error(
    shape_url: str, shape_emulator: ShapeEmulator, clock: FakeClock
) -> None:
    shape_emulator.faults.add("status", status=502, times=100)
    async with shape_adapter(shape_url, clock) as adapter:
        item = plan_items(1)[0]
        with pytest.raises(ProviderError) as caught:
            await adapter.push(item.template, item.planned_date, idempotency_key="k1")
    assert caught.value.retryable and caught.value.status == 502
    assert shape_emulator.requests == 1  # one attempt: retrying is the caller's call
    assert shape_emulator.activities == {}


def test_interval_workout_becomes_a_repeat_group_with_pace_in_s_per_km() -> None:
    template = workout_to_template(sample_workout("intervals", load=1.0), sport="running")
    body, warnings = to_activity(template, dt.date(2027, 3, 1), "k")
    assert body["target"] == "steps" and body["sportType"] == "run"
    warmup, repeat, cooldown = body["steps"]
    assert warmup["stepType"] == "warmup" and warmup["endCondition"] == "time"
    assert warmup["targetType"] == "heart.rate" and warmup["zoneNumber"] == 1
    assert repeat["stepType"] == "repeat" and repeat["numberOfIterations"] == 6
    fast, rest = repeat["workoutSteps"]
    assert fast == {
        "stepType": "interval",
        "displayName": "800 m interval",
        "description": None,
        "endCondition": "distance",
        "endConditionValue": 800.0,
        "targetType": "pace",
        "targetValueOne": 240.0,
        "targetValueTwo": 250.0,
    }
    assert rest["stepType"] == "recovery" and rest["targetType"] == "no.target"
    assert cooldown["targetValueOne"] == 360.0 and cooldown["targetValueTwo"] == 400.0
    assert body["load"] == training_load(template) > 0
    assert not [w for w in warnings if w.field in ("name", "step_blocks")]


def test_easy_run_is_a_single_activity_without_steps() -> None:
    template = workout_to_template(sample_workout("easy-run"), sport="running")
    body, warnings = to_activity(template, dt.date(2027, 3, 1), "k")
    assert "steps" not in body
    assert body["target"] == "pace" and body["duration"] == 45 * 60
    assert body["speed"] == round(1000 / 345, 3)
    # 45 min of steady aerobic running: IF 0.7, relative effort 0.49 -> 37 TSS.
    assert body["load"] == 37
    assert warnings == []


def test_long_run_with_warmup_and_cooldown_goes_without_steps_and_says_so() -> None:
    workout = sample_workout("long-run").model_copy(update={"title": "Long run 1:40:00 (18 km)"})
    template = workout_to_template(workout, sport="running")
    body, warnings = to_activity(template, dt.date(2027, 3, 7), "k")
    assert "steps" not in body and body["target"] == "pace"
    assert body["title"] == "Long run"
    assert body["duration"] == 90 * 60  # 10 + 80 min; the open cooldown counts zero
    assert (
        "Steps: 10 min warmup at heart rate zone 1; 80 min active at pace 340-360 s/km; "
        "lap cooldown (walk until home)" in (body["description"])
    )
    assert body["description"].endswith("[coach-agent:k]")
    by_field = {w.field: w for w in warnings}
    assert by_field["name"].original_value == "Long run 1:40:00 (18 km)"
    assert by_field["name"].coerced_value == "Long run"
    assert by_field["step_blocks"].original_value == {"steps": 3}
    assert by_field["step_blocks"].coerced_value == {"target": "pace"}


def test_structured_sessions_keep_their_steps_and_strength_never_has_any() -> None:
    # A tempo block marked as interval work is structure; a steady one is a pace target.
    tempo = workout_to_template(sample_workout("tempo"), sport="running")
    body, _ = to_activity(tempo, dt.date(2027, 3, 1), "k")
    assert body["target"] == "pace" and "steps" not in body
    tempo.step_blocks[1].steps[0].intensity_type = "interval"
    body, _ = to_activity(tempo, dt.date(2027, 3, 1), "k")
    assert body["target"] == "steps"
    assert [s["stepType"] for s in body["steps"]] == ["warmup", "interval", "cooldown"]
    progression = workout_to_template(sample_workout("progression"), sport="running")
    assert to_activity(progression, dt.date(2027, 3, 1), "k")[0]["target"] == "steps"
    strength = workout_to_template(sample_workout("strength"), sport="running")
    body, _ = to_activity(strength, dt.date(2027, 3, 1), "k")
    assert body["sportType"] == "strength" and "steps" not in body
    assert body["target"] == "time"


@pytest.mark.parametrize(
    ("title", "short"),
    [
        ("Easy 5k run", "Easy run"),
        ("bike 100km", "Bike"),
        ("Tempo 20:00 @ 4:30/km", "Tempo @ 4:30/km"),
        ("Progression run, last 7 min @ Z3", "Progression run @ Z3"),
        ("Intervals 6x800 m @ 4:00/km", "Intervals 6x800 m @ 4:00/km"),
        ("Easy run 45 min @ 5:30-6:00/km", "Easy run @ 5:30-6:00/km"),
        ("Easy run 40'", "Easy run"),
        ("10 km", "Run"),
    ],
)
def test_titles_lose_distances_and_durations_but_keep_repeats_and_paces(
    title: str, short: str
) -> None:
    assert short_title(title, "bike" if "bike" in title else "run") == short


def test_load_is_tss_from_duration_and_intensity() -> None:
    # The reference's example: 30 min easy run = (1800/3600) x 0.5 x 100 = 25 TSS.
    easy = workout_to_template(sample_workout("recovery-run"), sport="running")
    step = easy.step_blocks[0].steps[0]
    step.intensity_type, step.intensity_targets = "active", None
    assert training_load(easy) == round(0.5 * 0.49 * 100)
    # With the athlete's threshold pace, a pace target sets the intensity factor.
    at_threshold = easy.model_copy(deep=True)
    step = at_threshold.step_blocks[0].steps[0]
    step.intensity_targets = [IntensityTarget(target_type="pace", value_low=270, value_high=270)]
    assert training_load(at_threshold, Thresholds(threshold_pace_s_per_km=270)) == 50
    # Relative effort stays inside Shape's 0.25-1.50.
    step.intensity_targets = [IntensityTarget(target_type="pace", value_low=150, value_high=150)]
    assert training_load(at_threshold, Thresholds(threshold_pace_s_per_km=270)) == 75


async def test_every_run_type_reaches_the_emulator_within_the_conventions(
    shape_url: str, shape_emulator: ShapeEmulator, clock: FakeClock
) -> None:
    # The emulator refuses (400) what the reference's conventions rule out.
    items = plan_items(4) + plan_items(4, sport="triathlon", prefix="tri")
    async with shape_adapter(shape_url, clock) as adapter:
        results = await adapter.push_many(items)
    stored = [shape_emulator.activities[r.provider_workout_id] for r in results]
    by_title = {a["title"]: a for a in stored}
    for title in ("Easy run", "Long run", "Recovery run", "Easy ride", "Long ride"):
        assert by_title[title]["target"] != "steps" and by_title[title].get("steps") is None, title
    for title in ("Intervals", "Threshold", "Hills", "Progression", "Sweet spot"):
        assert by_title[title]["target"] == "steps", title
    assert all(isinstance(a["load"], int) and a["load"] > 0 for a in stored)
