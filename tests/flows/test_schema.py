"""The shipped JSON Schema matches the model, and the shipped flows satisfy it."""

from __future__ import annotations

import json

import jsonschema

from flows.loader import default_flow_dir
from flows.yaml_source import read_yaml
from interview_bot.cli import flow_schema_json

SCHEMA_FILE = default_flow_dir() / "schema" / "flows.schema.json"


def shipped_yaml() -> dict:
    """Read as editors read it (YAML 1.2: `on:` is a key, not the boolean true)."""
    text = (default_flow_dir() / "questions.yaml").read_text(encoding="utf-8")
    data: dict = read_yaml(text, "questions.yaml").data
    return data


def test_committed_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == flow_schema_json(), (
        "run `interview-bot schema --out flows/schema/flows.schema.json`")


def test_shipped_flows_validate_against_the_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    data = shipped_yaml()
    jsonschema.validate(data, schema)


def test_schema_rejects_an_unknown_question_type() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    data = shipped_yaml()
    data["flows"][0]["questions"][0]["type"] = "essay"
    try:
        jsonschema.validate(data, schema)
    except jsonschema.ValidationError as exc:
        assert "essay" in exc.message
    else:
        raise AssertionError("the schema accepted type: essay")
