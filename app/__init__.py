"""Gradwalk: walk a computational graph one operation at a time."""

__version__ = "0.1.0"
