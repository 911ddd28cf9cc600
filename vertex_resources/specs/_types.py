"""Field types that carry the API's own rules, so that a field states its rule by its type.

- Numbers as the protos define them: ``Int32``/``Int64`` (whole numbers in the proto's range, never a bool),
  ``Double`` (finite), ``Duration`` (google.protobuf.Duration: at most 315,576,000,000 s either way).
- Placement: ``ProjectId`` (an id or a number) and ``Region``; ``project_problem``/``region_problem`` say what is
  wrong with a value (the provider configuration uses them too).
- Cloud Storage and BigQuery URIs, service accounts, networks and resource names (KMS keys, TensorBoards,
  models), environment variable names, model version aliases, labels.

Names that must be in the resource's own location carry the ``SAME_LOCATION`` marker; ``ResourceBase`` checks
them against its location. Every check lets ``NOT_KNOWN_YET`` pass: its own rules run at apply.
"""

from __future__ import annotations

import decimal
import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, ValidationInfo

from ..errors import Problem, SpecError

__all__ = [
    "CREATE_KEY_LABEL",
    "MAX_LABELS",
    "NOT_KNOWN_YET",
    "OUR_LABELS",
    "RESOURCE_KEY_LABEL",
    "SAME_LOCATION",
    "BigQueryPath",
    "BigQueryTable",
    "Bool",
    "DisplayName",
    "Double",
    "Duration",
    "EnvVarName",
    "GcsPrefix",
    "GcsUri",
    "ImageUri",
    "Int32",
    "Int64",
    "IpRangeName",
    "KmsKeyName",
    "Labels",
    "ModelName",
    "NetworkName",
    "PositiveDuration",
    "ProjectId",
    "PythonModule",
    "Region",
    "ResourceLabels",
    "SameLocation",
    "ServiceAccount",
    "TensorboardName",
    "VersionAlias",
    "VersionedModelName",
    "is_lenient",
    "location_of",
    "project_problem",
    "region_problem",
]

NOT_KNOWN_YET = "unknown-until-apply"
"""Stands for a value a Pulumi preview does not know yet; format rules let it pass (its own rules run at apply)."""


def is_lenient(info: ValidationInfo) -> bool:
    """Reading an API response: rules are for what users write, the API's answer is what it is."""
    return bool(info.context and info.context.get("lenient"))


def _checked(problem: Callable[[str], str | None]) -> AfterValidator:
    """A string rule: ``problem(value)`` says what is wrong, or None."""

    def check(value: str, info: ValidationInfo) -> str:
        if value != NOT_KNOWN_YET and not is_lenient(info):
            found = problem(value)
            if found is not None:
                raise ValueError(found)
        return value

    return AfterValidator(check)


# --- numbers ---------------------------------------------------------------------------------------------------
_INT32 = 2**31
_INT64 = 2**63
_INTEGER_TEXT = re.compile(r"^-?\d{1,40}$")


def _whole_number(value: Any) -> Any:
    """Proto integers: ints, integral floats and decimal strings (int64s travel as strings); never a bool."""
    if isinstance(value, bool):
        raise ValueError(f"must be a whole number, got {value!r}")
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            raise ValueError(f"must be a whole number, got {value!r}")
        return int(value)
    if isinstance(value, str):
        if not _INTEGER_TEXT.match(value.strip()):
            raise ValueError(f"must be a whole number, got {value[:40]!r}")
        return int(value)
    return value


def _int64_to_wire(value: int) -> str:
    return str(value)


Int32 = Annotated[int, BeforeValidator(_whole_number), Field(ge=-_INT32, le=_INT32 - 1)]
"""An int32 proto field."""
Int64 = Annotated[
    int,
    BeforeValidator(_whole_number),
    Field(ge=-_INT64, le=_INT64 - 1),
    PlainSerializer(_int64_to_wire, return_type=str, when_used="json"),
]
"""An int64 proto field: a Python int, a JSON string on the wire (as protobuf's JSON mapping says)."""


