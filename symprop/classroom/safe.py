"""User text (names and ids from a roster, values from sheets) made safe for CSV and Markdown.
LaTeX has its own: `latex.text`."""

from __future__ import annotations


def cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def markdown_text(text: str) -> str:
    """Text that Markdown renders as that text and nothing else (no markup, no HTML)."""
    text = " ".join(str(text).split())
    for char in "\\`*_{}[]<>()#+!|":
        text = text.replace(char, "\\" + char)
    return text
