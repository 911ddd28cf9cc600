"""docs/resources.md is what the declarations say today."""

from __future__ import annotations

from pathlib import Path

from vertex_resources.reference import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "resources.md"


def test_resource_reference_is_current() -> None:
    assert DOC.read_text() == render() + "\n", "regenerate: python -m vertex_resources.reference > docs/resources.md"
