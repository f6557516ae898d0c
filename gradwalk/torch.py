"""`from gradwalk.torch import to_source`: a PyTorch module as Gradwalk source (needs torch,
`pip install gradwalk[torch]`; the server never does)."""

from app.importers.errors import UnsupportedModelError
from app.importers.torch_source import to_source

__all__ = ["UnsupportedModelError", "to_source"]
