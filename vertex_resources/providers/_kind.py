"""What each resource kind does against the API; the lifecycle in ``_provider`` is the same for every kind.

Jobs and pipelines share one implementation (their GAPIC methods follow one naming pattern); datasets and models
override what differs (LRO creates, in-place updates, imports, versions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from ..errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from ..specs._resource import ResourceBase
from ._api import Session, json_to_message, message_to_json
from ._config import Placement
from ._gapic import message_type

__all__ = ["JobKind", "KindApi"]

LRO_TIMEOUT = 1800.0


class KindApi:
    """One resource kind's API calls; bodies and answers are v1 REST JSON dicts."""

    kind: ClassVar[str]
    spec_type: ClassVar[type[ResourceBase]]
    service: ClassVar[str]  # which client: "datasets", "models", "pipelines" or "jobs"
    long_running: ClassVar[bool] = False
    extra_output_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _client(self) -> Any:
        """This kind's client; what it raises names this kind (see ``_api``)."""
        return self.session.client(self.service, self.kind)

    def submit(self, placement: Placement, spec: Any, labels: dict[str, str]) -> dict[str, Any]:
        """Create the resource (one attempt, never retried here) and return it."""
        raise NotImplementedError

    def get(self, name: str) -> dict[str, Any]:
        raise NotImplementedError

    def _created(self, operation: Any, name_of: Callable[[Any], str]) -> dict[str, Any]:
        """Wait for a create's long-running operation, then read the resource it made (``name_of`` its response).
        The response is not the resource: on Google Cloud it carries no createTime, updateTime or etag (recorded),
        so outputs taken from it would be incomplete until a refresh."""
        response = operation.result(timeout=LRO_TIMEOUT, retry=self.session.retry)
        return self.get(name_of(response))

    def find(self, placement: Placement, spec: Any, label: str, value: str) -> list[dict[str, Any]]:
        """Resources carrying ``label=value`` (how a create finds the earlier creates of its resource)."""
        request = {"parent": placement.parent, "filter": f"labels.{label}={value}"}
        return [message_to_json(item) for item in self._list(request)]

    def _list(self, request: dict[str, str]) -> Any:
        """The list call of this kind (an iterable of messages)."""
        raise NotImplementedError

    def delete(self, name: str) -> None:
        """Delete and wait for the delete to finish."""
        raise NotImplementedError

    def cancel(self, name: str) -> None:
        raise NotImplementedError

    def delete_leftover(self, resource: dict[str, Any]) -> None:
        """Delete a failed or cancelled earlier create and what it left running for nothing (backing jobs)."""
        self.delete(resource["name"])

    def update(self, name: str, body: dict[str, Any], update_mask: list[str]) -> dict[str, Any]:
        raise NotImplementedError(f"{self.kind} has no in-place update")

    def after_create(self, spec: Any, resource: dict[str, Any]) -> dict[str, Any]:
        """Work that follows a create or an adoption (a dataset's data import); returns the resource."""
        return resource

    def extra_outputs(self, resource: dict[str, Any]) -> dict[str, Any]:
        """Outputs derived from the resource beyond its own fields (uploaded model, backing jobs ...)."""
        return {}


class JobKind(KindApi):
    """Training pipelines, custom jobs, tuning jobs and batch prediction jobs."""

    long_running = True
    method_stem: ClassVar[str]  # "training_pipeline", "custom_job", ...
    message_type_name: ClassVar[str]  # "TrainingPipeline", ...

    def _call(self, verb: str, plural: bool = False, **kwargs: Any) -> Any:
        method = getattr(self._client, f"{verb}_{self.method_stem}{'s' if plural else ''}")
        return method(**kwargs)

    def _message_type(self) -> Any:
        return message_type(self.message_type_name)

    def submit(self, placement: Placement, spec: Any, labels: dict[str, str]) -> dict[str, Any]:
        body = {**spec.to_api(), "labels": labels}
        message = json_to_message(self._message_type(), body)
        return message_to_json(self._call("create", parent=placement.parent, retry=None, **{self.method_stem: message}))

    def get(self, name: str) -> dict[str, Any]:
        return message_to_json(self._call("get", name=name, retry=self.session.retry))

    def _list(self, request: dict[str, str]) -> Any:
        return self._call("list", plural=True, request=request, retry=self.session.retry)

    def cancel(self, name: str) -> None:
        try:
            self._call("cancel", name=name, retry=self.session.retry)
        except FailedPreconditionError:
            pass  # already terminal: nothing to cancel
        except InvalidArgumentError as error:
            if "cannot be cancel" not in error.message:
                raise

    def delete(self, name: str) -> None:
        try:
            operation = self._call("delete", name=name, retry=self.session.retry)
            operation.result(timeout=LRO_TIMEOUT, retry=self.session.retry)
        except NotFoundError:
            pass  # already gone
