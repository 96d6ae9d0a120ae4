"""Shared test fixtures."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# generated kernels of the test session go to a private cache, never the user's
if "SYMPROP_CACHE_DIR" not in os.environ:
    os.environ["SYMPROP_CACHE_DIR"] = tempfile.mkdtemp(prefix="symprop-test-cache-")
# the per-machine kernels (built once, verified on every load) are shared by all test sessions
# of this user: building them costs half a minute, loading them a fraction of a second
if "SYMPROP_MACHINE_DIR" not in os.environ:
    _user = os.getuid() if hasattr(os, "getuid") else 0
    os.environ["SYMPROP_MACHINE_DIR"] = str(Path(tempfile.gettempdir()) /
                                            f"symprop-test-machine-{_user}")

ROOT = Path(__file__).resolve().parent.parent


def pytest_sessionstart(session) -> None:
    """Both dtypes' per-machine kernels, built at once in two processes (a fresh machine: about
    half a minute) rather than one after the other when a test first needs each."""
    from symprop.codegen.machine import build_all

    build_all()
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def shared_kernel_cache(tmp_path_factory):
    """One kernel folder for the kernel test modules: a network compiled in one is reused."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SYMPROP_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "kernels"))
        yield


@pytest.fixture(scope="session")
def lecture_spec() -> Path:
    return EXAMPLES / "lecture_221.toml"


@pytest.fixture(scope="session")
def lecture(lecture_spec):
    import symprop

    return symprop.load(lecture_spec)


@pytest.fixture
def own_rows_stay_in_their_test():
    """Rows registered by a test leave the rule table with it (other test files iterate it)."""
    from symprop.derive import rules

    activations, losses = dict(rules.ACTIVATIONS), dict(rules.LOSSES)
    yield
    for table, before in ((rules.ACTIVATIONS, activations), (rules.LOSSES, losses)):
        table.clear()
        table.update(before)
