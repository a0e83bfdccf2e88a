"""The LLM's draft, checked line by line as it streams: what the draft format can read goes
out as written, and the checker knows which weeks are still missing and why.

A line goes out when it is a week header of a week the answer may write, a workout line
the parser reads in such a week on a day 1-7 not yet taken, a rest line or a note there.
Everything else (chatter, unreadable lines, days outside the week, weeks outside the
plan) stays out and becomes an error the re-ask quotes.
"""

from __future__ import annotations

from coach.plans.draft_format import MAX_LINE_CHARS, DraftReader, quote


class DraftChecker:
    def __init__(
        self,
        *,
        weeks: int,
        sport: str,
        first_weekday: int,
        max_line_chars: int = MAX_LINE_CHARS,
    ) -> None:
        self.weeks = weeks
        self.reader = DraftReader(sport, first_weekday, max_line_chars, weeks)
        self.wanted = set(range(1, weeks + 1))  # weeks the current answer may write
        self.present: set[int] = set()  # weeks with at least one workout line out
        self.days: set[tuple[int, int]] = set()
        self.errors: list[str] = []
        self.buffer = ""
        self.lineno = 0
        self.in_wanted_week = False
        self.wrote = False
        self.open_line = False  # the last line out has no newline (the answer's last)

    @property
    def missing(self) -> list[int]:
        return sorted(set(range(1, self.weeks + 1)) - self.present)

    def next_answer(self, weeks: list[int]) -> str:
        """The re-ask's answer may write only these weeks; it starts a fresh reading. The
        text to send first: a newline when the last line out has none."""
        newline = "\n" if self.open_line else ""
        self.open_line = False
        self.wanted = set(weeks)
        self.errors = []
        self.buffer = ""
        self.in_wanted_week = False
        self.reader.current_week = None
        return newline

    def feed(self, text: str) -> str:
        """The complete lines of `text` (with what came before) that go out."""
        self.buffer += text
        out = []
        while "\n" in self.buffer:
            line, self.buffer = self.buffer.split("\n", 1)
            out.append(self._line(line))
        return "".join(out)

    def finish(self) -> str:
        """The answer's last line, when it goes out: as written, without a newline added
        (a valid answer goes out exactly as the LLM wrote it)."""
        line, self.buffer = self.buffer, ""
        out = self._line(line) if line.strip() else ""
        if out:
            self.open_line = True
            return out[:-1]
        return out

    def _out(self, raw: str) -> str:
        self.wrote = True
        return raw.rstrip() + "\n"

    def _error(self, raw: str, reason: str) -> str:
        if len(self.errors) < 20:
            self.errors.append(f"{quote(raw.strip())!r}: {reason}")
        return ""

    def _line(self, raw: str) -> str:
        self.lineno += 1
        parsed = self.reader.parsed
        before = len(parsed.lines)
        unreadable = parsed.unreadable_total
        kinds = self.reader.read(self.lineno, raw)
        if kinds == ["blank"]:
            return "\n" if self.wrote and self.in_wanted_week else ""
        if "header" in kinds:
            week = self.reader.current_week
            self.in_wanted_week = week in self.wanted
            if self.in_wanted_week:
                return self._out(raw)
            if week is not None and not 1 <= week <= self.weeks:
                return self._error(raw, f"week {week} is outside the {self.weeks}-week plan")
            return ""
        if "workout" in kinds:
            taken = []
            for line in parsed.lines[before:]:
                if line.week not in self.wanted:
                    if not 1 <= line.week <= self.weeks:
                        self._error(raw, f"week {line.week} is outside the plan")
                    continue
                if not 1 <= line.day <= 7:
                    self._error(raw, f"D{line.day} is not a day of the week (D1-D7)")
                elif (line.week, line.day) in self.days:
                    self._error(raw, f"W{line.week} D{line.day} has a workout already")
                else:
                    taken.append(line)
            for line in taken:
                self.days.add((line.week, line.day))
                self.present.add(line.week)
            return self._out(raw) if taken else ""
        if "unreadable" in kinds and parsed.unreadable_total > unreadable:
            return self._error(raw, self.reader.last_reason)
        if ("note" in kinds or "rest" in kinds) and self.in_wanted_week:
            return self._out(raw)
        return ""
