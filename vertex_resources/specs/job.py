"""What a training job runs on and runs: machines, containers or Python packages, worker pools, scheduling.

These are the shapes of ``CustomJobSpec`` in google.cloud.aiplatform.v1, shared by custom jobs, the trial job of
a tuning job and both training-pipeline tasks.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..errors import Problem
from ._base import ApiModel
from ._rules import exactly_one, uri_problems
from ._wire import Duration, Int64
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
    accelerator_count: int | None = Field(default=None, ge=1)

    def _problems(self) -> Iterator[Problem]:
        has_type = self.accelerator_type not in (None, AcceleratorType.ACCELERATOR_TYPE_UNSPECIFIED)
        if has_type and self.accelerator_count is None:
            yield Problem(("accelerator_count",), "set accelerator_count when accelerator_type is set")
        if not has_type and self.accelerator_count is not None:
            yield Problem(("accelerator_type",), "set accelerator_type when accelerator_count is set")


class DiskSpec(ApiModel):
    boot_disk_type: str | None = None
    boot_disk_size_gb: int | None = Field(default=None, ge=10, le=65536)


class EnvVar(ApiModel):
    name: str = Field(min_length=1)
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

    image_uri: str = Field(min_length=1)
    command: list[str] | None = None
    args: list[str] | None = None
    env: list[EnvVar] | None = None

    def _problems(self) -> Iterator[Problem]:
        yield from _args_problems((self.command or []) + (self.args or []))


class PythonPackageSpec(ApiModel):
    """Python package(s) in Cloud Storage run with ``python -m python_module args`` on a prebuilt image."""

    executor_image_uri: str = Field(min_length=1)
    package_uris: list[str] = Field(min_length=1)
    python_module: str = Field(min_length=1)
    args: list[str] | None = None
    env: list[EnvVar] | None = None

    def _problems(self) -> Iterator[Problem]:
        if len(self.package_uris) > MAX_PACKAGE_URIS:
            yield Problem(("package_uris",), f"at most {MAX_PACKAGE_URIS} package URIs, got {len(self.package_uris)}")
        yield from uri_problems(self.package_uris, "gs://", ("package_uris",))
        yield from _args_problems(self.args)


class WorkerPoolSpec(ApiModel):
    """One pool of identical replicas; exactly one of ``container_spec`` or ``python_package_spec``."""

    container_spec: ContainerSpec | None = None
    python_package_spec: PythonPackageSpec | None = None
    machine_spec: MachineSpec
    replica_count: Int64 = Field(default=1, ge=1)
    disk_spec: DiskSpec | None = None

    def _problems(self) -> Iterator[Problem]:
        yield from exactly_one(
            {"container_spec": self.container_spec, "python_package_spec": self.python_package_spec},
            ["container_spec", "python_package_spec"],
        )


class Scheduling(ApiModel):
    timeout: Duration | None = None
    restart_job_on_worker_restart: bool | None = None
    disable_retries: bool | None = None

    def _problems(self) -> Iterator[Problem]:
        if self.timeout is not None and self.timeout.total_seconds() <= 0:
            yield Problem(("timeout",), "must be a positive duration")


class GcsDestination(ApiModel):
    output_uri_prefix: str

    def _problems(self) -> Iterator[Problem]:
        yield from uri_problems(self.output_uri_prefix, "gs://", ("output_uri_prefix",))


class EncryptionSpec(ApiModel):
    """Customer-managed encryption key: ``projects/*/locations/*/keyRings/*/cryptoKeys/*``."""

    kms_key_name: str = Field(pattern=r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$")


class CustomJobSpec(ApiModel):
    """Worker pools (primary, workers, parameter servers, evaluators) and where and how they run."""

    worker_pool_specs: list[WorkerPoolSpec] = Field(min_length=1)
    scheduling: Scheduling | None = None
    service_account: str | None = None
    network: str | None = None
    reserved_ip_ranges: list[str] | None = None
    base_output_directory: GcsDestination | None = None
    tensorboard: str | None = None
    enable_web_access: bool | None = None
    enable_dashboard_access: bool | None = None

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
