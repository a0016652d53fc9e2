"""Geometry of the dashboard's charts, drawn as inline SVG by templates (web/includes/*_chart.html):
no JavaScript, no CDN, readable by screen readers through the title, the description and the
data table printed beside every chart. Pure functions over numbers: no ORM here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# A narrow drawing scaled to the column: its 13-14 px text stays legible on a 375 px phone.
WIDTH = 420
LEFT, RIGHT, TOP, BOTTOM = 44, 24, 12, 36
MAX_X_LABELS = 5


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # a rate in [0, 1] per period; None where nothing was requested
    css: str = ""


@dataclass
class LineChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    y_ticks: list[dict] = field(default_factory=list)  # {"y", "label"}
    x_labels: list[dict] = field(default_factory=list)  # {"x", "label"}
    lines: list[dict] = field(default_factory=list)  # {"name", "css", "segments": [points str], "dots"}

    @property
    def is_empty(self) -> bool:
        return not any(line["dots"] for line in self.lines)


def line_chart(labels: Sequence[str], series: Sequence[Series], *, height: int = 260) -> LineChart:
    """Rates over time on a 0-100 % axis. A period with no value breaks the line (no invented 0)."""
    chart = LineChart(
        width=WIDTH,
        height=height,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=height - BOTTOM,
    )
    span_x = chart.plot_right - chart.plot_left
    span_y = chart.plot_bottom - chart.plot_top
    count = len(labels)

    def x_at(index: int) -> float:
        return chart.plot_left + (span_x * index / (count - 1) if count > 1 else span_x / 2)

    def y_at(rate: float) -> float:
        return chart.plot_bottom - span_y * max(0.0, min(1.0, rate))

    chart.y_ticks = [{"y": round(y_at(tick / 100), 1), "label": f"{tick}%"} for tick in (0, 25, 50, 75, 100)]
    step = max(1, -(-count // MAX_X_LABELS))
    chart.x_labels = [
        {"x": round(x_at(index), 1), "label": label}
        for index, label in enumerate(labels)
        if index % step == 0
    ]
    for line in series:
        segments, current, dots = [], [], []
        for index, value in enumerate(line.values):
            if value is None:
                if current:
                    segments.append(current)
                current = []
                continue
            point = (round(x_at(index), 1), round(y_at(value), 1))
            current.append(point)
            dots.append({"x": point[0], "y": point[1], "label": f"{labels[index]}: {value:.0%}"})
        if current:
            segments.append(current)
        chart.lines.append(
            {
                "name": line.name,
                "css": line.css,
                "segments": [" ".join(f"{x},{y}" for x, y in segment) for segment in segments],
                "dots": dots,
            }
        )
    return chart


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown
    x: float = 0
    y: float = 0
    length: float = 0


@dataclass
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    label_width: int
    bar_height: int
    is_horizontal: bool
    axis_y: int = 0

    @property
    def is_empty(self) -> bool:
        # A trust at 0 % is still a bar to show; a histogram of nothing but zeros is empty.
        return not self.bars if self.is_horizontal else not any(bar.value for bar in self.bars)


BAR_ROW = 30
LABEL_CHARS = 17


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def horizontal_bars(rows: Sequence[tuple[str, float, str]], *, maximum: float = 1.0) -> BarChart:
    """One bar per (label, value, text) on a 0..maximum scale, labels on the left."""
    label_width, value_width = 175, 44
    span = WIDTH - label_width - value_width
    bars = [
        Bar(
            label=_short(label),
            value=value,
            text=text,
            x=label_width,
            y=index * BAR_ROW + 4,
            length=round(span * (max(0.0, min(value, maximum)) / maximum if maximum else 0), 1),
        )
        for index, (label, value, text) in enumerate(rows)
    ]
    return BarChart(
        width=WIDTH,
        height=max(len(bars), 1) * BAR_ROW + 8,
        bars=bars,
        label_width=label_width,
        bar_height=BAR_ROW - 10,
        is_horizontal=True,
    )


def histogram(rows: Sequence[tuple[str, int]], *, height: int = 220) -> BarChart:
    """Counts per bucket as vertical bars, bucket names under them."""
    top, bottom = 24, 36
    span_y = height - top - bottom
    left = 8
    slot = (WIDTH - left) / max(len(rows), 1)
    largest = max((count for _, count in rows), default=0)
    bars = []
    for index, (label, count) in enumerate(rows):
        length = round(span_y * count / largest, 1) if largest else 0
        bars.append(
            Bar(
                label=label,
                value=count,
                text=str(count),
                x=round(left + index * slot + slot * 0.15, 1),
                y=round(height - bottom - length, 1),
                length=length,
            )
        )
    return BarChart(
        width=WIDTH,
        height=height,
        bars=bars,
        label_width=round(slot * 0.7),
        bar_height=0,
        is_horizontal=False,
        axis_y=height - bottom,
    )
