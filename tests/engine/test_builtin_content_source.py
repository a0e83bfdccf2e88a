"""content_source: prefer_existing, strict_existing and ai_generate with a workout library."""

from __future__ import annotations

import re

from builtin_helpers import MakeCtx

from coach.engines.builtin import build_plan, write_draft
from coach.engines.builtin.draft import generate
from coach.plans.models import Segment, Step, Workout


def _library_workout(kind: str, minutes: int, title: str) -> Workout:
    step = Step(intensity="active", duration_type="time", duration_value=minutes * 60)
    return Workout(
        week=40,
        day=3,
        title=title,
        phase="build",
        type=kind,
        description="from the club library",
        duration=minutes * 60,
        distance=minutes * 180,
        segments=[Segment(kind="main", steps=[step])],
        source="ai",
    )


LIBRARY = [
    _library_workout("easy-run", 50, "Club easy loop"),
    _library_workout("easy-run", 90, "Club long easy"),
    _library_workout("long-run", 300, "Ultra day"),
]


def test_prefer_existing_reuses_matching_library_workouts(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(
        weeks=8, start_date="2025-03-03", content_source="prefer_existing", library=LIBRARY
    )
    workouts = [s.final for s in generate(ctx).slots]
    reused = [w for w in workouts if w.source == "library"]
    assert {w.title for w in reused} == {"Club easy loop", "Club long easy"}
    for w in reused:
        assert w.description == "from the club library" and w.week <= 8
        assert w.date is not None and w.phase in ("base", "build", "peak", "recovery", "taper")
    for slot in generate(ctx).slots:
        if slot.final.source == "library":
            assert slot.final.type == slot.generated.type
            assert abs(slot.final.duration - slot.generated.duration) <= (
                0.2 * slot.generated.duration
            )
    # "Ultra day" (300 min) is no long run of this plan within 20%: long runs are generated.
    # Types without a library match are generated.
    assert any(w.type == "long-run" and w.source == "builtin" for w in workouts)


def test_strict_existing_leaves_days_unfilled_with_warnings(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(weeks=4, content_source="strict_existing", library=LIBRARY)
    gen = generate(ctx)
    unfilled = [s for s in gen.slots if s.final is None]
    assert unfilled and all(s.warning for s in unfilled)
    built = build_plan(ctx, write_draft(ctx))
    assert all(w.source == "library" for w in built.workouts)
    for slot in unfilled:
        assert any(
            f"week {slot.week} day {slot.day}:" in w and "unfilled" in w for w in built.warnings
        )
    assert "[no library match]" in write_draft(ctx)


def test_strict_existing_with_an_empty_library_fills_nothing(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(weeks=2, content_source="strict_existing")
    built = build_plan(ctx, write_draft(ctx))
    assert built.workouts == []
    assert len(built.warnings) >= len(generate(make_ctx(weeks=2)).slots)


def test_ai_generate_ignores_the_library(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(weeks=4, library=LIBRARY)
    assert all(s.final.source == "builtin" for s in generate(ctx).slots)


def test_edited_line_is_matched_against_the_library(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(weeks=4, content_source="prefer_existing", library=LIBRARY)
    draft = write_draft(ctx)
    line = next(x for x in draft.splitlines() if x.startswith("W2 D3 "))
    built = build_plan(ctx, draft.replace(line, re.sub(r"  .*$", "  Easy run, 90 min", line)))
    edited = next(w for w in built.workouts if (w.week, w.day) == (2, 3))
    assert edited.title == "Club long easy" and edited.source == "library"


def test_a_library_workout_never_changes_the_coachs_minutes(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(weeks=4, content_source="prefer_existing", library=LIBRARY)
    draft = write_draft(ctx)
    line = next(x for x in draft.splitlines() if x.startswith("W2 D3 "))
    built = build_plan(ctx, draft.replace(line, re.sub(r"  .*$", "  Easy run, 85 min", line)))
    edited = next(w for w in built.workouts if (w.week, w.day) == (2, 3))
    # "Club long easy" (90 min) is within 20%, but the coach wrote 85 minutes.
    assert edited.duration == 85 * 60 and edited.source == "builtin"
