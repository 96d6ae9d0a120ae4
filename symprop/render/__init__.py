"""LaTeX derivations and beamer slides in the lecture's notation.

- ``latex``: `LecturePrinter` (SymPy's LaTeX printer with the lecture's names and factor order),
  ``derivation_latex`` (behind ``Derivation._repr_latex_``) and ``worked_example_latex``.
- ``steps``: the chain rule line by line, activation derivatives, perceptron, vectorised form.
- ``numbers`` and ``worked``: the worked example in slide style, each quantity at its precision.
- ``slides`` and ``templates/``: beamer decks, pdflatex, PNG previews; ``cli``: ``symprop slides``.
- ``plain``: the same formulas as plain text, for ``symprop derive`` and its JSON.
"""
