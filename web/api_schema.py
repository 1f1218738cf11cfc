"""The OpenAPI 3.1 document of the read API, served at /api/v1/openapi.json; a test checks
real responses against these schemas."""

from __future__ import annotations

from typing import Any

from services.api_reads import MAX_LIMIT

STRING_OR_NULL = {"type": ["string", "null"]}
INT_OR_NULL = {"type": ["integer", "null"]}
DATE_TIME = {"type": ["string", "null"], "format": "date-time"}
DATE = {"type": ["string", "null"], "format": "date"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required,
            "additionalProperties": False}


def _list_of(name: str) -> dict[str, Any]:
    return _object({"data": {"type": "array", "items": _ref(name)}})


CUSTOMER = {
    "id": {"type": "integer"}, "name": {"type": "string"},
    "grade": {"enum": ["A", "B", "C", "D", "E", None]}, "priority": STRING_OR_NULL,
    "owner_id": INT_OR_NULL, "industry": STRING_OR_NULL,
    "tags": {"type": "array", "items": {"type": "string"}},
    "last_contact_at": DATE_TIME, "revisit_due_on": DATE, "closed_at": DATE_TIME,
    "updated_at": DATE_TIME,
}
ANSWER = _object({"question_id": {"type": "string"}, "value": {},
                  "other": STRING_OR_NULL, "answered_at": DATE_TIME,
                  "maps_to": STRING_OR_NULL})
SCHEMAS: dict[str, Any] = {
    "Error": _object({"error": {"type": "string"}, "detail": {"type": "string"}}),
    "Customer": _object(CUSTOMER),
    "CustomerPage": _object({"data": {"type": "array", "items": _ref("Customer")},
                             "next_cursor": STRING_OR_NULL}),
    "Contact": {"type": "object", "properties": {"id": {"type": "integer"}},
                "required": ["id"], "additionalProperties": {}},
    "Card": _object({**CUSTOMER, "co_owner_ids": {"type": "array", "items": {"type": "integer"}},
                     "card": {"type": "object"},
                     "contacts": {"type": "array", "items": _ref("Contact")}}),
    "Answer": ANSWER,
    "Interview": _object({
        "id": {"type": "integer"}, "flow_id": {"type": "string"},
        "flow_version": {"type": "string"},
        "status": {"enum": ["active", "completed", "cancelled"]},
        "language": {"type": "string"}, "respondent": {"enum": ["staff", "customer"]},
        "started_at": DATE_TIME, "completed_at": DATE_TIME,
        "answers": {"type": "object", "propertyNames": {
            "enum": ["background", "pain_point", "implication", "need_payoff"]},
            "additionalProperties": {"type": "array", "items": _ref("Answer")}}}),
    "Interviews": _list_of("Interview"),
    "Reminder": _object({"id": {"type": "integer"}, "kind": {"type": "string"},
                         "due_at": DATE_TIME, "recipient_id": INT_OR_NULL}),
    "Reminders": _list_of("Reminder"),
    "Warning": _object({"kind": {"type": "string"}, "days": {"type": "integer"},
                        "count": {"type": "integer"}, "began_at": DATE_TIME}),
    "Warnings": _list_of("Warning"),
}
ERRORS = {str(code): {"description": text, "content": {"application/json": {
    "schema": _ref("Error")}}} for code, text in (
        (400, "a parameter that cannot be used (the detail says what is expected)"),
        (401, "no token, or one unknown, revoked or expired"),
        (403, "a customer this token's person may not see"),
        (404, "no such customer"),
        (429, "over the rate limit; Retry-After says when to try again"))}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _get(summary: str, schema: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": parameters, "security": [{"token": []}],
                    "responses": {"200": {"description": "OK", "headers": {"ETag": {
                        "schema": {"type": "string"}}}, "content": {"application/json": {
                            "schema": _ref(schema)}}},
                        "304": {"description": "not changed since the ETag sent"},
                        **ERRORS}}}


def document() -> dict[str, Any]:
    page = [{"name": "q", "in": "query", "schema": {"type": "string"},
             "description": "search as in the bot: name, pinyin, initials, #id"},
            {"name": "grade", "in": "query", "schema": {"enum": ["A", "B", "C", "D", "E"]}},
            {"name": "limit", "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 100}},
            {"name": "cursor", "in": "query", "schema": {"type": "string"},
             "description": "next_cursor of the page before"}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "interview-bot read API", "version": "1",
                 "description": "What the bot learned, for the team's other systems. Each "
                                "call reads what the token's person may see, and is audited."},
        "servers": [{"url": "/api/v1"}],
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "token": {"type": "http", "scheme": "bearer",
                      "description": "`interview-bot api token add --user ID --name …`"}}},
        "paths": {
            "/customers": _get("Customers, in id order, a page at a time", "CustomerPage",
                               page),
            "/customers/{id}": _get("A customer's card and contacts", "Card", [ID]),
            "/customers/{id}/interviews": _get("Its interviews, answers by SPIN stage",
                                               "Interviews", [ID]),
            "/customers/{id}/reminders": _get("Its pending reminders", "Reminders", [ID]),
            "/customers/{id}/warnings": _get("Its open deal warnings", "Warnings", [ID]),
        },
    }
