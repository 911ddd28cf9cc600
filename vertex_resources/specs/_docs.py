"""What each spec field means, said once.

A field's own docstring (written under the field, read from the class's source here, only when asked: pydantic's
``use_attribute_docstrings`` would read every model's source at import, in the program and the provider) says it
where we add meaning of our own: provider-only fields, shorthands, rules. Every other field is the API's: its
text is the first paragraph of the v1 proto's documentation of the message the spec is named after (the
``Attributes`` section of the google-cloud-aiplatform type), so the reference, the Args classes and an IDE show
Google's words without our copying them.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import re
import textwrap
from typing import Any

from ._base import ApiModel

__all__ = ["api_message", "describe"]

# Specs whose API message is not the one of the same name: a nested message, or a task schema's closest message.
_MESSAGES = {
    "BatchPredictionInputConfig": "BatchPredictionJob.InputConfig",
    "BatchPredictionOutputConfig": "BatchPredictionJob.OutputConfig",
    "InstanceConfig": "BatchPredictionJob.InstanceConfig",
    "OutputInfo": "BatchPredictionJob.OutputInfo",
    "MetricSpec": "StudySpec.MetricSpec",
    "ParameterSpec": "StudySpec.ParameterSpec",
    "DoubleValueSpec": "StudySpec.ParameterSpec.DoubleValueSpec",
    "IntegerValueSpec": "StudySpec.ParameterSpec.IntegerValueSpec",
    "CategoricalValueSpec": "StudySpec.ParameterSpec.CategoricalValueSpec",
    "DiscreteValueSpec": "StudySpec.ParameterSpec.DiscreteValueSpec",
    "TrialParameter": "Trial.Parameter",
    "MetricValue": "Measurement.Metric",
    "ModelToUpload": "Model",
    "HyperparameterTuningTask": "HyperparameterTuningJob",
    "PipelineRuntimeConfig": "PipelineJob.RuntimeConfig",
    "InputArtifact": "PipelineJob.RuntimeConfig.InputArtifact",  # the tuning task schema repeats the job's fields
}


def api_message(model_type: type[ApiModel]) -> Any | None:
    """The google-cloud-aiplatform v1 type the spec is named after, if there is one."""
    from google.cloud import aiplatform_v1

    path = _MESSAGES.get(model_type.__name__, model_type.__name__.removesuffix("Definition"))
    found: Any = aiplatform_v1
    for part in path.split("."):
        found = getattr(found, part, None)
        if found is None:
            return None
    return found


_ATTRIBUTES = re.compile(r"^( *)Attributes:$")
_CROSS_REFERENCE = re.compile(r"\[([^\]]+)\]\[[\w.]+\]")
_LINK = re.compile(r"`([^`<]+?)\s*<([^>]+)>`__")


def _first_paragraph(lines: list[str]) -> str:
    paragraph: list[str] = []
    for line in lines:
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    text = " ".join(paragraph)
    text = _CROSS_REFERENCE.sub(r"\1", text)
    text = _LINK.sub(r"\1 (\2)", text)
    return text.replace("``", "`")


@functools.cache
def _proto_descriptions(model_type: type[ApiModel]) -> dict[str, str]:
    message = api_message(model_type)
    lines = (getattr(message, "__doc__", None) or "").splitlines()
    section = next((m for m in map(_ATTRIBUTES.match, lines) if m), None)
    if section is None:
        return {}
    indent = len(section.group(1))  # nested messages' docstrings are indented deeper
    attribute = re.compile(rf"^ {{{indent + 4}}}(\w+) \(.*\):$")
    found: dict[str, str] = {}
    for index, line in enumerate(lines):
        match = attribute.match(line)
        if match is None:
            continue
        body = []
        for following in lines[index + 1 :]:
            if attribute.match(following) or (following.strip() and not following.startswith(" " * (indent + 8))):
                break
            body.append(following)
        found[match.group(1)] = _first_paragraph(body)
    return found


@functools.cache
def _attribute_docstrings(model_type: type) -> dict[str, str]:
    """The docstrings under the fields of the class's own body: a string right after an annotated name."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(model_type)))
    except (OSError, TypeError, SyntaxError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    return {
        field.target.id: inspect.cleandoc(docstring.value.value)
        for field, docstring in itertools.pairwise(body)
        if isinstance(field, ast.AnnAssign)
        and isinstance(field.target, ast.Name)
        and isinstance(docstring, ast.Expr)
        and isinstance(docstring.value, ast.Constant)
        and isinstance(docstring.value.value, str)
    }


def _own_description(model_type: type[ApiModel], name: str) -> str | None:
    """``Field(description=...)``, else the docstring of the field in the class that declares it last."""
    explicit = model_type.model_fields[name].description
    if explicit:
        return explicit
    for cls in model_type.__mro__:
        if name in inspect.get_annotations(cls):
            return _attribute_docstrings(cls).get(name)
    return None


def describe(model_type: type[ApiModel], name: str) -> str:
    """What the field means: its own docstring, else the API's documentation of it, else ``""``."""
    own = _own_description(model_type, name)
    if own:
        return " ".join(own.split())
    return _proto_descriptions(model_type).get(name, "")
