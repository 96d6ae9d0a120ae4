"""The lecture end to end: ``python -m symprop.demo --out reports/demo`` (what ``make demo`` runs).

1. the 2-2-1 backpropagation example in exact arithmetic: forward pass, δs, updated weights,
   E → E⁺;
2. the slide's own numbers checked (``symprop check``), when that part is installed;
3. the LaTeX deck (and its PDF when pdflatex exists);
4. the generated numba kernels, whose one training step is compared with the exact one;
5. the perceptron rule through its generated kernel: AND converges, XOR provably cycles, and
   McCulloch-Pitts units with a hidden layer compute XOR;
6. a 2-2-1 sigmoid network learning XOR;
7. the Playground spiral from x1, x2 only;
8. the lecture's ReLU sum Z(x): represented exactly by 1-6-1, and learned by 1-16-1.

Everything lands in the output folder with an ``index.md`` that says what each file is.
``--quick`` trains for fewer epochs and skips the PDF (for the test suite).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import SpecError
from .io import write_atomic

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _spec(name: str):
    from .spec import load
    path = EXAMPLES / name
    if not path.is_file():
        raise SpecError("example spec not found (run the demo from a source checkout)",
                        file=str(path))
    return load(path)


class Demo:
    """Runs the steps, collects files (with what they are), numbers and timings."""

    def __init__(self, out: Path, quick: bool) -> None:
        self.out, self.quick = out, quick
        self.files: list[tuple[str, str]] = []
        self.numbers: dict[str, Any] = {}
        self.timings: dict[str, float] = {}
        self.notes: list[str] = []

    # -- helpers ----------------------------------------------------------------------------
    def write(self, name: str, data: str | bytes, what: str) -> Path:
        path = write_atomic(self.out / name, data)
        self.add(name, what)
        return path

    def add(self, name: str, what: str) -> None:
        if not any(n == name for n, _ in self.files):
            self.files.append((name, what))

    def say(self, text: str = "") -> None:
        print(text, flush=True)

    def step(self, title: str, body: Callable[[], None]) -> None:
        self.say(f"\n== {title}")
        start = time.perf_counter()
        body()
        self.timings[title] = round(time.perf_counter() - start, 2)
        self.say(f"   ({self.timings[title]:.1f} s)")

    # -- 1. the worked example ----------------------------------------------------------------
    def lecture_example(self) -> None:
        net = _spec("lecture_221.toml")
        self.lecture = net
        ex = net.worked_example()
        self.example = ex
        names = {str(a): n for n, a in ex.aliases().items()}
        slide = {str(net.address(label)): label for label in net.labels}
        rows = []
        for addr in ex.values:
            key = str(addr)
            shown = key + (f" = {names[key]}" if key in names else "") + \
                (f" = {slide[key]} (slide)" if key in slide else "")
            rows.append((shown, f"{float(ex.value(addr, 20)):.10g}"))
        lines = ["# The lecture's 2-2-1 example, exactly", "",
                 "Sigmoid units, no biases, E = ½(y − d)², inputs A = 0.35, B = 0.9, "
                 "target 0.5, η = 1. Values are exact SymPy expressions evaluated to 10 "
                 "significant digits.", "", "| quantity | value |", "|---|---|"]
        lines += [f"| `{q}` | {v} |" for q, v in rows]
        E, E_plus = float(ex.value("E")), float(ex.value("E+"))
        y, y_plus = float(ex.value("y[1]")), float(ex.value("y[1]+"))
        verdict = (f"One step of backpropagation moves y from {y:.6f} to {y_plus:.6f} "
                   f"(target 0.5) and lowers the error from E = {E:.8f} to E⁺ = {E_plus:.8f}.")
        lines += ["", verdict, ""]
        self.write("lecture_example.md", "\n".join(lines),
                   "the 2-2-1 example: forward pass, δs, gradients, updated weights w1⁺…w6⁺, "
                   "second forward pass, E → E⁺ (exact, to 10 digits)")
        self.say("forward pass:  " + ", ".join(
            f"{n} = {float(ex.value(n)):.6g}" for n in ("net1[1]", "h1[1]", "net1[2]", "h1[2]",
                                                        "net2[1]", "y[1]", "E")))
        self.say("updated:       " + ", ".join(
            f"{label} = {float(ex.value(label)):.6f}" for label in sorted(net.labels)))
        self.say(verdict)
        self.numbers.update({"E": E, "E_plus": E_plus, "y": y, "y_plus": y_plus,
                             "w1_plus": float(ex.value("w1"))})

    # -- 2. the slide checked -----------------------------------------------------------------
    def check_slide(self) -> None:
        try:
            from .check.judge import check
            from .check.report import headline, write_report
        except ImportError as exc:
            self.note(f"symprop check is not available here ({exc}); the slide was not checked")
            return
        spec = EXAMPLES / "check_lecture_slide.toml"
        if not spec.is_file():
            self.note("examples/check_lecture_slide.toml is missing: the slide was not checked")
            return
        result = check(_spec(spec.name))
        write_report(result, self.out / "check_lecture_slide.md")
        self.add("check_lecture_slide.md", "the slide's own numbers (0.68, 0.6637, 0.69, "
                 "w1⁺ = 0.272392, w2⁺ = 0.87305) checked against the exact values, with "
                 "rounding and error carried forward")
        self.say(headline(result))
        self.numbers["check_exit_code"] = int(result.exit_code)

    # -- 3. LaTeX -----------------------------------------------------------------------------
    def slides(self) -> None:
        try:
            from .render.slides import LatexError, compile_pdf, pdflatex, render_deck
        except ImportError as exc:
            self.note(f"symprop.render is not available here ({exc}); no LaTeX written")
            return
        tex = render_deck(self.lecture, output="lecture_221.tex")
        self.write("lecture_221.tex", tex, "beamer deck of the derivation and the worked "
                   "example in the lecture's notation")
        if self.quick:
            self.say("wrote lecture_221.tex (PDF skipped in --quick mode)")
            return
        if pdflatex() is None:
            self.note("pdflatex is not installed: lecture_221.tex was written, no PDF")
            return
        try:
            compile_pdf(tex, self.out / "lecture_221.pdf")
        except LatexError as exc:
            self.note(f"pdflatex failed: {exc}")
            return
        self.add("lecture_221.pdf", "the deck, compiled")
        self.say("wrote lecture_221.tex and lecture_221.pdf")

    # -- 4. kernels ---------------------------------------------------------------------------
    def kernels(self) -> None:
        net, ex = self.lecture, self.example
        # the network's own module (`symprop codegen` writes the same): straight-line code that
        # cites its formulas; net.compile() alone would train on the per-machine family
        k = net.compile(shape="unrolled")
        self.write("kernels/lecture_221.py", k.source,
                   f"the generated numba module of the 2-2-1 network ({k.shape} kernel: "
                   "forward, loss, backward, train_epochs)")
        params = k.init_params(0)           # the spec's weights
        X = np.array([[float(v) for v in net.example.input]])
        Y = np.array([[float(v) for v in net.example.target]])
        grads = k.gradients(params, X, Y)
        new, _ = k.train(params, X, Y, epochs=1, batch_size=1,
                         learning_rate=float(net.example.learning_rate), shuffle=False)
        worst = 0.0
        for name, value in new.items():
            l = int(name[1:])
            for index in np.ndindex(value.shape):
                k_, j = index[0] + 1, index[1] + 1
                exact_w = float(ex.value(f"w{l}[{k_},{j}]+"))
                exact_g = float(ex.value(f"dE/dw{l}[{k_},{j}]"))
                worst = max(worst, abs(value[index] - exact_w),
                            abs(grads[name][index] - exact_g))
        self.say(f"kernel module: {k.path} ({len(k.source.splitlines())} lines)")
        self.say(f"one kernel training step vs the exact step: max |difference| = {worst:.2e} "
                 "over every gradient and updated weight")
        self.numbers["kernel_vs_exact"] = worst
        if worst > 1e-12:
            raise RuntimeError(f"the kernel's step differs from the exact one by {worst}")

    # -- 5. perceptron --------------------------------------------------------------------------
    def perceptron(self) -> None:
        from .derive.perceptron import train as exact_train
        from .runtime.datasets import load_dataset
        from .runtime.perceptron import compile_perceptron

        net = _spec("train_perceptron_and.toml")    # the same unit as train_perceptron_xor
        k = compile_perceptron(net)
        self.write("kernels/perceptron.py", k.source,
                   "the generated perceptron-rule kernel (one step unit with a bias)")
        lines = ["# Perceptron and McCulloch-Pitts units", "",
                 "Rosenblatt's rule w ← w + η(y − ŷ)x, b ← b + η(y − ŷ), from zero weights, "
                 "η = 1, run by the generated kernel and by the exact reference "
                 "(`symprop.derive.perceptron`).", ""]
        for name in ("and", "or", "xor"):
            ds = load_dataset(name)
            run = k.train(k.init_params(), ds.X, ds.Y)
            ref = exact_train(net, ds.X.astype(int).tolist(), ds.Y.astype(int).tolist())
            same = (run.errors == ref.errors and run.epochs == ref.epochs and
                    np.array_equal(run.params["W1"], np.array(ref.weights, dtype=float)) and
                    np.array_equal(run.params["b1"], np.array(ref.bias, dtype=float)))
            self.say(f"{name.upper():>4}: {run.statement}; mistakes per epoch "
                     f"{list(run.errors)}; same as the exact rule: {same}")
            lines += [f"## {name.upper()}", "", f"- {run.statement}",
                      f"- mistakes per epoch: {list(run.errors)}",
                      f"- weights {run.params['W1'].tolist()}, bias {run.params['b1'].tolist()}",
                      f"- identical to the exact rule: {same}", ""]
            self.numbers[f"perceptron_{name}_converged"] = run.converged
            if not same:
                raise RuntimeError(f"perceptron kernel differs from the exact rule on {name}")
        mp = _spec("train_mcculloch_pitts_xor.toml")
        kmp = compile_perceptron(mp)
        ds = load_dataset("xor")
        out = kmp.forward(kmp.init_params(), ds.X)[:, 0]
        ok = bool(np.array_equal(out, ds.Y[:, 0]))
        self.say(f"McCulloch-Pitts 2-2-1 (h1 = OR, h2 = NAND, y = AND) on XOR inputs: "
                 f"{out.astype(int).tolist()} (XOR: {ok})")
        lines += ["## McCulloch-Pitts units with a hidden layer", "",
                  "Threshold units (1 if net ≥ T) with weights by hand: h1 = OR (T = 0.5), "
                  "h2 = NAND (T = −1.5), y = AND of h1, h2 (T = 1.5).", "",
                  f"Outputs on (0,0), (0,1), (1,0), (1,1): {out.astype(int).tolist()} — "
                  f"{'XOR' if ok else 'not XOR'}. A hidden layer does what one unit cannot; "
                  "learning its weights needs a differentiable unit and backpropagation.", ""]
        self.write("perceptron.md", "\n".join(lines), "the perceptron rule on AND, OR (converge) "
                   "and XOR (weights cycle: not linearly separable); McCulloch-Pitts XOR")
        self.numbers["mcculloch_pitts_xor"] = ok

    # -- 6-8. training -------------------------------------------------------------------------
    def xor(self) -> None:
        from .runtime.train import Settings, fit

        net = _spec("train_xor_221.toml")
        settings = Settings(epochs=2000, batch_size=4, learning_rate=2.0, momentum=0.9, seed=1)
        run = fit(net, "xor", settings, plot=self.out / "xor.png")
        self._files(run, "XOR, 2-2-1 sigmoid")
        self.write("kernels/train_xor_221.py", run.kernels.source,
                   "the generated kernel module of the 2-2-1 XOR network")
        outputs = run.kernels.forward(run.params, run.data.X)[:, 0]
        self.say(f"{run.statement}  (compile/load {run.compile_s:.1f} s, train "
                 f"{run.train_s:.2f} s)")
        self.say("outputs on (0,0), (0,1), (1,0), (1,1): " +
                 ", ".join(f"{v:.3f}" for v in outputs))
        self.numbers.update({"xor_accuracy": run.accuracy, "xor_loss": run.loss})
        if run.accuracy != 1.0:
            raise RuntimeError(f"the 2-2-1 network did not solve XOR: {run.statement}")

    def spiral(self) -> None:
        from .runtime.train import Settings, fit

        net = _spec("train_spiral.toml")
        epochs = 150 if self.quick else 1500
        settings = Settings(epochs=epochs, batch_size=10, learning_rate=0.03, momentum=0.9,
                            seed=0)
        run = fit(net, "spiral", settings, test_fraction=0.5, plot=self.out / "spiral.png")
        self._files(run, "Playground spiral, 2-16-16-1 tanh/sigmoid, half the points held out")
        self.say(f"{run.statement}  (compile/load {run.compile_s:.1f} s, train "
                 f"{run.train_s:.2f} s)")
        self.numbers.update({"spiral_train_accuracy": run.accuracy,
                             "spiral_test_accuracy": run.test_accuracy,
                             "spiral_epochs": epochs})
        if not self.quick and (run.test_accuracy or 0) < 0.95:
            raise RuntimeError(f"spiral test accuracy {run.test_accuracy} < 0.95")

    def relu_sum(self) -> None:
        from .runtime import plots
        from .runtime.datasets import relu_sum
        from .runtime.train import Settings, fit

        grid = np.linspace(-2.0, 2.0, 4001).reshape(-1, 1)
        target = relu_sum(grid[:, 0])
        exact = _spec("train_relu_sum_exact.toml")
        k = exact.compile()
        p = k.init_params(0)                 # the lecture's weights from the spec
        exact_err = float(np.max(np.abs(k.forward(p, grid)[:, 0] - target)))
        plots.regression_fit(lambda X: k.forward(p, X), grid[::40], target[::40, None],
                             self.out / "relu_sum_exact.png", target=relu_sum,
                             title="Z(x) as a 1-6-1 ReLU network (the lecture's weights)")
        self.add("relu_sum_exact.png", "Z(x) computed by the generated kernel of the 1-6-1 "
                 "ReLU network with the lecture's weights: exact up to rounding")
        self.say(f"1-6-1 ReLU with the lecture's weights: max |error| on [-2, 2] = "
                 f"{exact_err:.2e} (exact representation)")
        net = _spec("train_relu_sum.toml")
        epochs = 1000 if self.quick else 10000
        settings = Settings(epochs=epochs, batch_size=10, learning_rate=0.01, momentum=0.9,
                            seed=0)
        run = fit(net, "relu-sum", settings, plot=self.out / "relu_sum.png")
        self._files(run, "ReLU sum Z(x) learned by a 1-16-1 ReLU network from 200 samples")
        learned_err = float(np.max(np.abs(run.kernels.forward(run.params, grid)[:, 0]
                                          - target)))
        self.say(f"1-16-1 ReLU trained {epochs} epochs: max |error| on [-2, 2] = "
                 f"{learned_err:.4f}, R² = {run.r2:.6f}  (compile/load {run.compile_s:.1f} s, "
                 f"train {run.train_s:.2f} s)")
        self.numbers.update({"relu_sum_exact_max_error": exact_err,
                             "relu_sum_max_error": learned_err, "relu_sum_epochs": epochs})

    def classroom(self) -> None:
        from .classroom.demo import write_class

        for name, what in write_class(self.out / "class", pdf=not self.quick):
            self.add(f"class/{name}", what)
        self.say("five students' variants drawn, their simulated sheets marked: "
                 "class/summary.md, class/gradebook.csv")

    def _files(self, run, what: str) -> None:
        curve = "loss and accuracy per epoch" if run.task == "classification" else \
            "loss per epoch"
        names = {"loss_curve": curve,
                 "decision_boundary": "network output over the plane, data, hidden-unit lines",
                 "fit": "network curve against the target and the data"}
        for key, path in run.files.items():
            self.add(Path(path).name, f"{what}: {names.get(key, key)}")

    def note(self, text: str) -> None:
        self.notes.append(text)
        self.say(f"note: {text}")

    # -- index ----------------------------------------------------------------------------------
    def index(self, total: float) -> None:
        n = self.numbers
        lines = ["# symprop demo: the lecture end to end", "",
                 f"Made by `python -m symprop.demo --out {self.out}`"
                 f"{' --quick' if self.quick else ''} in {total:.1f} s.", "",
                 "## Results", ""]
        results = [
            ("E → E⁺ (2-2-1 example, one step)", "E", "E_plus", "{:.8f} → {:.8f}"),
            ("generated kernel step vs exact step, max |difference|", "kernel_vs_exact", None,
             "{:.2e}"),
            ("XOR with 2-2-1 sigmoid, accuracy", "xor_accuracy", None, "{:.3f}"),
            ("spiral, test accuracy", "spiral_test_accuracy", None, "{:.3f}"),
            ("ReLU sum, 1-6-1 exact weights, max |error|", "relu_sum_exact_max_error", None,
             "{:.2e}"),
            ("ReLU sum, 1-16-1 trained, max |error|", "relu_sum_max_error", None, "{:.4f}"),
        ]
        for label, a, b, fmt in results:
            if a in n and (b is None or b in n):
                values = (n[a],) if b is None else (n[a], n[b])
                lines.append(f"- {label}: {fmt.format(*values)}")
        if "perceptron_xor_converged" in n:
            lines.append("- perceptron: AND and OR converge; XOR does not (the weights "
                         "cycle)")
        lines += ["", "## Files", "", "| file | what it is |", "|---|---|"]
        lines += [f"| [{name}]({name}) | {what} |" for name, what in self.files]
        lines += ["| [summary.json](summary.json) | the numbers above and the timings, "
                  "as JSON |", "", "## Timings (seconds)", "", "| step | s |", "|---|---|"]
        lines += [f"| {step} | {s:.1f} |" for step, s in self.timings.items()]
        if self.notes:
            lines += ["", "## Notes", ""] + [f"- {t}" for t in self.notes]
        write_atomic(self.out / "index.md", "\n".join(lines) + "\n")
        summary = {"numbers": n, "timings": self.timings, "total_s": round(total, 2),
                   "files": [name for name, _ in self.files], "notes": self.notes,
                   "quick": self.quick}
        write_atomic(self.out / "summary.json", json.dumps(summary, indent=2, default=float))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m symprop.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="reports/demo", help="output folder")
    parser.add_argument("--quick", action="store_true",
                        help="fewer epochs and no PDF (for tests)")
    args = parser.parse_args(argv)
    demo = Demo(Path(args.out), args.quick)
    start = time.perf_counter()
    try:
        demo.step("1. the 2-2-1 backpropagation example, exactly", demo.lecture_example)
        demo.step("2. the slide's numbers checked", demo.check_slide)
        demo.step("3. LaTeX slides", demo.slides)
        demo.step("4. generated kernels vs the exact step", demo.kernels)
        demo.step("5. perceptron rule and McCulloch-Pitts units", demo.perceptron)
        demo.step("6. XOR with a 2-2-1 sigmoid network", demo.xor)
        demo.step("7. Playground spiral", demo.spiral)
        demo.step("8. the lecture's ReLU sum Z(x)", demo.relu_sum)
        demo.step("9. a class of 5: variants, sheets, keys, marking", demo.classroom)
    except SpecError as exc:
        print(f"symprop demo: error: {exc}", file=sys.stderr)
        return 2
    total = time.perf_counter() - start
    demo.index(total)
    print(f"\nwrote {len(demo.files) + 2} files to {demo.out}/ (see index.md) "
          f"in {total:.1f} s")
    for step, seconds in demo.timings.items():
        print(f"  {seconds:6.1f} s  {step}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
