"""scikit-learn's digits in a Pipeline with a GridSearchCV, symprop's MLPClassifier next to
scikit-learn's own on the same grid.

    python examples/digits_gridsearch.py [--n-jobs 2] [--max-iter 100] [--out reports/x.md]

The grid is hidden sizes × initial learning rates, everything else as scikit-learn has it for
``solver="sgd"``, twice: with scikit-learn's defaults (``alpha=1e-4``, Nesterov's momentum: symprop
steps each minibatch in NumPy from its generated gradient kernel) and with plain momentum and no L2
term (symprop's fused training kernel). Each search is timed from the start of ``fit`` to its end,
refit included, after an untimed warm-up: symprop's kernels generated and compiled, and one
max_iter=1 search of each kind, which starts the worker processes and loads the kernels there
(the report says how long those took). Prints a Markdown report (and writes it with ``--out``).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from symprop.io import write_atomic
from symprop.runtime import MLPClassifier as SympropMLP

GRID = {"mlpclassifier__hidden_layer_sizes": [(16,), (32,), (64,)],
        "mlpclassifier__learning_rate_init": [0.01, 0.03, 0.1]}
VARIANTS = {"scikit-learn's defaults (alpha=1e-4, Nesterov)": {},
            "plain momentum, no L2 (alpha=0)": {"alpha": 0.0, "nesterovs_momentum": False}}


def search(cls, settings: dict, max_iter: int, n_jobs: int, X, y) -> tuple[GridSearchCV, float]:
    est = cls(activation="tanh", solver="sgd", momentum=0.9, max_iter=max_iter,
              random_state=0, **settings)
    grid = GridSearchCV(make_pipeline(StandardScaler(), est), GRID, cv=3, n_jobs=n_jobs)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, y)
    return grid, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--max-iter", type=int, default=100)
    parser.add_argument("--out", help="write the Markdown report here too")
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0,
                                                        stratify=y)
    # symprop's kernels for the grid's three networks: generated and compiled once, timed apart
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for hidden in GRID["mlpclassifier__hidden_layer_sizes"]:
            for settings in VARIANTS.values():     # the fused kernel and the exact steps
                SympropMLP(hidden_layer_sizes=hidden, activation="tanh", max_iter=1,
                           **settings).fit(X_train[:50], y_train[:50])
    cold = time.perf_counter() - t0
    # the worker processes of n_jobs start, import both libraries and load the kernels once,
    # before any search is timed (else the first search timed pays for all of that)
    t0 = time.perf_counter()
    for settings in VARIANTS.values():
        for cls in (SympropMLP, SklearnMLP):
            search(cls, settings, 1, args.n_jobs, X_train, y_train)
    warm_up = time.perf_counter() - t0
    lines = [f"# digits: GridSearchCV over {len(GRID['mlpclassifier__hidden_layer_sizes'])} "
             f"hidden sizes × {len(GRID['mlpclassifier__learning_rate_init'])} learning rates",
             "", f"{len(X_train)} training rows (3-fold CV), {len(X_test)} test rows; tanh, "
             f"SGD with momentum 0.9, batch 200, max_iter={args.max_iter}, tol 1e-4, "
             f"n_jobs={args.n_jobs}. Not timed: generating and compiling symprop's kernels "
             f"({cold:.1f} s), then one search of each kind with max_iter=1 that starts the "
             f"workers ({warm_up:.1f} s).", ""]
    for title, settings in VARIANTS.items():
        rows = {}
        for name, cls in (("symprop", SympropMLP), ("scikit-learn", SklearnMLP)):
            grid, seconds = search(cls, settings, args.max_iter, args.n_jobs, X_train, y_train)
            rows[name] = (grid, seconds)
        lines += [f"## {title}", "", "| hidden | learning_rate_init | symprop CV accuracy | "
                  "scikit-learn CV accuracy |", "|---|---|---|---|"]
        ours, theirs = rows["symprop"][0].cv_results_, rows["scikit-learn"][0].cv_results_
        def cv(results: dict, i: int) -> str:
            return f"{results['mean_test_score'][i]:.3f} ± {results['std_test_score'][i]:.3f}"

        for i, params in enumerate(ours["params"]):
            lines.append(f"| {params['mlpclassifier__hidden_layer_sizes']} | "
                         f"{params['mlpclassifier__learning_rate_init']} | "
                         f"{cv(ours, i)} | {cv(theirs, i)} |")
        lines += ["", "| | best parameters | test accuracy | search time |", "|---|---|---|---|"]
        for name, (grid, seconds) in rows.items():
            best = grid.best_params_
            lines.append(f"| {name} | {best['mlpclassifier__hidden_layer_sizes']}, "
                         f"{best['mlpclassifier__learning_rate_init']} | "
                         f"{grid.score(X_test, y_test):.3f} | {seconds:.1f} s |")
        ratio = rows["scikit-learn"][1] / rows["symprop"][1]
        lines += ["", f"scikit-learn's time ÷ symprop's: {ratio:.2f}×", ""]
        print("\n".join(lines[-(len(ours["params"]) + 10):]), flush=True)
    lines.append("Load average of the machine at the end (1, 5, 15 min): " +
                 ", ".join(f"{v:.1f}" for v in os.getloadavg()) + f" on {os.cpu_count()} CPUs; "
                 f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}.")
    report = "\n".join(lines) + "\n"
    if args.out:
        write_atomic(args.out, report)
    print(report)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
