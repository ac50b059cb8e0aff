#!/usr/bin/env python3
"""Build the bundled demo photo library ``sample_photos/`` (deterministic).

Two public-domain portraits that ship inside PyPI packages -- NASA's photo of
astronaut Eileen Collins (``skimage.data.astronaut()``, scikit-image) and the US
Navy photo of Grace Hopper (``grace_hopper.jpg``, matplotlib sample data) -- are
cut out head-and-shoulders and composited into procedurally drawn scenes:
Christmas and a birthday at home in Lyon, a picnic in a park, a trip to Kyoto, a
day at Lake Annecy.  Every photo gets real EXIF (camera make/model, local capture
time with its UTC offset, GPS, orientation), written with Pillow; one photo is a
HEIC, one JPEG is stored rotated with EXIF orientation 6, a burst of three is
near-identical, one shot is blurred, and a WhatsApp copy and a phone screenshot
carry no EXIF at all.

Needs numpy, Pillow (<12), pillow-heif, scikit-image and matplotlib, e.g.::

    python3 -m venv /tmp/samples-venv
    /tmp/samples-venv/bin/pip install numpy scikit-image matplotlib "pillow<12" pillow-heif
    /tmp/samples-venv/bin/python scripts/make_sample_photos.py

``python scripts/make_sample_photos.py`` deletes and rewrites every file in
``sample_photos/`` (CREDITS.md included).  All randomness is seeded, so a re-run
reproduces the same files.
"""

# The drawing code is dense and hand-aligned on purpose; keep the formatter off it.
# fmt: off
from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from matplotlib import cbook
from PIL import Image, ImageDraw, ImageFilter, ImageOps
from pillow_heif import register_heif_opener
from skimage import data

register_heif_opener()
OUT = Path(__file__).resolve().parent.parent / "sample_photos"
RGB = tuple[int, int, int]
Light = tuple[float, float, float, RGB]  # x, y, radius, colour
Rng = np.random.Generator
T = TypeVar("T")
GREENS: list[RGB] = [(44, 84, 40), (60, 108, 46), (82, 128, 58), (36, 68, 34), (100, 140, 70)]
PINKS: list[RGB] = [(246, 188, 204), (238, 168, 190), (252, 214, 226), (228, 148, 174),
                    (255, 236, 242)]
WALLS: list[RGB] = [(214, 160, 92), (196, 112, 72), (222, 152, 140), (232, 192, 112),
                    (230, 212, 172)]
PARTY: list[RGB] = [(230, 70, 86), (250, 196, 64), (80, 150, 226), (120, 196, 120)]
VERMILION: RGB = (222, 64, 30)
CAMERAS = {"pixel7": ("Google", "Pixel 7"), "pixel8": ("Google", "Pixel 8"),
           "iphone": ("Apple", "iPhone 13"), "fuji": ("FUJIFILM", "X-T30"),
           "galaxy": ("samsung", "SM-S911B")}
# (latitude, longitude, scatter in km) -- home is a flat in Lyon
HOME, PARK, LYON = (45.7578, 4.8320, 0.03), (45.7772, 4.8554, 0.15), (45.7640, 4.8357, 1.0)
KYOTO, ANNECY = (35.0116, 135.7681, 3.5), (45.8992, 6.1294, 2.0)


# ---------------------------------------------------------------- pixels and textures
def to_img(a: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"), dtype=np.float32).copy()


def shade(c: RGB, k: float) -> RGB:
    return (min(255, int(c[0] * k)), min(255, int(c[1] * k)), min(255, int(c[2] * k)))


def pick(rng: Rng, items: Sequence[T]) -> T:
    return items[int(rng.integers(len(items)))]


def disc(d: ImageDraw.ImageDraw, x: float, y: float, r: float, fill: RGB) -> None:
    d.ellipse([x - r, y - r, x + r, y + r], fill=fill)


def noise(rng: Rng, w: int, h: int, cells: int = 6, octaves: int = 4,
          stretch: float = 1.0) -> np.ndarray:
    """Smooth fractal value noise in [0, 1]; stretch > 1 elongates features horizontally."""
    out = np.zeros((h, w), np.float32)
    for o in range(octaves):
        nx = cells * 2**o
        small = Image.fromarray(rng.random((max(2, round(nx * h / w * stretch)), nx), np.float32))
        out += np.asarray(small.resize((w, h), Image.Resampling.BICUBIC)) / 2**o
    return (out - out.min()) / (np.ptp(out) + 1e-6)


def tex(rng: Rng, w: int, h: int, amount: float, cells: int = 8,
        stretch: float = 1.0) -> np.ndarray:
    """Multiplicative texture around 1.0, shaped (h, w, 1) to scale an RGB array."""
    return (1 - amount / 2 + amount * noise(rng, w, h, cells, 4, stretch))[..., None]


def ridge(rng: Rng, w: int, octaves: int = 6) -> np.ndarray:
    """A 1-D mountain profile in [0, 1], one value per column."""
    x, y = np.linspace(0, 1, w), np.zeros(w)
    for o in range(octaves):
        n = 3 * 2**o + 1
        y += np.interp(x, np.linspace(0, 1, n), rng.random(n)) / 1.9**o
    return (y - y.min()) / np.ptp(y)


def gradient(w: int, h: int, top: RGB, bottom: RGB) -> np.ndarray:
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    return np.broadcast_to((1 - t) * np.array(top) + t * np.array(bottom), (h, w, 3)).copy()


def sky(rng: Rng, w: int, h: int, top: RGB, bottom: RGB, clouds: float = 0.4) -> np.ndarray:
    a = gradient(w, h, top, bottom)
    c = noise(rng, w, h, cells=3, octaves=6, stretch=2.5)
    cover = (np.clip((c - 1 + clouds) * 3, 0, 0.92) * np.linspace(1, 0.4, h)[:, None])[..., None]
    return a * (1 - cover) + (215 + 40 * c[..., None]) * cover


def glow(a: np.ndarray, cx: float, cy: float, r: float, color: RGB) -> None:
    yy, xx = np.ogrid[: a.shape[0], : a.shape[1]]
    falloff = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / r**2)[..., None]
    a += np.asarray(color, np.float32) * falloff


