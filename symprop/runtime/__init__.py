"""Runtime: train networks with the generated kernels, datasets and plots."""


def __getattr__(name: str):
    # the estimators import numba lazily: `import symprop` stays light
    if name in ("MLP", "MLPClassifier", "MLPRegressor"):
        from . import estimator

        return getattr(estimator, name)
    raise AttributeError(name)
