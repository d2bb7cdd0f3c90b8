"""Small bar charts drawn as inline SVG on the server: no chart library, no script."""

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 22, 28  # room for the axis labels and the value above a bar


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    day: date


@dataclass(frozen=True)
class BarChart:
    title: str
    unit: str  # "sign-up", "post": the words beside each number
    bars: list[Bar]
    y_max: int
    total: int
    peak: Bar | None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    baseline: int = HEIGHT - BOTTOM

    @property
    def x_labels(self) -> list[Bar]:
        """The bars whose date is written under the axis: the first, every seventh, the last."""
        last = len(self.bars) - 1
        return [bar for i, bar in enumerate(self.bars) if i % 7 == 0 and last - i >= 4 or i == last]


def _nice_ceiling(value: int) -> int:
    """The next 1, 2 or 5 times a power of ten at or above `value` (at least 1), for the axis."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= step * factor:
                return step * factor
        step *= 10


def bar_chart(title: str, unit: str, points: list[tuple[date, int]]) -> BarChart:
    """Lay out one bar per point; each bar's value is also written above it."""
    y_max = _nice_ceiling(max((v for _, v in points), default=0))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(points), 1)
    bars = []
    for i, (day, value) in enumerate(points):
        height = plot_height * value / y_max
        bars.append(
            Bar(
                x=round(LEFT + i * slot + slot * 0.15, 2),
                y=round(TOP + plot_height - height, 2),
                width=round(slot * 0.7, 2),
                height=round(height, 2),
                value=value,
                day=day,
            )
        )
    peak = max(bars, key=lambda b: (b.value, b.day)) if bars else None
    return BarChart(
        title=title,
        unit=unit,
        bars=bars,
        y_max=y_max,
        total=sum(v for _, v in points),
        peak=peak if peak and peak.value else None,
    )
