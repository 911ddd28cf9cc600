"""The Pulumi program of this repository (``__main__.py`` only calls ``main``).

    config = load_config()          # the stack config as one validated model (StackConfigError names the key)
    build(config)                   # the resources of that stack, and its exports

The stacks are ``stacks/Pulumi.<stack>.yaml``; ``program.stack_files`` reads them the way the engine does, and
``python -m program.local`` stages the example data and trainer package for the local stack.
"""

from ._build import build
from ._vertex import MlStack
from .config import PROJECT_NAMESPACE, STACK_CONFIG_DIR, ProgramConfig, StackConfigError, load_config, stack_file

__all__ = [
    "PROJECT_NAMESPACE",
    "STACK_CONFIG_DIR",
    "MlStack",
    "ProgramConfig",
    "StackConfigError",
    "build",
    "load_config",
    "main",
    "stack_file",
]


def main() -> None:
    build(load_config())
