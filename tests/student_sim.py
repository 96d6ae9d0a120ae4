# ruff: noqa: E731  (each mistake is the student's formula as a one-line closure)
"""A simulated student for the checker's corpus: one backpropagation step by hand, at 50 digits.

Independent of symprop on purpose (the oracle must not share the checker's code): activations,
their derivatives, losses and the update are written out here with mpmath. The student writes
every quantity at 4 decimal places and either carries the unrounded value (``carry=True``, the
calculator's memory) or the written one; one usual mistake (or an arithmetic slip) may be made.

For every quantity the simulator also records what a careful marker decides:
``correct`` (the exact value rounds to what was written), ``consistent`` (the correct formula,
applied to what the student carried, gives what was written: error carried forward or rounding)
or ``wrong`` (the student's formula was not the correct one here), with the mistake's id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import mpmath as mp

mp.mp.dps = 50

# f(z) and f' written in the output y, by hand
ACT = {
    "sigmoid": (lambda z: 1 / (1 + mp.exp(-z)), lambda y: y * (1 - y)),
    "tanh": (mp.tanh, lambda y: 1 - y ** 2),
    "relu": (lambda z: z if z > 0 else mp.mpf(0), lambda y: mp.mpf(1) if y > 0 else mp.mpf(0)),
    "linear": (lambda z: z, lambda y: mp.mpf(1)),
}


@dataclass
class Net:
    name: str
    sizes: list[int]
    acts: list[str]
    bias: list[bool]
    loss: str                       # sse | cross-entropy
    W: list                         # W[l][k][j], l = 0 .. L-1
    b: list                         # b[l][k]
    x: list
    d: list
    eta: str

    def toml(self) -> str:
        lines = ["[network]", f"inputs = {self.sizes[0]}", f'loss = "{self.loss}"']
        for n, act, bias in zip(self.sizes[1:], self.acts, self.bias, strict=True):
            lines += ["[[network.layers]]", f"units = {n}", f'activation = "{act}"',
                      f"bias = {'true' if bias else 'false'}"]
        lines.append("[weights]")
        for l, rows in enumerate(self.W, start=1):
            lines.append(f"W{l} = [{', '.join('[' + ', '.join(r) + ']' for r in rows)}]")
            if self.bias[l - 1]:
                lines.append(f"b{l} = [{', '.join(self.b[l - 1])}]")
        lines += ["[example]", f"input = [{', '.join(self.x)}]",
                  f"target = [{', '.join(self.d)}]", f"learning_rate = {self.eta}"]
        return "\n".join(lines) + "\n"


def w4(v) -> str:
    """Written at 4 decimal places, half up (like a calculator)."""
    text = str(Decimal(mp.nstr(mp.mpf(v), 45, min_fixed=-60, max_fixed=60)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP))
    return "0.0000" if text == "-0.0000" else text


@dataclass
class Sheet:
    claims: dict[str, str] = field(default_factory=dict)      # address → written
    expected: dict[str, tuple[str, str | None]] = field(default_factory=dict)


def simulate(net: Net, mistake: str | None = None, carry: bool = True,
             slip: str | None = None) -> Sheet:
    """The student's sheet and the marker's verdicts (see module docstring)."""
    L = len(net.acts)
    sizes = net.sizes
    W = [[[mp.mpf(v) for v in row] for row in layer] for layer in net.W]
    B = [[mp.mpf(v) for v in layer] if layer else [] for layer in net.b]
    x = [mp.mpf(v) for v in net.x]
    d = [mp.mpf(v) for v in net.d]
    eta = mp.mpf(net.eta)
    sheet = Sheet()
    exact: dict[str, mp.mpf] = {}
    carried: dict[str, mp.mpf] = {}      # what the student goes on with

    def put(name: str, right_formula, student_formula=None, exact_value=None):
        """``right_formula``: the correct formula on the student's carried values;
        ``student_formula``: the one the student used (None: the right one)."""
        right = right_formula()
        value = right if student_formula is None else student_formula()
        if name == slip:
            value = value + mp.mpf("0.1")
        written = w4(value)
        sheet.claims[name] = written
        carried[name] = value if carry else mp.mpf(written)
        if w4(exact_value) == written:
            verdict = ("correct", None)
        elif w4(right) == written:
            verdict = ("consistent", None)
        else:
            verdict = ("wrong", None if name == slip else mistake)
        sheet.expected[name] = verdict

    exact.update(_exact(net, W, B, x, d, eta))

    # -- the student's chain -------------------------------------------------------------------
    c = carried
    outs_below = [f"x[{j}]" for j in range(1, sizes[0] + 1)]
    c.update({f"x[{j}]": x[j - 1] for j in range(1, sizes[0] + 1)})
    for l in range(1, L + 1):
        act = net.acts[l - 1]
        names_out = []
        for k in range(1, sizes[l] + 1):
            def net_k(l=l, k=k, below=tuple(outs_below)):
                s = sum(W[l - 1][k - 1][j] * c[below[j]] for j in range(len(below)))
                return s + (B[l - 1][k - 1] if net.bias[l - 1] else 0)
            put(f"net{l}[{k}]", net_k, exact_value=exact[f"net{l}[{k}]"])
        for k in range(1, sizes[l] + 1):
            name = f"y[{k}]" if l == L else f"h{l}[{k}]"
            if act == "softmax":
                def out_k(l=l, k=k):
                    es = [mp.exp(c[f"net{l}[{q}]"]) for q in range(1, sizes[l] + 1)]
                    return es[k - 1] / sum(es)
            else:
                def out_k(l=l, k=k, act=act):
                    return ACT[act][0](c[f"net{l}[{k}]"])
            put(name, out_k, exact_value=exact[name])
            names_out.append(name)
        outs_below = names_out
    ys = [f"y[{k}]" for k in range(1, sizes[L] + 1)]

    # loss factor dropped: sse's ½ (×2), cross-entropy's minus sign (×−1)
    scale = 1
    if mistake == "loss-factor":
        scale = 2 if net.loss == "sse" else -1

    def E_right():
        if net.loss == "sse":
            return sum((c[y] - d[k]) ** 2 for k, y in enumerate(ys)) / 2
        return -sum(d[k] * mp.log(c[y]) for k, y in enumerate(ys))
    put("E", E_right, (lambda: scale * E_right()) if scale != 1 else None, exact["E"])

    # output δ
    top = net.acts[L - 1]
    for k in range(1, sizes[L] + 1):
        y, dk = f"y[{k}]", d[k - 1]

        def dE_dy(y=y, dk=dk):
            return (c[y] - dk) if net.loss == "sse" else -dk / c[y]

        def right(y=y, dk=dk, dE_dy=dE_dy):
            if top == "softmax":
                return c[y] - dk               # cross-entropy with one-hot targets
            return dE_dy() * ACT[top][1](c[y])
        student = None
        if mistake == "missing-activation-derivative":
            student = dE_dy
        elif mistake == "wrong-activation-derivative":
            student = (lambda y=y, dE_dy=dE_dy: dE_dy() * c[y] * (1 - c[y])) if top in (
                "tanh", "softmax") else (lambda y=y, dE_dy=dE_dy: dE_dy() * (1 - c[y] ** 2))
        elif mistake == "derivative-of-net" and top != "softmax":
            student = (lambda y=y, k=k, dE_dy=dE_dy:
                       dE_dy() * ACT[top][1](c[f"net{L}[{k}]"]))
        elif mistake == "extra-activation-derivative" and top == "softmax":
            student = (lambda y=y, right=right: right() * c[y] * (1 - c[y]))
        if scale != 1:
            base = student or right
            student = (lambda base=base: scale * base())
        put(f"delta{L}[{k}]", right, student, exact[f"delta{L}[{k}]"])

    # hidden δ
    for l in range(L - 1, 0, -1):
        act = net.acts[l - 1]
        for j in range(1, sizes[l] + 1):
            h = f"h{l}[{j}]"

            def total(l=l, j=j, h=h, only=None, updated=False):
                s = 0
                for k in range(1, sizes[l + 1] + 1):
                    if only is not None and k != only:
                        continue
                    w = W[l][k - 1][j - 1]
                    if updated:
                        w = w - eta * c[f"delta{l + 1}[{k}]"] * c[h]
                    s += w * c[f"delta{l + 1}[{k}]"]
                return s

            def right(h=h, act=act, total=total):
                return ACT[act][1](c[h]) * total()
            student = None
            if mistake == "missing-activation-derivative":
                student = total
            elif mistake == "wrong-activation-derivative" and act == "tanh":
                student = (lambda h=h, total=total: c[h] * (1 - c[h]) * total())
            elif mistake == "wrong-activation-derivative" and act == "sigmoid":
                student = (lambda h=h, total=total: (1 - c[h] ** 2) * total())
            elif mistake == "derivative-of-net":
                student = (lambda l=l, j=j, act=act, total=total:
                           ACT[act][1](c[f"net{l}[{j}]"]) * total())
            elif mistake == "missing-sum" and sizes[l + 1] > 1:
                student = (lambda h=h, act=act, total=total:
                           ACT[act][1](c[h]) * total(only=1))
            elif mistake == "updated-weights-in-backprop":
                student = (lambda h=h, act=act, total=total:
                           ACT[act][1](c[h]) * total(updated=True))
            put(f"delta{l}[{j}]", right, student, exact[f"delta{l}[{j}]"])

    # gradients and updates
    for l in range(1, L + 1):
        below = ([f"x[{j}]" for j in range(1, sizes[0] + 1)] if l == 1 else
                 [f"h{l - 1}[{j}]" for j in range(1, sizes[l - 1] + 1)])
        for k in range(1, sizes[l] + 1):
            dl = f"delta{l}[{k}]"
            for j, src in enumerate(below, start=1):
                put(f"dE/dw{l}[{k},{j}]", lambda dl=dl, src=src: c[dl] * c[src],
                    exact_value=exact[f"dE/dw{l}[{k},{j}]"])
            if net.bias[l - 1]:
                put(f"dE/db{l}[{k}]", lambda dl=dl: c[dl], exact_value=exact[f"dE/db{l}[{k}]"])
        for k in range(1, sizes[l] + 1):
            params = [(f"w{l}[{k},{j}]", W[l - 1][k - 1][j - 1], f"dE/dw{l}[{k},{j}]")
                      for j in range(1, sizes[l - 1] + 1)]
            if net.bias[l - 1]:
                params.append((f"b{l}[{k}]", B[l - 1][k - 1], f"dE/db{l}[{k}]"))
            for p, old, g in params:
                def right(old=old, g=g):
                    return old - eta * c[g]
                student = None
                if mistake == "flipped-update-sign":
                    student = (lambda old=old, g=g: old + eta * c[g])
                elif mistake == "learning-rate":
                    student = (lambda old=old, g=g: old - c[g])
                elif mistake == "bias-not-updated" and p.startswith("b"):
                    student = (lambda old=old: old)
                put(p + "+", right, student, exact[p + "+"])
    return sheet


def _exact(net: Net, W, B, x, d, eta) -> dict[str, mp.mpf]:
    """The exact chain: no mistake, nothing rounded."""
    L, sizes = len(net.acts), net.sizes
    v: dict[str, mp.mpf] = {}
    below = list(x)
    outs = []
    for l in range(1, L + 1):
        act = net.acts[l - 1]
        nets = [sum(W[l - 1][k][j] * below[j] for j in range(len(below)))
                + (B[l - 1][k] if net.bias[l - 1] else 0) for k in range(sizes[l])]
        if act == "softmax":
            es = [mp.exp(z) for z in nets]
            out = [e / sum(es) for e in es]
        else:
            out = [ACT[act][0](z) for z in nets]
        for k in range(sizes[l]):
            v[f"net{l}[{k + 1}]"] = nets[k]
            v[(f"y[{k + 1}]" if l == L else f"h{l}[{k + 1}]")] = out[k]
        outs.append(out)
        below = out
    y = outs[-1]
    v["E"] = (sum((y[k] - d[k]) ** 2 for k in range(len(y))) / 2 if net.loss == "sse" else
              -sum(d[k] * mp.log(y[k]) for k in range(len(y))))
    deltas: list[list] = [None] * (L + 1)
    top = net.acts[-1]
    deltas[L] = [(y[k] - d[k]) if top == "softmax" else
                 (((y[k] - d[k]) if net.loss == "sse" else -d[k] / y[k]) * ACT[top][1](y[k]))
                 for k in range(len(y))]
    for l in range(L - 1, 0, -1):
        h = outs[l - 1]
        deltas[l] = [ACT[net.acts[l - 1]][1](h[j]) * sum(
            W[l][k][j] * deltas[l + 1][k] for k in range(sizes[l + 1])) for j in range(sizes[l])]
    for l in range(1, L + 1):
        below = x if l == 1 else outs[l - 2]
        for k in range(sizes[l]):
            v[f"delta{l}[{k + 1}]"] = deltas[l][k]
            for j in range(len(below)):
                g = deltas[l][k] * below[j]
                v[f"dE/dw{l}[{k + 1},{j + 1}]"] = g
                v[f"w{l}[{k + 1},{j + 1}]+"] = W[l - 1][k][j] - eta * g
            if net.bias[l - 1]:
                v[f"dE/db{l}[{k + 1}]"] = deltas[l][k]
                v[f"b{l}[{k + 1}]+"] = B[l - 1][k] - eta * deltas[l][k]
    return v