def mountain(a: np.ndarray, rng: Rng, base: float, amp: float, color: RGB,
             snow: bool = False, octaves: int = 6) -> np.ndarray:
    """Fill everything below a ridge line, hazier towards its foot; returns the ridge."""
    h, w, _ = a.shape
    top = base - amp * ridge(rng, w, octaves)
    yy = np.arange(h)[:, None]
    m = yy >= top[None, :]
    t = 0.7 * noise(rng, w, h, 12, 5) + 0.3 * noise(rng, w, h, 30, 3, stretch=0.3)
    below = np.clip((yy - top[None, :]) / amp, 0, 1)
    slope = np.convolve(np.clip(-np.gradient(top) * 0.25, -0.3, 0.3), np.ones(9) / 9, "same")
    warp = ((noise(rng, w, h, 8, 3) - 0.5) * 120 * below).astype(int)  # gullies wander
    lit = slope[np.clip(np.arange(w)[None, :] + warp, 0, w - 1)] * np.exp(-2.5 * below)  # sun: left
    light, haze = (0.75 + 0.4 * t + lit)[..., None], below[..., None]
    col = np.asarray(color, np.float32) * light * (1 - .15 * haze) + 25 * haze
    if snow:
        s = m & (yy < base - amp * 0.72 + amp * 0.3 * t)
        col[s] = (200 + 50 * t[s] + 120 * lit[s])[:, None] * np.array([0.97, 0.98, 1.0])
    a[m] = col[m]
    return top


def water(a: np.ndarray, rng: Rng, hz: int, tint: RGB, mix: float = 0.45) -> None:
    """Replace the rows below hz by a rippled, tinted mirror image of what is above."""
    h, w, _ = a.shape
    n = h - hz
    depth = np.linspace(0, 1, n, dtype=np.float32)[:, None]
    wob = ((noise(rng, w, n, 24, 3, stretch=6) - 0.5) * (8 + 60 * depth)).astype(int)
    cols = np.clip(np.arange(w)[None, :] + wob, 0, w - 1)
    rows = np.clip(2 * hz - np.arange(hz, h) - 1, 0, hz - 1)[:, None]
    k = (mix + 0.2 * depth)[..., None]
    glint = np.clip((noise(rng, w, n, 40, 2, stretch=8) - 0.7) * 4, 0, 1)[..., None]
    a[hz:] = a[rows, cols] * 0.88 * (1 - k) + np.asarray(tint, np.float32) * k + glint * 55


def add_lights(img: Image.Image, lights: list[Light], blur: float) -> Image.Image:
    """Glowing bulbs: a blurred halo layer added on top, then bright cores."""
    layer = Image.new("RGB", img.size)
    d = ImageDraw.Draw(layer)
    for x, y, r, c in lights:
        disc(d, x, y, 3 * r, c)
    out = to_img(arr(img) + 0.8 * arr(layer.filter(ImageFilter.GaussianBlur(blur))))
    d = ImageDraw.Draw(out)
    for x, y, r, c in lights:
        disc(d, x, y, r, shade(c, 1.4))
    return out


# ---------------------------------------------------------------- things in the scenes
def canopy(d: ImageDraw.ImageDraw, rng: Rng, cx: float, cy: float, rx: float, ry: float,
           palette: list[RGB], n: int, blob: float) -> None:
    for _ in range(n):
        px, py = cx + rng.normal(0, rx * 0.42), cy + rng.normal(0, ry * 0.42)
        k = rng.uniform(0.88, 1.1) * (1 - 0.25 * np.clip((py - cy) / ry, -1, 1))
        disc(d, px, py, rng.uniform(0.5, 1.0) * blob * rx, shade(pick(rng, palette), k))


def tree(d: ImageDraw.ImageDraw, rng: Rng, x: float, base: float, size: float,
         blossom: bool = False) -> None:
    """A leafy or a cherry-blossom tree standing on base; size is about its height."""
    d.polygon([(x - size * .05, base), (x + size * .05, base), (x + size * .025, base - size * .6),
               (x - size * .025, base - size * .6)], fill=(74, 56, 42))
    for _ in range(7):
        end = (x + rng.normal(0, size * 0.3), base - size * rng.uniform(0.6, 0.95))
        d.line([(x, base - size * 0.45), end], fill=(64, 46, 36), width=max(2, int(size * .018)))
    if blossom:
        canopy(d, rng, x, base - size * 0.75, size * 0.5, size * 0.3, PINKS, 420, 0.1)
    else:
        canopy(d, rng, x, base - size * 0.72, size * 0.42, size * 0.34, GREENS, 160, 0.22)


def torii(d: ImageDraw.ImageDraw, cx: float, base: float, width: float, height: float,
          col: RGB) -> None:
    top, dark, w, h = base - height, shade(col, 0.25), width, height
    for px in (cx - w * .36, cx + w * .36):
        d.polygon([(px - w * .045, base), (px + w * .045, base), (px + w * .036, top),
                   (px - w * .036, top)], fill=col)
        d.rectangle([px - w * .05, base - h * .08, px + w * .05, base], fill=dark)
    d.rectangle([cx - w * .47, top + h * .2, cx + w * .47, top + h * .26], fill=col)
    d.rectangle([cx - w * .03, top + h * .06, cx + w * .03, top + h * .2], fill=col)
    d.rectangle([cx - w * .52, top - h * .01, cx + w * .52, top + h * .06], fill=col)
    d.polygon([(cx - w * .64, top - h * .11), (cx, top - h * .05), (cx + w * .64, top - h * .11),
               (cx + w * .56, top - h * .01), (cx - w * .56, top - h * .01)], fill=dark)


def roof(d: ImageDraw.ImageDraw, cx: float, y: float, half: float, tall: float, col: RGB) -> None:
    """A Japanese roof with upturned eaves; y is the eave line."""
    d.polygon([(cx - half * 1.08, y - tall * .25), (cx - half * .8, y), (cx + half * .8, y),
               (cx + half * 1.08, y - tall * .25), (cx + half * .45, y - tall),
               (cx - half * .45, y - tall)], fill=col)


def pagoda(d: ImageDraw.ImageDraw, cx: float, base: float, height: float, body: RGB,
           roof_col: RGB) -> None:
    th = height * 0.82 / 5
    for i in range(5):
        y, half = base - i * th, height * (0.2 - i * 0.02)
        d.rectangle([cx - half * .6, y - th, cx + half * .6, y], fill=body)
        d.rectangle([cx - half * .6, y - th * .35, cx + half * .6, y - th * .25],
                    fill=shade(body, 1.5))
        roof(d, cx, y - th * .55, half, th * .45, roof_col)
    d.line([(cx, base - th * 5.3), (cx, base - height)], fill=roof_col, width=int(height * .012))
    for k in range(6):
        disc(d, cx, base - th * 5.3 - k * (height - th * 5.3) / 7, height * .014, roof_col)


