"""The stack configuration as one validated model.

Every key the program reads lives here, with its full name (``vertex-ml:split``, ``gcp:project``) as the alias, so a
bad or missing value is reported as ``stacks/Pulumi.<stack>.yaml: vertex-ml:split.trainingFraction: ...``.
The engine hands the program every value as a string (objects and arrays as JSON), which is what
``ProgramConfig.from_stack_values`` reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

import pulumi
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from vertex_resources.errors import SpecError, format_path
from vertex_resources.specs import FractionSplit, Split, StudySpec

__all__ = [
    "PROJECT_NAMESPACE",
    "STACK_CONFIG_DIR",
    "ProgramConfig",
    "StackConfigError",
    "TuningConfig",
    "load_config",
    "stack_file",
]

PROJECT_NAMESPACE = "vertex-ml"
STACK_CONFIG_DIR = "stacks"
"""``stackConfigDir`` of Pulumi.yaml: where ``Pulumi.<stack>.yaml`` lives."""

_BUCKET = r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$"
_GS_URI = r"^gs://[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]/.+"
_STRUCTURED = frozenset({"split", "tuning", "trainerArgs"})
"""Keys whose value is an object or array: the engine sends them as JSON text."""


def stack_file(stack: str) -> str:
    return f"{STACK_CONFIG_DIR}/Pulumi.{stack}.yaml"


class StackConfigError(pulumi.RunError):
    """The stack config is missing a key or has a bad value; the message names the stack file and every key.

    A ``RunError``: Pulumi prints the message alone, without a traceback of the program."""

    def __init__(self, stack: str, problems: list[tuple[str, str]]) -> None:
        self.stack = stack
        self.problems = problems
        lines = "\n".join(f"  - {key}: {message}" for key, message in problems)
        count = len(problems)
        super().__init__(
            f"{stack_file(stack)}: invalid stack config ({count} problem{'s' if count != 1 else ''}):\n{lines}\n"
            f"Fix the file, or set a value with: pulumi config set --stack {stack} --path <key> <value>"
        )


class _Section(BaseModel):
    """Objects inside a key's value: camelCase as written in the stack file, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, extra="forbid", frozen=True)


class TuningConfig(_Section):
    """``vertex-ml:tuning``: a hyperparameter tuning pipeline next to the training pipeline; its best trial's model is
    uploaded as a new version of the trained model. The trainer receives each parameter as ``--<parameterId>=v``."""

    study_spec: StudySpec
    max_trial_count: int = Field(ge=1)
    parallel_trial_count: int = Field(ge=1)
    max_failed_trial_count: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _parallel_within_budget(self) -> TuningConfig:
        if self.parallel_trial_count > self.max_trial_count:
            raise ValueError(
                f"parallelTrialCount ({self.parallel_trial_count}) must be at most maxTrialCount "
                f"({self.max_trial_count})"
            )
        return self


def _key(name: str, namespace: str = PROJECT_NAMESPACE) -> Any:
    return Field(alias=f"{namespace}:{name}")


