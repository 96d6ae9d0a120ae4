"""The Starlette application: JSON endpoints over `state`/`lesson`, a websocket over `training`,
and the static page. Every answer to bad input is ``{"error": one line}`` with status 400.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..derive.rules import ACTIVATIONS
from ..errors import SpecError, TrainingError
from ..runtime.datasets import DATASETS
from ..spec import Network
from . import lesson, state
from .training import Trainer

STATIC = Path(__file__).with_name("static")
TIME_LIMITS = {"check": 90.0}   # seconds; the exact checker grows fast with the network
MAX_BODY = int(state.LIMITS["spec_bytes"] + state.LIMITS["csv_bytes"] + 16_000)


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message.splitlines()[0] if message else "bad input"},
                        status_code=status)


def endpoint(handler: Callable[[dict], Awaitable[Any] | Any], seconds: float = 120) -> Callable:
    """A JSON-in, JSON-out route: bounded body and time, SpecError -> 400, nothing else leaks."""
    async def route(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return _error(f"request too large; expected at most {MAX_BODY} bytes", 413)
        try:
            data = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return _error("the request is not JSON")
        if not isinstance(data, dict):
            return _error("the request is not a JSON object")
        try:
            # SymPy work takes seconds: off the event loop, so other tabs stay live
            result = await asyncio.wait_for(
                asyncio.to_thread(handler, data, request.app.state.config), seconds)
        except TimeoutError:
            return _error(f"no answer within {seconds:.0f} s: this network is too large for the "
                          "page; try fewer units", 503)
        except SpecError as exc:
            return _error(str(exc))
        except RecursionError:
            return _error("the input is too deeply nested")
        except Exception as exc:  # a bug of ours: one line on the page, never a traceback
            return _error(f"internal error ({type(exc).__name__}); please report it", 500)
        if isinstance(result, Response):
            return result
        return JSONResponse(result)
    return route


def _network(data: dict, file: str | None = None) -> Network:
    text = data.get("spec")
    if not isinstance(text, str) or not text.strip():
        raise SpecError("missing spec", file=file, key="spec", expected="the spec TOML text")
    return state.network_from_text(text, file)


def _describe(net: Network) -> dict[str, Any]:
    return {"sizes": list(net.sizes), "inputs": list(net.input_names),
            "layers": [{"units": l.units, "activation": l.activation, "bias": l.bias}
                       for l in net.layers],
            "loss": net.loss, "labels": dict(net.labels),
            "has_example": net.example is not None,
            "weights": {k: [[str(v) for v in row] if isinstance(row, tuple) else str(row)
                            for row in value] for k, value in net.weights.items()}}


# -- handlers (run in a worker thread; pure functions of their JSON) ------------------------------
def meta(data: dict, config: dict) -> dict:
    return {"activations": state.backprop_activations(), "losses": state.backprop_losses(),
            "datasets": {k: v for k, v in DATASETS.items() if not k.startswith("<")},
            "limits": state.LIMITS, "macros": lesson.KATEX_MACROS,
            "activation_latex": {k: r.latex for k, r in ACTIVATIONS.items()},
            "initial": config.get("spec_text"), "initial_name": config.get("spec_name")}


def build(data: dict, config: dict) -> dict:
    query = data.get("query", {})
    if not isinstance(query, dict):
        raise SpecError("bad settings", key="query", expected="an object of URL parameters")
    settings = state.settings_from_query({str(k): str(v)[:200] for k, v in query.items()})
    net = state.network_from_settings(settings)
    return {"spec": state.spec_toml(net), "query": settings.query(), "network": _describe(net)}


def open_spec(data: dict, config: dict) -> dict:
    name = Path(str(data.get("name", "spec.toml"))[:80]).name or "spec.toml"
    net = _network(data, name)
    base = state.settings_from_query({k: str(v)[:200] for k, v in data.get("query", {}).items()
                                      if k in ("seed", "dataset", "noise", "lr", "batch")}
                                     if isinstance(data.get("query"), dict) else {})
    if net.is_perceptron:
        raise SpecError("the page derives backpropagation: threshold units have no derivative",
                        file=name, key="network.layers", expected="differentiable activations")
    query = state.settings_of(net, base).query()
    return {"spec": data["spec"], "query": query, "network": _describe(net)}


def math(data: dict, config: dict) -> dict:
    net = _network(data)
    return {"network": _describe(net), **lesson.lesson(net)}


def formula(data: dict, config: dict) -> dict:
    net = _network(data)
    return {"formulas": lesson.formulas_of(net, str(data.get("element", ""))[:40])}


_checking = threading.Semaphore(2)   # a check left running after its time-out holds one


def check_numbers(data: dict, config: dict) -> dict:
    net = _network(data)
    typed = data.get("typed", {})
    if not isinstance(typed, dict) or len(typed) > 500:
        raise SpecError("bad form", key="typed", expected="an object {address: number}")
    if not _checking.acquire(blocking=False):
        raise SpecError("the checker is still busy with earlier requests; try again shortly",
                        key="check")
    try:
        return lesson.check_numbers(net, {str(k): str(v)[:60] for k, v in typed.items()})
    finally:
        _checking.release()


def export(data: dict, config: dict) -> Response:
    net = _network(data)
    kind = str(data.get("kind", ""))
    params = _params(net, data.get("params"))
    name = net.name if net.name not in ("network", "spec") else "playground"
    if kind == "spec":
        return _download(state.spec_toml(net, params), f"{name}.toml", "application/toml")
    if kind == "weights.json":
        values = params or {k: [[float(v) for v in r] if isinstance(r, tuple) else float(r)
                                for r in value] for k, value in net.weights.items()}
        return _download(json.dumps({k: np.asarray(v).tolist() for k, v in values.items()},
                                    indent=1), f"{name}-weights.json", "application/json")
    if kind == "weights.npz":
        values = params or {k: np.array([[float(v) for v in r] if isinstance(r, tuple)
                                         else float(r) for r in value])
                            for k, value in net.weights.items()}
        buf = io.BytesIO()
        np.savez(buf, **values)
        return _download(buf.getvalue(), f"{name}-weights.npz", "application/octet-stream")
    if kind == "slides.tex":
        from ..render.slides import render_deck
        return _download(render_deck(net, output=f"{name}.tex"), f"{name}.tex",
                         "application/x-tex")
    if kind == "kernels.py":
        from ..codegen.generate import generate
        return _download(generate(net).source, f"{name}_kernels.py", "text/x-python")
    raise SpecError("unknown export", key="kind",
                    expected="spec, weights.json, weights.npz, slides.tex or kernels.py",
                    got=kind[:40])


def _params(net: Network, raw: Any) -> dict[str, np.ndarray] | None:
    """Trained parameters sent back by the page, checked against the network's shapes."""
    if raw is None:
        return None
    shapes = net.param_shapes()
    if not isinstance(raw, dict) or set(raw) != set(shapes):
        raise SpecError("bad parameters", key="params", expected=", ".join(shapes))
    out = {}
    for name, shape in shapes.items():
        try:
            value = np.array(raw[name], dtype=np.float64)
        except (TypeError, ValueError):
            raise SpecError("not numbers", key=f"params.{name}", expected="numbers") from None
        if value.shape != shape or not np.isfinite(value).all():
            raise SpecError("wrong shape or not finite", key=f"params.{name}",
                            expected=f"finite numbers of shape {shape}")
        out[name] = value
    return out


