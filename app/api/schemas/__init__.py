"""Pydantic v2 models of everything the API receives and sends (docs/json.md, field by field).

Requests are validated with these models. Responses are encoded once from the engine's dicts
and cached as bytes, so the response models document them (OpenAPI, schemathesis) without
re-validating each one. They name every field a response carries and forbid any other, so a
field the engine adds is added here too (tests/api/test_schemas.py fetches every document of
every preset and validates it; docs/json.md documents each field).

One module a document: common.py (the strict base, a number, a shape), runs.py (the run
and its creation, the graph, the layout, the losses), presets.py, steps.py (the steps, the
state, the iteration document, a tensor, one element), instruments.py (gradient check,
memory, modes, symbolic), classes.py (class mode), errors.py; openapi.py makes the OpenAPI
schema as strict as the server. Every name is importable from here.
"""

from __future__ import annotations

from app.api.schemas.classes import (
    AnswerIn,
    AnswerStored,
    ClassCreate,
    ClassCreated,
    ClassInfo,
    HistogramBin,
    HistogramOut,
    QuestionCreate,
    QuestionOut,
    QuestionStatus,
    ResultOut,
    StudentJoin,
    StudentJoined,
    StudentQuestionOut,
)
from app.api.schemas.common import (
    Number,
    Out,
    Shape,
)
from app.api.schemas.errors import (
    ErrorBody,
    ErrorDetail,
    error_responses,
)
from app.api.schemas.instruments import (
    CheckOut,
    EntryCheckOut,
    GradCheckOut,
    HeldOut,
    MemoryOut,
    MemorySweepOut,
    ModesOut,
    ParamCheckOut,
    SweepOut,
    SweepsOut,
    SymbolicOut,
    SymbolicPointOut,
    SymbolicSecondsOut,
    SymbolicSizesOut,
    SymbolicSweepOut,
)
from app.api.schemas.openapi import (
    strict_openapi,
)
from app.api.schemas.presets import (
    PresetDetail,
    PresetList,
    PresetParamOut,
    PresetSummary,
    SourceDefaults,
)
from app.api.schemas.runs import (
    BackwardCheckOut,
    CustomOpOut,
    DirectionIn,
    EdgeOut,
    GraphOut,
    LayoutNodeOut,
    LayoutOut,
    LossesOut,
    NodeOut,
    RunCreate,
    RunOut,
)
from app.api.schemas.steps import (
    CompactContributionOut,
    CompactStepOut,
    ContributionOut,
    ElementOut,
    ElementTermOut,
    HeldDelta,
    IterationOut,
    LayerNormOut,
    NodeStateOut,
    Phase,
    StateOut,
    StepOut,
    StepsOut,
    SummaryOut,
    TensorOut,
    TextRef,
)

__all__ = [
    "AnswerIn", "AnswerStored", "BackwardCheckOut", "CheckOut", "ClassCreate", "ClassCreated",
    "ClassInfo", "CompactContributionOut", "CompactStepOut", "ContributionOut", "CustomOpOut",
    "DirectionIn", "EdgeOut", "ElementOut", "ElementTermOut", "EntryCheckOut", "ErrorBody",
    "ErrorDetail", "GradCheckOut", "GraphOut", "HeldDelta", "HeldOut", "HistogramBin",
    "HistogramOut", "IterationOut", "LayerNormOut", "LayoutNodeOut", "LayoutOut", "LossesOut",
    "MemoryOut", "MemorySweepOut", "ModesOut", "NodeOut", "NodeStateOut", "Number", "Out",
    "ParamCheckOut", "Phase", "PresetDetail", "PresetList", "PresetParamOut", "PresetSummary",
    "QuestionCreate", "QuestionOut", "QuestionStatus", "ResultOut", "RunCreate", "RunOut", "Shape",
    "SourceDefaults", "StateOut", "StepOut", "StepsOut", "StudentJoin", "StudentJoined",
    "StudentQuestionOut", "SummaryOut", "SweepOut", "SweepsOut", "SymbolicOut", "SymbolicPointOut",
    "SymbolicSecondsOut", "SymbolicSizesOut", "SymbolicSweepOut", "TensorOut", "TextRef",
    "error_responses", "strict_openapi"
]
