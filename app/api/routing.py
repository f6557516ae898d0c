"""The API's routers: one `Resource` per resource, all included under `API_PREFIX`.

FastAPI matches a request against every route of every included router in turn, and more than
once on the way in (each router's `matches`, then its `handle` matches again), at several
microseconds a route. A `Resource` knows the literal start of its paths, so a request for
another resource passes it with one string comparison: a student's answer no longer pays for
matching every route of the runs, steps and presets first. No routes change and nothing of
/docs or the OpenAPI document does.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.routing import Match
from starlette.types import Scope

#: where the REST API's routers are included (app/main.py)
API_PREFIX = "/api/v1"


class Resource(APIRouter):
    """An APIRouter under API_PREFIX that refuses at once a path not under its own prefix."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: the literal part of every path of this router (up to its first path parameter)
        self.literal_start = API_PREFIX + self.prefix.split("{", 1)[0]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):  # mounted under a root path: the part after it
            path = path[len(root):]
        if not path.startswith(self.literal_start):
            return Match.NONE, {}
        return super().matches(scope)
