"""text/csv for any analytics response (`Accept: text/csv` or `?format=csv`).

A view may define `csv_rows(data) -> list[dict]`; otherwise the rows are `data["results"]` (a
report or a page) or `data` itself when it is a list. Nested dicts become dotted columns. Errors
stay JSON (the one error shape), whatever was asked for."""

from __future__ import annotations

import csv
import io
import json

from rest_framework.renderers import BaseRenderer

# A cell starting with one of these is a formula to a spreadsheet: ward names are user input.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _flatten(row: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, list):
            flat[name] = ";".join(str(item) for item in value)
        else:
            flat[name] = value
    return flat


def _cell(value) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        context = renderer_context or {}
        response = context.get("response")
        if response is not None and response.status_code >= 400:
            response["Content-Type"] = "application/json"
            return json.dumps(data).encode()
        view = context.get("view")
        if hasattr(view, "csv_rows"):
            rows = view.csv_rows(data)
        elif isinstance(data, dict):
            rows = data.get("results", [data])
        else:
            rows = data or []
        flat = [_flatten(row) for row in rows]
        columns: dict[str, None] = {}
        for row in flat:
            columns.update(dict.fromkeys(row))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        for row in flat:
            writer.writerow([_cell(row.get(column)) for column in columns])
        if response is not None and view is not None:
            filename = getattr(view, "csv_filename", "export.csv")
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return out.getvalue().encode(self.charset)
