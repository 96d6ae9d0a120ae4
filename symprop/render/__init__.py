"""LaTeX derivations and beamer slides in the lecture's notation.

- ``printer``: `LecturePrinter` (SymPy's LaTeX printer with the lecture's names and factor order);
  ``notation``: the whitelist every ``[notation]`` symbol passes before it reaches LaTeX.
- ``latex``: ``derivation_latex`` and ``worked_example_latex`` (for ``_repr_latex_``), and the
  printer's public names. ``snippet``: ``derive --latex``.
- ``lines`` (a display line), ``steps`` (the chain rule line by line, activation derivatives,
  perceptron, vectorised form), ``numbers`` and ``worked`` (the worked example in slide style).
- ``width`` (how wide math prints) and ``breaking`` (equations broken to fit).
- ``blocks`` (frame blocks and paging), ``picture`` (TikZ), ``backprop_deck`` and
  ``perceptron_deck`` (the frames), ``truth`` (truth tables), ``slides`` (a deck, laid out by
  ``templates/``), ``pdf`` (pdflatex and its log), ``cli`` (``symprop slides``).
- ``plain``: the same formulas as plain text, for ``symprop derive`` and its JSON.
"""
