"""A deadline that CPU-bound work (parsing a draft, planning) checks as it goes."""

from __future__ import annotations

import time

from coach.errors import CoachError


class DeadlineExceeded(CoachError):
    """The work took longer than it was allowed to."""


class Deadline:
    """`check()` raises DeadlineExceeded once `seconds` have passed since creation.

    Work in a worker thread cannot be cancelled from outside; it checks its deadline
    between lines or weeks and stops itself, which frees its worker for the next request.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.at = None if seconds is None else time.monotonic() + seconds

    def check(self) -> None:
        """Raise once the deadline has passed; otherwise let other threads run: a busy
        worker thread hands the GIL (and its CPU) over between lines and weeks."""
        if self.at is not None and time.monotonic() > self.at:
            raise DeadlineExceeded(f"took longer than the {self.seconds:g} s allowed")
        time.sleep(0)


NO_DEADLINE = Deadline(None)
