"""A whole class: per-student exercise variants, answer keys, marking and a gradebook.

Built on the public pipeline only: ``spec.from_dict`` → ``Network.worked_example`` (the exact
numbers) → ``render`` (deck frames, the network picture) and ``check.check`` (verdicts).

- ``config``: the ``[exercise]`` and ``[marking]`` tables and the roster, read from raw TOML/CSV.
- ``variants``: each student's numbers, drawn deterministically and checked to be pleasant.
- ``latex`` and ``sheets``: exercise sheets, claims templates, answer keys, the teacher's overview.
- ``exercise``: ``symprop exercise SPEC --roster students.csv --out DIR``.
- ``marking``: one sheet judged against its own variant; the class in parallel.
- ``copying``: sheets whose numbers follow another student's variant.
- ``gradebook``: the gradebook CSV, per-student reports, the class summary and its chart.
- ``moodle``: the variants as a Moodle XML quiz; an LMS response export read back as sheets.
- ``simulate``: simulated students (50-digit mpmath, independent of derive and check).
- ``cli``: the ``exercise`` verb and ``check --class``; ``demo``: a class of 5 for ``make demo``.
"""
