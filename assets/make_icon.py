"""Draws Runlens' icon (a lens over a rising curve) as assets/icon.png, with no dependencies.

Run `python3 assets/make_icon.py` after changing it, then `npx tauri icon assets/icon.png -o src-tauri/icons`.
"""
import math
import struct
import zlib

SIZE = 512


def blend(dst, src, alpha):
    return tuple(round(d * (1 - alpha) + s * alpha) for d, s in zip(dst, src))


def pixel(x, y):
    cx = cy = SIZE / 2
    # Rounded square background.
    r = 96
    dx = max(abs(x - cx) - (SIZE / 2 - r - 16), 0)
    dy = max(abs(y - cy) - (SIZE / 2 - r - 16), 0)
    edge = math.hypot(dx, dy) - r
    if edge > 1:
        return (0, 0, 0, 0)
    bg_alpha = min(1.0, max(0.0, 1 - edge))
    t = y / SIZE
    color = blend((38, 84, 196), (24, 46, 110), t)
    # Rising curve.
    u = (x - 96) / 320
    if 0 <= u <= 1:
        curve_y = 380 - 230 * (1 - math.exp(-3.2 * u))
        d = abs(y - curve_y)
        if d < 14:
            color = blend(color, (120, 220, 170), min(1.0, (14 - d) / 3))
    # Lens ring and handle.
    lx, ly, lr = 300, 220, 96
    ring = abs(math.hypot(x - lx, y - ly) - lr)
    if ring < 20:
        color = blend(color, (245, 247, 252), min(1.0, (20 - ring) / 2.5))
    hx, hy = lx + lr * 0.72, ly + lr * 0.72
    along = ((x - hx) + (y - hy)) / math.sqrt(2)
    across = abs((x - hx) - (y - hy)) / math.sqrt(2)
    if 0 <= along <= 110 and across < 22:
        color = blend(color, (245, 247, 252), min(1.0, (22 - across) / 2.5))
    return (*color, round(255 * bg_alpha))


rows = b"".join(b"\x00" + bytes(c for x in range(SIZE) for c in pixel(x + 0.5, y + 0.5)) for y in range(SIZE))


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
with open(__file__.replace("make_icon.py", "icon.png"), "wb") as f:
    f.write(png)
