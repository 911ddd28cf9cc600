"""The google-cloud-aiplatform v1 clients and message types the providers use, imported without all the others.

``google.cloud.aiplatform_v1``'s ``__init__`` (and that of its ``types``) imports every one of its services and
message types: about a second of a provider process's first create, and more again at its exit, for four of its
36 services. Python runs a package's ``__init__`` before any module in it, so these packages are registered with
their ``__init__`` deferred: such a package imports its modules as usual, and runs its ``__init__`` (once, under
a lock) at the first name asked of it that is not one of its modules. Code elsewhere in the process that uses
``aiplatform_v1.<Name>`` gets the whole package then, as always; a package imported before is used as it is.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import threading
import types
from typing import Any

__all__ = ["client_type", "message_type"]

_PACKAGE = "google.cloud.aiplatform_v1"
_DEFERRED = (_PACKAGE, f"{_PACKAGE}.services", f"{_PACKAGE}.types")
_lock = threading.RLock()


def _defer_init(name: str) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    state = {"initialized": False}

    def deferred_getattr(attribute: str) -> Any:
        if not attribute.startswith("__") and importlib.util.find_spec(f"{name}.{attribute}") is not None:
            return importlib.import_module(f"{name}.{attribute}")  # a module of the package: no __init__ needed
        with _lock:
            if not state["initialized"]:
                state["initialized"] = True
                loader.exec_module(module)
        if attribute in module.__dict__:
            return module.__dict__[attribute]
        raise AttributeError(f"module {name!r} has no attribute {attribute!r}")

    module.__dict__["__getattr__"] = deferred_getattr
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)


def _module(name: str, *deferred: str) -> types.ModuleType:
    with _lock:
        for package in (*_DEFERRED, *deferred):
            _defer_init(package)
    return importlib.import_module(name)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def client_type(name: str) -> Any:
    """The GAPIC client class ``name`` (``DatasetServiceClient``), from its service's module."""
    service = f"{_PACKAGE}.services.{_snake(name.removesuffix('Client'))}"
    return getattr(_module(f"{service}.client", service), name)


def message_type(name: str, module: str | None = None) -> Any:
    """The v1 message type ``name``, from the types module named after it (``TrainingPipeline`` is in
    ``types.training_pipeline``) or from ``module``; else from the whole package."""
    try:
        return getattr(_module(f"{_PACKAGE}.types.{module or _snake(name)}"), name)
    except (ImportError, AttributeError):
        return getattr(_module(_PACKAGE), name)
