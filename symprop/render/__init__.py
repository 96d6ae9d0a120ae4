"""LaTeX derivations and beamer slides in the lecture's notation."""
