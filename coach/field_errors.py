"""Pydantic validation errors as clients read them: one `{"field", "message"}` per error."""

from __future__ import annotations

from pydantic import ValidationError


def field_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic loc as a path: `workout_template.step_blocks[1].steps[0].intensity_type`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def error_details(exc: ValidationError, *, root: str = "body") -> list[dict[str, str]]:
    """The `details` of a 400 body; errors about the whole document name `root`."""
    details = []
    for error in exc.errors(include_url=False, include_input=False):
        # Validator names ("function-after[...]") are pydantic's, not the client's fields.
        loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
        details.append({"field": field_path(loc) or root, "message": error["msg"]})
    return details
