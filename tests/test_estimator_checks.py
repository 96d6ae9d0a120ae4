"""scikit-learn's own estimator checks on both estimators."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from symprop.runtime.estimator import EXPECTED_FAILED_CHECKS, MLPClassifier, MLPRegressor

# small and quick, with scikit-learn's meanings: the checks fit dozens of times
CHECKED = [
    MLPClassifier(hidden_layer_sizes=(8,), activation="tanh", learning_rate_init=0.1,
                  max_iter=50, random_state=0),
    MLPRegressor(hidden_layer_sizes=(8,), activation="tanh", learning_rate_init=0.01,
                 max_iter=50, random_state=0),
]


@parametrize_with_checks(CHECKED, expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
