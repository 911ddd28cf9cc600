"""Vertex AI training, tuning and batch prediction as Pulumi resources.

``vertex_resources.specs`` holds the typed specs; the Pulumi resources come with the providers.
"""

from . import specs
from .errors import ApiError, ConfigError, DeadlineExceeded, Problem, ResourceFailed, SpecError, VertexResourcesError

__all__ = [
    "ApiError",
    "ConfigError",
    "DeadlineExceeded",
    "Problem",
    "ResourceFailed",
    "SpecError",
    "VertexResourcesError",
    "specs",
]
