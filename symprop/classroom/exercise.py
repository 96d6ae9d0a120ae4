"""``symprop exercise SPEC --roster students.csv --out DIR``: a variant, a sheet, a claims
template and an answer key for every student, and the teacher's overview.

DIR/
  exercise.json          the manifest ``check --class`` reads: seed, questions, every variant
  spec.toml              the spec as given (the marking rules are read from it)
  variants.csv           one row per student: drawn numbers and rounded answers
  moodle.xml             the same variants as a Moodle XML quiz
  keys.tex / keys.pdf    every variant's answer key, for the teacher
  students/<id>/         sheet.tex/.pdf, claims.toml, key.json, key.tex/.pdf
  sheets/                where the filled-in claims go for marking (created empty)
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..io import write_atomic
from . import latex
from .config import (
    ExerciseConfig,
    Student,
    exercise_config,
    load_network,
    marking_rules,
    read_roster,
    read_toml,
)
from .moodle import quiz_xml
from .sheets import claims_template, key_context, key_json, key_tex, sheet_tex, variants_csv
from .variants import Variant, derivation_of, draw_variants, numbers_of, proof_sentence

MANIFEST = "exercise.json"
FORMAT = "symprop-exercise/1"
_AGREE = Decimal("1e-40")


@dataclass
class Made:
    out: Path
    variants: list[Variant]
    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)     # PDFs that did not compile


def _job(spec_copy: str, config: ExerciseConfig, entry: dict[str, Any], folder: str,
         pdf: bool) -> dict[str, Any]:
    """One student's files (run in a worker process): sheet, claims template, key."""
    from .variants import variant_network

    base = load_network(spec_copy)
    derivation = derivation_of(base)
    asked = [base.address(a) for a in config.ask]
    student = Student(entry["id"], entry["name"], entry["folder"])
    network = variant_network(base, entry["params"])
    variant = Variant(student, entry["attempt"], entry["params"], network,
                      numbers_of(network, derivation), list(entry["checks"]))
    # the key's numbers twice: the checker's 50-digit replay and SymPy's exact worked example
    exact = network.worked_example().values
    from ..check.numeric import to_decimal

    worst = max(abs(to_decimal(exact[a]) - variant.numbers[a]) for a in exact)
    if worst > _AGREE:      # pragma: no cover - two derivations of the same step disagree
        raise SpecError(f"the exact and the 50-digit values of {student.id!r} disagree by "
                        f"{worst:.1e}", key="exercise")
    variant.checks.append("SymPy's exact worked example and the checker's 50-digit replay "
                          f"agree on all {len(exact)} quantities of the step (within 1e-40)")
    where = Path(folder)
    files = [write_atomic(where / "key.json", json.dumps(
                 key_json(variant, config, asked, exact), indent=2, ensure_ascii=False) + "\n")]
    context = key_context(variant, config, asked)
    sheet = sheet_tex(variant, config, asked)
    key = key_tex([context], config.title, f"Answer key: {student.name} ({student.id})")
    files += [write_atomic(where / "sheet.tex", sheet), write_atomic(where / "key.tex", key)]
    problems = []
    if pdf:
        for tex, stem in ((sheet, "sheet"), (key, "key")):
            try:
                files.append(latex.compile_pdf(tex, where / f"{stem}.pdf"))
            except latex.LatexFailed as exc:
                problems.append(f"{where / stem}.pdf: {exc}")
    return {"files": [str(f) for f in files], "problems": problems, "context": context,
            "checks": variant.checks}


def make_exercise(spec: str | Path, roster: str | Path, out: str | Path, *, pdf: bool = True,
                  workers: int | None = None, documents: bool = True) -> Made:
    """Draw every student's variant and write all files (see the module docstring).
    ``documents=False`` writes only what marking needs (manifest, spec, claims templates,
    variants.csv, moodle.xml): no sheets, no keys."""
    spec, out = Path(spec), Path(out)
    data = read_toml(spec)
    base = load_network(spec, data)
    config = exercise_config(data, base, str(spec))
    rules = marking_rules(data, base, str(spec), config.ask)
    students = read_roster(roster)
    variants = draw_variants(base, config, students)
    asked = [base.address(a) for a in config.ask]
    proof = proof_sentence(derivation_of(base))
    spec_copy = write_atomic(out / "spec.toml", spec.read_text(encoding="utf-8"))
    (out / "sheets").mkdir(parents=True, exist_ok=True)
    made = Made(out, variants, [spec_copy])
    for v in variants:
        v.checks.append(proof)
        made.files.append(write_atomic(out / "students" / v.student.folder / "claims.toml",
                                       claims_template(v, config, asked)))
    if pdf and latex.pdflatex() is None:
        made.problems.append("pdflatex is not installed: the .tex files are written, no PDFs")
        pdf = False
    jobs = [(str(spec_copy), config, v.to_json(), str(out / "students" / v.student.folder), pdf)
            for v in variants] if documents else []
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if workers == 1:
        results = [_job(*job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_job, *zip(*jobs, strict=True)))
    for v, result in zip(variants, results, strict=False):     # no results without documents
        v.checks = result["checks"]
        made.files += [Path(f) for f in result["files"]]
        made.problems += result["problems"]
    manifest = {"format": FORMAT, "spec": "spec.toml", "title": config.title,
                "seed": config.seed, "decimals": config.decimals, "ask": list(config.ask),
                "students": [{**v.to_json(), "answers": {
                    str(a): format(v.numbers[a], "f") for a in asked}} for v in variants]}
    made.files += [
        write_atomic(out / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"),
        write_atomic(out / "variants.csv", variants_csv(variants, config, asked)),
        write_atomic(out / "moodle.xml", quiz_xml(variants, config, asked, rules))]
    if not documents:
        return made
    keys = key_tex([r["context"] for r in results], config.title,
                   f"Answer keys of all {len(variants)} variants (seed {config.seed})")
    made.files.append(write_atomic(out / "keys.tex", keys))
    if pdf:
        try:
            made.files.append(latex.compile_pdf(keys, out / "keys.pdf", timeout=600))
        except latex.LatexFailed as exc:
            made.problems.append(f"{out / 'keys.pdf'}: {exc}")
    return made

