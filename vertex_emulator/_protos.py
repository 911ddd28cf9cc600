"""Proto JSON in and out, through the official message types shipped in google-cloud-aiplatform.

Request bodies are parsed strictly (unknown fields and wrong types are INVALID_ARGUMENT, as the real API
answers); stored resources are kept in canonical proto JSON (camelCase, enum names, int64 as strings) and
rendered with enum names or, when the client asks with `$alt=json;enum-encoding=int`, integers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from google.cloud import aiplatform_v1
from google.longrunning import operations_pb2
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Error as ProtobufError
from google.protobuf.message import Message

from vertex_emulator._errors import InvalidArgument
from vertex_emulator._limits import MAX_JSON_DEPTH

JsonDict = dict[str, Any]


def _pb(message_class: Any) -> type[Message]:
    pb_class: type[Message] = message_class.pb()
    return pb_class


DATASET = _pb(aiplatform_v1.Dataset)
TRAINING_PIPELINE = _pb(aiplatform_v1.TrainingPipeline)
CUSTOM_JOB = _pb(aiplatform_v1.CustomJob)
CUSTOM_JOB_SPEC = _pb(aiplatform_v1.CustomJobSpec)
HYPERPARAMETER_TUNING_JOB = _pb(aiplatform_v1.HyperparameterTuningJob)
BATCH_PREDICTION_JOB = _pb(aiplatform_v1.BatchPredictionJob)
PIPELINE_JOB = _pb(aiplatform_v1.PipelineJob)
MODEL = _pb(aiplatform_v1.Model)
UPLOAD_MODEL_REQUEST = _pb(aiplatform_v1.UploadModelRequest)
IMPORT_DATA_REQUEST = _pb(aiplatform_v1.ImportDataRequest)
EXPORT_DATA_REQUEST = _pb(aiplatform_v1.ExportDataRequest)
MERGE_VERSION_ALIASES_REQUEST = _pb(aiplatform_v1.MergeVersionAliasesRequest)
LIST_DATASETS_RESPONSE = _pb(aiplatform_v1.ListDatasetsResponse)
LIST_TRAINING_PIPELINES_RESPONSE = _pb(aiplatform_v1.ListTrainingPipelinesResponse)
LIST_CUSTOM_JOBS_RESPONSE = _pb(aiplatform_v1.ListCustomJobsResponse)
LIST_HYPERPARAMETER_TUNING_JOBS_RESPONSE = _pb(aiplatform_v1.ListHyperparameterTuningJobsResponse)
LIST_BATCH_PREDICTION_JOBS_RESPONSE = _pb(aiplatform_v1.ListBatchPredictionJobsResponse)
LIST_PIPELINE_JOBS_RESPONSE = _pb(aiplatform_v1.ListPipelineJobsResponse)
LIST_MODELS_RESPONSE = _pb(aiplatform_v1.ListModelsResponse)
LIST_MODEL_VERSIONS_RESPONSE = _pb(aiplatform_v1.ListModelVersionsResponse)
OPERATION = operations_pb2.Operation
LIST_OPERATIONS_RESPONSE = operations_pb2.ListOperationsResponse

TYPE_URL_PREFIX = "type.googleapis.com/"
CREATE_DATASET_METADATA = "google.cloud.aiplatform.v1.CreateDatasetOperationMetadata"
DELETE_METADATA = "google.cloud.aiplatform.v1.DeleteOperationMetadata"
IMPORT_DATA_METADATA = "google.cloud.aiplatform.v1.ImportDataOperationMetadata"
EXPORT_DATA_METADATA = "google.cloud.aiplatform.v1.ExportDataOperationMetadata"
UPLOAD_MODEL_METADATA = "google.cloud.aiplatform.v1.UploadModelOperationMetadata"
EMPTY = "google.protobuf.Empty"
IMPORT_DATA_RESPONSE = "google.cloud.aiplatform.v1.ImportDataResponse"
EXPORT_DATA_RESPONSE = "google.cloud.aiplatform.v1.ExportDataResponse"
UPLOAD_MODEL_RESPONSE = "google.cloud.aiplatform.v1.UploadModelResponse"
DATASET_TYPE = DATASET.DESCRIPTOR.full_name  # a create operation's response type


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _depth(value: Any) -> int:
    """How deeply `value` nests objects and arrays (a scalar is 0), counting no further than past the cap."""
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= MAX_JSON_DEPTH:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children)
    return deepest


def loads(text: str | bytes, what: str) -> Any:
    """Strict JSON: no NaN or Infinity, numbers in range, nesting at most MAX_JSON_DEPTH; INVALID_ARGUMENT."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        value = None
        depth = MAX_JSON_DEPTH + 1
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidArgument(f"Invalid JSON payload received for '{what}': {err}.") from err
    else:
        depth = _depth(value)
    if depth > MAX_JSON_DEPTH:
        raise InvalidArgument(
            f"Invalid JSON payload received for '{what}': nested deeper than {MAX_JSON_DEPTH} levels."
        )
    return value


