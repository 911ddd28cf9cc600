"""``python -m vertex_emulator.execution._replica_server FD``: forks batch prediction replicas (see ``_replicas``).

The predictor libraries are imported once here, before the first request, so a forked replica starts at once.
"""

from __future__ import annotations

import contextlib
import importlib
import socket
import sys

from vertex_emulator.execution._replicas import serve

_PRELOAD = ("numpy", "joblib", "sklearn.tree", "xgboost")


def main() -> None:
    channel = socket.socket(fileno=int(sys.argv[1]))
    for name in _PRELOAD:  # those installed; a replica whose model needs a missing one says so when it loads
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    serve(channel)


if __name__ == "__main__":
    main()
