"""`symprop serve` over HTTP and the websocket (Starlette's TestClient, no browser)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
from starlette.testclient import TestClient  # noqa: E402

import symprop  # noqa: E402
from symprop.serve.app import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LECTURE = (ROOT / "examples" / "lecture_221.toml").read_text()


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def post(client, path, body):
    return client.post(f"/api/{path}", content=json.dumps(body))


def test_the_page_and_katex_are_served_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and "katex.min.js" in page.text
    for path in ("/static/app.js", "/static/style.css", "/static/katex/katex.min.js",
                 "/static/katex/katex.min.css", "/static/katex/fonts/KaTeX_Main-Regular.woff2"):
        assert client.get(path).status_code == 200, path


def test_build_gives_a_spec_that_loads_and_a_url_that_rebuilds_it(client):
    query = {"inputs": "3", "layers": "3:tanh:1,2:softmax:0", "loss": "cross-entropy",
             "seed": "4"}
    r = post(client, "build", {"query": query}).json()
    net = symprop.loads(r["spec"])
    assert net.sizes == (3, 3, 2) and net.layers[0].bias and not net.layers[1].bias
    again = post(client, "build", {"query": r["query"]}).json()
    assert again["spec"] == r["spec"]                       # the URL is the whole state


def test_math_of_the_lecture_network_matches_the_lecture(client):
    r = post(client, "math", {"spec": LECTURE}).json()
    assert r"\delta" in r["derivation"]
    steps = {s["address"]: s for s in r["steps"]}
    # the lecture's numbers, and the exact values from an independent float computation
    h1 = 1 / (1 + np.exp(-(0.1 * 0.35 + 0.8 * 0.9)))
    assert steps["out1[1]"]["rounded"].startswith("0.680")
    assert abs(float(steps["out1[1]"]["exact"]) - h1) < 1e-15
    assert [s["stage"] for s in r["steps"]][0] == "forward"
    assert {"forward", "error", "backward", "update", "forward again"} <= \
        {s["stage"] for s in r["steps"]}


def test_clicking_a_weight_gives_its_gradient_and_update(client):
    r = post(client, "formula", {"spec": LECTURE, "element": "w1[1,2]"}).json()
    names = [f["address"] for f in r["formulas"]]
    assert names == ["dE/dw1[1,2]", "w1[1,2]+"]
    # dE/dw by finite differences of the float network
    def loss(w12):
        h = 1 / (1 + np.exp(-np.array([0.1 * 0.35 + w12 * 0.9, 0.4 * 0.35 + 0.6 * 0.9])))
        y = 1 / (1 + np.exp(-(0.3 * h[0] + 0.9 * h[1])))
        return 0.5 * (y - 0.5) ** 2
    fd = (loss(0.8 + 1e-6) - loss(0.8 - 1e-6)) / 2e-6
    assert abs(float(r["formulas"][0]["exact"]) - fd) < 1e-9


def test_check_my_numbers_gives_the_checkers_verdicts(client):
    typed = {"out1[1]": "0,68", "out2[1]": "0.69", "delta2[1]": "0,0406",
             "w1[1,2]+": "0.81", "E": "a+b", "nonsense": "1"}
    r = post(client, "check", {"spec": LECTURE, "typed": typed}).json()
    assert r["verdicts"]["out1[1]"]["verdict"] == "correct"
    assert r["verdicts"]["delta2[1]"]["verdict"] == "consistent"
    assert r["verdicts"]["w1[1,2]+"]["verdict"] == "wrong"
    assert "expected a decimal number" in r["problems"]["E"]
    assert "nonsense" in r["problems"]


@pytest.mark.parametrize("body, words", [
    ({"query": {"layers": "99:sigmoid:1"}}, "layers[1].units"),
    ({"query": {"layers": "2:__import__('os'):1"}}, "layers[1].activation"),
    ({"query": {"inputs": "1e9"}}, "inputs"),
    ({"query": {"lr": "nan"}}, "lr"),
    ({"query": {"dataset": "../../etc/passwd"}}, "dataset"),
])
def test_bad_settings_get_one_line_naming_the_parameter(client, body, words):
    r = post(client, "build", body)
    assert r.status_code == 400
    message = r.json()["error"]
    assert words in message and "\n" not in message and "Traceback" not in message


@pytest.mark.parametrize("spec, words", [
    ("[network\ninputs = 2", "not valid TOML"),
    ("[network]\ninputs = 2\n[[network.layers]]\nunits = 50\n", "too many units"),
    ("[network]\ninputs = 2\n[[network.layers]]\nunits = 1\nactivation = 'step'\n",
     "threshold units"),
    ("x" * 70_000, "spec too large"),
])
def test_a_bad_spec_gets_a_message_not_a_traceback(client, spec, words):
    r = post(client, "open", {"spec": spec, "name": "../somewhere/mine.toml"})
    assert r.status_code == 400 and words in r.json()["error"]
    assert r.json()["error"].startswith("mine.toml")


def test_garbage_requests_get_400(client):
    assert client.post("/api/math", content=b"\xff\xfe").status_code == 400
    assert client.post("/api/math", content=b"[1, 2]").status_code == 400
    assert client.post("/api/math", content=b'{"spec": 5}').status_code == 400
    assert client.post("/api/export", content=json.dumps(
        {"spec": LECTURE, "kind": "../x"})).status_code == 400


def test_exports(client, tmp_path):
    spec = post(client, "export", {"spec": LECTURE, "kind": "spec"})
    assert symprop.loads(spec.text).weights == symprop.loads(LECTURE).weights
    params = {"W1": [[1.5, -2.0], [0.25, 3.0]], "W2": [[0.5, 0.75]]}
    trained = post(client, "export", {"spec": LECTURE, "kind": "spec", "params": params})
    assert symprop.loads(trained.text).weights["W1"][0][0] == symprop.loads(
        "[network]\ninputs=1\n[[network.layers]]\nunits=1\n[weights]\nW1=[[1.5]]").weights[
        "W1"][0][0]
    npz = np.load(io.BytesIO(post(client, "export", {"spec": LECTURE, "kind": "weights.npz",
                                                     "params": params}).content))
    assert np.array_equal(npz["W1"], np.array(params["W1"]))
    js = post(client, "export", {"spec": LECTURE, "kind": "weights.json"}).json()
    assert js["W2"] == [[0.3, 0.9]]
    bad = post(client, "export", {"spec": LECTURE, "kind": "spec", "params": {"W1": [[1]]}})
    assert bad.status_code == 400 and "params" in bad.json()["error"]
    tex = post(client, "export", {"spec": LECTURE, "kind": "slides.tex"})
    assert r"\begin{document}" in tex.text
    kernels = post(client, "export", {"spec": LECTURE, "kind": "kernels.py"})
    compile(kernels.text, "kernels.py", "exec")
    assert "def train_epochs" in kernels.text


# -- the websocket -----------------------------------------------------------------------------


def receive_until(ws, want, limit=200):
    for _ in range(limit):
        m = ws.receive_json()
        if want(m):
            return m
    raise AssertionError("no such message")


def frames(ws, epoch, limit=400):
    return receive_until(ws, lambda m: m["type"] == "frame" and m["epoch"] >= epoch, limit)


def test_training_over_the_websocket_pauses_steps_and_resets_to_the_same_numbers(client):
    spec = post(client, "build", {"query": {}}).json()["spec"]   # the kernels the others use
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({"cmd": "configure", "spec": spec,
                      "query": {"dataset": "gauss", "lr": "0.3", "batch": "10"}})
        seen = []
        ready = receive_until(ws, lambda m: seen.append(m) or m["type"] == "frame")
        assert ready["epoch"] == 0 and len(ready["boundary"]["values"]) == 48 * 48
        assert any(m["type"] == "status" and m["state"] == "compiling" for m in seen)
        assert ready["boundary"]["lo"] == 0 and ready["boundary"]["hi"] == 1   # sigmoid's range
        for _ in range(3):
            ws.send_json({"cmd": "step"})
        third = frames(ws, 3)
        assert third["epoch"] == 3 and third["state"] == "paused"
        ws.send_json({"cmd": "reset"})
        receive_until(ws, lambda m: m["type"] == "frame" and m["epoch"] == 0)
        for _ in range(3):
            ws.send_json({"cmd": "step"})
        again = frames(ws, 3)
        assert again["params"] == third["params"]           # same seed, same numbers
        assert again["boundary"]["values"] != ready["boundary"]["values"]
        ws.send_json({"cmd": "play"})
        frames(ws, 20)
        ws.send_json({"cmd": "pause"})
        ws.send_json({"cmd": "jump"})
        err = receive_until(ws, lambda m: m["type"] == "error")
        assert "cmd" in err["message"]


def test_a_bad_csv_gets_a_message_naming_the_upload(client):
    spec = post(client, "build", {"query": {}}).json()["spec"]
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({"cmd": "play"})
        assert "configure" in receive_until(ws, lambda m: m["type"] == "error")["message"]
        ws.send_text("{not json")
        assert "JSON" in receive_until(ws, lambda m: m["type"] == "error")["message"]
        ws.send_json({"cmd": "configure", "spec": spec, "query": {"dataset": "csv"},
                      "csv": "a,b,label\n1,2,x\n3,oops,y\n", "csv_name": "../../mine.csv"})
        err = receive_until(ws, lambda m: m["type"] == "error")
        assert "mine.csv" in err["message"] and "symprop-serve-" not in err["message"]
        ws.send_json({"cmd": "configure", "spec": spec, "query": {"dataset": "csv"},
                      "csv": "a,b,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n", "csv_name": "xor.csv"})
        ok = receive_until(ws, lambda m: m["type"] == "configured")
        assert ok["train_rows"] == 2 and ok["test_rows"] == 2


def test_two_pages_train_at_once_without_touching_each_other(client):
    spec = post(client, "build", {"query": {}}).json()["spec"]
    query = {"dataset": "xor", "lr": "1", "batch": "4"}
    with client.websocket_connect("/ws/train") as a, client.websocket_connect("/ws/train") as b:
        for ws in (a, b):
            ws.send_json({"cmd": "configure", "spec": spec, "query": query})
        for ws in (a, b):
            receive_until(ws, lambda m: m["type"] == "frame")
        a.send_json({"cmd": "play"})
        for _ in range(5):
            b.send_json({"cmd": "step"})
        fb = frames(b, 5)
        fa = frames(a, 30)
        a.send_json({"cmd": "pause"})
        assert fb["epoch"] == 5 and fa["epoch"] >= 30
    with client.websocket_connect("/ws/train") as c:   # alone, the same 5 epochs
        c.send_json({"cmd": "configure", "spec": spec, "query": query})
        receive_until(c, lambda m: m["type"] == "frame")
        for _ in range(5):
            c.send_json({"cmd": "step"})
        assert frames(c, 5)["params"] == fb["params"]


def test_the_command_line_binds_to_localhost_and_refuses_bad_input(monkeypatch, capsys):
    import uvicorn

    from symprop.cli import main

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    assert main(["serve", str(ROOT / "examples" / "lecture_221.toml"), "--port", "8099"]) == 0
    assert calls[0]["host"] == "127.0.0.1" and calls[0]["port"] == 8099
    assert main(["serve", "no/such.toml"]) == 2
    assert main(["serve", "--port", "70000"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "no/such.toml" in err[0] and "--port" in err[1]


def test_a_check_that_takes_too_long_gets_a_message_not_a_hang(monkeypatch):
    import threading

    from symprop.serve import app as app_module

    release = threading.Event()
    monkeypatch.setitem(app_module.TIME_LIMITS, "check", 0.5)
    monkeypatch.setattr(app_module.lesson, "check_numbers",
                        lambda net, typed: release.wait(30) and {})
    with TestClient(create_app()) as slow:
        r = post(slow, "check", {"spec": LECTURE, "typed": {"E": "1"}})
        assert r.status_code == 503 and "too large" in r.json()["error"]
        post(slow, "check", {"spec": LECTURE, "typed": {"E": "1"}})     # holds the second slot
        busy = post(slow, "check", {"spec": LECTURE, "typed": {"E": "1"}})
        assert busy.status_code == 400 and "busy" in busy.json()["error"]
        release.set()


def test_networks_too_large_for_the_exact_math_get_a_message_but_still_train(client):
    query = {"inputs": "6", "layers": "8:tanh:1,8:tanh:1,8:tanh:1,8:softmax:1",
             "loss": "cross-entropy"}
    spec = post(client, "build", {"query": query}).json()["spec"]
    r = post(client, "math", {"spec": spec})
    assert r.status_code == 400 and "up to 4 layers" in r.json()["error"]
    deep = post(client, "build", {"query": {"layers": "2:tanh:1,2:tanh:1,1:sigmoid:1"}}).json()
    assert post(client, "math", {"spec": deep["spec"]}).status_code == 200
    r = post(client, "check", {"spec": deep["spec"], "typed": {"E": "1"}})
    assert r.status_code == 400 and "checking is shown for networks of up to 2 layers" in \
        r.json()["error"]
