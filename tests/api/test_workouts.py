"""`/v2/workouts` over HTTP: the organization's templates, Terra-style auth, and exports."""

from __future__ import annotations

import copy
from typing import Any, get_args

import pytest
from garmin_fit_sdk import Decoder, Stream

from coach.plans.models import Workout
from coach.templates.convert import workout_to_template
from coach.templates.models import TemplateSport
from tests.support.live import LiveServer
from tests.support.tenants import Tenant
from tests.templates.sample_plans import sample_workout


def _intervals_template(sport: str = "running") -> dict[str, Any]:
    kind = "intervals" if sport == "running" else "vo2max"
    plan_sport = "running" if sport == "running" else "cycling"
    workout = sample_workout(kind, sport=plan_sport)
    return workout_to_template(workout, sport=plan_sport).model_dump(mode="json", exclude_none=True)


def _create(http, template: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = http.post("/v2/workouts", json={"workout_template": template})
    assert response.status_code == 200, response.text
    return response.json()


def test_create_get_list_delete(server: LiveServer, tenant: Tenant) -> None:
    template = _intervals_template()
    with server.client(tenant.coach_key) as http:
        created = _create(http, template)
        workout_id = created["workout_id"]
        assert created["workout_template"]["name"] == template["name"]
        fetched = http.get(f"/v2/workouts/{workout_id}").json()
        assert fetched == created
        listed = http.get("/v2/workouts").json()["workouts"]
        assert [w["workout_id"] for w in listed] == [workout_id]
        assert http.delete(f"/v2/workouts/{workout_id}").status_code == 200
        assert http.get(f"/v2/workouts/{workout_id}").status_code == 404
        assert http.get("/v2/workouts").json() == {"workouts": []}


def test_terra_style_headers(server: LiveServer, tenant: Tenant, other_tenant: Tenant) -> None:
    template = _intervals_template()
    with server.client(**{"dev-id": tenant.dev_id, "x-api-key": tenant.coach_key}) as http:
        assert _create(http, template)["workout_id"] > 0
        assert len(http.get("/v2/workouts").json()["workouts"]) == 1
    wrong_dev = {"dev-id": other_tenant.dev_id, "x-api-key": tenant.coach_key}
    with server.client(**wrong_dev) as http:
        assert http.get("/v2/workouts").status_code == 401
    with server.client(**{"x-api-key": tenant.coach_key}) as http:
        response = http.get("/v2/workouts")
        assert response.status_code == 401 and "dev-id" in response.json()["error"]
    # The Terra headers are a /v2 convenience only.
    with server.client(**{"dev-id": tenant.dev_id, "x-api-key": tenant.coach_key}) as http:
        assert http.get("/v1/me").status_code == 401


def test_templates_are_tenant_scoped(
    server: LiveServer, tenant: Tenant, other_tenant: Tenant
) -> None:
    with server.client(tenant.coach_key) as http:
        workout_id = _create(http, _intervals_template())["workout_id"]
    with server.client(other_tenant.admin_key) as http:
        # Another tenant's template answers as one that does not exist.
        assert http.get(f"/v2/workouts/{workout_id}").status_code == 404
        assert http.delete(f"/v2/workouts/{workout_id}").status_code == 404
        assert http.get(f"/v2/workouts/{workout_id}/export").status_code == 404
        assert http.get("/v2/workouts").json() == {"workouts": []}
    with server.client(tenant.coach_key) as http:
        assert http.get(f"/v2/workouts/{workout_id}").status_code == 200
    with server.client(tenant.athlete_key) as http:
        assert (
            http.post("/v2/workouts", json={"workout_template": _intervals_template()}).status_code
            == 403
        )


@pytest.mark.parametrize("sport", get_args(TemplateSport))
def test_every_reference_sport_is_accepted(server: LiveServer, tenant: Tenant, sport: str) -> None:
    template = _intervals_template()
    template["sport"] = sport
    template.pop("environment", None)
    if sport.startswith("swimming"):
        template["pool_length_meters"] = 25.0
        for block in template["step_blocks"]:
            for step in block["steps"]:
                step["intensity_targets"] = []
    if sport in ("strength_training", "weightlifting", "yoga", "pilates", "hiit"):
        for block in template["step_blocks"]:
            for step in block["steps"]:
                step["intensity_targets"] = []
    with server.client(tenant.coach_key) as http:
        response = http.post("/v2/workouts", json={"workout_template": template})
    assert response.status_code == 200, response.text
    assert response.json()["workout_template"]["sport"] == sport


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (
            lambda t: t["step_blocks"][1]["steps"][0].update(intensity_type="sprint"),
            "workout_template.step_blocks[1].steps[0].intensity_type",
        ),
        (lambda t: t.update(sport="curling"), "workout_template.sport"),
        (
            lambda t: t["step_blocks"][0]["completion_condition"].update(type="forever"),
            "workout_template.step_blocks[0].completion_condition.type",
        ),
        (lambda t: t.update(colour="red"), "workout_template.colour"),
        (lambda t: t.pop("name"), "workout_template.name"),
    ],
)
def test_bad_templates_name_the_field(
    server: LiveServer,
    tenant: Tenant,
    mutate,  # type: ignore[no-untyped-def]
    field: str,
) -> None:
    template = copy.deepcopy(_intervals_template())
    assert len(template["step_blocks"]) >= 2
    mutate(template)
    with server.client(tenant.coach_key) as http:
        response = http.post("/v2/workouts", json={"workout_template": template})
        assert response.status_code == 400
        assert field in [d["field"] for d in response.json()["details"]]
        assert http.get("/v2/workouts").json() == {"workouts": []}


