"""Shared test fixtures.

Qt runs offscreen unless ``--show-windows`` is given; this must be set before pytest-qt
creates the QApplication, so it happens at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "tests" / "data"
"""Figures the tests need, vendored with their provenance (tests/data/README.md)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--show-windows", action="store_true", help="show Qt windows (not offscreen)")


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("--show-windows"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def chinchilla_csv() -> Path:
    """Epoch's 245 digitised Chinchilla runs (N, C, loss columns)."""
    return DATA_DIR / "chinchilla_epoch" / "svg_extracted_data.csv"


@pytest.fixture(scope="session")
def real_runs_dir() -> Path:
    """Porian, Gadre and Misfitting runs (tests/data/README.md)."""
    return DATA_DIR / "real_runs"
