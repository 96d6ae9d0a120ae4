"""``symprop serve``: the Playground page that shows the math and checks students' numbers.

`state` (the builder's settings, the URL, spec TOML), `lesson` (derivation, worked example,
verdicts as JSON), `training` (a worker thread per page), `app` (Starlette), `static/` (the page,
with KaTeX shipped as package data).
"""
