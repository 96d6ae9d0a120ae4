"""`symprop derive`: text, --json, --latex, --verify, and one clear line for bad specs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from symprop.cli import main
from symprop.derive.backprop import Derivation, VerificationReport

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LECTURE = str(EXAMPLES / "lecture_221.toml")


def run(capsys, *argv):
    code = main(["derive", *map(str, argv)])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def lecture_json():
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["derive", LECTURE, "--json", "--example"]) == 0
    return json.loads(buf.getvalue())


def test_text_is_the_delta_recurrence_in_index_form(capsys):
    code, out, _ = run(capsys, LECTURE)
    assert code == 0
    assert "delta2[k] = (y[k] - d[k]) * y[k]*(1 - y[k])" in out
    assert "delta1[j] = h1[j]*(1 - h1[j]) * sum_k[w2[k,j] * delta2[k]]" in out
    assert "dE/dw2[k,j] = delta2[k] * h1[j]" in out
    assert "net2[k] = sum_j(w2[k,j]*h1[j])" in out


def test_expanded_form_is_one_line_per_weight(capsys):
    code, out, _ = run(capsys, LECTURE, "--form", "expanded")
    lines = [ln for ln in out.splitlines() if ln.startswith("dE/dw")]
    assert len(lines) == 6
    assert "dE/dw2[1,1] = (y[1] - d[1]) * y[1]*(1 - y[1]) * h1[1]" in lines


def test_json_shape(lecture_json):
    assert set(lecture_json) >= {"quantities", "gradients"}
    q, g = lecture_json["quantities"], lecture_json["gradients"]
    for addr in ("x[1]", "d[1]", "w1[1,1]", "net1[1]", "out1[1]", "h1[1]", "y[1]", "E",
                 "delta2[1]", "dE/dw1[2,2]", "w2[1,1]+", "y[1]+", "E+"):
        assert set(q[addr]) == {"value", "exact"}, addr
    assert q["net1[1]"] == {"value": 0.755, "exact": "151/200"}
    assert q["y[1]"] == q["out2[1]"]
    assert q["w2[1,1]+"]["value"] == pytest.approx(0.272325965, abs=1e-9)
    assert q["E+"]["value"] < q["E"]["value"]
    assert set(g) == {f"dE/dw{l}[{k},{j}]" for l, k, j in
                      [(1, 1, 1), (1, 1, 2), (1, 2, 1), (1, 2, 2), (2, 1, 1), (2, 1, 2)]}
    entry = g["dE/dw2[1,1]"]
    assert set(entry) == {"value", "exact", "formula"}
    assert entry["formula"] == "(y[1] - d[1]) * y[1]*(1 - y[1]) * h1[1]"
    assert entry["value"] == pytest.approx(0.02767403, abs=1e-8)


def test_json_leaves_out_updated_values_without_example(capsys):
    code, out, _ = run(capsys, LECTURE, "--json")
    q = json.loads(out)["quantities"]
    assert "E" in q and not any(k.endswith("+") for k in q)


def test_json_without_an_example_has_formulas_only(capsys):
    code, out, _ = run(capsys, EXAMPLES / "two_layer_two_neuron.toml", "--json")
    data = json.loads(out)
    assert code == 0 and data["quantities"] == {}
    assert all(set(v) == {"formula"} for v in data["gradients"].values())
    assert len(data["gradients"]) == 3 * 2 + 2


def test_deep_networks_get_50_digits(capsys):
    code, out, _ = run(capsys, EXAMPLES / "deep_softmax.toml", "--json")
    data = json.loads(out)
    assert data["precision"] == "50 digits"
    assert len(data["gradients"]) == 55 and "dE/db4[3]" in data["gradients"]


def test_latex_snippet(capsys):
    code, out, _ = run(capsys, LECTURE, "--latex")
    assert code == 0
    assert r"\frac{\partial E}{\partial w_{k,j}^{(2)}}" in out and r"\times" in out


def test_verify_passes_and_failures_exit_1(capsys, monkeypatch):
    code, out, _ = run(capsys, LECTURE, "--verify")
    assert code == 0 and "all gradients proven for all values" in out


def test_verify_says_checked_where_the_check_is_numeric():
    """60-digit comparisons at points are checks, not proofs: the summary says which is which."""
    numeric = VerificationReport((("dE/dw1[1,1]", "symbolic, all values", True),
                                  ("dE/dw2[1,1]", "60 digits at rational point 1", True)))
    assert numeric.summary() == ("all gradients agree: 1 proven, 1 checked numerically "
                                 "to 60 digits")
    assert "proven" not in VerificationReport(
        (("dE/dw1[1,1]", "60 digits at rational point 1", True),)).summary().split(":")[0]
    exact = VerificationReport((("dE/dw1[1,1]", "exact at rational point 1", True),))
    assert exact.summary() == "all gradients proven exactly at the rational points"
    wrong = VerificationReport((("dE/dw1[1,1]", "symbolic, all values", False),))
    assert wrong.summary().startswith("SOME GRADIENTS DISAGREE")


def test_verify_failures_exit_1(capsys, monkeypatch):
    monkeypatch.setattr(Derivation, "verify", lambda self, **kw: VerificationReport(
        (("dE/dw1[1,1]", "symbolic", False),)))
    code, out, _ = run(capsys, LECTURE, "--verify")
    assert code == 1 and "FAIL" in out


def test_threshold_networks_get_the_perceptron_rule(capsys):
    code, out, _ = run(capsys, EXAMPLES / "perceptron.toml")
    assert code == 0 and "w_i <- w_i + eta*(y - yhat)*x_i" in out
    code, out, _ = run(capsys, EXAMPLES / "perceptron.toml", "--json")
    assert json.loads(out)["rule"]["b"] == "b + eta*(y - yhat)"


GOOD = (EXAMPLES / "lecture_221.toml").read_text()


@pytest.mark.parametrize(("edit", "key"), [
    (lambda t: t.replace('activation = "sigmoid"', 'activation = "sigmod"', 1),
     "network.layers[1].activation"),
    (lambda t: t.replace("W2 = [[0.3, 0.9]]", "W2 = [[0.3, 0.9, 0.1]]"), "weights.W2"),
    (lambda t: t.replace('w1 = "w2[1,1]+"', 'w1 = "w2[3,1]+"'), "labels.w1"),
    (lambda t: t.replace("W2 = [[0.3, 0.9]]", 'W2 = [[0.3, "heavy"]]'), "weights.W2[1][2]"),
    (lambda t: t.replace("[example]", "[example"), None),
])
def test_bad_specs_exit_2_with_one_line(tmp_path, capsys, edit, key):
    spec = tmp_path / "bad.toml"
    spec.write_text(edit(GOOD))
    code, out, err = run(capsys, spec, "--json")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symprop: error:")
    assert str(spec) in lines[0]
    if key:
        assert key in lines[0]
    else:
        assert "not valid TOML" in lines[0]


def test_a_loss_without_gradient_is_a_bad_spec(tmp_path, capsys):
    spec = tmp_path / "zero_one.toml"
    spec.write_text(GOOD.replace('loss = "sse"', 'loss = "zero-one"'))
    for verb in (["derive", str(spec)], ["slides", str(spec), "-o", str(tmp_path / "d.tex")]):
        assert main(verb) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "network.loss" in err[0] and "no gradient" in err[0]


def test_bad_precision_is_a_bad_spec_for_slides(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text(GOOD + '\n[notation]\nprecision = "four"\n')
    code = main(["slides", str(spec), "-o", str(tmp_path / "d.tex")])
    err = capsys.readouterr().err
    assert code == 2 and "notation.precision" in err and str(spec) in err
