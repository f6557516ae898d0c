"""What an importer says when a model cannot become Gradwalk source (no torch, no onnx here)."""

from __future__ import annotations


class UnsupportedModelError(ValueError):
    """Every op of a model Gradwalk cannot write, each with where it occurs."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        listed = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} part(s) of this model cannot be written with "
                         f"Gradwalk's ops (nothing was imported):\n{listed}")


class NotWritable(Exception):
    """This node cannot be written with Gradwalk's ops (the message says why)."""


class Alias(str):
    """An op that is its input for Gradwalk (a copy, a cast, a view to the same shape): no
    node, the input's name."""
