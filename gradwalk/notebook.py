"""The notebook widget: see app/notebook.py (needs the `notebook` extra: anywidget)."""

from app.notebook import Walk

__all__ = ["Walk"]
