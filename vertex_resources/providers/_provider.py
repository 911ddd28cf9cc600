"""The lifecycle every kind shares: check, diff, create, read, update, delete.

A provider object holds configuration only (it is pickled into Pulumi state); API sessions are built after
``configure`` in the provider process.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import time
from datetime import timedelta
from typing import Any, ClassVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from ..errors import NotFoundError, ResourceFailed, SpecError, TransientApiError
from ..specs._base import FieldKind
from ..specs._resource import JobOutputs, ResourceBase, TrainingOutputs
from ..specs._types import CREATE_KEY_LABEL, OUR_LABELS, RESOURCE_KEY_LABEL
from ..specs.diff import diff_specs, field_changes
from ._api import Session
from ._config import ENDPOINT_KEY, LOCATION_KEY, PROJECT_KEY, Placement, ProviderConfig
from ._inputs import UNKNOWN, check_problems, plain_inputs, spec_inputs
from ._kind import KindApi
from ._server import exit_fast_in_provider_server
from ._wait import PollPolicy, is_success, is_terminal, wait_until_terminal

__all__ = ["CREATE_KEY_LABEL", "VertexProvider"]

# CREATE_KEY_LABEL is on every resource we create: a hash of the Pulumi resource (project/stack/name), its
# placement and its spec. An interrupted create finds its resource again by it instead of making a second one.
# RESOURCE_KEY_LABEL, a hash of the Pulumi resource alone, is on it too: a create lists by that label, so it sees
# the earlier creates of the same resource whatever their inputs (a failed one is removed even after the inputs
# changed), and adopts only the one whose create key is its own.
DEFAULT_WAIT = timedelta(hours=24)
_CREATE_ATTEMPTS = 8
_OUTPUT_DIRECTORY_KEY_CHARS = 12  # of the create key: a replacement's directory differs, a re-adoption's does not
_UNSAFE_IN_DIRECTORY = re.compile(r"[^A-Za-z0-9._-]+")


def _user_labels(labels: dict[str, str]) -> dict[str, str] | None:
    """Labels as the user wrote them: without ours and without the API's own (``aiplatform.googleapis.com/...``)."""
    return {k: v for k, v in labels.items() if k not in OUR_LABELS and "googleapis.com/" not in k} or None


def _resource_label(resource_key: str | None) -> str:
    """A label value (at most 63 characters of [a-z0-9_-]) that project/stack/name may not be: its hash."""
    return hashlib.sha256((resource_key or "").encode()).hexdigest()[:40]


def _own_output_directory(base: str, resource_key: str | None, create_key: str) -> str:
    """``<base>/<resource name>-<start of the create key>``: the directory one created job trains into."""
    name = _UNSAFE_IN_DIRECTORY.sub("-", (resource_key or "").rsplit("/", 1)[-1]).strip("-")
    own = f"{name}-{create_key[:_OUTPUT_DIRECTORY_KEY_CHARS]}" if name else create_key[:_OUTPUT_DIRECTORY_KEY_CHARS]
    return f"{base.rstrip('/')}/{own}"


