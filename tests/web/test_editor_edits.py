"""The editor's edits in a real browser, against a live service and the Shape emulator:
a workout opened, edited, dragged to another day, deleted, added; undo and redo; the
revisions list; a push whose re-push after a drag-and-drop moves only that workout at
the provider; two tabs on one plan, the second told it changed elsewhere."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.emulators.shape import ShapeEmulator
from tests.support.browser import Shots
from tests.support.live import LiveServer
from tests.support.push import athlete_with, connection_body, emulators, service
from tests.support.tenants import Tenant, make_tenant
from tests.web.editor import day, fill_plan_form, plan_id_of, sign_in, wait_for_plan

START = "2026-12-07"
DRAFT = """W1 D1 Easy run, 40 min
W1 D3 Tempo 3x8 min @ Z3, 55 min
W1 D6 Long run, 80 min
W2 D2 Easy run, 45 min
W2 D4 Intervals 5x3 min @ Z5, 50 min
W2 D7 Long run, 90 min
"""


def _holds(shape: ShapeEmulator) -> Counter[tuple[str, str]]:
    return Counter((str(a["date"])[:10], a["title"]) for a in shape.activities.values())


def _expected(start: str, workouts: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    first = dt.date.fromisoformat(start)
    return Counter(
        ((first + dt.timedelta(days=(w["week"] - 1) * 7 + w["day"] - 1)).isoformat(), w["title"])
        for w in workouts
    )


def _generate(page: Page, *, athlete: str | None = None) -> None:
    fill_plan_form(page, weeks=2, start_date=START)
    if athlete:
        page.locator("#plan-form").get_by_label("Athlete").select_option(label=athlete)
    page.get_by_label("Draft:").fill(DRAFT)
    page.get_by_role("button", name="Generate the plan").click()
    wait_for_plan(page, 6)


@contextmanager
def _planned(
    tmp_path: Path, new_page: Callable[..., Page]
) -> Iterator[tuple[LiveServer, Tenant, Page]]:
    """A service on SQLite and a signed-in page showing a plan of the draft above."""
    with service(f"sqlite:///{tmp_path / 'editor.db'}") as live:
        tenant = make_tenant(live.db)
        page = new_page()
        sign_in(page, live.base_url, tenant.coach_key)
        _generate(page)
        yield live, tenant, page


def _revision(page: Page, number: int) -> None:
    expect(page.locator("#plan-meta")).to_contain_text(f"revision {number}")


def _push(page: Page, athlete: str) -> str:
    push = page.locator("#push")
    push.locator("#push-athlete").select_option(label=athlete)
    expect(push.get_by_label("Connection")).to_have_value(re.compile(r"\d+"))
    push.get_by_role("button", name="Push").click()
    expect(page.locator("#push-text")).to_have_text("done", timeout=60_000)
    return page.locator("#push-items").inner_text()


def test_a_coach_edits_the_plan_and_pushes_only_the_changes(
    new_page: Callable[..., Page], shots: Shots, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'editor.db'}"
    with emulators() as emu, service(url, emu) as live:
        shape = emu.shape
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            athlete_with(http, connection_body("shape"))  # Ada, threshold HR 170
        page = new_page()
        sign_in(page, live.base_url, tenant.coach_key)
        expect(page.locator("#athletes")).to_contain_text("Ada")
        _generate(page, athlete="Ada")
        _revision(page, 1)
        shots.take(page, "generated")

        # A workout's steps, targets in the athlete's own numbers (bpm from HR 170).
        page.locator(day(page, 1, 3)).get_by_role("button").click()
        dialog = page.get_by_role("dialog")
        expect(dialog.locator("td.target").first).to_contain_text("bpm")
        shots.take(page, "workout-detail", full_page=False)
        dialog.get_by_label("Title").fill("Tempo, renamed")
        dialog.get_by_role("button", name="Save").click()
        _revision(page, 2)
        expect(page.locator(day(page, 1, 3))).to_contain_text("Tempo, renamed")

        # Drag week 1 day 1 to day 2; delete week 2 day 2; add a workout on week 2 day 5.
        page.locator(day(page, 1, 1)).locator(".workout").drag_to(page.locator(day(page, 1, 2)))
        _revision(page, 3)
        expect(page.locator(day(page, 1, 2))).to_contain_text("Easy run")
        expect(page.locator(day(page, 1, 1)).locator(".workout")).to_have_count(0)
        page.locator(day(page, 2, 2)).locator(".workout").click()
        page.get_by_role("dialog").get_by_role("button", name="Delete").click()
        _revision(page, 4)
        page.get_by_role("button", name="Add a workout on week 2, Fri 12-18").click()
        add = page.get_by_role("dialog")
        add.get_by_label("Title").fill("Shakeout")
        add.get_by_label("Minutes").fill("25")
        add.get_by_role("button", name="Add").click()
        _revision(page, 5)
        expect(page.locator(day(page, 2, 5))).to_contain_text("Shakeout")
        shots.take(page, "edited")

        # Dropped on a taken day of its week, a workout swaps days with the one there.
        page.locator(day(page, 1, 3)).locator(".workout").drag_to(page.locator(day(page, 1, 6)))
        _revision(page, 6)
        expect(page.locator(day(page, 1, 6))).to_contain_text("Tempo, renamed")
        expect(page.locator(day(page, 1, 3))).to_contain_text("Long run")
        page.locator(day(page, 1, 6)).locator(".workout").drag_to(page.locator(day(page, 1, 3)))
        _revision(page, 7)
        expect(page.locator(day(page, 1, 3))).to_contain_text("Tempo, renamed")

        # Undo, redo: the keyboard walks the revisions (the second swap undone, then redone).
        page.locator("#plan-title").click()
        page.keyboard.press("Control+z")
        _revision(page, 8)
        expect(page.locator(day(page, 1, 6))).to_contain_text("Tempo, renamed")
        page.keyboard.press("Control+Shift+z")
        _revision(page, 9)
        expect(page.locator(day(page, 1, 3))).to_contain_text("Tempo, renamed")
        expect(page.locator(day(page, 2, 5))).to_contain_text("Shakeout")
        page.get_by_role("button", name="Revisions").click()
        expect(page.locator("#revision-list li")).to_have_count(9)
        shots.take(page, "revisions")
        page.get_by_role("button", name="Revisions").click()

        # The connection's coercion preview: what Shape would change, before any push.
        page.locator("#push-athlete").select_option(label="Ada")
        expect(page.locator("#preview-list")).to_contain_text("shape would change")
        expect(page.locator("#calendar .w-coerced").first).to_contain_text("shape: 1 change")
        shots.take(page, "coercion-preview")
        assert shape.activities == {}

        # Push, then a drag-and-drop, then push again: only the moved workout goes out.
        first = _push(page, "Ada")
        assert first.count("created") == 6
        with live.client(tenant.coach_key) as http:
            plan = http.get(f"/v1/coach/plans/{plan_id_of(page)}").json()
        assert _holds(shape) == _expected(START, plan["content"])
        page.locator(day(page, 2, 7)).locator(".workout").drag_to(page.locator(day(page, 2, 6)))
        _revision(page, 10)
        second = _push(page, "Ada")
        shots.take(page, "pushed-again")
        with live.client(tenant.coach_key) as http:
            plan = http.get(f"/v1/coach/plans/{plan_id_of(page)}").json()
    assert second.strip().splitlines() == ["Week 2 day 6 → 2026-12-19: moved"]
    assert _holds(shape) == _expected(START, plan["content"])
    [moved] = [w for w in plan["content"] if (w["week"], w["day"]) == (2, 6)]
    assert "Long run" in moved["title"] and moved["date"] == "2026-12-19"


def test_two_tabs_on_one_plan_the_second_is_told_it_changed_elsewhere(
    new_page: Callable[..., Page], shots: Shots, tmp_path: Path
) -> None:
    with _planned(tmp_path, new_page) as (live, tenant, first):
        second = new_page()
        sign_in(second, live.base_url, tenant.coach_key)
        second.goto(first.url)
        wait_for_plan(second, 6)

        first.locator(day(first, 1, 1)).locator(".workout").drag_to(first.locator(day(first, 1, 2)))
        _revision(first, 2)
        second.locator(day(second, 1, 6)).locator(".workout").click()
        second.get_by_role("dialog").get_by_label("Title").fill("Long run, longer")
        second.get_by_role("dialog").get_by_role("button", name="Save").click()
        alert = second.get_by_role("alert")
        expect(alert).to_contain_text("changed elsewhere")
        shots.take(second, "conflict")
        second.get_by_role("button", name="Reload the plan").click()
        _revision(second, 2)
        expect(second.locator(day(second, 1, 2))).to_contain_text("Easy run")
        expect(second.get_by_role("alert")).to_be_hidden()


def test_a_week_is_regenerated_from_the_lines_the_coach_writes(
    new_page: Callable[..., Page], shots: Shots, tmp_path: Path
) -> None:
    with _planned(tmp_path, new_page) as (_, _, page):
        week1 = page.locator('section.week[data-week="1"] .days').inner_text()
        page.locator(day(page, 2, 4)).locator(".workout").click()
        page.get_by_role("dialog").get_by_role("button", name="Regenerate this week").click()
        regen = page.get_by_role("dialog")
        lines = regen.get_by_label("The week's draft lines")
        expect(lines).to_have_value(re.compile(r"^W2 D2 .*\nW2 D4 .*\nW2 D7 ", re.S))
        lines.fill("W2 D3 Hill repeats 6x1 min @ Z5, 45 min\nW2 D6 Long run, 95 min")
        shots.take(page, "new-lines", full_page=False)
        regen.get_by_role("button", name="Regenerate").click()
        _revision(page, 2)
        shots.take(page, "regenerated")
        week2 = page.locator('section.week[data-week="2"] .workout')
        expect(week2).to_have_count(2)
        expect(page.locator(day(page, 2, 3))).to_contain_text("Hill")
        expect(page.locator(day(page, 2, 6))).to_contain_text("Long run")
        assert page.locator('section.week[data-week="1"] .days').inner_text() == week1
