"""CustomJob: one training job on worker pools."""

from __future__ import annotations

from typing import Any

import pulumi

from ..specs import CustomJobDefinition
from ._args import CustomJobArgs
from ._kind import JobKind
from ._provider import VertexProvider
from ._resource import JobResource

__all__ = ["CustomJob", "CustomJobArgs", "CustomJobProvider"]


class CustomJobApi(JobKind):
    kind = "CustomJob"
    spec_type = CustomJobDefinition
    service = "jobs"
    method_stem = "custom_job"
    message_type_name = "CustomJob"
    extra_output_names = ("output_directory",)

    def extra_outputs(self, resource: dict[str, Any]) -> dict[str, Any]:
        job_spec = resource.get("jobSpec") or {}
        return {"output_directory": (job_spec.get("baseOutputDirectory") or {}).get("outputUriPrefix")}


class CustomJobProvider(VertexProvider):
    api_type = CustomJobApi



class CustomJob(JobResource, module="vertex", name="CustomJob"):
    output_directory: pulumi.Output[str]
    """The directory the job trained into: its own under the base output directory (see
    ``unique_output_directory``)."""

    def __init__(self, resource_name: str, args: CustomJobArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(CustomJobProvider(), resource_name, args, opts)