def facades(d: ImageDraw.ImageDraw, rng: Rng, w: int, base: float, hmax: float,
            lit: bool) -> None:
    """A row of old Lyon houses (ochre, terracotta, pink) with shuttered windows."""
    x, u = -rng.uniform(0, hmax * .3), hmax
    while x < w:
        bw, bh = u * rng.uniform(0.45, 0.8), u * rng.uniform(0.55, 1.0)
        col = shade(pick(rng, WALLS), rng.uniform(0.85, 1.05))
        d.rectangle([x, base - bh, x + bw, base], fill=col)
        d.rectangle([x - 3, base - bh - u * .04, x + bw + 3, base - bh], fill=(150, 78, 58))
        ncol, nrow = max(2, int(bw / (u * .16))), max(2, int(bh / (u * .2)))
        for r in range(nrow):
            for c in range(ncol):
                wx, wy = x + bw * (c + 0.5) / ncol, base - bh + bh * (r + 0.45) / (nrow + 0.2)
                glass = (250, 210, 120) if lit and rng.random() < 0.5 else (52, 58, 66)
                d.rectangle([wx - u * .035, wy - u * .06, wx + u * .035, wy + u * .06], fill=glass)
                d.rectangle([wx - u * .06, wy - u * .06, wx - u * .035, wy + u * .06],
                            fill=shade(col, .7))
        x += bw


def bilinear(q: np.ndarray, u: float, v: float) -> tuple[float, float]:
    """Point (u, v) of the quadrilateral q (corners clockwise from top-left)."""
    top, bottom = q[0] + (q[1] - q[0]) * u, q[3] + (q[2] - q[3]) * u
    p = top + (bottom - top) * v
    return float(p[0]), float(p[1])


# ---------------------------------------------------------------- scenes
def christmas_room(rng: Rng, w: int, h: int, tree_x: float = 0.25) -> Image.Image:
    """Living room at night: wallpaper, wooden floor, snowy window, lit tree and gifts."""
    u, fy = min(w, h), int(h * 0.82)
    a = gradient(w, h, (128, 66, 40), (74, 40, 28)) * tex(rng, w, h, 0.2)
    a *= 1 + 0.04 * np.sin(np.arange(w) / 14)[None, :, None]
    a[fy:] = gradient(w, h - fy, (110, 70, 44), (70, 44, 30)) * tex(rng, w, h - fy, 0.3, 30, 0.05)
    img = to_img(a)
    d = ImageDraw.Draw(img)
    wx = w * (0.8 if tree_x < 0.5 else 0.2)
    d.rectangle([wx - u * .2, h * .18, wx + u * .2, h * .62], fill=(236, 224, 200))
    d.rectangle([wx - u * .18, h * .2, wx + u * .18, h * .6], fill=(24, 34, 72))
    for _ in range(70):
        disc(d, rng.uniform(wx - u * .18, wx + u * .18), rng.uniform(h * .2, h * .6), 2,
             (220, 226, 240))
    d.line([(wx, h * .2), (wx, h * .6)], fill=(236, 224, 200), width=int(u * .01))
    x, base, th = w * tree_x, h * 0.9, h * 0.78
    d.rectangle([x - th * .04, base - th * .12, x + th * .04, base], fill=(70, 45, 30))
    for i in range(4):
        tb, hw = base - th * (0.08 + i * 0.2), th * (0.34 - i * 0.07)
        teeth = [(x + hw - 2 * hw * k / 10, tb + th * .03 * (k % 2)) for k in range(11)]
        d.polygon([(x, tb - th * .36), *teeth], fill=(26, 66, 38))
    lights: list[Light] = []
    for _ in range(900):  # needles, baubles and fairy lights
        y = base - th * .98 + th * .9 * np.sqrt(rng.random())
        px = x + (y - base + th * .98) * .356 * rng.uniform(-1, 1)
        green = shade(pick(rng, GREENS), .8)
        d.line([(px, y), (px + rng.normal(0, 6), y + 8)], fill=green, width=2)
        if rng.random() < 0.08:
            lights.append((px, y, 3, pick(rng, [(255, 200, 90), (255, 120, 80), (120, 200, 255)])))
        elif rng.random() < 0.03:  # baubles
            disc(d, px, y, th * .015, pick(rng, [(200, 30, 40), (220, 180, 60), (190, 190, 200)]))
    star = [(x + th * .045 * r * np.cos(t), base - th * .99 + th * .045 * r * np.sin(t))
            for r, t in zip([1, .45] * 5, np.linspace(-np.pi / 2, 1.5 * np.pi, 11), strict=False)]
    d.polygon(star, fill=(250, 214, 90))
    for gx in rng.uniform(x - th * .3, x + th * .3, 4):
        gs, gc = th * rng.uniform(.07, .12), pick(rng, [(170, 30, 40), (40, 90, 160), PARTY[1]])
        d.rectangle([gx - gs, base - gs * 1.2, gx + gs, base + gs * .2], fill=gc)
        d.rectangle([gx - gs * .12, base - gs * 1.2, gx + gs * .12, base + gs * .2],
                    fill=(240, 220, 160))
    lights += [(px, h * .05 + h * .07 * (1 - (px / w * 2 - 1) ** 2), 4.0, PARTY[i % 2])
               for i, px in enumerate(np.arange(20, w, w / 34))]
    return to_img(arr(add_lights(img, lights, u * .012)) * (1.06, 0.98, 0.86))


