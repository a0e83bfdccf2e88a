"""Pull the closed items of one JSON array out of a growing, partial JSON answer."""

from __future__ import annotations

from typing import Any

import jiter

from coach.errors import CoachError

# Parsing is only worth redoing when a chunk could have closed or opened an item.
_STRUCTURAL = frozenset("{}[],")


class IncompleteAnswer(CoachError, ValueError):
    """The answer ended without being one complete JSON document (truncated or not JSON)."""


def _json_start(buffer: str) -> int:
    # Tolerate a Markdown code fence or a sentence before the document (some local models
    # add one even with a schema); everything before the first "{" is ignored.
    return buffer.find("{")


class ItemStream:
    """Feed the answer's text as it streams; get each item of `doc[key]` once it is final.

    jiter's partial mode returns an unfinished trailing item as if it were complete (a
    partial number `12` of `120` looks fine), so item i is released only once item i+1
    has begun in the array, or the whole document has been parsed strictly by `finish`.
    Strings are handled by jiter, so a `}` inside a title never splits an item.
    """

    def __init__(self, key: str = "workouts") -> None:
        self.key = key
        self.text = ""
        self.released = 0
        self.document: dict[str, Any] | None = None
        # The latest partial parse: scalar fields written before the array (the week
        # number) are final once the array has a closed item.
        self.partial: dict[str, Any] = {}

    def feed(self, chunk: str) -> list[dict[str, Any]]:
        self.text += chunk
        if not _STRUCTURAL.intersection(chunk):
            return []
        start = _json_start(self.text)
        if start < 0:
            return []
        try:
            partial = jiter.from_json(self.text[start:].encode(), partial_mode="trailing-strings")
        except ValueError:
            # Not JSON (yet, or at all): `finish` reports it with the strict parser's message.
            return []
        if not isinstance(partial, dict):
            return []
        self.partial = partial
        items = partial.get(self.key)
        if not isinstance(items, list):
            return []
        # The last element may still be growing; everything before it is closed.
        return self._release(items[:-1])

    def finish(self) -> list[dict[str, Any]]:
        """Parse the whole answer strictly and return the items not released yet."""
        start = _json_start(self.text)
        if start < 0:
            raise IncompleteAnswer("the answer is not JSON (no object found)")
        body = self.text[start:].rstrip()
        if body.endswith("```"):
            body = body[:-3].rstrip()
        try:
            document = jiter.from_json(body.encode())
        except ValueError as exc:
            raise IncompleteAnswer(f"the answer is not complete JSON ({exc})") from exc
        if not isinstance(document, dict):
            raise IncompleteAnswer("the answer is not a JSON object")
        self.document = document
        items = document.get(self.key)
        if not isinstance(items, list):
            raise IncompleteAnswer(f'the answer has no "{self.key}" array')
        return self._release(items)

    def _release(self, closed: list[Any]) -> list[dict[str, Any]]:
        fresh = closed[self.released :]
        self.released = max(self.released, len(closed))
        # A non-object item is passed on as is, wrapped, so validation can name it.
        return [item if isinstance(item, dict) else {"_value": item} for item in fresh]
