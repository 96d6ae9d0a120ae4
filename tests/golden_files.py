"""The golden-file check: generated text against its checked-in copy.

``SYMPROP_UPDATE_GOLDEN=1`` (`make golden`) rewrites the copy; review the diff before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def check_golden(source: str, name: str) -> None:
    """Assert ``source`` equals ``tests/golden/<name>`` (rewritten first when updating)."""
    path = GOLDEN / name
    if os.environ.get("SYMPROP_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run `make golden`"
    assert source == path.read_text(encoding="utf-8"), \
        "generated code changed: review the diff, then `make golden`"