def load_json_object(body: bytes, what: str) -> JsonDict:
    """Decode a request body that must be a JSON object (an empty body counts as `{}`)."""
    if not body.strip():
        return {}
    value = loads(body, what)
    if not isinstance(value, dict):
        raise InvalidArgument(f"Invalid JSON payload received for '{what}': expected a JSON object.")
    return value


def parse(message_class: type[Message], value: Mapping[str, Any], what: str) -> Message:
    """Parse `value` into `message_class`, rejecting unknown fields and wrong types with INVALID_ARGUMENT."""
    try:
        message = json_format.ParseDict(value, message_class(), ignore_unknown_fields=False)
    except (json_format.ParseError, ProtobufError, TypeError, ValueError, OverflowError, RecursionError) as err:
        raise InvalidArgument(f"Invalid JSON payload received for '{what}'. {_first_line(str(err))}") from err
    infinite = _non_finite_field(message)
    if infinite is not None:
        raise InvalidArgument(f"Invalid value at '{what}.{infinite}': NaN and infinities are not accepted.")
    return message


_FLOATING = (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT)


def _non_finite_field(message: Message) -> str | None:
    """The path of the first float field that holds NaN or an infinity (proto JSON spells them as strings)."""
    for field, value in message.ListFields():
        repeated = field.is_repeated
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            items = list(value.values()) if field.message_type.fields_by_name["value"].message_type else []
        else:
            items = list(value) if repeated else [value]
        for index, item in enumerate(items):
            where = f"{field.name}[{index}]" if repeated else field.name
            if field.type in _FLOATING and not math.isfinite(item):
                return where
            if isinstance(item, Message):
                inner = _non_finite_field(item)
                if inner is not None:
                    return f"{where}.{inner}"
    return None


def to_json(message: Message) -> JsonDict:
    """Canonical proto JSON of `message`: camelCase names, enum names, int64 as strings."""
    result: JsonDict = json_format.MessageToDict(message)
    return result


def canonical(message_class: type[Message], value: Mapping[str, Any]) -> JsonDict:
    """Round-trip `value` through `message_class`; raises ValueError when it is not valid proto JSON."""
    try:
        message = json_format.ParseDict(value, message_class(), ignore_unknown_fields=False)
    except json_format.ParseError as err:
        raise ValueError(f"not a valid {message_class.DESCRIPTOR.full_name}: {err}") from err
    return to_json(message)


def canonical_change(message_class: type[Message], before: Mapping[str, Any], after: Mapping[str, Any]) -> JsonDict:
    """`canonical(after)` when `before` is already canonical and `after` is `before` with some top-level fields
    set or removed: only the fields whose values are new objects are round-tripped (a job's state change costs a
    few fields, not the whole job), and the keys keep the message's field order."""
    changed = {key: value for key, value in after.items() if key not in before or before[key] is not value}
    result = {key: value for key, value in after.items() if key not in changed}
    if changed:
        result.update(canonical(message_class, changed))
    fields = message_class.DESCRIPTOR.fields_by_camelcase_name
    return dict(sorted(result.items(), key=lambda item: fields[item[0]].number if item[0] in fields else -1))


def render(message_class: type[Message], value: Mapping[str, Any], int_enums: bool) -> bytes:
    """Wire bytes for `value` (already canonical proto JSON of `message_class`)."""
    if not int_enums:
        return json.dumps(value, separators=(",", ":")).encode()
    message = json_format.ParseDict(value, message_class(), ignore_unknown_fields=False)
    text: str = json_format.MessageToJson(message, use_integers_for_enums=True, indent=None)
    return text.encode()


def packed(type_name: str, value: Mapping[str, Any]) -> JsonDict:
    """`value` as a google.protobuf.Any JSON object of type `type_name`."""
    return {"@type": TYPE_URL_PREFIX + type_name, **value}
