"""Issue 28, part 5: the API's schema is valid OpenAPI (openapi-spec-validator, as client
generators read it) with unique schema names, and readable with a token as well as a session."""

from __future__ import annotations

import json

from openapi_spec_validator import validate


def test_the_schema_is_valid_and_names_are_unique(db, users, api_token, client):
    token = api_token(users["investigator"])
    res = client.get("/api/openapi.json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert res.status_code == 200  # before: 302 to the login page
    schema = json.loads(res.content)
    validate(schema)  # raises on an invalid schema
    comps = schema["components"]["schemas"]
    # the remains' category and the claims' were both "Category": RemainsIn.category pointed at the claims'
    assert comps["RemainsCategory"]["enum"] == ["civilian", "serviceman", "undetermined"]
    assert "dead" in comps["ClaimCategory"]["enum"]
    remains_in = comps["RemainsIn"]["properties"]["category"]
    assert json.dumps(remains_in).count("RemainsCategory") == 1


def test_docs_need_a_session_or_a_token(db, users, api_token, client):
    assert client.get("/api/openapi.json").status_code == 401
    assert client.get("/api/openapi.json", HTTP_ACCEPT="text/html").status_code == 302
    token = api_token(users["auditor"])
    assert client.get("/api/docs", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert client.get("/api/openapi.json", HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401