def park(rng: Rng, w: int, h: int, blanket: bool = True) -> Image.Image:
    """A city park in June: trees, mown grass and a checked picnic blanket."""
    hz = int(h * 0.5)
    a = sky(rng, w, h, (84, 146, 222), (198, 224, 242), 0.35)
    mountain(a, rng, hz, h * 0.07, (52, 86, 50), octaves=4)  # the far tree line
    rows, cols = np.arange(h - hz)[:, None], np.arange(w)[None, :]
    mown = 1 + 0.06 * np.sign(np.sin(cols / w * 9 + rows / h * 6))[..., None]
    grass = gradient(w, h - hz, (118, 166, 66), (68, 128, 40))
    a[hz:] = grass * mown * tex(rng, w, h - hz, .35, 40)
    img = to_img(a)
    d = ImageDraw.Draw(img)
    for tx in rng.uniform(0, w, 4):
        tree(d, rng, tx, hz + h * rng.uniform(0, .04), h * rng.uniform(.3, .45))
    for _ in range(2500):
        gx, gy = rng.uniform(0, w), rng.uniform(hz + h * .15, h)
        d.line([(gx, gy), (gx + rng.normal(0, 3), gy - rng.uniform(6, 16))],
               fill=shade(pick(rng, GREENS), 1.2), width=2)
    if blanket:
        q = np.array([(w * .02, h * .78), (w * .72, h * .74), (w * 1.05, h * 1.02), (-w * .1, h)])
        for i in range(8):
            for j in range(5):
                cell = [bilinear(q, (i + di) / 8, (j + dj) / 5)
                        for di, dj in ((0, 0), (1, 0), (1, 1), (0, 1))]
                d.polygon(cell, fill=(196, 40, 46) if (i + j) % 2 else (238, 232, 222))
    return img


def city_river(rng: Rng, w: int, h: int, dusk: bool = False) -> Image.Image:
    """Lyon: Fourvière hill and its basilica above the quays of the Saône."""
    hz, q = int(h * 0.66), int(h * .03)
    top, bottom = ((70, 80, 140), (250, 160, 110)) if dusk else ((96, 150, 214), (206, 222, 236))
    a = sky(rng, w, h, top, bottom, 0.25 if dusk else 0.4)
    if dusk:
        glow(a, w * 0.3, hz - h * .25, h * .25, (120, 70, 30))
    hill = mountain(a, rng, hz - h * .1, h * .2, (60, 96, 56), octaves=3)
    img = to_img(a)
    d = ImageDraw.Draw(img)
    px = int(np.argmin(hill[int(w * .2):int(w * .8)])) + int(w * .2)
    by, s = hill[px] + h * .02, h * .09
    d.rectangle([px - s, by - s * .6, px + s, by], fill=(232, 226, 212))  # the basilica
    for k in (-1, -.33, .33, 1):
        d.rectangle([px + (k - .1) * s, by - s * .95, px + (k + .1) * s, by], fill=(226, 220, 206))
    d.line([(px + s * 1.6, by + s * .3), (px + s * 1.6, by - s * 1.4)], fill=(120,) * 3, width=3)
    facades(d, rng, w, hz, h * .26, dusk)
    a = arr(img)
    a[hz:hz + q] = (150 + 30 * noise(rng, w, q, 40, 2))[..., None] * np.array([1.0, 0.95, 0.86])
    water(a, rng, hz + q, (90, 70, 80) if dusk else (64, 92, 84))
    return to_img(a)


def lake(rng: Rng, w: int, h: int, sunset: bool = False, boats: int = 3,
         shore_tree: bool = False) -> Image.Image:
    """Lake Annecy: turquoise water below layered mountains, sailing boats."""
    hz = int(h * rng.uniform(0.56, 0.62))
    top, bottom = ((96, 96, 160), (255, 196, 140)) if sunset else ((60, 128, 206), (196, 220, 238))
    a = sky(rng, w, h, top, bottom, 0.3)
    if sunset:
        glow(a, w * .66, hz - h * .12, h * .18, (255, 200, 120))
    for base, amp, col, snow in ((hz - h * .16, h * .26, (150, 164, 192), True),
                                 (hz - h * .05, h * .22, (96, 118, 130), False),
                                 (hz, h * .1, (58, 92, 66), False)):
        mountain(a, rng, base, amp, shade(col, .8) if sunset else col, snow)
    img = to_img(a)
    d = ImageDraw.Draw(img)
    for hx in rng.uniform(0, w, 30):  # lakeside houses
        d.rectangle([hx, hz - h * .012, hx + h * .015, hz], fill=shade(pick(rng, WALLS), 1.1))
    a = arr(img)
    water(a, rng, hz, (120, 90, 110) if sunset else (36, 118, 136), 0.5)
    img = to_img(a)
    d = ImageDraw.Draw(img)
    for _ in range(boats):
        bx, by = rng.uniform(.1, .9) * w, hz + rng.uniform(.04, .25) * h
        s = (by - hz) * 0.6 + h * .02
        d.polygon([(bx - s * .5, by), (bx + s * .5, by), (bx + s * .4, by + s * .12),
                   (bx - s * .4, by + s * .12)], fill=(240, 240, 236))
        d.polygon([(bx, by - s * 1.2), (bx, by - s * .05), (bx + s * .45, by - s * .05)],
                  fill=(250, 250, 248))
    if shore_tree:
        tree(d, rng, w * .08, h * 1.05, h * 0.9)
    return img


def torii_path(rng: Rng, w: int, h: int) -> Image.Image:
    """Rows of vermilion gates climbing through the forest at Fushimi Inari."""
    a = gradient(w, h, (40, 74, 44), (58, 70, 50)) * tex(rng, w, h, 0.8, 10)
    vy = h * 0.42
    g = np.clip((np.arange(h) - vy) / (h - vy), 0, 1)[:, None, None]
    path = (g > 0) & (np.abs(np.arange(w)[None, :, None] - w * .5) < g * w * 0.6)
    a = np.where(path, np.array([150, 136, 116]) * tex(rng, w, h, 0.3, 30), a)
    img = to_img(a)
    d = ImageDraw.Draw(img)
    for tx in rng.uniform(0, w, 40):
        d.line([(tx, 0), (tx + rng.normal(0, 20), vy + h * .05)], fill=(34, 30, 26),
               width=int(rng.uniform(4, 16)))
    f = h * 0.9
    for z in np.arange(18, 1.9, -0.9):
        col = shade(VERMILION, 0.4 + 0.6 * np.exp(-z / 8))
        torii(d, w * (0.5 + 0.012 * z), vy + 1.5 * f / z, 2.6 * f / z, 2.9 * f / z, col)
    return to_img(arr(img) * tex(rng, w, h, 0.4, 5))


