"""Check hand calculations against the exact derivation.

``check(network)`` judges the spec's ``[claims]`` (correct · consistent · wrong, with the usual
mistake named) and ``[formulas]`` (equivalent · different, with a point where they differ and
the mistake named · unreadable · ambiguous · too-large).
``symprop check FILE [--json] [--report out.md|out.tex]`` is the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..spec import Network
    from .judge import CheckResult


def check(network: Network) -> CheckResult:
    """Judge ``network``'s claims and formulas; see `symprop.check.judge.check`."""
    # imported here so that `import symprop.check` (the CLI's parser) stays light
    from .judge import check as judge_check
    return judge_check(network)


__all__ = ["check"]
