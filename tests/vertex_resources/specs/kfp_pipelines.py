"""A small KFP pipeline for the tests that compile one (kfp reads a component's source from its file; no
``from __future__ import annotations``: kfp reads the annotations as types)."""

from kfp import dsl  # type: ignore[import-untyped]


@dsl.component(base_image="python:3.11")
def add(a: int, b: float) -> float:
    return a + b


@dsl.pipeline(name="add-pipeline")
def add_pipeline(a: int, b: float = 1.5) -> None:
    add(a=a, b=b)