def test_fit_export_decodes_with_garmins_sdk(server: LiveServer, tenant: Tenant) -> None:
    source = sample_workout("intervals")
    template = workout_to_template(source, sport="running").model_dump(mode="json")
    with server.client(tenant.coach_key) as http:
        workout_id = _create(http, template)["workout_id"]
        response = http.get(f"/v2/workouts/{workout_id}/export", params={"format": "fit"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.ant.fit"
    assert f"workout-{workout_id}.fit" in response.headers["content-disposition"]
    messages, errors = Decoder(Stream.from_byte_array(bytearray(response.content))).read()
    assert errors == []
    steps = messages["workout_step_mesgs"]
    repeats = [s for s in steps if s.get("duration_type") == "repeat_until_steps_cmplt"]
    main = next(s for s in source.segments if s.repeats > 1)
    assert [r["repeat_steps"] for r in repeats] == [main.repeats]
    assert messages["workout_mesgs"][0]["num_valid_steps"] == len(steps)


def test_zwo_and_json_exports(server: LiveServer, tenant: Tenant) -> None:
    import xml.etree.ElementTree as ET

    with server.client(tenant.coach_key) as http:
        ride = _create(http, _intervals_template("cycling"))["workout_id"]
        run = _create(http, _intervals_template("running"))["workout_id"]
        zwo = http.get(f"/v2/workouts/{ride}/export", params={"format": "zwo", "ftp_w": 250})
        as_json = http.get(f"/v2/workouts/{ride}/export", params={"format": "json"})
        run_zwo = http.get(f"/v2/workouts/{run}/export", params={"format": "zwo"})
        bad = http.get(f"/v2/workouts/{ride}/export", params={"format": "gpx"})
    assert zwo.status_code == 200, zwo.text
    root = ET.fromstring(zwo.content)
    assert root.tag == "workout_file" and len(root.find("workout")) > 0
    assert as_json.json()["workout_template"]["sport"] in get_args(TemplateSport)
    assert run_zwo.status_code == 400
    assert bad.status_code == 400 and bad.json()["details"][0]["field"] == "format"


def test_library_feeds_prefer_and_strict_existing(server: LiveServer, tenant: Tenant) -> None:
    from tests.support.plans import body

    easy = sample_workout("easy-run")
    with server.client(tenant.coach_key) as http:
        _create(http, workout_to_template(easy, sport="running").model_dump(mode="json"))
        # The draft shows the library workouts it reuses; the plan keeps what it shows.
        draft = http.post(
            "/v1/coach/generate-draft",
            json=body(tenant, weeks=2, content_source="prefer_existing"),
        ).json()["draft"]
        prefer = http.post(
            "/v1/coach/generate-plan",
            json=body(tenant, weeks=2, refined_draft=draft, content_source="prefer_existing"),
        ).json()
        strict = http.post(
            "/v1/coach/generate-plan",
            json=body(tenant, weeks=2, refined_draft=draft, content_source="strict_existing"),
        ).json()
    prefer_workouts = [Workout.model_validate(w) for w in prefer["content"]]
    assert any(w.source == "library" for w in prefer_workouts)
    assert any(w.source == "builtin" for w in prefer_workouts)
    strict_workouts = [Workout.model_validate(w) for w in strict["content"]]
    assert strict_workouts and all(w.source == "library" for w in strict_workouts)
    assert all(w.type == "easy-run" for w in strict_workouts)
    assert strict["warnings"], "unfilled days must be reported"
