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
from xml.sax.saxutils import escape, quoteattr

from PIL import Image, ImageDraw, ImageFont

WIDTH = 720
FONT_SIZE = 12
CHAR_WIDTH = 0.58  # average glyph width per font size; the SVG cannot measure text, so both outputs estimate
INK, MUTED, GRID = "#111827", "#6b7280", "#e5e7eb"
OPENED, CLOSED, OPEN = "#b91c1c", "#15803d", "#1d4ed8"
FONT_FAMILY = "DejaVu Sans, Segoe UI, Helvetica, Arial, sans-serif"


@dataclass
class BarChart:
    """Horizontal bars, one per (label, value)."""

    title: str
    bars: list[tuple[str, float]]
    colour: str = "#2563eb"


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
    size: int = FONT_SIZE
    bold: bool = False
    tooltip: str = ""  # the full text when `text` was shortened


@dataclass
class _Drawing:
    title: str
    width: int
    height: int
    shapes: list = field(default_factory=list)


def _fit(text: str, width: float, size: int = FONT_SIZE) -> str:
    """Shorten text with an ellipsis so that it fits `width` pixels."""
    room = int(width / (size * CHAR_WIDTH))
    return text if len(text) <= room else text[: max(room - 1, 1)].rstrip() + "…"


def _nice_max(value: float) -> float:
    """A round number at least `value`, for the scale's end."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 2.5, 5, 10) if step * magnitude >= value)


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) and not value.is_integer() else f"{int(value)}"


def _layout(chart: BarChart | TimeChart) -> _Drawing:
    return _layout_bars(chart) if isinstance(chart, BarChart) else _layout_months(chart)


def _layout_bars(chart: BarChart) -> _Drawing:
    row, top, label_width, value_width = 24, 34, WIDTH * 0.42, 48
    drawing = _Drawing(chart.title, WIDTH, top + row * max(len(chart.bars), 1) + 10)
    drawing.shapes.append(_Text(0, 18, chart.title, size=14, bold=True))
    scale = _nice_max(max((value for _, value in chart.bars), default=0))
    bar_left, bar_room = label_width + 8, WIDTH - label_width - 8 - value_width
    for index, (label, value) in enumerate(chart.bars):
        y = top + index * row
        shown = _fit(label, label_width)
        drawing.shapes.append(_Text(label_width, y + 16, shown, anchor="end", tooltip=label if shown != label else ""))
        length = bar_room * value / scale
        if length > 0:
            drawing.shapes.append(_Rect(bar_left, y + 4, max(length, 1.5), row - 8, chart.colour))
        drawing.shapes.append(_Text(bar_left + length + 6, y + 16, _number(value), fill=MUTED))
    drawing.shapes.append(_Line([(bar_left, top), (bar_left, top + row * max(len(chart.bars), 1))], MUTED))
    return drawing


def _layout_months(chart: TimeChart) -> _Drawing:
    height, left, right, top, bottom = 300, 44, 12, 52, 36
    drawing = _Drawing(chart.title, WIDTH, height)
    shapes = drawing.shapes
    shapes.append(_Text(0, 18, chart.title, size=14, bold=True))
    x = left
    for colour, name, is_line in zip((OPENED, CLOSED, OPEN), chart.legend, (False, False, True), strict=True):
        if is_line:
            shapes.append(_Line([(x, 36), (x + 14, 36)], colour, 2.5))
        else:
            shapes.append(_Rect(x, 30, 12, 12, colour))
        shapes.append(_Text(x + 18, 41, name))
        x += 18 + len(name) * FONT_SIZE * CHAR_WIDTH + 22
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    base = top + plot_h
    scale = _nice_max(max((max(o, c, n) for _, o, c, n in chart.months), default=0))
    for step in range(5):
        value = scale * step / 4
        y = base - plot_h * step / 4
        shapes.append(_Line([(left, y), (WIDTH - right, y)], GRID if step else MUTED))
        shapes.append(_Text(left - 6, y + 4, _number(value), anchor="end", fill=MUTED))
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

def to_svg(chart: BarChart | TimeChart) -> str:
    """The chart as an inline <svg> element: attributes only, escaped text, no script."""
    drawing = _layout(chart)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {drawing.width} {drawing.height}" width="100%" '
        f'role="img" aria-label={quoteattr(drawing.title)} font-family={quoteattr(FONT_FAMILY)} font-size="{FONT_SIZE}">',
        f"<title>{escape(drawing.title)}</title>",
    ]
    for shape in drawing.shapes:
        if isinstance(shape, _Rect):
            out.append(f'<rect x="{shape.x:.1f}" y="{shape.y:.1f}" width="{shape.w:.1f}" height="{shape.h:.1f}" fill="{shape.fill}"/>')
        elif isinstance(shape, _Line):
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in shape.points)
            out.append(f'<polyline points="{points}" fill="none" stroke="{shape.stroke}" stroke-width="{shape.width}"/>')
        else:
            weight = ' font-weight="bold"' if shape.bold else ""
            tooltip = f"<title>{escape(shape.tooltip)}</title>" if shape.tooltip else ""
            out.append(f'<text x="{shape.x:.1f}" y="{shape.y:.1f}" text-anchor="{shape.anchor}" fill="{shape.fill}" '
                       f'font-size="{shape.size}"{weight}>{tooltip}{escape(shape.text)}</text>')
    out.append("</svg>")
    return "\n".join(out)


@cache
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf", size)
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
            draw.rectangle([shape.x * scale, shape.y * scale, (shape.x + shape.w) * scale - 1, (shape.y + shape.h) * scale - 1], fill=shape.fill)
        elif isinstance(shape, _Line):
            draw.line([(x * scale, y * scale) for x, y in shape.points], fill=shape.stroke, width=max(round(shape.width * scale), 1), joint="curve")
        else:
            draw.text((shape.x * scale, shape.y * scale), shape.text, fill=shape.fill, font=_font(shape.size * scale, shape.bold), anchor=anchors[shape.anchor])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