def kamo_river(rng: Rng, w: int, h: int, dusk: bool = False) -> Image.Image:
    """Cherry trees along the Kamo river, with the eastern hills behind."""
    hz, wy, by = int(h * 0.5), int(h * 0.56), int(h * 0.84)
    top, bottom = ((120, 110, 170), (250, 190, 160)) if dusk else ((120, 170, 222), (222, 230, 238))
    a = sky(rng, w, h, top, bottom, 0.3)
    mountain(a, rng, hz - h * .06, h * .16, (90, 80, 100) if dusk else (84, 112, 104), octaves=4)
    img = to_img(a)
    d = ImageDraw.Draw(img)
    for bx in rng.uniform(0, w, 40):  # the city beyond the far bank
        d.rectangle([bx, hz - h * rng.uniform(.02, .07), bx + h * rng.uniform(.03, .08), hz],
                    fill=shade((200, 196, 190), rng.uniform(.7, 1.1)))
    for tx in np.linspace(-w * .05, w * 1.05, 9):
        tree(d, rng, tx + rng.normal(0, w * .02), hz + h * .02, h * rng.uniform(.22, .3), True)
    a = arr(img)
    bank = hz + int(h * .02)
    a[bank:wy] = np.array([110, 120, 90]) * tex(rng, w, wy - bank, 0.3, 30)
    water(a, rng, wy, (70, 110, 120), 0.4)
    a[by:] = gradient(w, h - by, (150, 140, 120), (120, 110, 96)) * tex(rng, w, h - by, 0.3, 40)
    img = to_img(a)
    d = ImageDraw.Draw(img)
    canopy(d, rng, w * .95, -h * .02, w * .25, h * .14, PINKS, 300, 0.12)
    for _ in range(500):  # fallen petals
        px, py = rng.uniform(0, w), rng.uniform(by, h)
        d.ellipse([px - 2, py - 1, px + 2, py + 1], fill=pick(rng, PINKS))
    return img


def pagoda_view(rng: Rng, w: int, h: int, dusk: bool = True) -> Image.Image:
    """Yasaka pagoda above old tiled rooftops, by day or as a silhouette at dusk."""
    top, bottom = ((60, 50, 110), (252, 150, 96)) if dusk else ((90, 150, 216), (214, 226, 238))
    a = sky(rng, w, h, top, bottom, 0.25)
    if dusk:
        glow(a, w * .75, h * .62, h * .2, (255, 170, 80))
    mountain(a, rng, h * .72, h * .12, (70, 56, 80) if dusk else (86, 116, 100), octaves=4)
    img = to_img(a)
    d = ImageDraw.Draw(img)
    body, tiles = ((40, 28, 30), (28, 22, 26)) if dusk else ((170, 60, 40), (52, 50, 52))
    pagoda(d, w * rng.uniform(.3, .42), h * .8, h * .62, body, tiles)
    houses = (30, 24, 30) if dusk else (70, 70, 76)
    for k in range(7):
        rx, ry = w * (k / 6) + rng.normal(0, w * .03), h * rng.uniform(.8, .9)
        d.rectangle([rx - w * .09, ry, rx + w * .09, h], fill=shade(houses, 1 if dusk else 1.3))
        roof(d, rx, ry + h * .02, w * .1, h * .06, houses)
    tree(d, rng, w * .88, h * .95, h * .55, blossom=True)
    return img


def temple(rng: Rng, w: int, h: int) -> Image.Image:
    """A temple hall with a sweeping roof over a raked gravel courtyard."""
    a = sky(rng, w, h, (110, 160, 220), (218, 228, 238), 0.3)
    mountain(a, rng, h * .5, h * .2, (56, 90, 56), octaves=4)
    gy = int(h * .66)
    rake = 1 + 0.06 * np.sin(np.arange(h - gy) * 0.9)[:, None, None]
    a[gy:] = np.array([200, 196, 186]) * rake * tex(rng, w, h - gy, 0.2, 60)
    img = to_img(a)
    d = ImageDraw.Draw(img)
    cx, half, wall = w * rng.uniform(.3, .62), w * rng.uniform(.2, .32), (238, 230, 214)
    d.rectangle([cx - half * 1.05, gy - h * .03, cx + half * 1.05, gy], fill=(150, 146, 140))
    d.rectangle([cx - half * .85, gy - h * .22, cx + half * .85, gy - h * .03], fill=wall)
    for k in np.linspace(-.85, .85, 8):
        px = cx + k * half
        d.rectangle([px - w * .008, gy - h * .22, px + w * .008, gy - h * .03], fill=(150, 52, 36))
    roof(d, cx, gy - h * .2, half * 1.1, h * .16, (60, 58, 62))
    d.rectangle([cx - half * .5, gy - h * .4, cx + half * .5, gy - h * .33], fill=wall)
    roof(d, cx, gy - h * .34, half * .65, h * .1, (60, 58, 62))
    side = 0.9 if cx < w / 2 else 0.1
    tree(d, rng, w * side, h * .98, h * rng.uniform(.5, .75), blossom=True)
    tree(d, rng, w * (1 - side), h * .9, h * .35, blossom=True)
    return img


def birthday_room(rng: Rng, w: int, h: int) -> Image.Image:
    """A striped living-room wall with a window, bunting and balloons."""
    stripes = 1 + 0.025 * np.sign(np.sin(np.arange(w) / 22))[None, :, None]
    img = to_img(gradient(w, h, (236, 214, 196), (196, 168, 156)) * stripes * tex(rng, w, h, .14))
    d = ImageDraw.Draw(img)
    d.rectangle([w * .4, h * .16, w * .6, h * .46], fill=(250, 248, 240))
    d.rectangle([w * .41, h * .18, w * .59, h * .44], fill=(168, 206, 232))
    tree(d, rng, w * .5, h * .5, h * .3)
    d.rectangle([w * .41, h * .44, w * .59, h * .6], fill=(196, 168, 156))
    pts = [(x, h * .06 + h * .1 * (1 - (x / w * 2 - 1) ** 2)) for x in np.linspace(0, w, 26)]
    d.line(pts, fill=(90, 80, 80), width=3)
    for i, ((x0, y0), (x1, y1)) in enumerate(pairwise(pts)):
        d.polygon([(x0, y0), (x1, y1), ((x0 + x1) / 2, y0 + h * .06)], fill=PARTY[i % 4])
    for bx in (w * .06, w * .14, w * .92, w * .85):
        r, by, c = h * .06, h * rng.uniform(.25, .35), pick(rng, PARTY)
        d.line([(bx, by + r * 1.2), (bx + rng.normal(0, 10), h * .8)], fill=(120,) * 3, width=2)
        d.ellipse([bx - r, by - r * 1.2, bx + r, by + r * 1.2], fill=c)
        d.ellipse([bx - r * .5, by - r * .8, bx - r * .2, by - r * .3], fill=shade(c, 1.5))
    return img


