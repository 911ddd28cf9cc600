"""Resource names as the real API writes them: `projects/<number>/locations/<region>/<collection>/<numeric id>`.

The real API answers with the project *number* whatever the caller sent (an id like `my-project` or the
number); the emulator derives a stable 12-digit number from a project id, so names round-trip the same way.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from vertex_emulator._errors import InvalidArgument

_PROJECT = re.compile(r"^[a-z0-9][a-z0-9.:-]{0,62}$")
_LOCATION = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_MODEL_ID = re.compile(r"^[a-z_][a-z0-9_-]{0,62}$")
_ALIAS = re.compile(r"^[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]$")
_NUMERIC_ID = re.compile(r"^[0-9]{1,19}$")  # the API's ids are int64 numbers
# A pipeline job's id is chosen by its caller (the SDK: `<pipeline name>-<timestamp>`), else a number.
PIPELINE_JOB_ID = re.compile(r"^[a-z][-a-z0-9]{0,127}$")


def project_number(project: str) -> str:
    """The project number the real API would show for `project` (numbers pass through)."""
    if project.isdigit():
        return project
    digest = int(hashlib.sha256(project.encode()).hexdigest(), 16)
    return str(100_000_000_000 + digest % 900_000_000_000)


def location_path(project: str, location: str) -> str:
    """`projects/<number>/locations/<location>` for a request's parent, validated."""
    if not _PROJECT.match(project):
        raise InvalidArgument(f"Invalid project '{project}'.")
    if not _LOCATION.match(location):
        raise InvalidArgument(f"Invalid location '{location}'.")
    return f"projects/{project_number(project)}/locations/{location}"


def new_id() -> str:
    """A fresh numeric resource id, shaped like the real API's 19-digit ids."""
    return str(1_000_000_000_000_000_000 + secrets.randbelow(8_000_000_000_000_000_000))


def now_timestamp() -> str:
    """The current time as an RFC 3339 UTC timestamp with microseconds."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_model_id(model_id: str, field: str) -> None:
    if not _MODEL_ID.match(model_id):
        raise InvalidArgument(
            f"{field} '{model_id}' is invalid: use at most 63 characters from [a-z0-9_-], "
            "not starting with a digit or a hyphen."
        )


def check_version_alias(alias: str, field: str) -> None:
    if not _ALIAS.match(alias) or alias.isdigit():
        raise InvalidArgument(f"{field} '{alias}' is invalid: an alias matches [a-z][a-zA-Z0-9-]{{0,126}}[a-z0-9].")


def check_resource_id(noun: str, resource_id: str) -> None:
    """400 INVALID_ARGUMENT, in the real API's words, for an id the API could never have given: ids are numbers,
    except that a model may carry the model id it was uploaded with and a version id or alias after `@`. The real
    API refuses such a name before looking anything up, so it is never a 404."""
    if noun == "Model":
        model_id, sep, version = resource_id.partition("@")
        valid = bool(_NUMERIC_ID.match(model_id) or _MODEL_ID.match(model_id)) and (
            not sep or bool(_NUMERIC_ID.match(version) or _ALIAS.match(version))
        )
    elif noun == "PipelineJob":
        valid = bool(PIPELINE_JOB_ID.match(resource_id) or _NUMERIC_ID.match(resource_id))
    else:
        valid = bool(_NUMERIC_ID.match(resource_id))
    if not valid:
        raise InvalidArgument(f"List of found errors:\t1.Field: name; Message: Invalid {noun} resource name.\t")


@dataclass(frozen=True)
class ModelRef:
    """A model addressed as `.../models/<id>` optionally followed by `@<version id>` or `@<alias>`."""

    model: str
    version: str | None

    @classmethod
    def parse(cls, name: str) -> ModelRef:
        model, sep, version = name.partition("@")
        if sep and not version:
            raise InvalidArgument(f"Invalid model version reference '{name}'.")
        return cls(model, version if sep else None)


_FULL_NAME = re.compile(r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/(?P<rest>.+)$")


def normalize(name: str) -> str:
    """`name` with its project written as the number; names that are not project-scoped pass through."""
    match = _FULL_NAME.match(name)
    if not match:
        return name
    return f"projects/{project_number(match['project'])}/locations/{match['location']}/{match['rest']}"


def parent_of(name: str) -> str:
    """`projects/N/locations/L` of a full resource name."""
    parts = name.split("/")
    return "/".join(parts[:4])
