"""The generated OpenAPI documents are valid OpenAPI 3.1.

`docs/openapi.json` is what `GET /api/openapi.json` serves; the two fixture documents cover
every field type and binding form the generator knows. openapi-spec-validator checks them
against the OpenAPI 3.1 schema and resolves every `$ref`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

REPO_ROOT = Path(__file__).resolve().parents[2]

DOCUMENTS = [
    "docs/openapi.json",
    "Tests/CodegenTests/Fixtures/echo.openapi.json",
    "Tests/CodegenTests/Fixtures/types.openapi.json",
]


def _load(path: str) -> dict:
    return json.loads((REPO_ROOT / path).read_text(encoding="utf-8"))


def _errors(document: dict) -> list[str]:
    return [str(error).splitlines()[0] for error in OpenAPIV31SpecValidator(document).iter_errors()]


@pytest.mark.parametrize("path", DOCUMENTS)
def test_generated_document_is_valid_openapi_3_1(path: str) -> None:
    document = _load(path)

    assert document["openapi"] == "3.1.0"
    assert _errors(document) == []


def test_validator_rejects_an_operation_without_its_path_parameter() -> None:
    # The check above is only worth something if the validator sees this kind of mistake.
    document = copy.deepcopy(_load("Tests/CodegenTests/Fixtures/echo.openapi.json"))
    operation = document["paths"]["/v1/echo/{text}"]["get"]
    operation["parameters"] = [p for p in operation["parameters"] if p["in"] != "path"]

    assert _errors(document) != []