def birthday_table(rng: Rng, w: int, h: int, cake_x: float = 0.5) -> Image.Image:
    """Foreground layer (RGBA): a table with a candle-lit cake, drawn over the people."""
    fg, flames = Image.new("RGBA", (w, h)), Image.new("RGBA", (w, h))
    d, fd = ImageDraw.Draw(fg), ImageDraw.Draw(flames)
    ty, cx, cw = h * .8, w * cake_x, min(w, h) * .2
    cream, icing, plate = (246, 196, 206, 255), (252, 236, 240, 255), (250, 250, 252, 255)
    d.rectangle([0, ty, w, h], fill=(240, 234, 226, 255))
    for fx in np.linspace(0, w, 14):  # tablecloth folds
        d.line([(fx + rng.normal(0, 8), ty + 10), (fx, h)], fill=(218, 210, 200, 255), width=5)
    d.ellipse([cx - cw * .75, ty - cw * .08, cx + cw * .75, ty + cw * .14], fill=plate)
    for tw, tb, tt in ((cw * .5, ty + cw * .04, ty - cw * .36),
                       (cw * .34, ty - cw * .36, ty - cw * .66)):  # two tiers
        d.rectangle([cx - tw, tt, cx + tw, tb], fill=cream)
        d.ellipse([cx - tw, tb - cw * .08, cx + tw, tb + cw * .08], fill=cream)
        d.ellipse([cx - tw, tt - cw * .08, cx + tw, tt + cw * .08], fill=icing)
        for k in np.linspace(-.9, .9, 9):
            disc(d, cx + k * tw, tt + cw * .05, cw * .045, icing)
    for k in np.linspace(-.24, .24, 5):
        x, y = cx + k * cw, ty - cw * .66
        d.rectangle([x - cw * .015, y - cw * .2, x + cw * .015, y], fill=(120, 190, 240, 255))
        fd.ellipse([x - cw * .08, y - cw * .34, x + cw * .08, y - cw * .18], fill=(255, 190, 80))
        d.ellipse([x - cw * .022, y - cw * .3, x + cw * .022, y - cw * .2], fill=(255, 236, 150))
    return Image.alpha_composite(fg, flames.filter(ImageFilter.GaussianBlur(cw * .04)))


def screenshot(rng: Rng, w: int = 1170, h: int = 2532) -> Image.Image:
    """A flat phone screenshot of a chat app: header, message bubbles, input bar."""
    img = Image.new("RGB", (w, h), (246, 246, 248))
    d, teal, pale = ImageDraw.Draw(img), (30, 140, 128), (230, 240, 238)
    d.rectangle([0, 0, w, 330], fill=teal)
    d.rounded_rectangle([60, 60, 170, 96], 12, fill=pale)
    d.rounded_rectangle([w - 200, 60, w - 60, 96], 12, fill=pale)
    d.ellipse([60, 180, 200, 320], fill=pale)
    d.rounded_rectangle([240, 205, 640, 250], 14, fill=pale)
    y = 400
    while y < h - 420:
        lines, bw, mine = int(rng.integers(1, 4)), int(rng.uniform(.45, .75) * w), rng.random() < .5
        x0 = w - 60 - bw if mine else 60
        d.rounded_rectangle([x0, y, x0 + bw, y + 40 + lines * 58], 36,
                            fill=(214, 244, 200) if mine else (255, 255, 255))
        for i in range(lines):
            lw = bw - 80 - (rng.uniform(0, bw * .4) if i == lines - 1 else 0)
            d.rounded_rectangle([x0 + 40, y + 36 + i * 58, x0 + 40 + lw, y + 66 + i * 58], 10,
                                fill=(150, 156, 160))
        y += 100 + lines * 58
    d.rectangle([0, h - 300, w, h], fill=(255, 255, 255))
    d.rounded_rectangle([60, h - 260, w - 220, h - 160], 50, fill=(236, 236, 240))
    d.ellipse([w - 180, h - 270, w - 60, h - 150], fill=teal)
    return img


# ---------------------------------------------------------------- people
@cache
def portrait(who: str) -> tuple[Image.Image, float, float, float]:
    """Head-and-shoulders cut-out (RGBA, feathered), its face-box height and face centre x, y."""
    if who == "astronaut":
        src, crop = Image.fromarray(data.astronaut()), (20, 0, 372, 330)
        face, fx, fy, heads = 90.0, 200.0, 121.0, [(146, 10, 304, 196)]
        body = [(124, 160), (296, 160), (318, 212), (356, 262), (362, 400), (34, 400), (36, 300),
                (50, 262), (100, 224)]
    else:
        src = Image.open(cbook.get_sample_data("grace_hopper.jpg")).convert("RGB")
        crop, face, fx, fy = (0, 0, 512, 555), 186.0, 273.0, 232.0
        heads = [(150, 22, 372, 172), (155, 100, 370, 335)]
        body = [(205, 300), (330, 300), (420, 338), (490, 374), (512, 410), (512, 600), (30, 600),
                (34, 450), (40, 415), (48, 392), (62, 376), (100, 361), (140, 350), (175, 334),
                (198, 316)]
    mask = Image.new("L", src.size, 0)
    d = ImageDraw.Draw(mask)
    for box in heads:
        d.ellipse(box, fill=255)
    d.polygon(body, fill=255)
    a = np.asarray(src, np.float32)
    yy, xx = np.mgrid[: src.height, : src.width]
    if who == "astronaut":  # the pale grey studio backdrop, sparing the face and the collar ring
        inner = ((((xx - 222) / 52) ** 2 + ((yy - 105) / 68) ** 2 < 1)
                 | (((xx - 212) / 88) ** 2 + ((yy - 228) / 62) ** 2 < 1))
        bg = (np.ptp(a, axis=2) < 45) & (a.max(axis=2) > 140) & ((yy < 280) | (xx > 330)) & ~inner
    else:  # the blue sky backdrop and the dark blue of the flag beside the cap
        r, b = a[..., 0], a[..., 2]
        bg = ((b > 80) & (b - r > 45)) | ((xx < 175) & (yy < 100) & (b - r > 30))
    keep = Image.fromarray((~bg * 255).astype(np.uint8)).filter(ImageFilter.MedianFilter(5))
    alpha = Image.fromarray(np.minimum(np.asarray(mask), np.asarray(keep)))
    cut = src.copy()
    cut.putalpha(alpha.filter(ImageFilter.MinFilter(5)).filter(ImageFilter.GaussianBlur(2.5)))
    return cut.crop(crop), face, fx, fy


