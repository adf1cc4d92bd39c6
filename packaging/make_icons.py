"""Draw the application icon with Qt and write it for all three desktop systems.

Run from the repository root (the output is committed, so this only runs when the artwork changes):

    .venv/bin/python packaging/make_icons.py

Writes into ``icons/``:

- ``planner-<size>.png`` for 16...1024 px (Linux hicolor theme sizes; the window icon),
- ``planner.png`` (256 px; the Linux ``.desktop`` icon and PyInstaller's Linux icon),
- ``planner.ico`` (Windows: 16, 24, 32, 48, 64, 128 and 256 px, PNG-compressed entries),
- ``planner.icns`` (macOS: 16...1024 px, PNG entries).

The ``.ico`` and ``.icns`` containers are assembled here from Qt-rendered PNGs (both formats are
a small header plus PNG payloads), so neither Pillow nor macOS's ``iconutil`` is needed. Every
file goes to a temporary name first and is then moved into place.
"""

from __future__ import annotations

import os
import struct
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
)

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Apple icon types holding PNG data (https://en.wikipedia.org/wiki/Apple_Icon_Image_format)
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)


def render(size: int) -> QImage:
    """The icon at ``size`` x ``size`` pixels: a log-log frontier line over compute bars."""
    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 64.0  # drawn on a 64-unit grid
    p.scale(s, s)

    # rounded tile (macOS-style 10 % margin would waste pixels at 16 px, so only at >= 128 px)
    margin = 5.0 if size >= 128 else 1.0
    tile = QRectF(margin, margin, 64 - 2 * margin, 64 - 2 * margin)
    grad = QLinearGradient(tile.topLeft(), tile.bottomRight())
    grad.setColorAt(0.0, QColor("#1f3b73"))
    grad.setColorAt(1.0, QColor("#0e1a36"))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(grad))
    p.drawRoundedRect(tile, 12, 12)

    inner = tile.adjusted(9, 9, -9, -9)
    # compute bars (budget grows to the right)
    bar_w = inner.width() / 5.0
    heights = (0.22, 0.36, 0.52, 0.70) if size > 24 else ()  # bars only blur tiny icons
    p.setBrush(QColor(120, 170, 255, 110))
    for i, h in enumerate(heights):
        x = inner.left() + i * bar_w * 1.28
        p.drawRoundedRect(
            QRectF(x, inner.bottom() - h * inner.height(), bar_w, h * inner.height()), 1.2, 1.2
        )

    # axes
    axis_pen = QPen(QColor("#c9d6f2"), 2.2 if size <= 32 else 1.6)
    axis_pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(axis_pen)
    p.drawLine(QPointF(inner.left(), inner.top()), QPointF(inner.left(), inner.bottom()))
    p.drawLine(QPointF(inner.left(), inner.bottom()), QPointF(inner.right(), inner.bottom()))

    # the compute-optimal frontier (a straight line in log-log space)
    line_pen = QPen(QColor("#ffb347"), 3.6 if size <= 32 else 3.0)
    line_pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(line_pen)
    path = QPainterPath(QPointF(inner.left() + 2, inner.bottom() - 6))
    path.cubicTo(
        QPointF(inner.left() + 0.45 * inner.width(), inner.bottom() - 0.35 * inner.height()),
        QPointF(inner.left() + 0.65 * inner.width(), inner.top() + 0.25 * inner.height()),
        QPointF(inner.right() - 1, inner.top() + 1),
    )
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)

    # the chosen plan
    p.setPen(QPen(QColor("#0e1a36"), 1.4))
    p.setBrush(QColor("#ffffff"))
    pt = path.pointAtPercent(0.62)
    r = 4.2 if size <= 32 else 3.6
    p.drawEllipse(pt, r, r)
    p.end()
    return img


def png_bytes(img: QImage) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not img.save(buf, "PNG"):
        raise RuntimeError("Qt could not encode PNG")
    buf.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows ``.ico`` with one PNG-compressed entry per size (valid since Windows Vista)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    entries, payload = b"", b""
    for sz in sizes:
        data = pngs[sz]
        dim = 0 if sz >= 256 else sz  # 0 means 256 in the directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset + len(payload))
        payload += data
    return header + entries + payload


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS ``.icns`` made of PNG-typed entries."""
    body = b""
    for ostype, px in ICNS_TYPES:
        data = pngs[px]
        body += ostype + struct.pack(">I", 8 + len(data)) + data
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; icons are ordinary readable files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(out_dir: Path) -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    out_dir.mkdir(parents=True, exist_ok=True)
    pngs = {sz: png_bytes(render(sz)) for sz in PNG_SIZES}
    for sz, data in pngs.items():
        write_atomic(out_dir / f"planner-{sz}.png", data)
    write_atomic(out_dir / "planner.png", pngs[256])
    write_atomic(out_dir / "planner.ico", ico_bytes({sz: pngs[sz] for sz in ICO_SIZES}))
    write_atomic(out_dir / "planner.icns", icns_bytes(pngs))
    print(f"wrote {len(PNG_SIZES) + 3} icon files to {out_dir}")
    return 0


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else root / "icons"))
