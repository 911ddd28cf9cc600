"""Machine types, the accelerators each takes, and boot disks: Compute Engine's predefined shapes as Vertex AI uses
them (https://cloud.google.com/vertex-ai/docs/training/configure-compute,
https://cloud.google.com/compute/docs/gpus, https://cloud.google.com/vertex-ai/docs/predictions/configure-compute).

Three kinds of machine: general-purpose shapes (``n1-standard-4``) that take no accelerator, or for n1 some GPUs
in fixed counts; accelerator-optimized shapes (``a2-highgpu-1g``, ``g2-standard-24``, ``ct5lp-hightpu-4t``) whose
type fixes the accelerator and its count; and ``cloud-tpu`` for TPU v2/v3. Which region has which accelerator
cannot be known offline: that is a warning, not a failure.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import Problem
from .enums import AcceleratorType

__all__ = [
    "BOOT_DISK_TYPES",
    "MAX_BOOT_DISK_GB",
    "MIN_BOOT_DISK_GB",
    "accelerator_problems",
    "availability_notes",
    "boot_disk_problems",
    "machine_family",
]

A = AcceleratorType

# family -> series -> vCPU counts of the predefined shapes
_GENERAL: dict[str, dict[str, tuple[int, ...]]] = {
    "n1": {
        "standard": (1, 2, 4, 8, 16, 32, 64, 96),
        "highmem": (2, 4, 8, 16, 32, 64, 96),
        "highcpu": (2, 4, 8, 16, 32, 64, 96),
    },
    "n2": {
        "standard": (2, 4, 8, 16, 32, 48, 64, 80, 96, 128),
        "highmem": (2, 4, 8, 16, 32, 48, 64, 80, 96, 128),
        "highcpu": (2, 4, 8, 16, 32, 48, 64, 80, 96),
    },
    "n2d": {
        "standard": (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224),
        "highmem": (2, 4, 8, 16, 32, 48, 64, 80, 96),
        "highcpu": (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224),
    },
    "e2": {"standard": (2, 4, 8, 16, 32), "highmem": (2, 4, 8, 16), "highcpu": (2, 4, 8, 16, 32)},
    "c2": {"standard": (4, 8, 16, 30, 60)},
    "c2d": dict.fromkeys(("standard", "highmem", "highcpu"), (2, 4, 8, 16, 32, 56, 112)),
    "c3": dict.fromkeys(("standard", "highmem", "highcpu"), (4, 8, 22, 44, 88, 176)),
    "m1": {"ultramem": (40, 80, 160), "megamem": (96,)},
}


def _bundled(
    prefix: str, accelerator: AcceleratorType, counts: tuple[int, ...], unit: str
) -> dict[str, tuple[AcceleratorType, int]]:
    return {f"{prefix}-{count}{unit}": (accelerator, count) for count in counts}


_G2_GPUS = {4: 1, 8: 1, 12: 1, 16: 1, 32: 1, 24: 2, 48: 4, 96: 8}  # vCPUs -> L4 GPUs
_G4_GPUS = {48: 1, 96: 2, 192: 4, 384: 8}  # vCPUs -> RTX PRO 6000 GPUs
# machine type -> (the accelerator it comes with, how many)
_ACCELERATOR_OPTIMIZED: dict[str, tuple[AcceleratorType, int]] = {
    **_bundled("a2-highgpu", A.NVIDIA_TESLA_A100, (1, 2, 4, 8), "g"),
    **_bundled("a2-megagpu", A.NVIDIA_TESLA_A100, (16,), "g"),
    **_bundled("a2-ultragpu", A.NVIDIA_A100_80GB, (1, 2, 4, 8), "g"),
    **_bundled("a3-highgpu", A.NVIDIA_H100_80GB, (1, 2, 4, 8), "g"),
    **_bundled("a3-megagpu", A.NVIDIA_H100_MEGA_80GB, (8,), "g"),
    **_bundled("a3-ultragpu", A.NVIDIA_H200_141GB, (8,), "g"),
    **_bundled("a4-highgpu", A.NVIDIA_B200, (8,), "g"),
    **_bundled("a4x-highgpu", A.NVIDIA_GB200, (4,), "g"),
    **{
        f"g2-standard-{cpus}": (A.NVIDIA_L4, gpus)
        for cpus, gpus in {4: 1, 8: 1, 12: 1, 16: 1, 32: 1, 24: 2, 48: 4, 96: 8}.items()
    },
    **{f"g4-standard-{cpus}": (A.NVIDIA_RTX_PRO_6000, gpus) for cpus, gpus in {48: 1, 96: 2, 192: 4, 384: 8}.items()},
    **_bundled("ct5lp-hightpu", A.TPU_V5_LITEPOD, (1, 4, 8), "t"),
    **_bundled("ct4p-hightpu", A.TPU_V4_POD, (4,), "t"),
}
CLOUD_TPU = "cloud-tpu"
_CLOUD_TPU_TYPES = (A.TPU_V2, A.TPU_V3)
_CLOUD_TPU_COUNT = 8
# GPUs that attach to n1 machines: count -> the most vCPUs a machine with that many may have.
_N1_GPUS: dict[AcceleratorType, dict[int, int]] = {
    A.NVIDIA_TESLA_T4: {1: 48, 2: 48, 4: 96},
    A.NVIDIA_TESLA_P4: {1: 24, 2: 48, 4: 96},
    A.NVIDIA_TESLA_P100: {1: 16, 2: 32, 4: 96},
    A.NVIDIA_TESLA_V100: {1: 12, 2: 24, 4: 48, 8: 96},
}
_END_OF_SUPPORT = (A.NVIDIA_TESLA_K80,)

BOOT_DISK_TYPES = ("pd-ssd", "pd-standard", "hyperdisk-balanced")
MIN_BOOT_DISK_GB = 100
MAX_BOOT_DISK_GB = 64_000
_HYPERDISK_ONLY = ("a3-ultragpu", "a4-highgpu", "a4x-highgpu")
_NO_HYPERDISK = ("n1", "n2", "n2d", "e2", "c2", "c2d", "m1", "a2", "g2")


def _general_shape(machine_type: str) -> tuple[str, int] | None:
    """(family, vCPUs) of a general-purpose predefined shape, or None."""
    family, _, rest = machine_type.partition("-")
    series, _, cpus = rest.partition("-")
    sizes = _GENERAL.get(family, {}).get(series)
    if sizes is None or not cpus.isdigit() or int(cpus) not in sizes:
        return None
    return family, int(cpus)


def machine_family(machine_type: str) -> str:
    """``n1`` for n1-standard-4, ``a3-ultragpu`` for a3-ultragpu-8g: what boot disk support depends on."""
    if machine_type in _ACCELERATOR_OPTIMIZED:
        return machine_type.rsplit("-", 1)[0]
    return machine_type.partition("-")[0]


def _known_families() -> str:
    general = ", ".join(f"{family}-{series}-N" for family, series_map in _GENERAL.items() for series in series_map)
    return f"{general}, {', '.join(sorted({machine_family(t) + '-...' for t in _ACCELERATOR_OPTIMIZED}))}, {CLOUD_TPU}"


def accelerator_problems(
    machine_type: str, accelerator: AcceleratorType | None, count: int | None
) -> Iterator[Problem]:
    """The machine type exists, and the accelerator (if any) attaches to it in that count."""
    general = _general_shape(machine_type)
    bundled = _ACCELERATOR_OPTIMIZED.get(machine_type)
    if general is None and bundled is None and machine_type != CLOUD_TPU:
        yield Problem(("machine_type",), f"{machine_type[:80]!r} is not a machine type: use one of {_known_families()}")
        return
    if accelerator in _END_OF_SUPPORT:
        yield Problem(("accelerator_type",), f"{accelerator.name} has reached its end of support in Vertex AI")
        return
    if bundled is not None:
        wanted, wanted_count = bundled
        if accelerator != wanted or count != wanted_count:
            yield Problem(
                ("accelerator_type",) if accelerator != wanted else ("accelerator_count",),
                f"{machine_type} comes with {wanted_count} {wanted.name}: set accelerator_type {wanted.name} and "
                f"accelerator_count {wanted_count}",
            )
        return
    if machine_type == CLOUD_TPU:
        if accelerator not in _CLOUD_TPU_TYPES or count != _CLOUD_TPU_COUNT:
            yield Problem(
                ("accelerator_type",) if accelerator not in _CLOUD_TPU_TYPES else ("accelerator_count",),
                f"{CLOUD_TPU} takes accelerator_type TPU_V2 or TPU_V3 with accelerator_count {_CLOUD_TPU_COUNT}",
            )
        return
    assert general is not None
    family, cpus = general
    if accelerator is None:
        return
    limits = _N1_GPUS.get(accelerator)
    if limits is None or family != "n1":
        homes = sorted({machine_family(t) for t, (a, _) in _ACCELERATOR_OPTIMIZED.items() if a == accelerator})
        where = "n1-*" if limits is not None else " or ".join(f"{home}-*" for home in homes) if homes else CLOUD_TPU
        yield Problem(
            ("accelerator_type",), f"{accelerator.name} does not attach to {machine_type}: it runs on {where}"
        )
        return
    if count not in limits:
        counts = ", ".join(str(c) for c in limits)
        yield Problem(("accelerator_count",), f"{accelerator.name} attaches in counts of {counts}, got {count}")
    elif cpus > limits[count]:
        yield Problem(
            ("machine_type",),
            f"{count} {accelerator.name} serve(s) machines of at most {limits[count]} vCPUs, {machine_type} has {cpus}",
        )


def availability_notes(machine_type: str, accelerator: AcceleratorType | None) -> Iterator[str]:
    """What depends on the region and is not checked offline."""
    bundled = _ACCELERATOR_OPTIMIZED.get(machine_type)
    named = accelerator or (bundled[0] if bundled else None)
    if named is not None:
        yield (
            f"{named.name} ({machine_type}) is offered in some regions only; not checked offline: see "
            "https://cloud.google.com/vertex-ai/docs/general/locations#accelerators"
        )


def boot_disk_problems(machine_type: str, disk_type: str | None) -> Iterator[Problem]:
    """Hyperdisk needs a machine series that has it; the newest GPU machines have nothing else."""
    if disk_type is None:
        return
    family = machine_family(machine_type)
    if disk_type == "hyperdisk-balanced" and family in _NO_HYPERDISK:
        yield Problem(("boot_disk_type",), f"{machine_type} has no Hyperdisk: use pd-ssd or pd-standard")
    if disk_type != "hyperdisk-balanced" and family in _HYPERDISK_ONLY:
        yield Problem(("boot_disk_type",), f"{machine_type} boots from hyperdisk-balanced only")
