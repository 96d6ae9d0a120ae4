"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def lecture_spec() -> Path:
    return EXAMPLES / "lecture_221.toml"


@pytest.fixture(scope="session")
def lecture(lecture_spec):
    import symprop

    return symprop.load(lecture_spec)
