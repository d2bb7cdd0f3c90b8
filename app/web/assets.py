"""The files under static/, served by Starlette's StaticFiles with their lookups kept.

StaticFiles looks every request's file up in a worker thread (a `stat`), even to answer a
browser that has the file with 304: the hop cost more than the rest of the answer. The files
ship with a release and do not change while it runs, so outside development each file's
lookup is kept after the first: a 304 (or the file) is then answered on the event loop. Only
canonical paths of regular files are kept (`css/agora.css`, never `css/./agora.css` or a
missing file), so the table holds at most one entry per file shipped. What it bought:
docs/performance.md, "The front door".
"""

import os
import stat
from typing import Any

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope


class Assets(StaticFiles):
    """StaticFiles that keeps each shipped file's lookup when `keep` (not in development)."""

    def __init__(self, *, keep: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keep = keep
        self.found: dict[str, tuple[str, os.stat_result]] = {}

    async def get_response(self, path: str, scope: Scope) -> Response:
        found = self.found.get(path) if scope["method"] in ("GET", "HEAD") else None
        if found is not None:
            return self.file_response(*found, scope)
        return await super().get_response(path, scope)

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        full_path, stat_result = super().lookup_path(path)
        if (
            self.keep
            and stat_result is not None
            and stat.S_ISREG(stat_result.st_mode)
            and os.path.normpath(path) == path
        ):
            self.found[path] = (full_path, stat_result)
        return full_path, stat_result
