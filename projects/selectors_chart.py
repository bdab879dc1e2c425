"""The connection page's chart of recent syncs and its table rows, worked out here so the template only places them.

The chart is server-rendered SVG (no JavaScript): items received (grey) and errors (red) per sync, oldest on the left,
a y-axis with tick labels, each sync's start time under its bars and its counts above them. A screen reader gets its
title, a summary in words (`desc`) and the table of the same syncs beside it. Colours live in static CSS (the strict
CSP allows no inline style).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from connector_portal.dates import at_time, when
from projects.models import SyncRun

WIDTH, HEIGHT = 480, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 18, 40  # room for the y tick labels, the counts above bars and the x labels
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MIN_ERROR_HEIGHT = 3  # an error stays visible next to thousands of items
SHORT_MESSAGE = 80  # longer reasons go below the sync table, once, instead of into every row
KIND_PLURALS = {"submittal": "submittals", "rfi": "RFIs"}


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Slot:
    """One sync: its bars, its start time under them and its counts in words (the bars' tooltip)."""

    items: Bar
    errors: Bar | None
    time: str
    time_x: float
    words: str


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class SyncChart:
    slots: list[Slot]
    ticks: list[Tick]
    summary: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    top: int = TOP
    baseline: int = HEIGHT - BOTTOM
    x_title_y: int = HEIGHT - 6
    y_title_y: int = TOP - 6


def _step(peak: int) -> int:
    """A round tick step (1, 2 or 5 times a power of ten) giving at most five ticks above zero."""
    raw = max(peak / 4, 1)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _bar(x: float, width: float, count: int, top: int, *, minimum: float = 0) -> Bar:
    height = max(PLOT_H * count / top, minimum if count else 0)
    y = TOP + PLOT_H - height
    return Bar(
        x=round(x, 1),
        y=round(y, 1),
        width=round(width, 1),
        height=round(height, 1),
        count=count,
        label_x=round(x + width / 2, 1),
        label_y=round(y - 4, 1),
    )


def _summary(finished: Sequence[SyncRun]) -> str:
    items, errors = sum(r.fetched for r in finished), sum(r.errors for r in finished)
    most = max(finished, key=lambda r: r.fetched)
    span = (
        f"{when(finished[0].started_at)} to {when(finished[-1].started_at)}"
        if len(finished) > 1
        else (f"at {when(finished[0].started_at)}")
    )
    count = f"{len(finished)} sync{'s' if len(finished) != 1 else ''}"
    return (
        f"{count} {span}: {items:,} items received and {errors:,} error{'s' if errors != 1 else ''} in all; "
        f"the most in one sync, {most.fetched:,} items, at {when(most.started_at)}."
    )


def sync_chart(runs: Sequence[SyncRun]) -> SyncChart | None:
    """The finished runs among `runs` (newest first, as listed), charted oldest on the left; None when none."""
    finished = [r for r in reversed(runs) if r.status not in (SyncRun.Status.RUNNING, SyncRun.Status.QUEUED)]
    if not finished:
        return None
    peak = max(max(r.fetched for r in finished), max(r.errors for r in finished), 1)
    step = _step(peak)
    top = step * math.ceil(peak / step)
    ticks = [Tick(value=v, y=round(TOP + PLOT_H - PLOT_H * v / top, 1)) for v in range(0, top + 1, step)]
    slot_w = PLOT_W / len(finished)
    bar_w = min(slot_w * 0.38, 28)
    slots = []
    for index, run in enumerate(finished):
        start = LEFT + index * slot_w + (slot_w - 2 * bar_w - 2) / 2
        errors = _bar(start + bar_w + 2, bar_w, run.errors, top, minimum=MIN_ERROR_HEIGHT) if run.errors else None
        slots.append(
            Slot(
                items=_bar(start, bar_w, run.fetched, top),
                errors=errors,
                time=at_time(run.started_at),
                time_x=round(LEFT + index * slot_w + slot_w / 2, 1),
                words=f"{when(run.started_at)}: {run.fetched:,} items, {run.errors:,} errors",
            )
        )
    return SyncChart(slots=slots, ticks=ticks, summary=_summary(finished))


@dataclass(frozen=True)
class RunRow:
    """A row of the Recent syncs table: a short result, and the number of the note below that says the rest."""

    run: SyncRun
    short: str
    note: int | None


def run_rows(runs: Sequence[SyncRun]) -> tuple[list[RunRow], list[str]]:
    """The rows and the long reasons, each said once below the table however many syncs ended with it."""
    notes: list[str] = []
    rows = []
    for run in runs:
        message = run.message.strip()
        if run.held_kinds:
            kinds = " and ".join(KIND_PLURALS.get(k, k) for k in run.held_kinds)
            short = f"{kinds[:1].upper()}{kinds[1:]} held back"
        elif len(message) <= SHORT_MESSAGE:
            rows.append(RunRow(run=run, short=message, note=None))
            continue
        else:
            short = message.split(". ")[0][:SHORT_MESSAGE].rstrip(".") + "…"
        if message and message not in notes:
            notes.append(message)
        rows.append(RunRow(run=run, short=short, note=notes.index(message) + 1 if message else None))
    return rows, notes
