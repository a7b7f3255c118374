"""Small charts for the management review: bars by category, and cases month by month.

Each chart is laid out once as a few shapes (rectangles, lines, text) and written out twice: as SVG text for the
page and as PNG bytes (Pillow) for Word. The SVG carries its colours as attributes, never style="", so the page's
Content-Security-Policy (style-src 'self') allows it, and every label is escaped.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from functools import cache
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

WIDTH = 640
FONT_SIZE = 12
CHAR_WIDTH = 0.58  # average glyph width per font size; the SVG cannot measure text, so both outputs estimate
INK, MUTED, GRID = "#111827", "#6b7280", "#e5e7eb"
OPENED, CLOSED, OPEN = "#b91c1c", "#15803d", "#1d4ed8"
FONT_FAMILY = "DejaVu Sans, Segoe UI, Helvetica, Arial, sans-serif"


# A chart's title is not drawn: the heading above the chart is its caption. The SVG carries it as its
# accessible name (<title>, aria-label).


@dataclass
class BarChart:
    """Horizontal bars, one per (label, value); `colours`, if given, one per bar."""

    title: str
    bars: list[tuple[str, float]]
    colour: str = "#2563eb"
    colours: list[str] | None = None


@dataclass
class TimeChart:
    """Per month: cases opened and closed (bars) and open at the month's end (line)."""

    title: str
    months: list[tuple[str, int, int, int]]  # (label, opened, closed, open at month end)
    legend: tuple[str, str, str]  # names of the three series, in the chart's language


# Shapes: the one layout both writers draw


@dataclass
class _Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str


@dataclass
class _Line:
    points: list[tuple[float, float]]
    stroke: str
    width: float = 1


@dataclass
class _Text:
    x: float
    y: float  # the baseline
    text: str
    anchor: str = "start"  # start | middle | end
    fill: str = INK
    tooltip: str = ""  # the full text when `text` was shortened


@dataclass
class _Drawing:
    title: str
    width: int
    height: int
    shapes: list = field(default_factory=list)


def _fit(text: str, width: float) -> str:
    """Shorten text with an ellipsis so that it fits `width` pixels."""
    room = int(width / (FONT_SIZE * CHAR_WIDTH))
    return text if len(text) <= room else text[: max(room - 1, 1)].rstrip() + "…"


def _wrap(text: str, width: float, lines: int = 2) -> list[str]:
    """Break text at spaces into at most `lines` lines of `width` pixels; the last one is shortened if need be."""
    room, rest = int(width / (FONT_SIZE * CHAR_WIDTH)), text
    out: list[str] = []
    while len(out) < lines - 1 and len(rest) > room:
        cut = rest.rfind(" ", 0, room + 1)
        if cut <= 0:
            break
        out.append(rest[:cut])
        rest = rest[cut + 1 :]
    return [*out, _fit(rest, width)]


def _axis(maximum: float) -> tuple[int, int]:
    """(top, step) of a count axis: whole-number steps of 1, 2 or 5 times a power of ten, at most five ticks."""
    if maximum <= 0:
        return 1, 1
    raw = maximum / 4
    magnitude = 10 ** max(math.floor(math.log10(raw)), 0)
    step = next(s * magnitude for s in (1, 2, 5, 10) if s * magnitude >= raw)
    return step * math.ceil(maximum / step), step


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) and not value.is_integer() else f"{int(value)}"


def _layout(chart: BarChart | TimeChart) -> _Drawing:
    return _layout_bars(chart) if isinstance(chart, BarChart) else _layout_months(chart)


def _layout_bars(chart: BarChart) -> _Drawing:
    line, pad, label_width, value_width = 14, 10, WIDTH * 0.42, 48
    bar_left = label_width + 8
    bar_room = WIDTH - bar_left - value_width
    largest = max((value for _, value in chart.bars), default=0) or 1
    drawing = _Drawing(chart.title, WIDTH, 0)
    y = 4
    for bar, (label, value) in enumerate(chart.bars):
        lines = _wrap(label, label_width)
        height = pad + line * len(lines)
        middle = y + height / 2
        shortened = " ".join(lines) != label
        for index, text in enumerate(lines):
            baseline = middle + 4 + line * (index - (len(lines) - 1) / 2)
            drawing.shapes.append(
                _Text(label_width, baseline, text, anchor="end", tooltip=label if shortened and index == 0 else "")
            )
        length = bar_room * value / largest
        if length > 0:
            colour = chart.colours[bar] if chart.colours else chart.colour
            drawing.shapes.append(_Rect(bar_left, middle - 8, max(length, 1.5), 16, colour))
        drawing.shapes.append(_Text(bar_left + length + 6, middle + 4, _number(value), fill=MUTED))
        y += height
    drawing.shapes.append(_Line([(bar_left, 4), (bar_left, max(y, 28))], MUTED))
    drawing.height = int(max(y, 28) + 6)
    return drawing


