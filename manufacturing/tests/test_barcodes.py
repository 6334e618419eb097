import re

import pytest
from PIL import Image, ImageDraw

from manufacturing import barcodes

zxingcpp = pytest.importorskip("zxingcpp")

MM = re.compile(
    r'<rect x="([\d.]+)mm" y="[\d.]+mm" width="([\d.]+)mm" height="[\d.]+mm" fill="black"'
)


def _rasterise(svg: str, *, px_per_mm: int = 20) -> Image.Image:
    """Draw the SVG's bars into a bitmap, so the decoder reads what we serve."""
    width_mm = float(re.search(r'width="([\d.]+)mm"', svg).group(1))
    image = Image.new("L", (int(width_mm * px_per_mm) + 40, 200), 255)
    draw = ImageDraw.Draw(image)
    for x, w in MM.findall(svg):
        x0 = 20 + float(x) * px_per_mm
        draw.rectangle([x0, 20, x0 + float(w) * px_per_mm - 1, 180], fill=0)
    return image


@pytest.mark.parametrize("number", ["TRV-000001", "TRV-004217", "TRV-123456789"])
def test_code128_svg_decodes_back_to_traveler_number(number):
    svg = barcodes.code128_svg(number)
    results = zxingcpp.read_barcodes(_rasterise(svg))
    assert [(r.text, r.format.name) for r in results] == [(number, "Code128")]


def test_svg_bars_match_code128_symbol_data():
    number = "TRV-000042"
    svg = barcodes.code128_svg(number)
    module = 0.3
    bars = [
        (round(float(x) / module), round(float(w) / module)) for x, w in MM.findall(svg)
    ]
    origin = bars[0][0]
    drawn = ["0"] * (bars[-1][0] + bars[-1][1] - origin)
    for x, w in bars:
        drawn[x - origin : x - origin + w] = ["1"] * w
    assert "".join(drawn) == barcodes.code128_modules(number).strip("0")


def test_svg_has_no_inline_styles_for_pdf():
    assert "style=" not in barcodes.code128_svg("TRV-000001")


def test_qr_svg_decodes():
    import io

    import segno

    qr = segno.make("https://nexus.example/manufacturing/travelers/7/", error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=8)
    buffer.seek(0)
    results = zxingcpp.read_barcodes(Image.open(buffer))
    assert results[0].text == "https://nexus.example/manufacturing/travelers/7/"
    assert barcodes.qr_svg("x").startswith("<svg")


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("TRV-000123", "TRV-000123"),
        (" trv-000123\n", "TRV-000123"),
        ("https://nexus.example/manufacturing/travelers/5/?n=TRV-000555", "TRV-000555"),
        ("garbage", "GARBAGE"),
    ],
)
def test_parse_scan(raw, number):
    assert barcodes.parse_scan(raw) == number
