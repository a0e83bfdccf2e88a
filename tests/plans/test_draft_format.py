"""The draft text format: writing, and tolerant reading with every unreadable line reported."""

from __future__ import annotations

from coach.plans.draft_format import (
    DraftEntry,
    DraftWeek,
    format_entry,
    parse_distance,
    parse_draft,
    parse_duration,
    render_week,
)
from coach.plans.session_text import Effort, MainSet, read_title, type_from_title


def test_entry_line_shape() -> None:
    entry = DraftEntry(
        week=3, day=2, weekday="Tue", title="Intervals 6x800m @ 3:45/km", seconds=3600, meters=11000
    )
    assert format_entry(entry) == "W3 D2 Tue  Intervals 6x800m @ 3:45/km, 60 min, 11.0 km"
    long = DraftEntry(week=1, day=7, title="Long run", seconds=7500, meters=21000)
    assert format_entry(long) == "W1 D7  Long run, 2h 05m, 21.0 km"


def test_written_week_reads_back() -> None:
    week = DraftWeek(
        4,
        "recovery",
        "absorb the training",
        [
            DraftEntry(4, 2, "Fartlek 6x2 min @ Z5", 3000, 9600, "Tue"),
            DraftEntry(4, 7, "Long run", 5400, 15300, "Sun", note="library"),
        ],
    )
    parsed = parse_draft(render_week(week))
    assert parsed.unreadable == []
    assert parsed.headers[4].phase == "recovery"
    assert parsed.headers[4].focus == "absorb the training"
    assert [(p.week, p.day, p.type, p.seconds, p.meters) for p in parsed.lines] == [
        (4, 2, "fartlek", 3000, 9600),
        (4, 7, "long-run", 5400, 15300),
    ]
    assert parsed.lines[0].main_set == MainSet(6, rep_seconds=120)


def test_durations_and_distances() -> None:
    assert parse_duration("60 min") == 3600
    assert parse_duration("1h 30m") == parse_duration("1:30") == parse_duration("90'") == 5400
    assert parse_duration("1:30:15") == 5415
    assert parse_duration("45 s") == 45
    assert parse_duration("800 m") is None and parse_duration("easy") is None
    assert parse_distance("11,5 km") == 11500
    assert parse_distance("800 m") == 800
    assert parse_distance("6 mi") == 9656
    assert parse_distance("60 min") is None


def test_main_sets() -> None:
    six = read_title("Intervals 6x800m @ 3:45/km", "intervals")
    assert six.main == MainSet(6, rep_meters=800) and six.effort == Effort("pace", 225, 225)
    assert read_title("Threshold 4 x 1.6 km", "threshold").main == MainSet(4, rep_meters=1600)
    assert read_title("Hill repeats 8x75 s", "hills").main == MainSet(8, rep_seconds=75)
    assert read_title("Easy run", "easy-run").main is None


def test_titles_name_blocks_closing_blocks_and_efforts() -> None:
    tempo = read_title("Tempo 20 min @ Z3", "tempo")
    assert tempo.main == MainSet(1, rep_seconds=1200) and tempo.effort == Effort("zone", 3, 3)
    assert read_title("Tempo 2x15 min @ 4:20/km", "tempo").main == MainSet(2, rep_seconds=900)
    last = read_title("Progression run, last 7 min @ Z3", "progression")
    assert last.main == MainSet(1, rep_seconds=420, last=True)
    hills = read_title("Hill repeats 8x75 s @ 173-180 bpm", "hills")
    assert hills.effort == Effort("heart_rate", 173, 180)
    ride = read_title("Sweet spot ride 3x12 min @ 220-235 W", "sweet-spot")
    assert ride.main == MainSet(3, rep_seconds=720) and ride.effort == Effort("power", 220, 235)
    swim = read_title("Swim intervals 10x100m @ 1:45/100m", "swim-intervals")
    assert swim.main == MainSet(10, rep_meters=100) and swim.effort == Effort("pace", 1050, 1050)
    assert read_title("Easy run @ Z2", "easy-run").effort == Effort("zone", 2, 2)
    # A number an easy run does not use stays a word of the title.
    assert read_title("Easy run 20 min", "easy-run").main is None


def test_types_from_titles() -> None:
    assert type_from_title("Tempo 25 min @ 4:20/km", "running") == "tempo"
    assert type_from_title("Easy run", "cycling") == "easy-run"
    assert type_from_title("Long ride", "triathlon") == "long-ride"
    assert type_from_title("VO2max ride 5x4 min", "triathlon") == "vo2max"
    assert type_from_title("Half marathon race", "running") == "race"
    assert type_from_title("Long run with the last 20 min at marathon pace", "running") == (
        "long-run"
    )
    assert type_from_title("Technique swim", "swimming") == "technique-swim"
    assert type_from_title("Track: 10x400m", "running") == "intervals"
    assert type_from_title("something else", "running") is None


def test_tolerant_parsing_and_unreadable_lines() -> None:
    text = """Plan for Anna (this intro is free text and skipped)
W1 D1 Mon  Easy run, 40 min, 7.0 km
Week 1 — base (focus: aerobic base)
# a note the coach left
w1 d2 tue: TEMPO · 50 min · 9.5 km
Week 1 Day 4 - easy jog | 45 min
D5 Fri  Rest
Sat  long run 14 km [moved from Sunday]
Wed  Strength, 30 min
this line means nothing
W1 D6  ???
"""
    parsed = parse_draft(text, first_weekday=0)
    got = [(p.lineno, p.day, p.type, p.seconds, p.meters) for p in parsed.lines]
    assert got == [
        (2, 1, "easy-run", 2400, 7000),
        (5, 2, "tempo", 3000, 9500),
        (6, 4, "easy-run", 2700, None),
        (8, 6, "long-run", None, 14000),
        (9, 3, "strength", 1800, None),
    ]
    assert parsed.rest_lines == 1
    assert [(u.lineno, u.text) for u in parsed.unreadable] == [
        (10, "this line means nothing"),
        (11, "W1 D6 ???"),
    ]


def test_weekday_only_lines_follow_the_first_weekday() -> None:
    parsed = parse_draft("Week 2\nMon easy run 40 min\n", first_weekday=2)
    assert (parsed.lines[0].week, parsed.lines[0].day) == (2, 6)
