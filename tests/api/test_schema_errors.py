"""The OpenAPI schema documents the refusals each operation can return (issue 8), in the one error
shape; tests/api/test_fuzz.py checks the live responses against it."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

ERROR_REF = "#/components/schemas/Error"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_error_body_is_code_message_extra(schema):
    error = schema["components"]["schemas"]["Error"]

    assert error["required"] == ["code", "extra", "message"]
    assert set(error["properties"]) == {"code", "message", "extra"}
    assert error["properties"]["extra"]["type"] == "object"


def test_every_documented_refusal_has_the_error_body(schema):
    wrong = [
        (label, status)
        for label, operation in operations(schema)
        for status, response in operation["responses"].items()
        if status.startswith("4") and response["content"]["application/json"]["schema"] != {"$ref": ERROR_REF}
    ]

    assert wrong == []


def test_derived_refusals_are_documented_on_every_operation_that_can_return_them(schema):
    missing = []
    for label, operation in operations(schema):
        statuses = set(operation["responses"])
        parameters = operation.get("parameters", [])
        expected = set()
        if operation.get("security") != [] and {} not in operation.get("security", [{}]):
            expected.add("401")
        if any(p["in"] == "path" for p in parameters):
            expected.add("404")
        if "requestBody" in operation or any(p["in"] in {"query", "header"} for p in parameters):
            expected.add("400")
        if expected - statuses:
            missing.append((label, sorted(expected - statuses)))

    assert missing == []


def test_domain_refusals_are_documented_where_they_happen(schema):
    accept = schema["paths"]["/api/v1/offers/{id}/accept/"]["post"]["responses"]
    login = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]

    verify = schema["paths"]["/api/v1/credentials/{id}/verify/"]["post"]["responses"]

    assert set(accept) == {"201", "400", "401", "403", "404", "409", "410", "422"}
    assert set(verify) == {"200", "401", "403", "404", "409"}
    assert set(login) == {"200", "400", "429"}


def test_paginated_lists_are_documented_as_pages(schema):
    for path in ["/api/v1/roles/", "/api/v1/shortfalls/urgent/"]:
        ok = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        page = schema["components"]["schemas"][ok["$ref"].rsplit("/", 1)[1]]

        assert set(page["properties"]) == {"count", "next", "previous", "results"}, path
        assert "page" in {p["name"] for p in schema["paths"][path]["get"]["parameters"]}, path


def test_nullable_and_blank_values_are_in_the_schema(schema):
    components = schema["components"]["schemas"]

    assert components["Credential"]["properties"]["verified_by"]["nullable"] is True
    gender = components["Shortfall"]["properties"]["gender_requirement"]["oneOf"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in gender
    quiet = components["NotificationPreference"]["properties"]["quiet_hours_start"]
    assert "format" not in quiet
    assert quiet["pattern"].startswith("^([01][0-9]|2[0-3])")


@pytest.mark.django_db
def test_an_api_url_that_matches_no_route_is_a_json_404(client):
    response = client.get("/api/v1/practitioners/-1/history/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "extra": {}}


@pytest.mark.django_db
def test_a_web_url_that_matches_no_route_is_still_a_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
