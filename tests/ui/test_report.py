"""The PDF report: content equals the plan's strings, page sizes, vector plots, clean pages.

Checked with poppler-utils (pdftotext, pdfinfo, pdfimages, pdffonts), as a reader's viewer would.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QIODevice, QSettings
from PySide6.QtGui import QPdfWriter

from planner import get_law, plan
from planner.summary import plan_json, result_rows
from ui import report
from ui.report import ReportError, write_report

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def pdf_text(path: Path) -> str:
    """The PDF's text with runs of whitespace made single spaces (table cells wrap lines)."""
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", " ", out)


def pdf_info(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


@pytest.fixture
def epoch():
    law = get_law("epoch-2024")
    return law, plan(law, 1e24)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings().clear()
    yield
    QSettings().clear()


def test_text_has_citation_and_the_plans_own_strings(qapp, tmp_path, epoch):
    law, p = epoch
    out = tmp_path / "plan.pdf"
    result = write_report(out, law, p)
    text = pdf_text(out)
    assert law.info.citation.short() in text
    formatted = plan_json(p)["formatted"]
    for key in ("n_params", "n_tokens", "loss", "cost_usd", "gpu_hours", "inference_usd_per_million_tokens"):
        assert formatted[key] in text, key
    for row in result_rows(p):  # every result row, label and value
        assert row.label in text and row.value in text
    assert "Extrapolation" in text  # 1e24 is above epoch-2024's fitted range
    assert re.sub(r"\s+", " ", law.formula()) in text
    assert "Page 1 of" in text and f"Page {result.pages} of {result.pages}" in text


@pytest.mark.parametrize(("size", "points"), [("A4", "595 x 842"), ("Letter", "612 x 792")])
def test_page_size_and_count(qapp, tmp_path, epoch, size, points):
    out = tmp_path / f"{size}.pdf"
    result = write_report(out, *epoch, page_size=size)
    info = pdf_info(out)
    assert info["Page size"].startswith(points)
    assert int(info["Pages"]) == result.pages
    assert 3 <= result.pages <= 6


def test_plots_are_vector_and_fonts_embedded(qapp, tmp_path, epoch):
    out = tmp_path / "plan.pdf"
    write_report(out, *epoch)
    images = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in images.splitlines()[2:] if line.strip()]
    assert all(int(r[3]) * int(r[4]) <= 32 * 32 for r in rows), images  # no raster plots
    text = pdf_text(out)
    for title in ("IsoFLOP curves", "Compute-optimal frontier", "Loss against compute", "Training vs serving cost"):
        assert title in text  # plot titles and axis labels are real text
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    font_rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert font_rows and all(r[-5] == "yes" for r in font_rows), fonts  # "emb" column


def test_compare_mode_names_both_laws_side_by_side(qapp, tmp_path, epoch):
    law, p = epoch
    other = get_law("kaplan-2020")
    q = plan(other, 1e24)
    out = tmp_path / "compare.pdf"
    write_report(out, law, p, other, q)
    text = pdf_text(out)
    for lw, pl in ((law, p), (other, q)):
        assert lw.info.title in text
        assert lw.info.citation.short() in text
        assert plan_json(pl)["formatted"]["n_params"] in text
    assert "side by side" in text


def test_allocation_only_law_has_no_loss_but_a_report(qapp, tmp_path):
    law = get_law("llama3-2024")
    p = plan(law, 3.8e25)
    out = tmp_path / "llama.pdf"
    write_report(out, law, p)
    text = pdf_text(out)
    assert "allocation only" in text
    assert plan_json(p)["formatted"]["n_tokens"] in text
    assert "not published" in text  # no standard errors in the source


def test_bad_paths_fail_with_one_line(qapp, tmp_path, epoch):
    with pytest.raises(ReportError, match="does not exist") as exc:
        write_report(tmp_path / "missing" / "x.pdf", *epoch)
    assert "\n" not in str(exc.value)
    with pytest.raises(ReportError, match="is a folder"):
        write_report(tmp_path, *epoch)
    with pytest.raises(ReportError, match="page size"):
        write_report(tmp_path / "x.pdf", *epoch, page_size="A3")
    assert not list(tmp_path.glob("*.pdf"))


def test_failed_write_keeps_the_previous_file(qapp, tmp_path, epoch, monkeypatch):
    out = tmp_path / "plan.pdf"
    out.write_bytes(b"previous")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "build_blocks", boom)
    with pytest.raises(RuntimeError):
        write_report(out, *epoch)
    assert out.read_bytes() == b"previous"
    assert [f.name for f in tmp_path.glob("plan*")] == ["plan.pdf"]  # no temporary file left


