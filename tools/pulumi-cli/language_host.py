"""The Python language host (``pulumi-language-python``) of the project's Pulumi CLI.

Upstream's language host is a Go module with no release tags: the module proxy these machines reach refuses every
version query for it (``@v/list``, commit hashes: "403 This module version is not available"), so ``scripts/pulumi``
installs this one instead. It serves the engine's ``LanguageRuntime`` gRPC service with the protocol's stubs from
the ``pulumi`` Python SDK and runs a program exactly as upstream's host does: upstream's own executor script,
``pulumi-language-python-exec`` (shipped with the CLI's sdk module, installed beside this file), under the
program's virtualenv (``runtime.options.virtualenv`` in Pulumi.yaml), with the stack's config in ``PULUMI_CONFIG``.

Not implemented (the engine falls back or the command is not used here): code generation (``pulumi convert``,
``package gen-sdk``), ``pulumi new`` templates, policy packs and Python plugins (``RunPlugin``).

    python language_host.py -plugin-version=X.Y.Z [-tracing URL] ENGINE_ADDRESS
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format


def _import_protocol_stubs_only() -> None:
    """Make ``pulumi.runtime.proto`` importable without running the ``__init__`` of ``pulumi``, ``pulumi.runtime``
    and ``pulumi.runtime.proto``: they import the whole SDK (a third of a second, at each of the two starts of the
    host per command), and the host needs only the generated stubs (they import each other relatively)."""
    for name in ("pulumi", "pulumi.runtime", "pulumi.runtime.proto"):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.submodule_search_locations is None:
            return  # not the package layout we know: import it the usual way
        sys.modules[name] = importlib.util.module_from_spec(spec)


_import_protocol_stubs_only()
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2  # noqa: E402

EXECUTOR = Path(__file__).with_name("pulumi-language-python-exec")
# The executor's exit code for "an error was already shown to the user": the engine then prints nothing more.
USER_ACTIONABLE_EXIT = 32


class ProgramError(Exception):
    """The program cannot be run as configured; the message says what to fix."""


def _options(info: language_pb2.ProgramInfo) -> dict[str, Any]:
    return json_format.MessageToDict(info.options) if info.HasField("options") else {}


def python_of(info: language_pb2.ProgramInfo) -> tuple[str, dict[str, str]]:
    """The interpreter that runs the program and the environment it runs in, from Pulumi.yaml's runtime options."""
    options = _options(info)
    toolchain = options.get("toolchain", "pip")
    if toolchain != "pip":
        raise ProgramError(f"runtime.options.toolchain {toolchain!r} is not supported by this language host: use pip")
    env = dict(os.environ)
    virtualenv = options.get("virtualenv")
    if not virtualenv:
        return env.get("PULUMI_PYTHON_CMD", "python3"), env
    venv = Path(info.root_directory or ".", virtualenv)
    python = venv / "bin" / "python"
    if not python.exists():
        raise ProgramError(
            f"The 'virtualenv' option in Pulumi.yaml is set to {virtualenv!r}, but {venv} is not a virtual "
            f"environment. Create it: python3 -m venv {venv} && {python} -m pip install -r requirements.txt"
        )
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONHOME", None)
    return str(python), env


def executor_command(request: language_pb2.RunRequest, python: str, engine: str, tracing: str) -> list[str]:
    """The executor's command line, argument for argument as upstream's host builds it."""
    command = [python, "-u", str(EXECUTOR)]
    arguments = {
        "monitor": request.monitor_address,
        "engine": engine,
        "project": request.project,
        "stack": request.stack,
        "pwd": request.pwd,
        "dry_run": "true" if request.dryRun else "false",
        "parallel": str(request.parallel),
        "organization": request.organization,
        "root_directory": request.info.root_directory,
        "tracing": tracing,
    }
    for name, value in arguments.items():
        if value:
            command += [f"--{name}", value]
    program = request.info.entry_point or request.program or "."
    if request.info.program_directory and not os.path.isabs(program):
        program = os.path.join(request.info.program_directory, program)
    return [*command, program, *request.args]


class LanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, engine: str, tracing: str, version: str) -> None:
        self.engine = engine
        self.tracing = tracing
        self.version = version
        self._running: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()

    def Handshake(self, request: Any, context: Any) -> Any:
        self.engine = request.engine_address or self.engine
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=self.version)

    def GetRequiredPlugins(self, request: Any, context: Any) -> Any:
        # Resource plugins are named by the resources' registrations (the SDKs send their versions); the dynamic
        # provider plugin is bundled. So no plugin needs installing before the program runs.
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPackagesResponse()

    def RuntimeOptionsPrompts(self, request: Any, context: Any) -> Any:
        return language_pb2.RuntimeOptionsResponse()

    def About(self, request: Any, context: Any) -> Any:
        try:
            python, env = python_of(request.info)
            version = subprocess.run(
                [python, "-c", "import platform; print(platform.python_version())"],
                env=env, capture_output=True, text=True, check=True, timeout=30,
            ).stdout.strip()
        except (ProgramError, OSError, subprocess.SubprocessError) as error:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(error))
        return language_pb2.AboutResponse(executable=python, version=version)

    def GetProgramDependencies(self, request: Any, context: Any) -> Any:
        try:
            python, env = python_of(request.info)
            listed = subprocess.run(
                [python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                env=env, capture_output=True, text=True, check=True, timeout=120,
            ).stdout
        except (ProgramError, OSError, subprocess.SubprocessError) as error:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(error))
        return language_pb2.GetProgramDependenciesResponse(
            dependencies=[language_pb2.DependencyInfo(name=p["name"], version=p["version"]) for p in json.loads(listed)]
        )

    def InstallDependencies(self, request: Any, context: Any) -> Iterator[Any]:
        options = _options(request.info)
        virtualenv = options.get("virtualenv")
        root = Path(request.info.root_directory or request.directory or ".")
        commands: list[list[str]] = []
        python = "python3"
        if virtualenv:
            venv = root / virtualenv
            python = str(venv / "bin" / "python")
            if not Path(python).exists():
                commands.append(["python3", "-m", "venv", str(venv)])
        if (root / "requirements.txt").exists():
            commands.append([python, "-m", "pip", "install", "-r", str(root / "requirements.txt")])
        for command in commands:
            done = subprocess.run(command, cwd=root, capture_output=True, check=False)
            yield language_pb2.InstallDependenciesResponse(stdout=done.stdout, stderr=done.stderr)
            if done.returncode != 0:
                context.abort(grpc.StatusCode.UNKNOWN, f"{' '.join(command)} exited with code {done.returncode}")

    def Run(self, request: Any, context: Any) -> Any:
        try:
            python, env = python_of(request.info)
        except ProgramError as error:
            return language_pb2.RunResponse(error=str(error))
        env["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))
        command = executor_command(request, python, self.engine, self.tracing)
        # The program's output goes where ours goes: the engine shows it with the update's diagnostics.
        process = subprocess.Popen(command, env=env, cwd=request.pwd or None)
        with self._lock:
            self._running.add(process)
        try:
            code = process.wait()
        finally:
            with self._lock:
                self._running.discard(process)
        if code == 0:
            return language_pb2.RunResponse()
        if code == USER_ACTIONABLE_EXIT:
            return language_pb2.RunResponse(bail=True)
        if code < 0:
            return language_pb2.RunResponse(error=f"Program exited unexpectedly: signal {-code}")
        return language_pb2.RunResponse(error=f"Program exited with non-zero exit code: {code}")

    def Cancel(self, request: Any, context: Any) -> Any:
        self.stop_programs()
        return empty_pb2.Empty()

    def stop_programs(self) -> None:
        with self._lock:
            for process in self._running:
                process.terminate()

    def wait_for_programs(self) -> None:
        with self._lock:
            running = list(self._running)
        for process in running:
            process.wait()


def main(argv: list[str]) -> int:
    # Go-style flags (-name=value, -name value, --name ...), as the engine passes them; the engine's address last.
    flags: dict[str, str] = {}
    positional: list[str] = []
    arguments = iter(argv)
    for argument in arguments:
        name, equals, value = argument.lstrip("-").partition("=")
        if not argument.startswith("-"):
            positional.append(argument)
        elif equals or name in {"logtostderr"}:
            flags[name] = value
        else:
            flags[name] = next(arguments, "")
    host = LanguageHost(positional[-1] if positional else "", flags.get("tracing", ""), flags.get("plugin-version", ""))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()

    def shut_down(signum: int, frame: object) -> None:
        host.stop_programs()
        server.stop(grace=2)

    # Before the port is printed: the engine may stop us as soon as it has read it.
    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    # The engine reads the port from our first line of output.
    print(port, flush=True)
    server.wait_for_termination()
    host.wait_for_programs()  # a program told to stop still ends before we do
    return 0


if __name__ == "__main__":
    exit_code = main(sys.argv[1:])
    # Nothing is left to clean up: skip the interpreter's teardown (grpc's alone takes a tenth of a second or
    # more), which the engine waits for at each of the host's two stops per command.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)