def _layout_months(chart: TimeChart) -> _Drawing:
    height, left, right, top, bottom = 260, 44, 12, 34, 30
    drawing = _Drawing(chart.title, WIDTH, height)
    shapes = drawing.shapes
    x: float = left
    for colour, name, is_line in zip((OPENED, CLOSED, OPEN), chart.legend, (False, False, True), strict=True):
        if is_line:
            shapes.append(_Line([(x, 12), (x + 14, 12)], colour, 2.5))
        else:
            shapes.append(_Rect(x, 6, 12, 12, colour))
        shapes.append(_Text(x + 18, 17, name))
        x += 18 + len(name) * FONT_SIZE * CHAR_WIDTH + 22
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    base = top + plot_h
    scale, step = _axis(max((max(o, c, n) for _, o, c, n in chart.months), default=0))
    for value in range(0, scale + 1, step):
        y = base - plot_h * value / scale
        shapes.append(_Line([(left, y), (WIDTH - right, y)], GRID if value else MUTED))
        shapes.append(_Text(left - 6, y + 4, str(value), anchor="end", fill=MUTED))
    count = max(len(chart.months), 1)
    slot = plot_w / count
    bar = min(slot * 0.32, 22)
    every = math.ceil(count / max(int(plot_w / 64), 1))  # leave out labels that would collide
    line = []
    for index, (label, opened, closed, still_open) in enumerate(chart.months):
        middle = left + slot * (index + 0.5)
        for offset, value, colour in ((-bar, opened, OPENED), (0, closed, CLOSED)):
            h = plot_h * value / scale
            if h > 0:
                shapes.append(_Rect(middle + offset, base - h, bar, h, colour))
        line.append((middle, base - plot_h * still_open / scale))
        if index % every == 0:
            shapes.append(_Text(middle, base + 18, _fit(label, slot * every), anchor="middle", fill=MUTED))
    if len(line) > 1:
        shapes.append(_Line(line, OPEN, 2.5))
    for point in line:
        shapes.append(_Rect(point[0] - 3, point[1] - 3, 6, 6, OPEN))
    return drawing


# Writers


def _attribute(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def to_svg(chart: BarChart | TimeChart) -> str:
    """The chart as an inline <svg> element: attributes only, escaped text, no script."""
    drawing = _layout(chart)
    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {drawing.width} {drawing.height}" width="100%" '
            f'role="img" aria-label="{_attribute(drawing.title)}" font-family="{_attribute(FONT_FAMILY)}" font-size="{FONT_SIZE}">'
        ),
        f"<title>{escape(drawing.title)}</title>",
    ]
    for shape in drawing.shapes:
        if isinstance(shape, _Rect):
            out.append(
                f'<rect x="{shape.x:.1f}" y="{shape.y:.1f}" width="{shape.w:.1f}" height="{shape.h:.1f}" fill="{shape.fill}"/>'
            )
        elif isinstance(shape, _Line):
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in shape.points)
            out.append(
                f'<polyline points="{points}" fill="none" stroke="{shape.stroke}" stroke-width="{shape.width}"/>'
            )
        else:
            tooltip = f"<title>{escape(shape.tooltip)}</title>" if shape.tooltip else ""
            out.append(
                f'<text x="{shape.x:.1f}" y="{shape.y:.1f}" text-anchor="{shape.anchor}" fill="{shape.fill}">{tooltip}{escape(shape.text)}</text>'
            )
    out.append("</svg>")
    return "\n".join(out)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:  # no DejaVu on this machine: Pillow's own font
        return ImageFont.load_default(size=size)


def to_png(chart: BarChart | TimeChart, scale: int = 3) -> bytes:
    """The chart as a PNG, `scale` times the SVG's size so it stays sharp in print."""
    drawing = _layout(chart)
    image = Image.new("RGB", (drawing.width * scale, drawing.height * scale), "white")
    draw = ImageDraw.Draw(image)
    anchors = {"start": "ls", "middle": "ms", "end": "rs"}
    for shape in drawing.shapes:
        if isinstance(shape, _Rect):
            draw.rectangle(
                [shape.x * scale, shape.y * scale, (shape.x + shape.w) * scale - 1, (shape.y + shape.h) * scale - 1],
                fill=shape.fill,
            )
        elif isinstance(shape, _Line):
            draw.line(
                [(x * scale, y * scale) for x, y in shape.points],
                fill=shape.stroke,
                width=max(round(shape.width * scale), 1),
                joint="curve",
            )
        else:
            draw.text(
                (shape.x * scale, shape.y * scale),
                shape.text,
                fill=shape.fill,
                font=_font(FONT_SIZE * scale),
                anchor=anchors[shape.anchor],
            )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
