"""The ``<Kind>Args`` classes are what the specs declare today, field for field, with each field's meaning."""

from __future__ import annotations

import ast
import dataclasses

import pytest

from vertex_resources import providers
from vertex_resources.codegen import ARGS_MODULE, render_args
from vertex_resources.providers._resource import input_field_names
from vertex_resources.reference import PROVIDERS
from vertex_resources.specs._docs import describe


def test_the_args_module_is_current() -> None:
    assert ARGS_MODULE.read_text() == render_args(), "regenerate: python -m vertex_resources.codegen"


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda provider: provider.api_type.kind)
def test_each_args_class_offers_exactly_the_specs_inputs_each_with_its_meaning(provider: type) -> None:
    kind = provider.api_type.kind  # type: ignore[attr-defined]
    args = getattr(providers, f"{kind}Args")
    assert {field.name for field in dataclasses.fields(args)} == input_field_names(provider)
    # An IDE shows an attribute's docstring: the one under each field in the generated source.
    tree = ast.parse(ARGS_MODULE.read_text())
    (node,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == f"{kind}Args"]
    documented = {
        statement.target.id: following.value.value
        for statement, following in zip(node.body, node.body[1:], strict=False)
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
        and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
    }
    spec = provider.api_type.spec_type  # type: ignore[attr-defined]
    for name in documented:
        assert " ".join(documented[name].split()) == describe(spec, name)
    assert "display_name" in documented
