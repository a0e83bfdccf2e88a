"""The editor page as a coach uses it, step by step, for the browser tests."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def sign_in(page: Page, base_url: str, key: str) -> None:
    page.goto(f"{base_url}/editor")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="New plan")).to_be_visible()
    assert key not in page.url


def fill_plan_form(page: Page, *, weeks: int, start_date: str, instructions: str = "") -> None:
    form = page.locator("#plan-form")
    form.get_by_label("Weeks").fill(str(weeks))
    form.get_by_label("Level").select_option("intermediate")
    form.get_by_label("Start date").fill(start_date)
    if instructions:
        form.get_by_label("Instructions").fill(instructions)


def workouts(page: Page) -> int:
    return page.locator("#calendar .workout").count()


def wait_for_plan(page: Page, count: int) -> None:
    expect(page.locator("#calendar .workout")).to_have_count(count, timeout=60_000)
    expect(page.locator("#plan-meta")).to_contain_text("complete", timeout=60_000)


def week_totals(page: Page, week: int) -> str:
    return page.locator(f'section.week[data-week="{week}"] .totals').inner_text()


def day(page: Page, week: int, day: int) -> str:
    return f'#calendar li.day[data-week="{week}"][data-day="{day}"]'


def plan_id_of(page: Page) -> str:
    match = re.search(r"plan=([0-9a-f-]{36})", page.url)
    assert match, page.url
    return match.group(1)
