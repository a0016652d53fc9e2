"""Fast row insertion for the demo seed: COPY on PostgreSQL, executemany elsewhere (SQLite).

Rows are plain tuples in the order of the attribute names given; ids are assigned by the caller for
tables other rows point at (so the seed never reads back what it wrote) and left to the database
sequence otherwise. Nothing here knows about the domain."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from django.core.management.color import no_style
from django.db import models

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value) -> str:
    return str(value).translate(_ESCAPES)


def _datetime(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} in demo data")
    return value.isoformat()


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": ")).translate(_ESCAPES)


def _copy_formatter(field: models.Field) -> Callable[[object], str]:
    kind = field.get_internal_type()
    if kind == "BooleanField":
        convert = lambda v: "t" if v else "f"  # noqa: E731
    elif kind == "DateTimeField":
        convert = _datetime
    elif kind == "DateField":
        convert = dt.date.isoformat
    elif kind == "JSONField":
        convert = _json
    elif kind in {"CharField", "TextField", "SlugField", "EmailField", "FileField", "GenericIPAddressField"}:
        convert = _text
    else:  # integers, floats, decimals, foreign keys
        convert = str
    if field.null or kind == "JSONField":
        return lambda v: NULL if v is None else convert(v)
    return convert


class RowWriter:
    """Inserts rows into one database connection, reporting progress through `progress(n)`."""

    def __init__(self, connection, *, batch_size: int = 20_000) -> None:
        self.connection = connection
        self.batch_size = batch_size
        self.is_postgres = connection.vendor == "postgresql"
        self.explicit_id_models: list[type[models.Model]] = []

    def first_free_id(self, model: type[models.Model]) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COALESCE(MAX(id), 0) FROM {self.connection.ops.quote_name(model._meta.db_table)}"
            )
            return int(cursor.fetchone()[0]) + 1

    def write(
        self,
        model: type[models.Model],
        attnames: Sequence[str],
        rows: Iterable[Sequence],
        *,
        progress: Callable[[int], object] | None = None,
    ) -> int:
        fields = [self._concrete(model, name) for name in attnames]
        if "id" in attnames and model not in self.explicit_id_models:
            self.explicit_id_models.append(model)
        # Columns the generator does not set get the model's default (Django keeps defaults in
        # Python, not in the database): a new field with a default never breaks the seed.
        defaulted = [
            field
            for field in model._meta.concrete_fields
            if field.attname not in attnames and not field.primary_key and field.has_default()
        ]
        if defaulted:
            fields = [*fields, *defaulted]
            extra = tuple(field.get_default() for field in defaulted)
            rows = (tuple(row) + extra for row in rows)
        if self.is_postgres:
            return self._copy(model, fields, rows, progress)
        return self._insert(model, fields, rows, progress)

    @staticmethod
    def _concrete(model, attname: str) -> models.Field:
        for candidate in model._meta.concrete_fields:
            if candidate.attname == attname:
                return candidate
        raise ValueError(f"{model.__name__} has no column {attname}")

    def _copy(self, model, fields, rows, progress) -> int:
        quote = self.connection.ops.quote_name
        sql = "COPY {} ({}) FROM STDIN".format(
            quote(model._meta.db_table), ", ".join(quote(field.column) for field in fields)
        )
        formatters = [_copy_formatter(field) for field in fields]
        written = 0
        lines: list[str] = []
        with self.connection.cursor() as cursor:
            raw = cursor.cursor
            for row in rows:
                lines.append("\t".join([fmt(value) for fmt, value in zip(formatters, row, strict=True)]))
                if len(lines) >= self.batch_size:
                    self._copy_batch(raw, sql, lines)
                    written += len(lines)
                    if progress:
                        progress(len(lines))
                    lines = []
            if lines:
                self._copy_batch(raw, sql, lines)
                written += len(lines)
                if progress:
                    progress(len(lines))
        return written

    @staticmethod
    def _copy_batch(raw_cursor, sql: str, lines: list[str]) -> None:
        payload = "\n".join(lines) + "\n"
        if hasattr(raw_cursor, "copy_expert"):  # psycopg2
            raw_cursor.copy_expert(sql, io.StringIO(payload))
        else:  # psycopg 3
            with raw_cursor.copy(sql) as copy:
                copy.write(payload)

    def _insert(self, model, fields, rows, progress) -> int:
        quote = self.connection.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({})".format(
            quote(model._meta.db_table),
            ", ".join(quote(field.column) for field in fields),
            ", ".join(["%s"] * len(fields)),
        )
        connection = self.connection
        preps = [self._prep(field) for field in fields]
        written = 0
        batch: list[list] = []
        with connection.cursor() as cursor:
            for row in rows:
                batch.append([prep(value) for prep, value in zip(preps, row, strict=True)])
                if len(batch) >= self.batch_size:
                    cursor.executemany(sql, batch)
                    written += len(batch)
                    if progress:
                        progress(len(batch))
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                written += len(batch)
                if progress:
                    progress(len(batch))
        return written

    def _prep(self, field: models.Field) -> Callable[[object], object]:
        connection = self.connection
        kind = field.get_internal_type()
        if kind in {"DateTimeField", "DateField", "JSONField", "DecimalField"}:
            return lambda v: None if v is None else field.get_db_prep_save(v, connection)
        if kind == "BooleanField":
            return lambda v: None if v is None else bool(v)
        return lambda v: v

    def reset_sequences(self) -> None:
        """Move each sequence past the ids the seed chose itself (PostgreSQL; SQLite tracks it)."""
        statements = self.connection.ops.sequence_reset_sql(no_style(), self.explicit_id_models)
        if statements:
            with self.connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)


def as_decimal(pence: int) -> Decimal:
    return Decimal(pence).scaleb(-2)
