"""Fixtures of the editor's browser tests: one Chromium for the session, a fresh browser
context (its own sessionStorage) per page, a service on SQLite, and a screenshot folder
named after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.support.browser import Shots, chromium


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Pages with a console of their own: a page error, or a console error other than a
    refused request (the 401s and 412s tests provoke), fails the test; so does anything
    the Content-Security-Policy blocks."""
    contexts = []
    errors: list[str] = []

    def make(width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and not message.text.startswith("Failed to load resource")
                and errors.append(message.text)
            ),
        )
        page.set_default_timeout(30_000)
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == [], errors


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'editor.db'}"
