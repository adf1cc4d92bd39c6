"""Shared test fixtures.

Qt runs offscreen unless ``--show-windows`` is given; this must be set before pytest-qt
creates the QApplication, so it happens at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--show-windows", action="store_true", help="show Qt windows (not offscreen)")


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("--show-windows"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.fail(f"../shared not found beside the repository (looked in {SHARED_DIR})")
    return SHARED_DIR


@pytest.fixture(scope="session")
def chinchilla_csv(shared_dir: Path) -> Path:
    return shared_dir / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"
