"""A small KFP pipeline for the tests that compile one (kfp reads a component's source from its file; no
``from __future__ import annotations``: kfp reads the annotations as types)."""

from kfp import dsl  # type: ignore[import-untyped]


@dsl.component(base_image="python:3.11")
def add(a: int, b: float) -> float:
    return a + b


@dsl.pipeline(name="add-pipeline")
def add_pipeline(a: int, b: float = 1.5) -> None:
    add(a=a, b=b)


@dsl.component(base_image="python:3.11")
def make(n: int) -> list:  # type: ignore[type-arg]
    return list(range(n))


@dsl.component(base_image="python:3.11")
def square(x: int, out: dsl.Output[dsl.Artifact]) -> int:
    return x * x


@dsl.component(base_image="python:3.11")
def show(a: dsl.Input[dsl.Artifact], flag: str) -> str:
    return flag


@dsl.pipeline(name="inner")
def inner(v: int) -> int:
    return square(x=v).outputs["Output"]  # type: ignore[no-any-return]


@dsl.pipeline(name="nested")
def nested_pipeline(n: int = 3, flag: str = "yes") -> None:
    """A loop, a condition inside it and a nested pipeline: DAGs inside DAGs, each reading its own inputs."""
    made = make(n=n)
    with dsl.ParallelFor(made.output) as item:
        squared = square(x=item)
        with dsl.If(flag == "yes"):
            show(a=squared.outputs["out"], flag=flag)
    inner(v=n)
