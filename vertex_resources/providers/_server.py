"""The provider server process (``python -m pulumi.dynamic``, started by the engine) ends without the interpreter's
teardown.

The engine stops the server at the end of every command and waits for it to exit. After its last thread has
finished (a create still running when the engine stops the server ends first, as before), the interpreter would
take its time to free every module and object (a second or more on a busy machine, with the API clients loaded).
Nothing of ours needs that: outputs are flushed and the process exits. Only the server process does this: a
provider used anywhere else (a test, a script) leaves its process alone.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

__all__ = ["exit_fast_in_provider_server"]

_SERVER_MAIN = "pulumi.dynamic.__main__"
_registered = threading.Lock()
_done: list[bool] = []


def _exit_now() -> None:
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    # An uncaught exception (printed already) leaves sys.last_value behind: keep its exit status.
    os._exit(1 if hasattr(sys, "last_value") else 0)


def exit_fast_in_provider_server() -> None:
    """In the provider server's process, skip the interpreter's teardown at exit (registered once)."""
    main_spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if getattr(main_spec, "name", None) != _SERVER_MAIN:
        return
    with _registered:
        if not _done:
            _done.append(True)
            atexit.register(_exit_now)
