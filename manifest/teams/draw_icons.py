"""Draws Tally's Teams icons: a five-bar tally gate (four strokes, one struck through).

Run once when the design changes (needs Pillow, a test extra): python manifest/teams/draw_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent
NAVY = (29, 78, 137, 255)
AMBER = (246, 183, 60, 255)
WHITE = (255, 255, 255, 255)


def tally_gate(draw: ImageDraw.ImageDraw, size: int, colour, strike, width: int, margin: float) -> None:  # type: ignore[no-untyped-def]
    """Four upright strokes and a diagonal through them, scaled to the canvas."""
    left, right = size * margin, size * (1 - margin)
    top, bottom = size * 0.24, size * 0.76
    step = (right - left) / 4
    for i in range(4):
        x = left + step * (i + 0.5)
        draw.line([(x, top), (x, bottom)], fill=colour, width=width)
    draw.line(
        [(left - step * 0.1, bottom - size * 0.06), (right + step * 0.1, top + size * 0.06)], fill=strike, width=width
    )


def colour_icon() -> Image.Image:
    size = 192
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([0, 0, size - 1, size - 1], radius=36, fill=NAVY)
    tally_gate(draw, size, WHITE, AMBER, width=14, margin=0.2)
    return image


def outline_icon() -> Image.Image:
    """Teams wants white on transparent, 32x32."""
    size = 32
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    tally_gate(ImageDraw.Draw(image), size, WHITE, WHITE, width=2, margin=0.12)
    return image


if __name__ == "__main__":
    colour_icon().save(HERE / "color.png")
    outline_icon().save(HERE / "outline.png")
    print("wrote color.png and outline.png")
