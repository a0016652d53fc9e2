"""Errors the views do not raise themselves still answer in the API's error shape."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

from backend.core.exceptions import exception_handler


def test_a_lost_database_connection_is_a_503_saying_nothing_was_saved():
    for error in (OperationalError("the database system is shutting down"), InterfaceError("closed")):
        response = exception_handler(error, context={})

        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert response.data["code"] == "service_unavailable"
        assert "nothing was saved" in response.data["message"]
        assert response.data["extra"] == {"retry_after_seconds": 5}


def test_other_unexpected_errors_are_left_to_django():
    assert exception_handler(RuntimeError("bug"), context={}) is None
