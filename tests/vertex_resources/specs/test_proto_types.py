"""Every spec field takes its rules from the v1 proto field it fills: int32/int64 ranges, finite doubles, strict
bools and Duration limits, read from the official descriptors so that a new field cannot miss its type."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from google.cloud import aiplatform_v1 as v1
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from pydantic import TypeAdapter, ValidationError

from vertex_resources import specs as s
from vertex_resources.specs._base import ApiModel, FieldKind, change_of

PAIRS: list[tuple[type[ApiModel], Any]] = [
    (s.MachineSpec, v1.MachineSpec),
    (s.DiskSpec, v1.DiskSpec),
    (s.WorkerPoolSpec, v1.WorkerPoolSpec),
    (s.ContainerSpec, v1.ContainerSpec),
    (s.PythonPackageSpec, v1.PythonPackageSpec),
    (s.EnvVar, v1.EnvVar),
    (s.Scheduling, v1.Scheduling),
    (s.CustomJobSpec, v1.CustomJobSpec),
    (s.GcsDestination, v1.GcsDestination),
    (s.EncryptionSpec, v1.EncryptionSpec),
    (s.StudySpec, v1.StudySpec),
    (s.MetricSpec, v1.StudySpec.MetricSpec),
    (s.ParameterSpec, v1.StudySpec.ParameterSpec),
    (s.DoubleValueSpec, v1.StudySpec.ParameterSpec.DoubleValueSpec),
    (s.IntegerValueSpec, v1.StudySpec.ParameterSpec.IntegerValueSpec),
    (s.DiscreteValueSpec, v1.StudySpec.ParameterSpec.DiscreteValueSpec),
    (s.CategoricalValueSpec, v1.StudySpec.ParameterSpec.CategoricalValueSpec),
    (s.HyperparameterTuningJobDefinition, v1.HyperparameterTuningJob),
    (s.CustomJobDefinition, v1.CustomJob),
    (s.TrainingPipelineDefinition, v1.TrainingPipeline),
    (s.InputDataConfig, v1.InputDataConfig),
    (s.FractionSplit, v1.FractionSplit),
    (s.TimestampSplit, v1.TimestampSplit),
    (s.StratifiedSplit, v1.StratifiedSplit),
    (s.BigQueryDestination, v1.BigQueryDestination),
    (s.DatasetDefinition, v1.Dataset),
    (s.ImportDataConfig, v1.ImportDataConfig),
    (s.GcsSource, v1.GcsSource),
    (s.ModelDefinition, v1.Model),
    (s.ModelToUpload, v1.Model),
    (s.ModelContainerSpec, v1.ModelContainerSpec),
    (s.Port, v1.Port),
    (s.PredictSchemata, v1.PredictSchemata),
    (s.BatchPredictionJobDefinition, v1.BatchPredictionJob),
    (s.BatchDedicatedResources, v1.BatchDedicatedResources),
    (s.ManualBatchTuningParameters, v1.ManualBatchTuningParameters),
    (s.BatchPredictionInputConfig, v1.BatchPredictionJob.InputConfig),
    (s.BatchPredictionOutputConfig, v1.BatchPredictionJob.OutputConfig),
    (s.InstanceConfig, v1.BatchPredictionJob.InstanceConfig),
    (s.BigQuerySource, v1.BigQuerySource),
]
# Spec fields with no proto field of their name: reshaped on the wire (a task is trainingTaskInputs, a split is a
# oneof key) or a resource's own placement and request fields (not in the message).
RESHAPED = {"custom_task", "tuning_task", "split", "kind"}
# Values each proto type must refuse, and values of which it must take one (fields have their own bounds too).
PROBES: dict[str, tuple[list[Any], list[Any]]] = {
    "int32": ([2**31, -(2**31) - 1, True, 1.5, "12x"], [1, 100, 8080]),
    "int64": ([2**63, True, 1.5, "1e3"], ["1"]),
    "double": ([float("nan"), float("inf"), True, 10**400], [0.25]),
    "bool": (["yes", 1, "true"], [True]),
    "duration": (["99999999999999999999s", 1e30, True, "1.0000000001s", "PT1H"], ["60s"]),
}


def _proto_kind(field: FieldDescriptor) -> str | None:
    if field.type == FieldDescriptor.TYPE_INT32:
        return "int32"
    if field.type == FieldDescriptor.TYPE_INT64:
        return "int64"
    if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return "double"
    if field.type == FieldDescriptor.TYPE_BOOL:
        return "bool"
    if field.message_type is not None and field.message_type.full_name == "google.protobuf.Duration":
        return "duration"
    return None


def _input_fields(model: type[ApiModel]) -> list[str]:
    out = []
    for name, info in model.model_fields.items():
        change = change_of(info)
        if (
            change is None
            or change.kind is FieldKind.UPDATABLE
            or (change.kind is FieldKind.REPLACE and change.in_body)
        ):
            out.append(name)
    return out


def _adapter(model: type[ApiModel], name: str) -> TypeAdapter[Any]:
    info = model.model_fields[name]
    return TypeAdapter(Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation)


def _accepts(adapter: TypeAdapter[Any], value: Any, repeated: bool) -> bool:
    try:
        adapter.validate_python([value] if repeated else value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(("model", "message"), PAIRS, ids=[model.__name__ for model, _ in PAIRS])
def test_every_field_has_the_rules_of_its_proto_type(model: type[ApiModel], message: Any) -> None:
    descriptor: Descriptor = message.pb().DESCRIPTOR
    checked = 0
    for name in _input_fields(model):
        if name in RESHAPED:
            continue
        assert name in descriptor.fields_by_name, f"{model.__name__}.{name} is not a field of {descriptor.full_name}"
        field = descriptor.fields_by_name[name]
        kind = _proto_kind(field)
        if kind is None:
            continue
        adapter, repeated = _adapter(model, name), field.is_repeated
        refused, taken = PROBES[kind]
        for value in refused:
            assert not _accepts(adapter, value, repeated), f"{model.__name__}.{name} ({kind}) took {value!r}"
        assert any(_accepts(adapter, value, repeated) for value in taken), f"{model.__name__}.{name} refused {taken}"
        checked += 1
    assert checked or model in _WITHOUT_NUMBERS, f"{model.__name__}: no numeric, bool or duration field checked"


_WITHOUT_NUMBERS = {
    s.ContainerSpec,
    s.PythonPackageSpec,
    s.EnvVar,
    s.GcsDestination,
    s.EncryptionSpec,
    s.MetricSpec,
    s.ParameterSpec,
    s.CategoricalValueSpec,
    s.BigQueryDestination,
    s.DatasetDefinition,
    s.ImportDataConfig,
    s.GcsSource,
    s.ModelDefinition,
    s.ModelToUpload,
    s.ModelContainerSpec,
    s.PredictSchemata,
    s.BatchPredictionInputConfig,
    s.BatchPredictionOutputConfig,
    s.InstanceConfig,
    s.BigQuerySource,
    s.StudySpec,
    s.TrainingPipelineDefinition,
    s.CustomJobDefinition,
}
