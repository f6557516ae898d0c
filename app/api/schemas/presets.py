"""The presets the server offers (GET /api/v1/presets, …/presets/{id}) and the defaults of a
run of one's own source."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.api.schemas.common import Out


class PresetParamOut(Out):
    name: str
    kind: Literal["int", "float", "choice"] = Field(
        description="a choice's value is the index of one of its `options`, from 0")
    default: float
    min: float | None
    max: float | None
    description: str
    options: list[str] | None = Field(None, description="a choice's options, by index")


class PresetSummary(Out):
    id: str
    title: str
    description: str
    params: list[PresetParamOut]
    lr: float
    iterations: int
    seed: int
    input_grads: bool = Field(description="the runs' default: whether the backward pass also "
                              "computes the data inputs' gradients (as the source text does)")


class PresetDetail(PresetSummary):
    source: str


class SourceDefaults(Out):
    seed: int
    lr: float
    iterations: int
    input_grads: bool


class PresetList(Out):
    presets: list[PresetSummary]
    source_defaults: SourceDefaults = Field(
        description="what a run of your own `source` uses for the seed, lr, iterations and "
                    "input_grads its request leaves out")