def _ctx():
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buf)
    writer.setResolution(report.DPI)
    from PySide6.QtGui import QFont

    return report._Ctx(writer, 600.0, QFont(), report._css()), buf, writer


def test_pagination_never_splits_rows_or_blocks(qapp):
    ctx, _buf, _writer = _ctx()
    rows = [[f"row {i}", f"value {i}"] for i in range(80)]
    blocks = [report._Text("<h1>Title</h1>"), report._Table("Long", ["A", "B"], rows, [50, 50])]
    blocks += [report._Text("<p>" + "word " * 200 + "</p>") for _ in range(3)]
    for b in blocks:
        b.prepare(ctx)
    top, bottom = 60.0, 1000.0
    pages = report._paginate(blocks, top, bottom)
    assert len(pages) >= 3
    seen = []
    for page in pages:
        for block, y in page.items:
            assert y >= top and y + block.height <= bottom + 0.5  # wholly on its page
            if isinstance(block, report._Table):
                seen += [r[0] for r in block.rows]
                assert len(block.rows) >= 3  # no lone rows at a page's foot or head
    assert seen == [r[0] for r in rows]  # every row once, in order


class _FakeWindow:
    """The three calls the report makes on ``ui.main_window.MainWindow``."""

    def __init__(self, law, p, compare=None):
        self.law, self.plan, self.compare = law, p, compare

    def current_law(self):
        return self.law

    def current_plan(self):
        return self.plan

    def current_compare_plan(self):
        return None if self.compare is None else self.compare[1]

    def current_compare_law(self):
        return None if self.compare is None else self.compare[0]


def test_export_dialog_writes_and_opens_when_asked(qapp, tmp_path, epoch, monkeypatch):
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QFileDialog

    target = tmp_path / "out"  # no suffix: ".pdf" is added
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url) or True))
    window = _FakeWindow(*epoch)
    action = report.open_after_export_action(None)
    assert not action.isChecked()
    assert report.export_report_dialog(window) == tmp_path / "out.pdf"
    assert (tmp_path / "out.pdf").stat().st_size > 10_000 and not opened
    action.setChecked(True)  # the "open after export" option, remembered in QSettings
    assert QSettings().value(report.SETTINGS_OPEN_AFTER, type=bool)
    report.export_report_dialog(window)
    assert [u.toLocalFile() for u in opened] == [str(tmp_path / "out.pdf")]
    assert QSettings().value(report.SETTINGS_LAST_DIR) == str(tmp_path)


def test_export_dialog_cancel_and_failure(qapp, tmp_path, epoch, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    window = _FakeWindow(*epoch)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("", "")))
    assert report.export_report_dialog(window) is None
    bad = tmp_path / "gone" / "x.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(bad), "")))
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: warned.append(a[2])))
    assert report.export_report_dialog(window) is None
    assert len(warned) == 1 and "does not exist" in warned[0]


def test_main_window_export_in_compare_mode(qtbot, tmp_path, monkeypatch):
    """End to end: the real window's File > Export report... writes both laws' numbers."""
    main_window = pytest.importorskip("ui.main_window")
    from PySide6.QtWidgets import QFileDialog

    window = main_window.MainWindow(restore=False)
    qtbot.addWidget(window)
    window.controller.set_inputs(compare=True)
    p, cp = window.current_plan(), window.current_compare_plan()
    assert cp is not None
    target = tmp_path / "window.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.report_action.trigger()
    text = pdf_text(target)
    assert p.law_title in text and cp.law_title in text
    assert plan_json(p)["formatted"]["n_params"] in text
    assert plan_json(cp)["formatted"]["n_params"] in text


def test_optional_inputs_and_intervals_appear_only_when_set(qapp, tmp_path, epoch):

    law, p = epoch
    plain = pdf_text(_write(tmp_path / "plain.pdf", law, p))
    for label in ("Vocabulary size", "MoE activation ratio", "Inference demand", "Unique training data"):
        assert label not in plain  # None rows are left out
    rich = p._replace(moe_activation=0.05, moe_granularity=12.0, moe_law="ling", vocab_size=128000.0,
                               inference_tokens=1e13, unique_tokens=5e11,
                               intervals={"n_params": (6e10, 1.4e11), "loss": (1.9, 2.0)})  # fmt: skip
    text = pdf_text(_write(tmp_path / "rich.pdf", law, rich))
    for label in ("Vocabulary size", "MoE activation ratio", "Inference demand", "Unique training data"):
        assert label in text
    assert "128,000 tokens" in text and "5.00%" in text
    assert plan_json(rich)["formatted"]["loss"] in text  # "1.9597 [1.9000 – 2.0000]"
    assert "a reconstruction" in text  # the MoE EL log-base assumption is stated


def _write(path, law, p):
    write_report(path, law, p)
    return path
