"""Editor figures (issue 14), in Debian's Chromium against the service as a separate
process on loopback (built-in engine, SQLite):

(a) the page's weight: the HTML, the modules and the stylesheet it loads, in bytes;
(b) a plan of N weeks from Generate to the complete calendar in the page, against the
    same plan's stream read by a plain HTTP client (what rendering adds);
(c) an edit's round trip: a workout moved with the detail's Move, from the click to the
    calendar at the next revision (median and max of 10).

Run: .venv/bin/python bench/editor.py [--weeks 12,52]
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

import httpx2
from _common import Service, out, service  # puts the repo on the path
from playwright.sync_api import Page, expect

from tests.support.browser import chromium

START = "2026-12-07"


def draft_of(svc: Service, weeks: int) -> str:
    with httpx2.Client(base_url=svc.base_url, headers=svc.headers(), timeout=120) as http:
        answer = http.post("/v1/coach/generate-draft", json=svc.body(weeks=weeks, start_date=START))
        answer.raise_for_status()
        text: str = answer.json()["draft"]
        return text


def stream_seconds(svc: Service, weeks: int, draft: str) -> tuple[float, int]:
    body = svc.body(weeks=weeks, start_date=START, refined_draft=draft)
    with httpx2.Client(base_url=svc.base_url, headers=svc.headers(), timeout=300) as http:
        started = time.perf_counter()
        plan_id = http.post("/v1/coach/plans", json=body).json()["plan_id"]
        count = 0
        with http.stream("GET", f"/v1/coach/plans/{plan_id}/stream") as response:
            for event in httpx2.EventSource(response):
                count += event.event == "workout"
                if event.event == "done":
                    break
        return time.perf_counter() - started, count


def page_seconds(page: Page, weeks: int, draft: str, count: int) -> float:
    page.locator("#new-plan").click()
    page.locator("#plan-form").get_by_label("Weeks").fill(str(weeks))
    page.locator("#plan-form").get_by_label("Start date").fill(START)
    page.locator("#draft").fill(draft)
    started = time.perf_counter()
    page.get_by_role("button", name="Generate the plan").click()
    expect(page.locator("#plan-meta")).to_contain_text(
        re.compile(rf"^{weeks} weeks .*complete"), timeout=300_000
    )
    expect(page.locator("#calendar .workout")).to_have_count(count, timeout=300_000)
    return time.perf_counter() - started


def move_seconds(page: Page, moves: int) -> list[float]:
    times = []
    for i in range(moves):
        meta = page.locator("#plan-meta").inner_text()
        revision = int(meta.rsplit("revision ", 1)[1]) if "revision " in meta else 0
        if not revision:
            raise SystemExit(f"no revision on the page: {meta!r}")
        cards = page.locator("#calendar .workout")
        card = cards.nth(i % cards.count())
        week = int(card.get_attribute("data-week") or 1)
        free = next(
            d
            for d in range(1, 8)
            if page.locator(f'li.day[data-week="{week}"][data-day="{d}"] .workout').count() == 0
        )
        card.click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Day").fill(str(free))
        started = time.perf_counter()
        dialog.get_by_role("button", name="Move", exact=True).click()
        expect(page.locator("#plan-meta")).to_contain_text(f"revision {revision + 1}")
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weeks", default="12,52")
    args = parser.parse_args()
    with service() as svc, chromium() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        loaded: dict[str, int] = {}
        page.on(
            "response",
            lambda r: loaded.__setitem__(r.url, len(r.body())) if "/editor" in r.url else None,
        )
        page.goto(f"{svc.base_url}/editor")
        page.get_by_label("API key").fill(svc.coach_key)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="New plan")).to_be_visible()
        out(
            f"(a) page weight: {sum(loaded.values()):,} bytes in {len(loaded)} files (uncompressed)"
        )
        for weeks in [int(w) for w in args.weeks.split(",")]:
            draft = draft_of(svc, weeks)
            plain, count = stream_seconds(svc, weeks, draft)
            shown = page_seconds(page, weeks, draft, count)
            out(
                f"(b) {weeks} weeks, {count} workouts: calendar complete in {shown:.2f} s; "
                f"the stream alone {plain:.2f} s"
            )
        times = move_seconds(page, 10)
        out(
            f"(c) a move from click to the calendar at the next revision: median "
            f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
            f"({len(page.locator('#calendar .workout').all())} workouts on the page)"
        )


if __name__ == "__main__":
    main()
