"""symprop train --test-data --save and symprop predict, on scikit-learn's data by name."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import symprop
from symprop.cli import main

SPEC = """
[network]
inputs = 4
loss = "cross-entropy"
[[network.layers]]
units = 5
activation = "tanh"
[[network.layers]]
units = 3
activation = "softmax"
"""


@pytest.fixture(scope="module")
def iris_files(tmp_path_factory):
    from sklearn.datasets import load_iris
    d = load_iris()
    folder = tmp_path_factory.mktemp("iris")
    names = np.array(["setosa", "versicolor", "virginica"])
    order = np.random.default_rng(0).permutation(150)
    files = {}
    for part, rows in (("train", order[:100]), ("test", order[100:])):
        path = folder / f"{part}.csv"
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["a", "b", "c", "d", "species"])
            w.writerows([*d.data[i], names[d.target[i]]] for i in rows)
        files[part] = path
    # a test file with only two of the classes, the second first: coded as in training
    rows = [r for r in csv.reader(open(files["test"])) if r[-1] != "setosa"]
    files["two"] = folder / "two.csv"
    with open(files["two"], "w", newline="") as fh:
        csv.writer(fh).writerows([rows[0]] + sorted(rows[1:], key=lambda r: r[-1],
                                                    reverse=True))
    spec = folder / "iris.toml"
    spec.write_text(SPEC)
    files["spec"] = spec
    return files


def test_train_with_a_test_file_save_and_predict(iris_files, tmp_path, capsys):
    model = tmp_path / "model"
    args = ["train", str(iris_files["spec"]), "--data", str(iris_files["train"]),
            "--epochs", "60", "--lr", "0.05", "--momentum", "0.9", "--json"]
    assert main(args + ["--test-data", str(iris_files["test"]), "--save", str(model)]) == 0
    import json
    report = json.loads(capsys.readouterr().out)
    assert report["test_accuracy"] > 0.5         # raw (unscaled) iris, 60 epochs: above chance
    assert main(args + ["--test-data", str(iris_files["two"])]) == 0
    two = json.loads(capsys.readouterr().out)["test_accuracy"]
    est = symprop.load_model(model)
    assert list(est.classes_) == ["setosa", "versicolor", "virginica"]
    out = tmp_path / "pred.csv"
    assert main(["predict", str(model), "--data", str(iris_files["two"]),
                 "--out", str(out)]) == 0
    rows = list(csv.reader(open(out)))
    truth = [r[-1] for r in csv.reader(open(iris_files["two"]))][1:]
    assert rows[0] == ["prediction", "p(setosa)", "p(versicolor)", "p(virginica)"]
    labels = [r[0] for r in rows[1:]]
    # the test accuracy of the --test-data run is the predictions' accuracy on that file
    assert np.mean(np.array(labels) == np.array(truth)) == pytest.approx(two)
    proba = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_bundled_data_is_standardised_with_the_training_rows(tmp_path, iris_files, capsys):
    spec = iris_files["spec"]
    model = tmp_path / "m"
    assert main(["train", str(spec), "--data", "iris", "--test-fraction", "0.3",
                 "--epochs", "60", "--lr", "0.05", "--momentum", "0.9", "--json",
                 "--save", str(model)]) == 0
    capsys.readouterr()
    pipe = symprop.load_model(model)
    from sklearn.datasets import load_iris

    from symprop.runtime.datasets import load_dataset
    raw = load_dataset("iris")
    train, _ = raw.split(0.3, seed=0)
    scaler = pipe[0]
    np.testing.assert_allclose(scaler.mean_, train.X.mean(axis=0))
    np.testing.assert_allclose(scaler.scale_, train.X.std(axis=0))
    X, y = load_iris(return_X_y=True)
    assert pipe.score(X, np.array(["setosa", "versicolor", "virginica"])[y]) > 0.85


@pytest.mark.parametrize("argv, match", [
    (["predict", "{nowhere}", "--data", "iris"], "no model folder"),
    (["predict", "{model}", "--data", "{nowhere}.csv"], "not found"),
    (["predict", "{model}", "--data", "{bad}"], "not a number"),
    (["train", "{spec}", "--data", "iris", "--test-data", "iris", "--test-fraction", "0.2"],
     "not both"),
])
def test_bad_input_is_one_line_and_exit_2(argv, match, tmp_path, iris_files, capsys):
    model = tmp_path / "model"
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c,d\n1,2,x,4\n")
    subs = dict(nowhere=tmp_path / "nowhere", model=model, bad=bad, spec=iris_files["spec"])
    if "{model}" in argv:
        assert main(["train", str(iris_files["spec"]), "--data", "iris", "--epochs", "2",
                     "--json", "--save", str(model)]) == 0
    capsys.readouterr()
    assert main([a.format(**subs) for a in argv]) == 2
    err = capsys.readouterr().err
    assert match in err and len(err.strip().splitlines()) == 1


def test_a_regression_model_predicts_values(tmp_path, capsys):
    from symprop.runtime.datasets import load_dataset
    spec = "examples/train_linear.toml"
    model = tmp_path / "reg"
    assert main(["train", spec, "--data", "reg-plane", "--epochs", "20", "--lr", "0.01",
                 "--json", "--save", str(model)]) == 0
    capsys.readouterr()
    data = load_dataset("reg-plane")
    new = tmp_path / "new.csv"
    with open(new, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["x2", "x1"])                    # found by name, in any order
        w.writerows([[b, a] for a, b in data.X[:5]])
    assert main(["predict", str(model), "--data", str(new)]) == 0
    rows = list(csv.reader(capsys.readouterr().out.splitlines()))
    est = symprop.load_model(model)
    assert rows[0] == ["prediction"]
    np.testing.assert_allclose([float(r[0]) for r in rows[1:]], est.predict(data.X[:5]),
                               rtol=1e-9)


def test_a_test_file_with_an_unknown_class_is_refused(tmp_path, iris_files, capsys):
    odd = tmp_path / "odd.csv"
    rows = list(csv.reader(open(iris_files["test"])))
    rows[1][-1] = "rosa"
    with open(odd, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    assert main(["train", str(iris_files["spec"]), "--data", str(iris_files["train"]),
                 "--test-data", str(odd), "--epochs", "1", "--json"]) == 2
    err = capsys.readouterr().err
    assert "classes the training data does not have" in err and "rosa" in err
