"""Traveler barcodes: Code128 (python-barcode) and QR (segno), as inline SVG."""

import io
import re

import barcode
import segno
from barcode.writer import SVGWriter

# What a keyboard-wedge scan of a barcode or a QR (a URL) may contain.
TRAVELER_NUMBER_RE = re.compile(r"TRV-\d{6,}", re.IGNORECASE)


def code128_modules(text: str) -> str:
    """The bar/space modules ('1' = bar) python-barcode draws for the text."""
    return barcode.get("code128", text).build()[0]


def code128_svg(text: str, *, module_height: float = 12.0) -> str:
    """An inline <svg> Code128 symbol of the text (no human-readable line)."""
    symbol = barcode.get("code128", text, writer=SVGWriter())
    buffer = io.BytesIO()
    symbol.write(
        buffer,
        options={
            "module_height": module_height,
            "module_width": 0.3,
            "write_text": False,
            "quiet_zone": 4,
        },
    )
    svg = buffer.getvalue().decode()
    # Presentation attributes rather than inline CSS: WeasyPrint (PDF) ignores
    # the style form, which would leave the white quiet-zone rectangle black.
    svg = re.sub(r'style="fill:(\w+);?"', r'fill="\1"', svg)
    return svg[svg.index("<svg") :]


def qr_svg(text: str, *, scale: int = 3) -> str:
    """An inline <svg> QR code of the text."""
    return segno.make(text, error="m").svg_inline(scale=scale)


def parse_scan(raw: str) -> str:
    """The traveler number in a scan: a bare number or a URL that contains one."""
    raw = (raw or "").strip()
    match = TRAVELER_NUMBER_RE.search(raw)
    return match.group(0).upper() if match else raw.upper()