class ProgramConfig(BaseModel):
    """What one stack deploys. Field aliases are the config keys of ``stacks/Pulumi.<stack>.yaml``."""

    model_config = ConfigDict(validate_by_name=True, extra="forbid", frozen=True)

    stack: str
    # --- where: the providers read the same keys --------------------------------------------------------------
    vertex_project: Annotated[str | None, _key("project", "vertex")] = None
    vertex_location: Annotated[str | None, _key("location", "vertex")] = None
    endpoint: Annotated[str | None, _key("endpoint", "vertex")] = None
    gcp_project: Annotated[str | None, _key("project", "gcp")] = None
    gcp_region: Annotated[str | None, _key("region", "gcp")] = None
    # --- what -----------------------------------------------------------------------------------------------
    environment: Annotated[Literal["local", "dev", "prod"], _key("environment")]
    name_prefix: Annotated[str, _key("namePrefix"), Field(pattern=r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$")]
    staging_bucket: Annotated[str, _key("stagingBucket"), Field(pattern=_BUCKET)]
    output_bucket: Annotated[str, _key("outputBucket"), Field(pattern=_BUCKET)]
    training_data_uri: Annotated[str, _key("trainingDataUri"), Field(pattern=_GS_URI)]
    batch_input_uri: Annotated[str, _key("batchInputUri"), Field(pattern=_GS_URI)]
    trainer_package_uri: Annotated[str, _key("trainerPackageUri"), Field(pattern=_GS_URI + r"\.(tar\.gz|whl)$")]
    trainer_module: Annotated[str, _key("trainerModule"), Field(min_length=1)] = "trainer.task"
    trainer_args: Annotated[list[str], _key("trainerArgs")] = Field(default_factory=list)
    executor_image_uri: Annotated[str, _key("executorImageUri"), Field(min_length=1)] = (
        "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest"
    )
    serving_image_uri: Annotated[str, _key("servingImageUri"), Field(min_length=1)] = (
        "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"
    )
    training_machine_type: Annotated[str, _key("trainingMachineType"), Field(min_length=1)] = "n1-standard-4"
    prediction_machine_type: Annotated[str, _key("predictionMachineType"), Field(min_length=1)] = "n1-standard-2"
    prediction_max_replicas: Annotated[int, _key("predictionMaxReplicas"), Field(ge=1, le=100)] = 1
    split: Annotated[Split, _key("split")] = FractionSplit(
        training_fraction=0.8, validation_fraction=0.1, test_fraction=0.1
    )
    tuning: Annotated[TuningConfig | None, _key("tuning")] = None
    parent_model: Annotated[str | None, _key("parentModel")] = None
    bucket_force_destroy: Annotated[bool, _key("bucketForceDestroy")] = False
    delete_artifacts: Annotated[bool, _key("deleteArtifacts")] = False
    deployer_member: Annotated[str | None, _key("deployerMember")] = None
    flow: Annotated[Literal["resources", "pipeline"], _key("flow")] = "resources"

    # --- reading ------------------------------------------------------------------------------------------------
    @classmethod
    def from_stack_values(cls, stack: str, values: Mapping[str, str]) -> ProgramConfig:
        """Validate the config values of ``stack`` as the engine passes them (strings; JSON for objects).

        Raises ``StackConfigError`` listing every problem with its key."""
        known = {field.alias for field in cls.model_fields.values() if field.alias}
        problems: list[tuple[str, str]] = []
        data: dict[str, Any] = {"stack": stack}
        for key, raw in values.items():
            namespace, _, name = key.partition(":")
            if key not in known:
                if namespace == PROJECT_NAMESPACE:
                    problems.append((key, "unknown key (a typo?); see the config block of Pulumi.yaml"))
                continue
            if name in _STRUCTURED and namespace == PROJECT_NAMESPACE and isinstance(raw, str):
                try:
                    data[key] = json.loads(raw)
                except ValueError:
                    problems.append((key, f"must be an object or a list, got {raw!r}"))
                    continue
            elif raw != "":
                data[key] = raw  # an empty string is the same as unset (Pulumi.yaml defaults of optional keys)
        try:
            config = cls.model_validate(data)
        except ValidationError as error:
            problems.extend(_problems(error))
        else:
            problems.extend(config._rules())
        if problems:
            raise StackConfigError(stack, problems)
        return config

    @field_validator("parent_model", "deployer_member", "endpoint", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    def _rules(self) -> Iterator[tuple[str, str]]:
        if self.project is None:
            yield "vertex:project", "missing: set vertex:project (or gcp:project)"
        if self.location is None:
            yield "vertex:location", "missing: set vertex:location (or gcp:region)"
        if self.is_local:
            if not (self.endpoint or "").startswith("http://"):
                yield "vertex:endpoint", "the local environment runs on the emulator: set an http:// endpoint"
        else:
            if self.endpoint is not None and self.endpoint.startswith("http://"):
                yield "vertex:endpoint", f"an http:// endpoint is the emulator, but this is {self.environment}"
            if self.gcp_project is None:
                yield "gcp:project", f"missing: pulumi-gcp manages the buckets and IAM of {self.environment}"
            if self.gcp_region is None:
                yield "gcp:region", f"missing: pulumi-gcp creates the buckets of {self.environment} in it"
        if self.parent_model is not None and not re.match(
            r"^projects/[^/]+/locations/[^/]+/models/[^/@]+$", self.parent_model
        ):
            yield (
                "vertex-ml:parentModel",
                (f"must be a model name like projects/P/locations/L/models/ID, got {self.parent_model!r}"),
            )
        if self.parent_model is not None and self.location and f"/locations/{self.location}/" not in self.parent_model:
            yield "vertex-ml:parentModel", f"must be in the stack's location {self.location}"

    # --- derived ------------------------------------------------------------------------------------------------
    @property
    def project(self) -> str | None:
        return self.vertex_project or self.gcp_project

    @property
    def location(self) -> str | None:
        return self.vertex_location or self.gcp_region

    @property
    def is_local(self) -> bool:
        return self.environment == "local"

    @property
    def labels(self) -> dict[str, str]:
        return {"app": "vertex-ml", "environment": self.environment, "stack": self.stack}

    @property
    def training_output_uri(self) -> str:
        return f"gs://{self.output_bucket}/{self.name_prefix}/training"

    @property
    def tuning_output_uri(self) -> str:
        return f"gs://{self.output_bucket}/{self.name_prefix}/tuning"

    @property
    def split_output_uri(self) -> str:
        return f"gs://{self.staging_bucket}/{self.name_prefix}/splits"

    @property
    def predictions_output_uri(self) -> str:
        return f"gs://{self.output_bucket}/{self.name_prefix}/predictions"

    @property
    def pipeline_root_uri(self) -> str:
        return f"gs://{self.output_bucket}/{self.name_prefix}/pipeline-root"

    @property
    def pipeline_output_uri(self) -> str:
        return f"gs://{self.output_bucket}/{self.name_prefix}/pipeline"


def _problems(error: ValidationError) -> Iterator[tuple[str, str]]:
    for item in error.errors(include_url=False):
        loc = [part for part in item["loc"] if not _is_label(part)]
        where = _where(loc)
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, SpecError):
            for problem in cause.problems:
                yield _where([*loc, *problem.path]), problem.message
            continue
        if item["type"] == "missing":
            yield where, "missing: this key has no default, set it in the stack file"
        elif item["type"] == "extra_forbidden":
            yield where, "unknown field"
        else:
            message = str(cause) if isinstance(cause, ValueError) else item["msg"]
            yield where, message


def _where(loc: list[str | int]) -> str:
    """``vertex-ml:split.trainingFraction``, ``vertex-ml:tuning.studySpec.parameters[0]``: as the stack file says."""
    if not loc:
        return "(config)"
    inner = [to_camel(part) if isinstance(part, str) else part for part in loc[1:]]
    return str(loc[0]) + ("" if not inner else ("" if isinstance(inner[0], int) else ".") + format_path(inner))


_SPLIT_TAGS = frozenset({"fraction", "filter", "predefined", "timestamp", "stratified"})


def _is_label(part: str | int) -> bool:
    """pydantic puts union-member and validator labels into locations; users only know keys and fields."""
    return isinstance(part, str) and ("[" in part or part.startswith("function-") or part in _SPLIT_TAGS)


def load_config() -> ProgramConfig:
    """The running stack's config, as the engine passed it to this program."""
    from pulumi.runtime.config import CONFIG, get_config_env

    values = {**get_config_env(), **CONFIG.get()}
    return ProgramConfig.from_stack_values(pulumi.get_stack(), {str(k): v for k, v in values.items()})