def _finite_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"must be a number, got {value!r}")
    if isinstance(value, int | str):
        try:
            value = float(value)
        except (OverflowError, ValueError):
            raise ValueError(f"must be a number within the range of a double, got {str(value)[:40]!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value!r}")
    return value


Double = Annotated[float, BeforeValidator(_finite_number)]
"""A double proto field: finite (the API's JSON has no NaN or infinity for these fields)."""


def _strict_bool(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {value!r}")
    return value


Bool = Annotated[bool, BeforeValidator(_strict_bool)]
"""A bool proto field: only true or false (protobuf's JSON accepts nothing else)."""

# --- durations -------------------------------------------------------------------------------------------------
MAX_DURATION_SECONDS = 315_576_000_000
"""google.protobuf.Duration's limit: about 10,000 years, either way."""
_DURATION = re.compile(r"^(-?\d{1,20}(?:\.\d{1,9})?)s?$")
_DURATION_FORMS = "a duration is a string like '3600s' or a number of seconds"


def _parse_duration(value: Any) -> Any:
    if isinstance(value, timedelta):
        seconds = decimal.Decimal(value // timedelta(microseconds=1)) / 1_000_000
    elif isinstance(value, bool):
        raise ValueError(f"{_DURATION_FORMS}, got {value!r}")
    elif isinstance(value, int):  # any size: Decimal is exact, the bound below refuses the huge ones
        seconds = decimal.Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{_DURATION_FORMS}, got {value!r}")
        seconds = decimal.Decimal(value)
    elif isinstance(value, str) and _DURATION.match(value.strip()):
        seconds = decimal.Decimal(_DURATION.match(value.strip()).group(1))  # type: ignore[union-attr]
    else:
        raise ValueError(f"{_DURATION_FORMS}, got {str(value)[:40]!r}")
    if abs(seconds) > MAX_DURATION_SECONDS:
        shown = str(seconds) if len(str(seconds)) <= 24 else f"{str(seconds)[:20]}... ({len(str(seconds))} digits)"
        raise ValueError(f"a duration is at most {MAX_DURATION_SECONDS} seconds either way, got {shown}s")
    return timedelta(microseconds=int(seconds * 1_000_000))


def _duration_to_wire(value: timedelta) -> str:
    micros = value // timedelta(microseconds=1)
    seconds, fraction = divmod(micros, 1_000_000)
    if fraction == 0:
        return f"{seconds}s"
    return f"{seconds}.{fraction:06d}".rstrip("0") + "s"


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be a positive duration")
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(_parse_duration),
    PlainSerializer(_duration_to_wire, return_type=str, when_used="json"),
]
"""A google.protobuf.Duration: ``"3600s"`` on the wire; accepts that form, seconds, or a ``timedelta``."""
PositiveDuration = Annotated[Duration, AfterValidator(_positive)]

# --- names ---------------------------------------------------------------------------------------------------
MAX_DISPLAY_NAME = 128


def _display_name_problem(name: str) -> str | None:
    if not name.strip():
        return "must not be empty"
    if len(name) > MAX_DISPLAY_NAME:
        return f"at most {MAX_DISPLAY_NAME} characters, got {len(name)}"
    return None


DisplayName = Annotated[str, _checked(_display_name_problem)]

# --- placement -------------------------------------------------------------------------------------------------
_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_PROJECT_NUMBER = re.compile(r"^[1-9][0-9]{0,19}$")
# Google Cloud regions: a geography and a direction with its number (us-central1, northamerica-northeast2).
_REGION = re.compile(r"^[a-z]{2,20}-[a-z]{2,20}[1-9][0-9]?$")


def project_problem(value: str) -> str | None:
    if _PROJECT_ID.match(value) or _PROJECT_NUMBER.match(value):
        return None
    return (
        "a project is its id (6-30 lowercase letters, digits and hyphens, starting with a letter, not ending "
        f"with a hyphen) or its number, got {value[:80]!r}"
    )


def region_problem(value: str) -> str | None:
    if _REGION.match(value):
        return None
    if value == "global":
        return "these Vertex AI resources live in a region (like us-central1), not in 'global'"
    return f"a location is a Google Cloud region like us-central1 or europe-west4, got {value[:80]!r}"


ProjectId = Annotated[str, _checked(project_problem)]
Region = Annotated[str, _checked(region_problem)]

# --- Cloud Storage and BigQuery --------------------------------------------------------------------------------
_BUCKET_PART = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$")
_BUCKET_RULES = (
    "bucket names are 3-63 characters (222 with dots, 63 between dots) of lowercase letters, digits, '-', '_' "
    "and '.', starting and ending with a letter or digit, and not an IP address"
)


def bucket_problem(bucket: str) -> str | None:
    # The "goog" prefix rule applies to creating buckets; Google's own (google-cloud-aiplatform) are read here.
    parts = bucket.split(".")
    if (
        not 3 <= len(bucket) <= (222 if len(parts) > 1 else 63)
        or not all(_BUCKET_PART.match(part) for part in parts)
        or _is_ip_address(bucket)
    ):
        return f"{_BUCKET_RULES}, got {bucket[:80]!r}"
    return None


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _object_problem(name: str) -> str | None:
    if len(name.encode()) > 1024:
        return "object names are at most 1024 bytes"
    if "\r" in name or "\n" in name:
        return "object names contain no carriage return or line feed"
    if name in (".", "..") or name.startswith(".well-known/acme-challenge/"):
        return f"{name!r} is not an allowed object name"
    return None


def _gcs_problem(uri: str, *, needs_object: bool) -> str | None:
    if not uri.startswith("gs://") or len(uri) <= len("gs://"):
        return f"must be a gs:// URI, got {uri[:80]!r}"
    bucket, _, name = uri[len("gs://") :].partition("/")
    problem = bucket_problem(bucket)
    if problem is None and needs_object and not name:
        problem = f"must name an object in the bucket (gs://{bucket}/...), got {uri[:80]!r}"
    if problem is None and name:
        problem = _object_problem(name)
    return problem


GcsUri = Annotated[str, _checked(lambda uri: _gcs_problem(uri, needs_object=True))]
"""A Cloud Storage object (wildcards allowed where the API reads several): ``gs://bucket/object``."""
GcsPrefix = Annotated[str, _checked(lambda uri: _gcs_problem(uri, needs_object=False))]
"""A Cloud Storage directory or prefix: ``gs://bucket`` or ``gs://bucket/dir/``."""

_BQ_DATASET = re.compile(r"^[A-Za-z0-9_]{1,1024}$")
_BQ_TABLE = re.compile(r"^[\w\- ]{1,1024}$", re.UNICODE)
_MAX_BQ_URI = 2000


def _bigquery_problem(uri: str, *, least: int) -> str | None:
    forms = (
        "bq://project.dataset.table"
        if least == 3
        else "bq://project, bq://project.dataset or bq://project.dataset.table"
    )
    if not uri.startswith("bq://") or len(uri) > _MAX_BQ_URI:
        return f"must be a bq:// URI of at most {_MAX_BQ_URI} characters ({forms}), got {uri[:80]!r}"
    parts = uri[len("bq://") :].split(".")
    if not least <= len(parts) <= 3:
        return f"must be {forms}, got {uri[:80]!r}"
    problem = project_problem(parts[0])
    if problem is not None:
        return problem
    if len(parts) > 1 and not _BQ_DATASET.match(parts[1]):
        return f"BigQuery dataset ids are letters, digits and underscores, got {parts[1][:80]!r}"
    if len(parts) > 2 and not _BQ_TABLE.match(parts[2]):
        return f"BigQuery table ids are letters, digits, '_', '-' and spaces, got {parts[2][:80]!r}"
    return None


BigQueryTable = Annotated[str, _checked(lambda uri: _bigquery_problem(uri, least=3))]
BigQueryPath = Annotated[str, _checked(lambda uri: _bigquery_problem(uri, least=1))]


# --- accounts, networks, resource names ------------------------------------------------------------------------
def _matching(pattern: str, allowed: str) -> AfterValidator:
    """A string rule: ``pattern`` matches the whole value, else the problem says what is ``allowed``."""
    compiled = re.compile(pattern)
    return _checked(lambda value: None if compiled.fullmatch(value) else f"{allowed}, got {value[:120]!r}")


_ACCOUNT_ID = r"[a-z][a-z0-9-]{4,28}[a-z0-9]"
ServiceAccount = Annotated[
    str,
    _matching(
        rf"{_ACCOUNT_ID}@{_ACCOUNT_ID}\.iam\.gserviceaccount\.com"
        r"|[1-9][0-9]{0,19}-compute@developer\.gserviceaccount\.com"
        rf"|{_ACCOUNT_ID}@appspot\.gserviceaccount\.com",
        "must be a service account email like name@project-id.iam.gserviceaccount.com (name and project id 6-30 "
        "lowercase letters, digits and hyphens)",
    ),
]
_RFC1035 = r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?"
NetworkName = Annotated[
    str,
    _matching(
        rf"projects/[1-9][0-9]{{0,19}}/global/networks/{_RFC1035}",
        "must be projects/{project number}/global/networks/{network name} (a name of lowercase letters, digits and "
        "'-', starting with a letter)",
    ),
]
IpRangeName = Annotated[
    str,
    _matching(_RFC1035, "reserved IP range names are 1-63 lowercase letters, digits and '-', starting with a letter"),
]
# A container image reference (the OCI distribution grammar): [host[:port]/]path[:tag][@digest].
_IMAGE_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST_PART = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_IMAGE_HOST = rf"(?:{_HOST_PART}(?:\.{_HOST_PART})*(?::[0-9]{{1,5}})?/)?"
ImageUri = Annotated[
    str,
    _matching(
        rf"{_IMAGE_HOST}{_IMAGE_PART}(?:/{_IMAGE_PART})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?(?:@sha256:[0-9a-f]{{64}})?",
        "must be a container image like us-docker.pkg.dev/project/repo/image:tag (lowercase path, optional tag or "
        "@sha256 digest)",
    ),
]
_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
PythonModule = Annotated[
    str, _matching(rf"{_IDENTIFIER}(?:\.{_IDENTIFIER})*", "must be a Python module name like trainer.task")
]
_ENV_NAME = _IDENTIFIER
EnvVarName = Annotated[
    str, _matching(_ENV_NAME, "environment variable names are letters, digits and '_', not starting with a digit")
]


@dataclass(frozen=True)
class SameLocation:
    """Marks a resource name that must be in the location of the resource that refers to it."""


SAME_LOCATION = SameLocation()
_LOCATED = re.compile(r"^projects/([^/]+)/locations/([^/]+)/")


def location_of(name: str) -> str | None:
    """The location segment of a resource name ``projects/P/locations/L/...``."""
    match = _LOCATED.match(name)
    return match.group(2) if match else None


def _resource_name(tail: str, form: str) -> AfterValidator:
    """``projects/{project}/locations/{region}/<tail>``, its project and region well formed."""
    pattern = re.compile(rf"projects/([^/]+)/locations/([^/]+)/{tail}")

    def problem(value: str) -> str | None:
        match = pattern.fullmatch(value)
        if match is None:
            return f"must be {form}, got {value[:120]!r}"
        return project_problem(match.group(1)) or region_problem(match.group(2))

    return _checked(problem)


_ID = r"[A-Za-z0-9_-]{1,63}"
KmsKeyName = Annotated[
    str,
    _resource_name(
        rf"keyRings/{_ID}/cryptoKeys/{_ID}", "projects/{project}/locations/{location}/keyRings/{ring}/cryptoKeys/{key}"
    ),
    SAME_LOCATION,
]
TensorboardName = Annotated[
    str,
    _resource_name(
        r"tensorboards/[0-9]{1,20}", "projects/{project}/locations/{location}/tensorboards/{tensorboard id}"
    ),
    SAME_LOCATION,
]
MODEL_ID = re.compile(r"^[a-z_][a-z0-9_-]{0,62}$")
_MODEL_SEGMENT = r"models/[a-z0-9_][a-z0-9_-]{0,62}"
_VERSION_ALIAS = r"[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]"
ModelName = Annotated[
    str, _resource_name(_MODEL_SEGMENT, "a model name like projects/P/locations/L/models/ID"), SAME_LOCATION
]
VersionedModelName = Annotated[
    str,
    _resource_name(
        rf"{_MODEL_SEGMENT}(?:@(?:[1-9][0-9]{{0,9}}|{_VERSION_ALIAS}))?",
        "a model name like projects/P/locations/L/models/ID, optionally with @version or @alias",
    ),
    SAME_LOCATION,
]
DEFAULT_ALIAS = "default"


def _alias_problem(value: str) -> str | None:
    if value == DEFAULT_ALIAS:
        return f"{DEFAULT_ALIAS!r} is the alias Vertex AI gives a model's default version"
    if not re.fullmatch(_VERSION_ALIAS, value):
        return (
            "aliases are 2-128 letters, digits and '-', starting with a lowercase letter and ending with a lowercase "
            f"letter or digit, got {value[:80]!r}"
        )
    return None


VersionAlias = Annotated[str, _checked(_alias_problem)]

# --- labels ----------------------------------------------------------------------------------------------------
MAX_LABELS = 64
CREATE_KEY_LABEL = "pulumi-create-key"
"""Label the providers put on every resource they create (see ``providers._provider``): a hash of the Pulumi
resource and its inputs, by which an interrupted create finds its resource again."""
RESOURCE_KEY_LABEL = "pulumi-resource-key"
"""Label the providers put on every resource they create: a hash of the Pulumi resource alone (whatever its
inputs), by which a create finds the failed leftovers of earlier creates of that resource."""
OUR_LABELS = (CREATE_KEY_LABEL, RESOURCE_KEY_LABEL)
"""Our labels count against the limit and their keys are not the user's to set."""
_LABEL_KEY = re.compile(r"^[^\W\d_A-Z][\w-]{0,62}$", re.UNICODE)
_LABEL_VALUE = re.compile(r"^[\w-]{0,63}$", re.UNICODE)


def _label_problems(labels: Mapping[str, str], limit: int, reserved: tuple[str, ...]) -> list[Problem]:
    problems = []
    if len(labels) > limit:
        added = " and ".join(reserved)
        ours = f" (the provider adds its own {added} labels to the {MAX_LABELS} allowed)" if reserved else ""
        problems.append(Problem((), f"at most {limit} labels are allowed{ours}, got {len(labels)}"))
    for key, value in labels.items():
        if key in reserved:
            problems.append(Problem((key,), f"{key!r} is the provider's own label"))
        elif not _LABEL_KEY.match(key) or key != key.lower():
            problems.append(
                Problem(
                    (key,),
                    "label keys are 1-63 characters, start with a lowercase letter and use only lowercase "
                    "letters, digits, '_' and '-'",
                )
            )
        if not _LABEL_VALUE.match(value) or value != value.lower():
            problems.append(
                Problem((key,), "label values are at most 63 characters of lowercase letters, digits, '_' and '-'")
            )
    return problems


def _labels_check(limit: int, reserved: tuple[str, ...]) -> AfterValidator:
    def check(labels: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        problems = [] if is_lenient(info) else _label_problems(labels, limit, reserved)
        if problems:
            raise SpecError(problems, subject="labels")
        return labels

    return AfterValidator(check)


Labels = Annotated[dict[str, str], _labels_check(MAX_LABELS, ())]
"""GCP labels: at most 64; keys start with a lowercase letter; lowercase letters, digits, '_' and '-'."""
ResourceLabels = Annotated[dict[str, str], _labels_check(MAX_LABELS - len(OUR_LABELS), OUR_LABELS)]
"""The labels of a resource the providers create: ``OUR_LABELS`` are added, so that many fewer are the user's."""
