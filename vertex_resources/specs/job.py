"""What a training job runs on and runs: machines, containers or Python packages, worker pools, scheduling.

These are the shapes of ``CustomJobSpec`` in google.cloud.aiplatform.v1, shared by custom jobs, the trial job of
a tuning job and both training-pipeline tasks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from pydantic import AfterValidator, Field

from ..errors import Problem
from ._base import ApiModel
from ._machines import (
    BOOT_DISK_TYPES,
    MAX_BOOT_DISK_GB,
    MIN_BOOT_DISK_GB,
    accelerator_problems,
    availability_notes,
    boot_disk_problems,
)
from ._rules import exactly_one
from ._types import (
    Bool,
    EnvVarName,
    GcsPrefix,
    GcsUri,
    ImageUri,
    Int32,
    Int64,
    IpRangeName,
    KmsKeyName,
    NetworkName,
    PositiveDuration,
    PythonModule,
    ServiceAccount,
    TensorboardName,
)
from .enums import AcceleratorType, AcceleratorTypeField

__all__ = [
    "MAX_COMBINED_ARGS",
    "MAX_PACKAGE_URIS",
    "MAX_WORKER_POOLS",
    "ContainerSpec",
    "CustomJobSpec",
    "DiskSpec",
    "EncryptionSpec",
    "EnvVar",
    "GcsDestination",
    "MachineSpec",
    "PythonPackageSpec",
    "Scheduling",
    "WorkerPoolSpec",
]

MAX_COMBINED_ARGS = 100_000
MAX_PACKAGE_URIS = 100
MAX_WORKER_POOLS = 4


class MachineSpec(ApiModel):
    """A machine type and, optionally, accelerators attached to each replica."""

    machine_type: str = Field(min_length=1)
    accelerator_type: AcceleratorTypeField | None = None
    accelerator_count: Annotated[Int32 | None, Field(ge=1)] = None

    @property
    def _accelerator(self) -> AcceleratorType | None:
        unset = (None, AcceleratorType.ACCELERATOR_TYPE_UNSPECIFIED)
        return None if self.accelerator_type in unset else self.accelerator_type

    def _problems(self) -> Iterator[Problem]:
        if self._accelerator is not None and self.accelerator_count is None:
            yield Problem(("accelerator_count",), "set accelerator_count when accelerator_type is set")
        elif self._accelerator is None and self.accelerator_count is not None:
            yield Problem(("accelerator_type",), "set accelerator_type when accelerator_count is set")
        else:
            yield from accelerator_problems(self.machine_type, self._accelerator, self.accelerator_count)

    def _notes(self) -> Iterator[Problem]:
        for note in availability_notes(self.machine_type, self._accelerator):
            yield Problem((), note)


def _boot_disk_type(value: str | None) -> str | None:
    if value is not None and value not in BOOT_DISK_TYPES:
        raise ValueError(f"must be one of {', '.join(BOOT_DISK_TYPES)}, got {value[:40]!r}")
    return value


class DiskSpec(ApiModel):
    boot_disk_type: Annotated[str | None, AfterValidator(_boot_disk_type)] = None
    boot_disk_size_gb: Annotated[Int32 | None, Field(ge=MIN_BOOT_DISK_GB, le=MAX_BOOT_DISK_GB)] = None


class EnvVar(ApiModel):
    name: EnvVarName
    value: str


def _args_problems(args: list[str] | None) -> Iterator[Problem]:
    total = sum(len(arg) for arg in args or ())
    if total > MAX_COMBINED_ARGS:
        yield Problem(("args",), f"combined arguments are at most {MAX_COMBINED_ARGS} characters, got {total}")


class ContainerSpec(ApiModel):
    """A custom container. ``command`` replaces the image ENTRYPOINT, ``args`` replaces its CMD.

    Seed 003's override rules: neither set runs ENTRYPOINT + CMD; only ``command`` replaces ENTRYPOINT and ignores
    CMD; only ``args`` keeps ENTRYPOINT with ``args`` in place of CMD; both replace both.
    """

    image_uri: ImageUri
    command: list[str] | None = None
    args: list[str] | None = None
    env: list[EnvVar] | None = None

    def _problems(self) -> Iterator[Problem]:
        yield from _args_problems((self.command or []) + (self.args or []))


class PythonPackageSpec(ApiModel):
    """Python package(s) in Cloud Storage run with ``python -m python_module args`` on a prebuilt image."""

    executor_image_uri: ImageUri
    package_uris: list[GcsUri] = Field(min_length=1)
    python_module: PythonModule
    args: list[str] | None = None
    env: list[EnvVar] | None = None

    def _problems(self) -> Iterator[Problem]:
        if len(self.package_uris) > MAX_PACKAGE_URIS:
            yield Problem(("package_uris",), f"at most {MAX_PACKAGE_URIS} package URIs, got {len(self.package_uris)}")
        yield from _args_problems(self.args)


class WorkerPoolSpec(ApiModel):
    """One pool of identical replicas; exactly one of ``container_spec`` or ``python_package_spec``."""

    container_spec: ContainerSpec | None = None
    python_package_spec: PythonPackageSpec | None = None
    machine_spec: MachineSpec
    replica_count: Annotated[Int64, Field(ge=1)] = 1
    disk_spec: DiskSpec | None = None

    def _problems(self) -> Iterator[Problem]:
        yield from exactly_one(
            {"container_spec": self.container_spec, "python_package_spec": self.python_package_spec},
            ["container_spec", "python_package_spec"],
        )
        if self.disk_spec is not None:
            for problem in boot_disk_problems(self.machine_spec.machine_type, self.disk_spec.boot_disk_type):
                yield problem.under("disk_spec")


class Scheduling(ApiModel):
    timeout: PositiveDuration | None = None
    restart_job_on_worker_restart: Bool | None = None
    disable_retries: Bool | None = None


class GcsDestination(ApiModel):
    output_uri_prefix: GcsPrefix


class EncryptionSpec(ApiModel):
    """Customer-managed encryption key ``projects/*/locations/*/keyRings/*/cryptoKeys/*``, in the resource's
    location."""

    kms_key_name: KmsKeyName


class CustomJobSpec(ApiModel):
    """Worker pools (primary, workers, parameter servers, evaluators) and where and how they run."""

    worker_pool_specs: list[WorkerPoolSpec] = Field(min_length=1)
    scheduling: Scheduling | None = None
    service_account: ServiceAccount | None = None
    network: NetworkName | None = None
    reserved_ip_ranges: list[IpRangeName] | None = None
    base_output_directory: GcsDestination | None = None
    tensorboard: TensorboardName | None = None
    enable_web_access: Bool | None = None
    enable_dashboard_access: Bool | None = None

    def _problems(self) -> Iterator[Problem]:
        pools = self.worker_pool_specs
        if len(pools) > MAX_WORKER_POOLS:
            yield Problem(
                ("worker_pool_specs",),
                f"at most {MAX_WORKER_POOLS} worker pools (primary, workers, parameter servers, evaluators), "
                f"got {len(pools)}",
            )
        if len(pools) > 1 and pools[0].replica_count != 1:
            yield Problem(
                ("worker_pool_specs", 0, "replica_count"),
                "worker pool 0 is the primary replica: its replica_count must be 1 when other pools follow",
            )
        if self.tensorboard is not None and self.service_account is None:
            yield Problem(("service_account",), "a job that writes to a TensorBoard runs as a service account: set it")
        if self.reserved_ip_ranges and self.network is None:
            yield Problem(("reserved_ip_ranges",), "reserved IP ranges are ranges of a network: set network too")
