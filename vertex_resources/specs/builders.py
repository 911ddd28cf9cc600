"""Builders for the common cases, so a user writes intent rather than JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

import pulumi

from .enums import AcceleratorType
from .job import (
    ContainerSpec,
    CustomJobSpec,
    EnvVar,
    GcsDestination,
    MachineSpec,
    PythonPackageSpec,
    Scheduling,
    WorkerPoolSpec,
)

__all__ = ["cluster", "container_job", "python_package_job"]


def cluster(pool: WorkerPoolSpec, replica_count: int) -> list[WorkerPoolSpec]:
    """Replicate one pool across ``replica_count`` machines: pool 0 is the single primary replica, pool 1 the
    other ``replica_count - 1`` workers, all on the same machine spec and running the same code (what
    ``create_custom_training_job_from_component`` does with ``replica_count``)."""
    if replica_count < 1:
        raise ValueError(f"replica_count must be at least 1, got {replica_count}")
    primary = pool.model_copy(update={"replica_count": 1})
    if replica_count == 1:
        return [primary]
    return [primary, pool.model_copy(update={"replica_count": replica_count - 1})]


def _machine(
    machine_type: str, accelerator_type: str | AcceleratorType | None, accelerator_count: int | None
) -> MachineSpec:
    return MachineSpec(
        machine_type=machine_type,
        accelerator_type=accelerator_type,
        accelerator_count=accelerator_count if accelerator_type is not None else None,
    )


def _env(env: Mapping[str, str] | None) -> list[EnvVar] | None:
    return [EnvVar(name=name, value=value) for name, value in env.items()] if env else None


def _job(
    pool: WorkerPoolSpec,
    replica_count: int,
    base_output_directory: pulumi.Input[str] | None,
    timeout: timedelta | str | int | None,
    service_account: pulumi.Input[str] | None,
) -> CustomJobSpec:
    return CustomJobSpec(
        worker_pool_specs=cluster(pool, replica_count),
        base_output_directory=GcsDestination(output_uri_prefix=base_output_directory)
        if base_output_directory
        else None,
        scheduling=Scheduling(timeout=timeout) if timeout is not None else None,
        service_account=service_account,
    )


def python_package_job(
    *,
    executor_image_uri: pulumi.Input[str],
    package_uris: Sequence[pulumi.Input[str]],
    python_module: str,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    machine_type: str = "n1-standard-4",
    accelerator_type: str | AcceleratorType | None = None,
    accelerator_count: int | None = 1,
    replica_count: int = 1,
    base_output_directory: pulumi.Input[str] | None = None,
    timeout: timedelta | str | int | None = None,
    service_account: pulumi.Input[str] | None = None,
) -> CustomJobSpec:
    """A Python package (sdist or wheel in gs://) run as ``python -m python_module args`` on a prebuilt training
    image such as ``us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest``; ``replica_count`` > 1 makes
    a cluster (see ``cluster``)."""
    pool = WorkerPoolSpec(
        python_package_spec=PythonPackageSpec(
            executor_image_uri=executor_image_uri,
            package_uris=list(package_uris),
            python_module=python_module,
            args=list(args) or None,
            env=_env(env),
        ),
        machine_spec=_machine(machine_type, accelerator_type, accelerator_count),
    )
    return _job(pool, replica_count, base_output_directory, timeout, service_account)


def container_job(
    *,
    image_uri: pulumi.Input[str],
    command: Sequence[str] | None = None,
    args: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    machine_type: str = "n1-standard-4",
    accelerator_type: str | AcceleratorType | None = None,
    accelerator_count: int | None = 1,
    replica_count: int = 1,
    base_output_directory: pulumi.Input[str] | None = None,
    timeout: timedelta | str | int | None = None,
    service_account: pulumi.Input[str] | None = None,
) -> CustomJobSpec:
    """A custom training container. How ``command`` and ``args`` override the image (seed 003):

    - neither set: the image's ENTRYPOINT runs with its CMD;
    - only ``command``: it replaces ENTRYPOINT, and CMD is ignored;
    - only ``args``: ENTRYPOINT runs with ``args`` in place of CMD;
    - both: ``command`` replaces ENTRYPOINT and ``args`` replaces CMD.

    ``replica_count`` > 1 makes a cluster (see ``cluster``).
    """
    pool = WorkerPoolSpec(
        container_spec=ContainerSpec(
            image_uri=image_uri,
            command=list(command) if command is not None else None,
            args=list(args) if args is not None else None,
            env=_env(env),
        ),
        machine_spec=_machine(machine_type, accelerator_type, accelerator_count),
    )
    return _job(pool, replica_count, base_output_directory, timeout, service_account)