class VertexProvider(ResourceProvider):
    """Base of the six providers; ``api_type`` says which kind it manages."""

    api_type: ClassVar[type[KindApi]]
    serialize_as_secret_always = False  # it holds no secret: configuration arrives through configure()

    def __init__(self) -> None:
        super().__init__()
        self._config = ProviderConfig()
        self._sessions: dict[str, Session] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"_config": ProviderConfig()}  # never pickle sessions (clients, credentials)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._config = state.get("_config", ProviderConfig())
        self._sessions = {}

    # --- configuration -------------------------------------------------------------------------------------
    def configure(self, req: ConfigureRequest) -> None:
        self._config = ProviderConfig.from_stack(req.config)
        exit_fast_in_provider_server()

    @property
    def _poll_policy(self) -> PollPolicy:
        return PollPolicy(initial=self._config.poll_initial_interval)

    @property
    def spec_type(self) -> type[ResourceBase]:
        return self.api_type.spec_type

    def _api(self, location: str) -> KindApi:
        session = self._sessions.get(location)
        if session is None:
            session = self._sessions[location] = Session(self._config, location)
        return self.api_type(session)

    def _placement(self, inputs: dict[str, Any]) -> Placement:
        return self._config.placement(inputs.get("project"), inputs.get("location"))

    def _describe(self, name: str) -> str:
        return f"{self.api_type.kind} {name}"

    # --- preview --------------------------------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        defaults = {"project": (PROJECT_KEY, self._config.project), "location": (LOCATION_KEY, self._config.location)}
        problems, notes, spec = check_problems(self.spec_type, news, defaults)
        failures = [CheckFailure(problem.where or "(resource)", problem.message) for problem in problems]
        failures += [
            CheckFailure("(provider)", f"{key}: {problem}")
            for key, problem in self._config.config_problems()
            if key == ENDPOINT_KEY  # a bad stack project or location is reported on the field it fills
        ]
        for note in notes:
            print(f"warning: {self.api_type.kind} {note}", file=sys.stderr, flush=True)
        if failures:
            return CheckResult(news, failures)
        # The engine keeps what check returns as the resource's inputs: in their canonical form (a schema
        # shorthand expanded, numbers as the API types them), refresh and diffs compare like with like.
        canonical = spec.to_plain() if spec is not None else plain_inputs(self.spec_type, news)
        return CheckResult({**news, **{k: v for k, v in canonical.items() if k in news and v != UNKNOWN}}, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old = plain_inputs(self.spec_type, olds)
        new = plain_inputs(self.spec_type, news)
        for key, default in (("project", self._config.project), ("location", self._config.location)):
            new.setdefault(key, default)  # the stack's placement is the resource's unless it says otherwise
            old.setdefault(key, default)
        result = diff_specs(self.spec_type, old, new)
        return DiffResult(
            changes=bool(result.changed),
            replaces=list(result.replaces),
            stables=[],
            delete_before_replace=self._delete_before_replace(new),
        )

    def _delete_before_replace(self, new: dict[str, Any]) -> bool:
        return False

    # --- create ---------------------------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = self.spec_type.parse(spec_inputs(self.spec_type, props))
        placement = self._placement(spec.to_plain())
        misplaced = list(spec.location_problems(placement.location))
        if misplaced:
            raise SpecError(misplaced, subject=self.api_type.kind)
        api = self._api(placement.location)
        key = self._create_key(spec, placement)
        labels = {
            **(getattr(spec, "labels", None) or {}),
            CREATE_KEY_LABEL: key,
            RESOURCE_KEY_LABEL: _resource_label(spec.resource_key),
        }
        # What is sent differs from the spec (the outputs and later diffs keep the user's configured directory).
        resource = self._find_or_submit(api, placement, self._request_spec(spec, key), labels)
        resource = api.after_create(spec, resource)
        name = resource["name"]
        if api.long_running:
            resource = self._wait_for(api, spec, resource)
        return CreateResult(id_=name, outs=self._outputs(spec, placement, resource, api))

    def _create_key(self, spec: ResourceBase, placement: Placement) -> str:
        # Every field that makes a different resource (all but outputs and provider-only settings), so that a
        # replacement never adopts the resource it replaces.
        changes = field_changes(self.spec_type)
        defining = {
            name: value
            for name, value in spec.to_plain().items()
            if changes[name].kind not in (FieldKind.OUTPUT_ONLY, FieldKind.PROVIDER_ONLY)
        }
        identity = json.dumps(
            {"resource": spec.resource_key, "parent": placement.parent, "kind": self.api_type.kind, "spec": defining},
            sort_keys=True,
        )
        return hashlib.sha256(identity.encode()).hexdigest()[:40]

    def _request_spec(self, spec: ResourceBase, key: str) -> ResourceBase:
        """The spec as submitted: a training job's base output directory becomes its own (see
        ``TrainingOutputs.unique_output_directory``)."""
        if not isinstance(spec, TrainingOutputs) or not spec.unique_output_directory:
            return spec
        plain = spec.to_plain()
        holder = plain
        for part in spec.base_output_directory_holder():
            holder = holder.get(part) or {}
        configured = (holder.get("base_output_directory") or {}).get("output_uri_prefix")
        if configured is None:
            return spec
        own = _own_output_directory(configured, spec.resource_key, key)
        holder["base_output_directory"] = {"output_uri_prefix": own}
        return self.spec_type.parse(plain)

    def _find_or_submit(
        self, api: KindApi, placement: Placement, spec: ResourceBase, labels: dict[str, str]
    ) -> dict[str, Any]:
        key = labels[CREATE_KEY_LABEL]
        delay = self._config.retry_initial_delay
        for attempt in range(_CREATE_ATTEMPTS):
            earlier = api.find(placement, spec, RESOURCE_KEY_LABEL, labels[RESOURCE_KEY_LABEL])
            for found in earlier:
                state = found.get("state")
                own = (found.get("labels") or {}).get(CREATE_KEY_LABEL) == key
                if own and (not api.long_running or not is_terminal(state) or is_success(state)):
                    print(
                        f"{self._describe(found['name'])}: adopting it (an earlier create made it)",
                        file=sys.stderr,
                        flush=True,
                    )
                    return found
            # Failed or cancelled creates of this resource, with these inputs or earlier ones, are leftovers: the
            # failing `up` reported their error. Running or succeeded ones with other inputs are left alone (the
            # resource this create replaces, deleted by Pulumi once its replacement exists).
            for found in earlier:
                if api.long_running and is_terminal(found.get("state")) and not is_success(found.get("state")):
                    error = (found.get("error") or {}).get("message", "no error message")
                    print(
                        f"{self._describe(found['name'])}: deleting a {found.get('state')} leftover of an earlier "
                        f"create ({error})",
                        file=sys.stderr,
                        flush=True,
                    )
                    api.delete_leftover(found)
            try:
                return api.submit(placement, spec, labels)
            except TransientApiError as error:
                if attempt == _CREATE_ATTEMPTS - 1:
                    raise type(error)(
                        error.kind, error.name, error.status, f"{error.message} (create tried {_CREATE_ATTEMPTS} times)"
                    ) from error
                # The create may or may not have happened: look it up again before another attempt.
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 30.0)
        raise AssertionError("unreachable")

    def _wait_for(self, api: KindApi, spec: ResourceBase, resource: dict[str, Any]) -> dict[str, Any]:
        assert isinstance(spec, JobOutputs)
        name = resource["name"]
        if not spec.wait_for_completion:
            return resource
        latest = {"resource": resource}

        def fetch_state() -> str | None:
            latest["resource"] = api.get(name)
            return latest["resource"].get("state")

        deadline = (spec.wait_timeout or DEFAULT_WAIT).total_seconds()
        state = wait_until_terminal(
            fetch_state, describe=self._describe(name), deadline_seconds=deadline, policy=self._poll_policy
        )
        if not is_success(state):
            error = latest["resource"].get("error") or {}
            raise ResourceFailed(self.api_type.kind, name, state, error.get("message", "no error message"))
        return latest["resource"]

    # --- outputs --------------------------------------------------------------------------------------------
    def _outputs(
        self, spec: ResourceBase, placement: Placement, resource: dict[str, Any], api: KindApi
    ) -> dict[str, Any]:
        reported = self.spec_type.from_api(resource).to_plain()
        outs = spec.to_plain()
        outs["project"], outs["location"] = placement.project, placement.location
        for name, change in field_changes(self.spec_type).items():
            if change.kind is FieldKind.OUTPUT_ONLY:
                outs[name] = reported.get(name)
        outs["resource_id"] = resource["name"].rsplit("/", 1)[-1].split("@", 1)[0]  # a model's id, not its version
        outs.update(api.extra_outputs(resource))
        return outs

    # --- refresh --------------------------------------------------------------------------------------------
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = spec_inputs(self.spec_type, props)
        placement = self._placement(inputs)
        api = self._api(placement.location)
        try:
            resource = api.get(id_)
        except NotFoundError:
            return ReadResult(id_="", outs={})
        # Fields the API can change in place may have drifted; the rest cannot change without a new resource
        # (and reading them back would bring server-filled defaults that are not drift).
        reported = self.spec_type.from_api(resource).to_plain()
        for name, change in field_changes(self.spec_type).items():
            if change.kind is FieldKind.UPDATABLE:
                value = reported.get(name)
                if name == "labels" and isinstance(value, dict):
                    value = _user_labels(value)
                if value is None:
                    inputs.pop(name, None)
                else:
                    inputs[name] = value
        spec = self.spec_type.parse(inputs)
        return ReadResult(
            id_=id_,
            outs=self._outputs(spec, placement, resource, api),
            inputs=spec_inputs(self.spec_type, spec.to_plain()),
        )

    # --- update ---------------------------------------------------------------------------------------------
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec = self.spec_type.parse(spec_inputs(self.spec_type, news))
        placement = self._placement(spec.to_plain())
        api = self._api(placement.location)
        changes = diff_specs(self.spec_type, plain_inputs(self.spec_type, olds), spec.to_plain())
        if changes.updates:
            current = api.get(id_)
            body = spec.to_api()
            labels = {**(body.get("labels") or {})}
            for ours in OUR_LABELS:
                if ours in (current.get("labels") or {}):
                    labels[ours] = current["labels"][ours]
            body["labels"] = labels
            resource = api.update(id_, body, list(changes.update_mask))
        else:
            resource = api.get(id_)  # provider-only changes: nothing to tell the API
        return UpdateResult(outs=self._outputs(spec, placement, resource, api))

    # --- delete ---------------------------------------------------------------------------------------------
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        placement = self._placement(spec_inputs(self.spec_type, props))
        api = self._api(placement.location)
        try:
            resource = api.get(id_)
        except NotFoundError:
            return
        if api.long_running and not is_terminal(resource.get("state")):
            api.cancel(id_)
            wait_until_terminal(
                lambda: api.get(id_).get("state"),
                describe=self._describe(id_),
                deadline_seconds=DEFAULT_WAIT.total_seconds(),
                policy=self._poll_policy,
            )
        api.delete(id_)
