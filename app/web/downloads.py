"""Files the pages hand out: CSV exports and JSON data copies."""

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

# A spreadsheet runs a cell starting with these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A value as CSV text that a spreadsheet shows as text, never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _attachment(filename: str) -> dict[str, str]:
    # Our own ASCII file names only, so no quoting rules beyond the plain quotes are needed.
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def csv_download(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return Response(
        buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=_attachment(filename)
    )


def json_download(filename: str, data: Any) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return Response(body, media_type="application/json", headers=_attachment(filename))


def dated(stem: str, extension: str) -> str:
    """`stem-YYYY-MM-DD.extension`, so repeated downloads do not overwrite each other."""
    return f"{stem}-{datetime.now(UTC):%Y-%m-%d}.{extension}"