Person = tuple[str, float, float, float, bool]  # who, face centre x and y (0-1), face px, mirror


def paste_person(img: Image.Image, rng: Rng, person: Person, floor: float) -> None:
    """Paste a cut-out, slightly recoloured, with its face box face_px tall and centred at
    (cx, cy) -- lowered if need be so that the body reaches down to floor (0-1)."""
    who, cx, cy, face_px, mirror = person
    cut, face, fx, fy = portrait(who)
    s = face_px / face
    p = cut.resize((round(cut.width * s), round(cut.height * s)), Image.Resampling.LANCZOS)
    if mirror:
        p, fx = ImageOps.mirror(p), cut.width - fx
    rgb = to_img(arr(p) * rng.uniform(0.92, 1.06) * (1 + rng.normal(0, 0.015, 3)))
    rgb.putalpha(p.getchannel("A"))
    top = max(round(cy * img.height - fy * s), round(floor * img.height) + 2 - p.height)
    img.paste(rgb, (round(cx * img.width - fx * s), top), rgb)


# ---------------------------------------------------------------- the library
@dataclass
class Shot:
    """One file: name, local capture time + UTC offset, camera, place, scene and people."""

    name: str
    when: str | None  # "YYYY-MM-DD HH:MM:SS+HH:MM"; None = no EXIF at all (messenger copy)
    camera: str
    gps: tuple[float, float, float] | None  # latitude, longitude, scatter in km
    scene: Callable[..., Image.Image]
    people: tuple[Person, ...] = ()
    opts: dict[str, Any] = field(default_factory=dict)
    size: tuple[int, int] = (1600, 1200)
    fg: Callable[..., Image.Image] | None = None  # layer drawn over the people
    floor: float = 1.0  # the people's bodies reach down to here (0-1), e.g. behind a table
    frame: tuple[float, float, float] = (0.0, 0.0, 1.0)  # burst re-framing: dx, dy, zoom
    subsec: str | None = None
    orientation: int = 1
    blur: float = 0.0
    seed: int = 0  # scene seed; 0 = derived from the name

    def rng(self, salt: int = 0) -> Rng:
        return np.random.default_rng((self.seed or zlib.crc32(self.name.encode())) + salt)


A, G, TALL = "astronaut", "hopper", (1200, 1600)
BURST = [("12", (0.0, 0.0, 1.0), "214"), ("12_1", (.006, .004, 1.02), "698"),
         ("13", (.012, .008, 1.045), "305")]
SHOTS = [
    # Christmas 2022 at home
    Shot("IMG_2231.JPG", "2022-12-24 19:02:14+01:00", "iphone", HOME, christmas_room,
         ((G, .6, .5, 280, False),)),
    Shot("IMG_2234.JPG", "2022-12-24 19:05:40+01:00", "iphone", HOME, christmas_room,
         ((G, .66, .5, 330, True),), {"tree_x": .22}, TALL),
    Shot("IMG_2240.JPG", "2022-12-24 21:47:03+01:00", "iphone", HOME, christmas_room,
         ((G, .38, .5, 260, False),), {"tree_x": .78}),
    Shot("IMG_2517.JPG", "2023-03-18 15:41:22+01:00", "iphone", LYON, city_river,
         ((G, .5, .55, 330, True),), size=TALL),
    # picnic in the park, 14 June 2023
    Shot("PXL_20230614_121502318.jpg", "2023-06-14 12:15:02+02:00", "pixel7", PARK, park,
         ((A, .38, .45, 240, False),)),
    Shot("PXL_20230614_121847045.jpg", "2023-06-14 12:18:47+02:00", "pixel7", PARK, park,
         ((G, .6, .5, 280, True),)),
    Shot("PXL_20230614_124410882.jpg", "2023-06-14 12:44:10+02:00", "pixel7", PARK, park,
         ((G, .28, .5, 250, False), (A, .72, .46, 230, True))),
    Shot("PXL_20230614_131233560.jpg", "2023-06-14 13:12:33+02:00", "pixel7", PARK, park,
         ((A, .6, .45, 260, True),), {"blanket": False}),
    Shot("PXL_20231007_143305771.jpg", "2023-10-07 14:33:05+02:00", "pixel7", LYON, city_river,
         ((A, .35, .5, 240, False),)),
    Shot("PXL_20240121_171204338.jpg", "2024-01-21 17:12:04+01:00", "pixel8", LYON, city_river,
         opts={"dusk": True}),
    # Kyoto, 3-9 April 2024
    Shot("DSCF0412.JPG", "2024-04-03 16:20:41+09:00", "fuji", KYOTO, temple),
    Shot("DSCF0418.JPG", "2024-04-03 17:45:12+09:00", "fuji", KYOTO, kamo_river,
         opts={"dusk": True}),
    Shot("PXL_20240405_101530123.jpg", "2024-04-05 10:15:30+09:00", "pixel8", KYOTO, kamo_river,
         ((A, .42, .5, 240, False),), orientation=6),
    Shot("DSCF0433.JPG", "2024-04-05 11:02:55+09:00", "fuji", KYOTO, torii_path),
    Shot("PXL_20240405_112248511.jpg", "2024-04-05 11:22:48+09:00", "pixel8", KYOTO, torii_path,
         ((A, .55, .48, 250, True),)),
    Shot("DSCF0457.JPG", "2024-04-07 14:06:19+09:00", "fuji", KYOTO, pagoda_view,
         opts={"dusk": False}, size=TALL),
    Shot("IMG_4187.heic", "2024-04-07 18:10:27+09:00", "iphone", KYOTO, pagoda_view,
         ((A, .7, .5, 230, True),)),
    Shot("DSCF0471.JPG", "2024-04-09 09:31:08+09:00", "fuji", KYOTO, temple),
    Shot("Screenshot_2024-05-02-10-15-22.png", None, "", None, screenshot, size=(1170, 2532)),
    # birthday at home, 14 June 2024: a burst of three, a blurred shot, a normal one
    *[Shot(f"IMG_20240614_1830{n}.jpg", f"2024-06-14 18:30:{n[:2]}+02:00", "galaxy", HOME,
           birthday_room, ((G, .28, .45, 230, False), (A, .72, .43, 210, True)),
           fg=birthday_table, floor=.82, frame=frame, subsec=sub, seed=51)
      for n, frame, sub in BURST],
    Shot("IMG_20240614_190544.jpg", "2024-06-14 19:05:44+02:00", "galaxy", HOME, birthday_room,
         ((A, .5, .45, 240, False),), fg=birthday_table, floor=.82, blur=14),
    Shot("IMG_20240614_191210.jpg", "2024-06-14 19:12:10+02:00", "galaxy", HOME, birthday_room,
         ((G, .3, .45, 250, True),), fg=birthday_table, floor=.82),
    # Lake Annecy, 20 August 2024, and a friend's WhatsApp copy
    Shot("PXL_20240820_094512203.jpg", "2024-08-20 09:45:12+02:00", "pixel8", ANNECY, lake),
    Shot("PXL_20240820_132208917.jpg", "2024-08-20 13:22:08+02:00", "pixel8", ANNECY, lake,
         opts={"boats": 5, "shore_tree": True}),
    Shot("DSCF0688.JPG", "2024-08-20 20:41:55+02:00", "fuji", ANNECY, lake,
         opts={"sunset": True, "boats": 1}),
    Shot("IMG-20240820-WA0003.jpg", None, "", None, lake, ((G, .4, .5, 270, False),), {"boats": 2}),
]


