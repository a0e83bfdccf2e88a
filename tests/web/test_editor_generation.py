"""The editor in a real browser: sign in, a draft streamed into the text editor, the plan
filling the calendar as it is generated, weekly totals, the load chart, a workout's
steps, a reload in the middle of a generation, a failed generation, a phone's width."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from coach.settings import Settings
from tests.api.test_llm_over_http import llm_service
from tests.engine_llm.answers import FIRST_WORKOUT_TOKENS, draft_text, good_responder
from tests.support.browser import Shots
from tests.support.live import live_server
from tests.support.scripted_llm import Reply, ScriptedLLM
from tests.support.tenants import make_tenant
from tests.web.editor import fill_plan_form, plan_id_of, sign_in, wait_for_plan, week_totals
from tests.web.load_formula import js_round, weekly

START = "2026-12-07"


def test_a_coach_writes_a_draft_and_watches_the_plan_fill_the_calendar(
    sqlite_url: str, new_page: Callable[..., Page], shots: Shots
) -> None:
    with live_server(Settings(database_url=sqlite_url, _env_file=None)) as live:  # type: ignore[call-arg]
        tenant = make_tenant(live.db)
        page = new_page()
        sign_in(page, live.base_url, tenant.coach_key)
        shots.take(page, "signed-in")
        fill_plan_form(page, weeks=3, start_date=START, instructions="4 days per week")
        page.get_by_role("button", name="Write the draft").click()
        draft = page.get_by_label("Draft:")
        expect(draft).to_have_value(re.compile(r"W3 D\d"), timeout=30_000)
        expect(draft).to_be_editable()
        shots.take(page, "draft-written")
        # The coach edits the draft: one more workout, on a day the draft left free.
        text = draft.input_value()
        lines = text.splitlines()
        free_day = next(
            d for d in range(1, 8) if not any(line.startswith(f"W1 D{d} ") for line in lines)
        )
        draft.fill(text + f"\nW1 D{free_day} Easy run, 30 min\n")
        # A reload keeps the coach's edits of the draft (this tab's sessionStorage).
        page.wait_for_function(
            "() => sessionStorage.getItem('coach.draft') === document.getElementById('draft').value"
        )
        page.reload()
        expect(draft).to_have_value(text + f"\nW1 D{free_day} Easy run, 30 min\n")
        planned = sum(1 for line in lines if re.match(r"W\d+ D\d ", line)) + 1
        page.get_by_role("button", name="Generate the plan").click()
        wait_for_plan(page, planned)
        shots.take(page, "plan-generated")
        plan_id = plan_id_of(page)
        with live.client(tenant.coach_key) as http:
            stored = http.get(f"/v1/coach/plans/{plan_id}").json()
    assert len(stored["content"]) == planned
    assert any(w["week"] == 1 and w["day"] == free_day for w in stored["content"])
    # Weekly totals add up the week's workouts.
    week1 = [w for w in stored["content"] if w["week"] == 1]
    minutes = sum(w["duration"] for w in week1) // 60
    totals = week_totals(page, 1)
    assert "Load" in totals and ("h" in totals or "min" in totals)
    assert str(minutes // 60) in totals
    # Each week's load and the chart's fitness, fatigue and form follow docs/editor.md.
    expected = weekly(stored["content"], 3)
    for week, (load, _, _, _) in enumerate(expected, start=1):
        assert f"Load\n{load}" in week_totals(page, week).replace("\t", "\n")
    described = page.locator("#chart-desc").text_content() or ""
    for week, (load, ctl, atl, tsb) in enumerate(expected, start=1):
        assert (
            f"week {week}: load {js_round(load)}, CTL {js_round(ctl)}, ATL {js_round(atl)}, "
            f"TSB {js_round(tsb)}" in described
        )
    # The chart has a bar per week and the three lines.
    assert page.locator("#chart svg rect.bar").count() == 3
    assert page.locator("#chart svg path.line").count() == 3
    # Every control has a name a screen reader reads; the keyboard opens a workout.
    unnamed = page.evaluate(
        """[...document.querySelectorAll('input, select, textarea, button')]
            .filter((e) => !e.closest('[hidden]') && !(e.labels && e.labels.length)
                && !e.getAttribute('aria-label') && !e.textContent.trim())
            .map((e) => e.outerHTML)"""
    )
    assert unnamed == []
    page.locator("#calendar .workout").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.locator("#calendar .workout").first).to_be_focused()


def _generate_from_draft(page: Page, weeks: int) -> None:
    fill_plan_form(page, weeks=weeks, start_date=START)
    page.get_by_label("Draft:").fill(draft_text(weeks))
    page.get_by_role("button", name="Generate the plan").click()


def test_a_reload_in_the_middle_of_a_generation_picks_the_stream_up_again(
    sqlite_url: str, new_page: Callable[..., Page], shots: Shots
) -> None:
    llm = ScriptedLLM(responder=good_responder(), hold_after_tokens=FIRST_WORKOUT_TOKENS)
    with llm_service(sqlite_url, llm) as (live, tenant):
        page = new_page()
        sign_in(page, live.base_url, tenant.coach_key)
        _generate_from_draft(page, weeks=2)
        assert llm.wait_held(2)
        expect(page.locator("#calendar .workout")).to_have_count(1)
        expect(page.locator("#progress-line")).to_be_visible()
        shots.take(page, "generating")
        resumed_from = []
        page.on(
            "request",
            lambda r: "/stream" in r.url and resumed_from.append(r.headers.get("last-event-id")),
        )
        page.reload()  # the page saves what it received as it goes away
        # What was seen before the reload is on the page again before anything new arrives.
        expect(page.locator("#calendar .workout")).to_have_count(1)
        shots.take(page, "reloaded")
        llm.release()
        wait_for_plan(page, 10)
        shots.take(page, "complete")
        with live.client(tenant.coach_key) as http:
            stored = http.get(f"/v1/coach/plans/{plan_id_of(page)}").json()
    assert resumed_from and resumed_from[0] is not None and int(resumed_from[0]) >= 2
    shown = page.locator("#calendar .workout .w-title").all_inner_texts()
    assert shown == [w["title"] for w in stored["content"]]
    expect(page.locator("#progress-line")).to_be_hidden()


def test_a_failed_generation_shows_its_error(
    sqlite_url: str, new_page: Callable[..., Page], shots: Shots
) -> None:
    llm = ScriptedLLM(responder=lambda payload: Reply("model overloaded", status=500))
    with llm_service(sqlite_url, llm, llm_max_retries=0, llm_repair_attempts=0) as (
        live,
        tenant,
    ):
        page = new_page()
        sign_in(page, live.base_url, tenant.coach_key)
        _generate_from_draft(page, weeks=1)
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("The plan failed", timeout=60_000)
        shots.take(page, "failed")
    expect(page.locator("#plan-meta")).to_contain_text("failed")
    expect(page.locator("#progress-line")).to_be_hidden()


def test_the_page_reads_at_a_phone_width_and_keeps_the_key_out_of_urls(
    sqlite_url: str, new_page: Callable[..., Page], shots: Shots
) -> None:
    with live_server(Settings(database_url=sqlite_url, _env_file=None)) as live:  # type: ignore[call-arg]
        tenant = make_tenant(live.db)
        page = new_page(width=360, height=780)
        urls: list[str] = []
        page.on("request", lambda r: urls.append(r.url))
        page.goto(f"{live.base_url}/editor")
        page.get_by_label("API key").fill("ck_not_a_key")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("Signed out")
        sign_in(page, live.base_url, tenant.coach_key)
        _generate_from_draft(page, weeks=2)
        wait_for_plan(page, 10)
        page.locator("#calendar .workout").first.click()
        expect(page.get_by_role("dialog")).to_be_visible()
        shots.take(page, "phone-detail", full_page=False)
        page.keyboard.press("Escape")
        shots.take(page, "phone")
        width = page.evaluate("document.documentElement.scrollWidth")
        stored_key = page.evaluate("sessionStorage.getItem('coach.apiKey')")
    assert width <= 360
    assert stored_key == tenant.coach_key
    assert not [u for u in urls if tenant.coach_key in u or "token=" in u]
