"""A principles directory of one's own, such as Settings.principles_dir may name."""

from __future__ import annotations

import re
from pathlib import Path

from coach.principles import default_principles_dir


def club_principles(directory: Path, *, long_run_max_minutes: int = 60) -> Path:
    """`directory`, now holding one principle, "club", the default: polarized's rules with
    long sessions capped at `long_run_max_minutes`."""
    text = (default_principles_dir() / "polarized.md").read_text(encoding="utf-8")
    text = text.replace('name = "polarized"', 'name = "club"')
    text = text.replace('title = "Polarized 80/20"', 'title = "Club rules"')
    text = re.sub(
        r"long_run_max_minutes = \d+", f"long_run_max_minutes = {long_run_max_minutes}", text
    )
    (directory / "club.md").write_text(text, encoding="utf-8")
    return directory