def _download(content: str | bytes, filename: str, media: str) -> Response:
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# -- the websocket -------------------------------------------------------------------------------
async def train_socket(ws: WebSocket) -> None:
    """One trainer per connection: configure {spec, query, csv?}, then play/pause/step/reset."""
    await ws.accept()
    loop = asyncio.get_running_loop()
    outbox: asyncio.Queue = asyncio.Queue(maxsize=64)

    def send(message: dict) -> None:              # called from the trainer's thread
        def put() -> None:
            if outbox.full() and message.get("type") == "frame":
                return                             # a slow page skips frames, never blocks
            outbox.put_nowait(message) if not outbox.full() else None
        try:
            loop.call_soon_threadsafe(put)
        except RuntimeError:                       # the page has gone and its loop with it
            pass

    trainer = Trainer(send)

    async def pump() -> None:
        while True:
            await ws.send_json(await outbox.get())

    pumping = asyncio.create_task(pump())
    try:
        while True:
            raw = await ws.receive_text()
            try:
                await _handle(trainer, raw)
            except (SpecError, TrainingError) as exc:
                await outbox.put({"type": "error", "message": str(exc).splitlines()[0]})
    except WebSocketDisconnect:
        pass
    finally:
        trainer.close()
        pumping.cancel()


async def _handle(trainer: Trainer, raw: str) -> None:
    if len(raw) > MAX_BODY:
        raise SpecError("message too large", key="websocket", expected=f"<= {MAX_BODY} bytes")
    try:
        msg = json.loads(raw)
    except ValueError:
        raise SpecError("not JSON", key="websocket", expected="a JSON message") from None
    if not isinstance(msg, dict):
        raise SpecError("not an object", key="websocket", expected="a JSON object")
    cmd = str(msg.get("cmd", ""))
    if cmd == "configure":
        net = _network(msg)
        query = msg.get("query", {})
        if not isinstance(query, dict):
            raise SpecError("bad settings", key="query", expected="an object")
        settings = state.settings_from_query({str(k): str(v)[:200] for k, v in query.items()})
        csv_text = msg.get("csv")
        info = await asyncio.to_thread(
            trainer.configure, net, settings,
            csv_text if isinstance(csv_text, str) else None,
            str(msg.get("csv_name", "upload.csv"))[:80])
        trainer.send({"type": "configured", **info})     # in order with the trainer's own
    else:
        trainer.command(cmd)


# -- the app -------------------------------------------------------------------------------------
async def index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html")


def create_app(spec_text: str | None = None, spec_name: str | None = None) -> Starlette:
    """The page's app; ``spec_text`` (already checked) is what the page opens with."""
    routes = [Route("/", index),
              Route("/favicon.ico", lambda request: Response(status_code=204))]
    for path, handler in (("meta", meta), ("build", build), ("open", open_spec),
                          ("math", math), ("formula", formula), ("check", check_numbers),
                          ("export", export)):
        routes.append(Route(f"/api/{path}", endpoint(handler, TIME_LIMITS.get(path, 120)),
                            methods=["POST"]))
    routes += [WebSocketRoute("/ws/train", train_socket),
               Mount("/static", StaticFiles(directory=STATIC), name="static")]
    app = Starlette(routes=routes)
    app.state.config = {"spec_text": spec_text, "spec_name": spec_name}
    return app