def dms(v: float) -> tuple[float, float, float]:
    v = abs(v)
    deg, minutes = int(v), int((v - int(v)) * 60)
    return float(deg), float(minutes), round((v - deg - minutes / 60) * 3600, 2)


def make_exif(shot: Shot) -> Image.Exif:
    """IFD0 camera/orientation/time, Exif IFD times and offset, GPS IFD position."""
    assert shot.when is not None
    stamp, offset = shot.when[:19].replace("-", ":"), shot.when[19:]
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = CAMERAS[shot.camera]  # Make, Model
    exif[0x0112], exif[0x0132] = shot.orientation, stamp  # Orientation, DateTime
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = ifd[0x9004] = stamp  # DateTimeOriginal, DateTimeDigitized
    ifd[0x9010] = ifd[0x9011] = offset  # OffsetTime, OffsetTimeOriginal
    if shot.subsec:
        ifd[0x9291] = shot.subsec  # SubSecTimeOriginal
    if shot.gps:
        lat0, lon0, km = shot.gps
        jitter = shot.rng(salt=7).normal(0, km / 111.0, 2)
        lat, lon = lat0 + jitter[0], lon0 + jitter[1] / np.cos(np.radians(lat0))
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2] = "N" if lat >= 0 else "S", dms(lat)
        gps[3], gps[4] = "E" if lon >= 0 else "W", dms(lon)
    return exif


def finish(img: Image.Image, rng: Rng, grain: float = 2.2) -> Image.Image:
    """Camera look: slight lens softness, vignetting and sensor grain."""
    a = arr(img.filter(ImageFilter.GaussianBlur(0.7)))
    h, w, _ = a.shape
    yy, xx = np.ogrid[:h, :w]
    a *= (1 - 0.09 * (((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2))[..., None]
    return to_img(a + rng.normal(0, grain, (h, w, 1)) + rng.normal(0, grain / 2, (h, w, 3)))


def render(shot: Shot) -> Image.Image:
    rng, (w, h) = shot.rng(), shot.size
    img = shot.scene(rng, w, h, **shot.opts)
    if shot.scene is screenshot:
        return img
    if shot.people:  # shallow depth of field behind the people
        img = img.filter(ImageFilter.GaussianBlur(2.0))
    for person in shot.people:
        paste_person(img, rng, person, shot.floor)
    if shot.fg:
        img = Image.alpha_composite(img.convert("RGBA"), shot.fg(rng, w, h)).convert("RGB")
    dx, dy, zoom = shot.frame
    if zoom != 1.0:
        cw, ch = w / zoom, h / zoom
        x0, y0 = (w - cw) / 2 + dx * w, (h - ch) / 2 + dy * h
        img = img.resize((w, h), Image.Resampling.LANCZOS, box=(x0, y0, x0 + cw, y0 + ch))
    img = finish(img, np.random.default_rng(zlib.crc32(shot.name.encode())))  # own grain per file
    return img.filter(ImageFilter.GaussianBlur(shot.blur)) if shot.blur else img


def save(shot: Shot, img: Image.Image) -> None:
    path = OUT / shot.name
    if path.suffix == ".png":
        img.save(path, optimize=True)
    elif shot.when is None:
        img.save(path, quality=72)  # messenger copy: recompressed, EXIF stripped
    elif path.suffix == ".heic":
        img.save(path, quality=50, exif=make_exif(shot).tobytes())
    else:
        if shot.orientation == 6:  # store the pixels turned; viewers turn them back upright
            img = img.transpose(Image.Transpose.ROTATE_90)
        img.save(path, quality=85, exif=make_exif(shot).tobytes())


CREDITS = """# Credits

The two people in these demo photos come from public-domain portraits that ship
inside Python packages:

- **Eileen Collins**, NASA astronaut: `skimage.data.astronaut()` from
  scikit-image. NASA photograph, public domain.
- **Grace Hopper**: `grace_hopper.jpg` from matplotlib's sample data
  (`matplotlib.cbook.get_sample_data`). US Navy photograph, public domain.

Everything else (the scenes, the compositing, the EXIF metadata and the
screenshot) is generated by `scripts/make_sample_photos.py`; run it to rebuild
this folder exactly.
"""


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for old in OUT.iterdir():
        if old.is_file():
            old.unlink()
    (OUT / "CREDITS.md").write_text(CREDITS)
    for shot in SHOTS:
        save(shot, render(shot))
        print(f"{shot.name:38s} {(OUT / shot.name).stat().st_size / 1024:6.0f} KB")


if __name__ == "__main__":
    main()
