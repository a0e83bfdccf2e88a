"""Debian's Chromium driven by Playwright, for the editor's browser tests.

The browser is the system's (`apt-get install chromium`, `make test` installs it), never
one Playwright downloads. A machine without it fails the tests that need it, naming the
fix: browser tests are never skipped silently.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

# Named: that one or a failure; not named: Debian's, else a `chromium` on the PATH.
NAMED = os.environ.get("COACH_TEST_CHROMIUM")
CHROMIUM = NAMED or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parent.parent.parent
# Each test's screenshots go to <this>/<test name>/, for a person to look at.
SCREENSHOTS = Path(os.environ.get("COACH_TEST_SCREENSHOTS", REPO / "build" / "screenshots"))


def chromium_path() -> str:
    found = CHROMIUM if os.path.isfile(CHROMIUM) else None if NAMED else shutil.which("chromium")
    if not found:
        raise RuntimeError(
            f"no Chromium at {CHROMIUM}: the browser tests need Debian's chromium "
            "(`apt-get install -y chromium`, which `make test` runs), or "
            "COACH_TEST_CHROMIUM=/path/to/chromium"
        )
    return found


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


class Shots:
    """Numbered screenshots of one test's steps, in a folder named after the test."""

    def __init__(self, test_name: str) -> None:
        self.folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0

    def take(self, page: Page, step: str, *, full_page: bool = True) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path
