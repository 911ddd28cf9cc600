"""What the Vertex resources need in a real project, managed with pulumi-gcp: the Vertex AI API, the staging and
output buckets, the training service account and its IAM bindings. The local stack has none of this."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from .config import ProgramConfig

__all__ = ["CloudFoundation", "build_foundation"]

_SERVICE_ACCOUNT_ROLES = ("roles/aiplatform.user", "roles/logging.logWriter")


@dataclass(frozen=True)
class CloudFoundation:
    """What the Vertex resources take from the cloud foundation."""

    service_account_email: pulumi.Output[str]
    depends_on: list[pulumi.Resource]
    """Everything that must exist before a Vertex resource is created (and outlive it on destroy)."""
    staging_bucket: gcp.storage.Bucket
    output_bucket: gcp.storage.Bucket


def _bucket_of(uri: str) -> str:
    return uri.removeprefix("gs://").split("/", 1)[0]


def build_foundation(config: ProgramConfig) -> CloudFoundation:
    project, region = config.gcp_project, config.gcp_region
    assert project is not None
    assert region is not None

    api = gcp.projects.Service(
        "aiplatform-api",
        project=project,
        service="aiplatform.googleapis.com",
        disable_on_destroy=False,  # other workloads of the project may use the API
    )

    def bucket(name: str, bucket_name: str) -> gcp.storage.Bucket:
        return gcp.storage.Bucket(
            name,
            name=bucket_name,
            project=project,
            location=region.upper(),  # a regional bucket next to the Vertex AI jobs that read and write it
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            force_destroy=config.bucket_force_destroy,
            labels=config.labels,
        )

    staging = bucket("staging-bucket", config.staging_bucket)
    output = bucket("output-bucket", config.output_bucket)

    account = gcp.serviceaccount.Account(
        "training-service-account",
        project=project,
        account_id=f"{config.name_prefix}-train"[:30],
        display_name=f"Vertex AI training and batch prediction ({config.stack})",
    )
    member = account.email.apply(lambda email: f"serviceAccount:{email}")
    bindings: list[pulumi.Resource] = [
        gcp.projects.IAMMember(
            f"training-sa-{role.rsplit('/', 1)[-1].replace('.', '-').lower()}",
            project=project,
            role=role,
            member=member,
        )
        for role in _SERVICE_ACCOUNT_ROLES
    ]
    bindings.append(
        gcp.storage.BucketIAMMember(
            "training-sa-staging-reader", bucket=staging.name, role="roles/storage.objectViewer", member=member
        )
    )
    bindings.append(
        gcp.storage.BucketIAMMember(
            "training-sa-output-writer", bucket=output.name, role="roles/storage.objectAdmin", member=member
        )
    )
    # The inputs (data, batch instances, the trainer package) may live in buckets this stack does not manage.
    managed = {config.staging_bucket, config.output_bucket}
    inputs = sorted(
        {_bucket_of(uri) for uri in (config.training_data_uri, config.batch_input_uri, config.trainer_package_uri)}
        - managed
    )
    bindings.extend(
        gcp.storage.BucketIAMMember(
            f"training-sa-reads-{name}", bucket=name, role="roles/storage.objectViewer", member=member
        )
        for name in inputs
    )
    if config.deployer_member:
        # Whoever runs `pulumi up` submits jobs that run as the service account: they need actAs on it.
        bindings.append(
            gcp.serviceaccount.IAMMember(
                "deployer-acts-as-training-sa",
                service_account_id=account.name,
                role="roles/iam.serviceAccountUser",
                member=config.deployer_member,
            )
        )
    return CloudFoundation(
        service_account_email=account.email,
        depends_on=[api, staging, output, account, *bindings],
        staging_bucket=staging,
        output_bucket=output,
    )
