"""Server-rendered SVG charts (no JavaScript library, no CDN)."""

from decimal import Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe


def _num(value) -> float:
    return float(value or 0)


def column_chart(
    points: list[tuple[str, float]], *, title: str, height: int = 160
) -> str:
    """Vertical bars, one per point (e.g. travelers completed per day)."""
    width = max(300, 14 * len(points) + 40)
    top = max([_num(v) for _label, v in points] + [1])
    bar = (width - 40) / max(len(points), 1)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height + 30}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg">',
        format_html("<title>{}</title>", title),
        f'<line x1="30" y1="{height}" x2="{width}" y2="{height}" stroke="#888"/>',
        f'<text x="0" y="12" font-size="10">{escape(_fmt(top))}</text>',
    ]
    for index, (label, value) in enumerate(points):
        h = (_num(value) / top) * (height - 20)
        x = 32 + index * bar
        parts.append(
            f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{max(bar - 2, 1):.1f}" '
            f'height="{h:.1f}" fill="#2f6fb0"><title>{escape(label)}: '
            f"{escape(_fmt(value))}</title></rect>"
        )
        if len(points) <= 16 or index % max(len(points) // 8, 1) == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{height + 14}" font-size="9">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every label and value above is escaped


def bar_chart(
    rows: list[tuple[str, float | None]],
    *,
    title: str,
    suffix: str = "",
    maximum: float | None = None,
    reference: float | None = None,
) -> str:
    """Horizontal bars with labels (e.g. efficiency % by operation)."""
    row_h, label_w, width = 22, 180, 520
    height = row_h * max(len(rows), 1) + 10
    top = maximum or max([_num(v) for _label, v in rows] + [1])
    scale = (width - label_w - 60) / top
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg">',
        format_html("<title>{}</title>", title),
    ]
    if reference is not None:
        x = label_w + reference * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}" stroke="#c33" '
            f'stroke-dasharray="4 3"/>'
        )
    for index, (label, value) in enumerate(rows):
        y = 5 + index * row_h
        w = _num(value) * scale
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" font-size="11" text-anchor="end">'
            f"{escape(label[:32])}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="#2f8f5b"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="11">'
            f"{escape(_fmt(value) if value is not None else '–')}{escape(suffix)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every label and value above is escaped


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, Decimal | float):
        return f"{float(value):.1f}".rstrip("0").rstrip(".")
    return str(value)
