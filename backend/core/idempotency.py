"""Idempotency-Key for unsafe API calls: a client that retries a POST (timeout, dropped connection)
with the same key gets the first response back instead of a second effect.

    class ShortfallViewSet(...):
        @idempotent
        @extend_schema(...)
        @action(detail=True, methods=["post"])
        def cancel(self, request, pk=None): ...

Put @idempotent above @action (as with @extend_schema: @action replaces the method's `kwargs`, where
the schema lives). Without the header the view runs as before. With it:

- the record row is inserted first, then the view (and its services, whose @transaction.atomic
  become savepoints) runs, then the response is stored, all in ONE transaction: the effect and
  the stored response commit together or not at all;
- a concurrent request with the same user and key blocks on the unique index until the first
  commits, then replays it (or, if the first rolled back, runs itself);
- a refusal (4xx, ApplicationError included) is stored and replayed like a success; a 5xx is not
  stored and its transaction is rolled back, so the client may retry;
- the same key with another method, path or body is a 422 `idempotency_key_reused`;
- keys are per user; anonymous requests are never deduplicated.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from backend.core.errors import ApplicationError
from backend.core.models import IdempotencyRecord
from backend.core.schema import ErrorSerializer

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Visible ASCII and spaces: what a UUID, a ULID or a client's own scheme needs, nothing that could
# smuggle control characters into logs or the admin.
_KEY_PATTERN = re.compile(rf"[\x20-\x7e]{{1,{MAX_KEY_LENGTH}}}")
RETENTION = dt.timedelta(hours=48)  # promised: >= 24 h


class InvalidIdempotencyKey(ApplicationError):
    code = "invalid_idempotency_key"
    status = 400
    default_message = f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} printable ASCII characters."


class IdempotencyKeyReused(ApplicationError):
    code = "idempotency_key_reused"
    status = 422
    default_message = f"This {HEADER} was already used for a different request."


def request_fingerprint(request) -> str:
    """sha256 over method, path and body. A JSON body is compared by value (key order and
    whitespace do not matter); any other body byte for byte."""
    django_request = getattr(request, "_request", request)
    try:
        raw = django_request.body
    except RawPostDataException:  # a multipart body already streamed: fall back to the parsed data
        raw = json.dumps(request.data, sort_keys=True, default=str).encode()
    body = raw
    if django_request.content_type == "application/json" or django_request.content_type.endswith("+json"):
        try:
            parsed = json.loads(raw)
        except ValueError:
            pass  # malformed: the view refuses it; compare the bytes
        else:
            body = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    head = json.dumps([django_request.method, django_request.path]).encode()
    return hashlib.sha256(head + b"\n" + body).hexdigest()


def purge_idempotency_records(*, older_than: dt.timedelta = RETENTION) -> int:
    """Delete records older than `older_than`; return how many went (beat sweep)."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    headers = {**record.response_headers, REPLAYED_HEADER: "true"}
    return Response(record.response_body, status=record.response_status, headers=headers)


def _run_view(view_method: Callable, view, request, args, kwargs) -> Response:
    """Run the view in a savepoint and turn its exceptions into responses here rather than in
    dispatch(), so that refusals are stored too. The savepoint undoes whatever the view wrote
    before it raised; the record row survives."""
    try:
        with transaction.atomic():
            return view_method(view, request, *args, **kwargs)
    except Exception as exc:
        return view.handle_exception(exc)  # re-raises what the exception handler does not handle


def _store(record: IdempotencyRecord, response: Response) -> None:
    if not isinstance(response, Response):
        raise TypeError(f"@idempotent views must return a DRF Response, not {type(response).__name__}")
    # Through the JSON renderer and back: Decimals, datetimes and lazy strings become plain JSON.
    record.response_body = None if response.data is None else json.loads(JSONRenderer().render(response.data))
    record.response_status = response.status_code
    # Content-Type is decided again by content negotiation on replay.
    record.response_headers = {
        name: value for name, value in response.items() if name.lower() != "content-type"
    }
    record.save(update_fields=["response_body", "response_status", "response_headers"])


def _claim(*, request, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """Insert the record, or return None if the user already holds the key. Blocks while another
    transaction holds an uncommitted row with the same user and key."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user=request.user,
                key=key,
                method=request.method,
                path=request.path[:2000],
                request_fingerprint=fingerprint,
            )
    except IntegrityError:
        return None


def _idempotent_call(view_method: Callable, view, request, args, kwargs) -> Response:
    key = request.headers.get(HEADER)
    if key is None or not request.user.is_authenticated:
        return view_method(view, request, *args, **kwargs)
    if not _KEY_PATTERN.fullmatch(key) or not key.strip():
        raise InvalidIdempotencyKey()
    fingerprint = request_fingerprint(request)

    # If the holder of the key rolls back, the blocked insert simply succeeds and this request runs.
    # A second round covers the row vanishing between the failed insert and the read (purged).
    for _ in range(2):
        with transaction.atomic():
            record = _claim(request=request, key=key, fingerprint=fingerprint)
            if record is not None:
                response = _run_view(view_method, view, request, args, kwargs)
                if response.status_code >= 500:
                    transaction.set_rollback(True)  # neither effect nor record: the client retries
                else:
                    _store(record, response)
                return response
        earlier = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
        if earlier is not None:
            return _replay(earlier, fingerprint)
    raise IntegrityError(f"Could not claim {HEADER} {key!r} for user {request.user.pk}.")


# --- OpenAPI ---------------------------------------------------------------------------------------


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        f"Optional, up to {MAX_KEY_LENGTH} printable ASCII characters, unique per user. A retry with "
        "the same key and body replays the first response (kept at least 24 hours) without a "
        "second effect; the same key with a different body is a 422 idempotency_key_reused."
    ),
)
REPLAYED_PARAMETER = OpenApiParameter(
    REPLAYED_HEADER,
    str,
    OpenApiParameter.HEADER,
    response=True,
    description='"true" when this response is the stored answer to an earlier request with the same key.',
)
_KEY_REUSED_RESPONSE = OpenApiResponse(
    ErrorSerializer, description=f"{HEADER} already used with a different request (idempotency_key_reused)."
)


def _document(wrapper: Callable, view_method: Callable) -> None:
    """Attach a schema class that adds the header and the 422, whatever @extend_schema says: it
    extends parameters (which @extend_schema appends to) and the final response map (which
    @extend_schema's `responses` would otherwise replace)."""
    base = getattr(view_method, "kwargs", {}).get("schema") or api_settings.DEFAULT_SCHEMA_CLASS

    class IdempotentSchema(base):
        def get_override_parameters(self):
            return [*super().get_override_parameters(), IDEMPOTENCY_KEY_PARAMETER, REPLAYED_PARAMETER]

        def _get_response_bodies(self, direction="response"):
            bodies = super()._get_response_bodies(direction)
            if "422" not in bodies:
                bodies["422"] = self._get_response_for_code(_KEY_REUSED_RESPONSE, "422", direction=direction)
            return bodies

    # A copy: @action's kwargs are the action's initkwargs, shared with the undecorated method.
    wrapper.kwargs = {**getattr(view_method, "kwargs", {}), "schema": IdempotentSchema}


def idempotent(view_method: Callable) -> Callable:
    """Honour the Idempotency-Key header on a DRF view method or viewset action (see module doc)."""

    @functools.wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        return _idempotent_call(view_method, view, request, args, kwargs)

    _document(wrapper, view_method)
    wrapper.idempotent = True
    return wrapper
