"""What never shows as a change in a preview, through the provider server."""

from __future__ import annotations

from vertex_emulator import ControlClient

from .harness import ProviderServer
from .specs import INPUTS


def test_number_forms_key_order_provider_blob_and_stack_placement_are_no_change(
    server: ProviderServer, control: ControlClient
) -> None:
    provider_type, inputs = INPUTS["CustomJob"]
    resource = server.resource(provider_type(), "steady")
    id_, outs = resource.create(resource.check(inputs).inputs)
    control.reset_counters()
    pool = inputs["job_spec"]["worker_pool_specs"][0]
    reordered = {
        "labels": inputs["labels"],
        "job_spec": {
            "base_output_directory": inputs["job_spec"]["base_output_directory"],
            "worker_pool_specs": [{"replica_count": 1.0, **dict(reversed(list(pool.items())))}],
        },
        "display_name": inputs["display_name"],
        "project": "acme-ml",  # the stack's project, now spelled out
    }
    assert resource.diff(id_, outs, reordered).changes is False
    assert resource.diff(id_, {**outs, "__provider": "an older serialized provider"}, inputs).changes is False
    assert resource.diff(id_, outs, {**inputs, "location": "europe-west4"}).replaces == ["location"]
    assert control.counters() == {}, "a diff never calls the API"
