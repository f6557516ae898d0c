"""What every document's model shares: the strict base (a field it does not name is refused)
and the JSON forms of a number and a shape."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

#: a JSON number, or "NaN" / "Infinity" / "-Infinity" for the non-finite ones
Number = float | str
Shape = list[int]


class Out(BaseModel):
    # a response model: it names every field the document carries and forbids any other
    # (a comment, not a docstring: pydantic would give it to every model's description)
    model_config = ConfigDict(extra="forbid")
