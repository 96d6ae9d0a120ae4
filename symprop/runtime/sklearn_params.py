"""The estimators' constructor arguments, read with scikit-learn's meanings.

scikit-learn's ``MLPClassifier``/``MLPRegressor`` names mean here what they mean there (solver
``"sgd"`` only). The names this package used before keep working for now, each through one
`DeprecationWarning`: ``epochs`` → ``max_iter``, ``seed`` → ``random_state``, a float
``learning_rate`` → ``learning_rate_init``, ``progress`` → ``verbose``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError

SCHEDULES = ("constant", "invscaling", "adaptive")
ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid"}   # scikit-learn's → ours
#: old name → (new name, how the value carries over)
DEPRECATED = {"epochs": "max_iter", "seed": "random_state", "progress": "verbose"}


@dataclass(frozen=True)
class SGDConfig:
    """Validated training settings, in scikit-learn's meanings."""

    learning_rate_init: float
    schedule: str
    power_t: float
    momentum: float
    nesterov: bool
    alpha: float
    batch_size: int | None          # None: "auto" = min(200, n_samples)
    max_iter: int
    shuffle: bool
    tol: float
    n_iter_no_change: int
    early_stopping: bool
    validation_fraction: float
    verbose: bool
    random_state: Any = None

    def batch_for(self, n_samples: int) -> int:
        """scikit-learn's rule: ``auto`` is min(200, n); a larger size is clipped to n."""
        if self.batch_size is None:
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                          "going to be clipped", UserWarning, stacklevel=5)
        return max(1, min(self.batch_size, n_samples))

    @property
    def exact_steps(self) -> bool:
        """True when a step needs the L2 term or Nesterov's momentum, which the fused
        ``train_epochs`` kernel does not have: then each minibatch is stepped here."""
        return self.alpha > 0 or (self.nesterov and self.momentum > 0)


def _bad(key: str, expected: str, got: object) -> SpecError:
    return SpecError(f"bad {key}", key=key, expected=expected, got=got)


def _real(est: Any, key: str, lo: float, hi: float = math.inf, *, lo_open: bool = False,
          hi_open: bool = False) -> float:
    value = getattr(est, key)
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and \
        math.isfinite(float(value))
    if ok:
        v = float(value)
        ok = (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
    if not ok:
        left, right = "(" if lo_open else "[", ")" if hi_open or hi == math.inf else "]"
        raise _bad(key, f"a number in {left}{lo:g}, {hi:g}{right}", value)
    return float(value)


def _int(value: Any, key: str, minimum: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise _bad(key, f"an integer >= {minimum}", value)
    return int(value)


def deprecated_values(est: Any) -> dict[str, Any]:
    """The values of deprecated arguments that were given, under their new names, warning
    once for each."""
    out: dict[str, Any] = {}
    for old, new in DEPRECATED.items():
        value = getattr(est, old, None)
        if value is not None:
            warnings.warn(f"{type(est).__name__}({old}=...) is deprecated: use {new}= "
                          "(scikit-learn's name)", DeprecationWarning, stacklevel=5)
            out[new] = value
    rate = est.learning_rate
    if isinstance(rate, numbers.Real) and not isinstance(rate, bool):
        warnings.warn(f"{type(est).__name__}(learning_rate={rate!r}) as a number is "
                      "deprecated: use learning_rate_init= (learning_rate names the schedule, "
                      "'constant', 'invscaling' or 'adaptive', as in scikit-learn)",
                      DeprecationWarning, stacklevel=5)
        out["learning_rate_init"] = rate
        out["learning_rate"] = "constant"
    return out


def resolve(est: Any) -> SGDConfig:
    """The estimator's arguments checked and resolved; `SpecError` names a bad one."""
    if est.solver != "sgd":
        raise SpecError(f"solver={est.solver!r} is not available: symprop trains with "
                        "minibatch SGD (momentum, Nesterov, L2, schedules) in its generated "
                        "kernels", key="solver", expected="'sgd'")
    given = deprecated_values(est)

    class View:      # the estimator with the deprecated values in place of the new ones
        def __getattr__(self, name: str) -> Any:
            return given[name] if name in given else getattr(est, name)

    view = View()
    schedule = view.learning_rate
    if schedule not in SCHEDULES:
        raise _bad("learning_rate", "'constant', 'invscaling' or 'adaptive'", schedule)
    batch = view.batch_size
    if batch is None or batch == "auto":
        batch = None
    else:
        batch = _int(batch, "batch_size", 1)
    if not isinstance(view.verbose, bool | numbers.Integral):
        raise _bad("verbose", "True or False", view.verbose)
    for key in ("shuffle", "nesterovs_momentum", "early_stopping", "warm_start"):
        if not isinstance(getattr(view, key), bool | numbers.Integral):
            raise _bad(key, "True or False", getattr(view, key))
    return SGDConfig(
        learning_rate_init=_real(view, "learning_rate_init", 0.0, lo_open=True),
        schedule=schedule,
        power_t=_real(view, "power_t", 0.0),
        momentum=_real(view, "momentum", 0.0, 1.0, hi_open=True),
        nesterov=bool(view.nesterovs_momentum),
        alpha=_real(view, "alpha", 0.0),
        batch_size=batch,
        max_iter=_int(view.max_iter, "max_iter", 1),
        shuffle=bool(view.shuffle),
        tol=_real(view, "tol", 0.0),
        n_iter_no_change=_int(view.n_iter_no_change, "n_iter_no_change", 1),
        early_stopping=bool(view.early_stopping),
        validation_fraction=_real(view, "validation_fraction", 0.0, 1.0, lo_open=True,
                                  hi_open=True),
        verbose=bool(view.verbose),
        random_state=view.random_state,
    )


def random_state_of(random_state: Any):
    """scikit-learn's ``check_random_state``: None, an int or a ``RandomState``."""
    from sklearn.utils import check_random_state

    try:
        return check_random_state(random_state)
    except ValueError:
        raise _bad("random_state", "None, an integer >= 0 or a numpy RandomState",
                   random_state) from None


def our_activation(name: Any) -> Any:
    """scikit-learn's activation names (``identity``, ``logistic``) in ours."""
    return ACTIVATIONS.get(name, name) if isinstance(name, str) else name
