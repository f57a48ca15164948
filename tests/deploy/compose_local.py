"""Reading ``docker-compose.yml`` the way Compose does, and turning its services into local processes.

No Docker engine runs on our machines, so the deployment tests translate each service into the process a
container would run: the same command and the same environment, with only what a container network and
volumes change translated back to one host:

- ``${VAR}`` interpolation from the values in ``.env.example`` (what ``cp .env.example .env`` gives);
- a service host name with a container port (``redis:6379``) → ``127.0.0.1:<free port>``; a service's own
  listening port → that free port; the wildcard address ``0.0.0.0`` → ``127.0.0.1``;
- a volume's mount point → a local directory (a temporary one for named volumes, the host path for binds);
- images we do not build (the Redis-compatible server) → the same program installed locally.

Nothing in the compose file is special-cased beyond that: a wrong command, variable name or queue in it
shows up as a failing local process.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from dockerfile_parse import DockerfileParser

from workers.embedded import free_port, server_binary

_VAR = re.compile(r"\$(?:\$|\{(?P<braced>[^}]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?$", re.S)



@dataclass(frozen=True)
class LocalProgram:
    """The program of an image we do not build, found on this machine instead."""

    find: Callable[[], str]
    workdir: str
    """The image's working directory, where the program keeps its data (its volume is mounted there)."""

    def local_args(self, port: int, workdir: Path) -> list[str]:
        # What the container network and the image's WORKDIR gave it implicitly, made explicit.
        return ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir)]


LOCAL_PROGRAMS: dict[str, LocalProgram] = {
    "valkey-server": LocalProgram(server_binary, workdir="/data"),
    "redis-server": LocalProgram(server_binary, workdir="/data"),
}


class ComposeError(ValueError):
    pass


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines as Compose reads an ``.env`` file (comments, blank lines, optional quotes)."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name.strip()):
            raise ComposeError(f"{path}:{number}: not KEY=VALUE: {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's variable substitution: ``$$``, ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
    ``${VAR:?error}``, ``${VAR?error}``, ``${VAR:+alt}``, ``${VAR+alt}``."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group("plain"):
            return env.get(match.group("plain"), "")
        braced = _BRACED.match(match.group("braced") or "")
        if braced is None or "${" in (braced.group("arg") or ""):
            raise ComposeError(f"unsupported substitution {match.group(0)!r}")
        name, op, arg = braced.group("name"), braced.group("op"), braced.group("arg") or ""
        value = env.get(name)
        empty = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":-", "-"):
            return arg if empty else str(value)
        if op in (":?", "?"):
            if empty:
                raise ComposeError(f"required variable {name} is missing: {arg}")
            return str(value)
        if op in (":+", "+"):
            return "" if empty else arg
        return value or ""

    return _VAR.sub(substitute, text)


def interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolate_tree(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env) for key, value in node.items()}
    return node


def load_compose(path: Path) -> dict[str, Any]:
    """The compose file as YAML data (merge keys resolved), before interpolation."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ComposeError(f"{path} is not a mapping")
    return data


def parse_duration(text: str) -> float:
    """A Compose duration (``1m30s``, ``200s``, ``1h``) in seconds."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ComposeError(f"not a duration: {text!r}")
    return sum(float(number) * units[unit] for number, unit in parts)


def command_argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def environment_of(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def container_ports(service: Mapping[str, Any]) -> list[int]:
    """Ports the service listens on inside its container: ``expose`` and the container side of ``ports``."""
    found = [int(str(port).split("/")[0]) for port in service.get("expose") or []]
    for entry in service.get("ports") or []:
        target = entry.get("target") if isinstance(entry, dict) else str(entry).rsplit(":", 1)[-1]
        found.append(int(str(target).split("/")[0]))
    return found


def image_env(dockerfile: Path) -> dict[str, str]:
    """``ENV`` of the Dockerfile's final stage (what every container of the image starts with)."""
    parser = DockerfileParser(path=str(dockerfile))
    return {k: v for k, v in parser.envs.items() if k != "PATH"}


@dataclass(frozen=True)
class VolumeMap:
    """Mount point in the container → directory on this host."""

    mounts: dict[str, Path]

    def translate(self, value: str) -> str:
        for target, local in sorted(self.mounts.items(), key=lambda item: -len(item[0])):
            if value == target or value.startswith(target.rstrip("/") + "/"):
                return str(local) + value[len(target.rstrip("/")):]
        return value


@dataclass
class LocalService:
    """One container of a service, as a local process: what to run, with which environment."""

    name: str
    argv: list[str]
    env: dict[str, str]
    volumes: VolumeMap
    ports: dict[int, int]
    """Container port → local port."""
    healthcheck: list[str] | None = None
    """The healthcheck's command (``CMD`` form as argv, ``CMD-SHELL`` as ``sh -c``), translated likewise."""


@dataclass
class LocalCompose:
    """A compose project translated for one host."""

    root: Path
    config: dict[str, Any]
    env_values: dict[str, str]
    volume_root: Path
    base_env: dict[str, str] = field(default_factory=dict)
    bin_dirs: list[Path] = field(default_factory=list)
    ports: dict[tuple[str, int], int] = field(default_factory=dict)

    @classmethod
    def from_files(cls, compose_file: Path, env_file: Path, *, volume_root: Path, dockerfile: Path,
                   bin_dirs: list[Path]) -> LocalCompose:
        env_values = read_env_file(env_file)
        config = interpolate_tree(load_compose(compose_file), env_values)
        base = {"PATH": os.pathsep.join([*(str(d) for d in bin_dirs), os.environ.get("PATH", "")]),
                "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8", **image_env(dockerfile)}
        if os.environ.get("PYTHONPATH"):
            # A checkout under test that is not the installed one (a worktree): its code, not the other's.
            base["PYTHONPATH"] = os.environ["PYTHONPATH"]
        local = cls(root=compose_file.parent, config=config, env_values=env_values, volume_root=volume_root,
                    base_env=base, bin_dirs=bin_dirs)
        for name, service in local.services().items():
            for port in container_ports(service):
                local.ports[(name, port)] = free_port()
        return local

    def services(self) -> dict[str, dict[str, Any]]:
        services: dict[str, dict[str, Any]] = self.config["services"]
        return services

    def _hosts(self, value: str, own: str) -> str:
        for (service, port), local in self.ports.items():
            value = re.sub(rf"(?<![\w.-]){re.escape(service)}:{port}(?!\d)", f"127.0.0.1:{local}", value)
            if service == own:
                value = re.sub(rf"\b(127\.0\.0\.1|localhost):{port}(?!\d)", f"127.0.0.1:{local}", value)
                if value == str(port):
                    value = str(local)
        return "127.0.0.1" if value == "0.0.0.0" else value

    def _volumes(self, service: Mapping[str, Any]) -> VolumeMap:
        mounts: dict[str, Path] = {}
        for entry in service.get("volumes") or []:
            if isinstance(entry, dict):
                source, target = str(entry.get("source", "")), str(entry["target"])
            else:
                source, target = str(entry).split(":")[:2]
            if source.startswith((".", "/")):
                mounts[target] = (self.root / source).resolve()
            else:
                mounts[target] = self.volume_root / source
                mounts[target].mkdir(parents=True, exist_ok=True)
        return VolumeMap(mounts)

    def _translate(self, value: str, name: str, volumes: VolumeMap) -> str:
        return volumes.translate(self._hosts(value, name))

    def _program(self, argv: list[str], ports: dict[int, int], volumes: VolumeMap) -> list[str]:
        program = LOCAL_PROGRAMS.get(argv[0])
        if program is not None:
            workdir = Path(volumes.translate(program.workdir))
            if not ports or workdir == Path(program.workdir):
                raise ComposeError(f"{argv[0]} needs a container port and a volume on {program.workdir}")
            return [program.find(), *argv[1:], *program.local_args(next(iter(ports.values())), workdir)]
        found = shutil.which(argv[0], path=self.base_env["PATH"])
        if found is None:
            raise ComposeError(f"{argv[0]!r} is not installed here")
        return [found, *argv[1:]]

    def service(self, name: str) -> LocalService:
        service = self.services()[name]
        volumes = self._volumes(service)
        ports = {port: local for (svc, port), local in self.ports.items() if svc == name}
        argv = self._program([self._translate(arg, name, volumes) for arg in command_argv(service["command"])],
                             ports, volumes)
        env = {**self.base_env, **{key: self._translate(value, name, volumes)
                                   for key, value in environment_of(service).items()}}
        health = (service.get("healthcheck") or {}).get("test")
        check: list[str] | None = None
        if health and health[0] in ("CMD", "CMD-SHELL"):
            words = [self._translate(str(word), name, volumes) for word in health[1:]]
            check = words if health[0] == "CMD" else ["sh", "-c", " ".join(words)]
        return LocalService(name=name, argv=argv, env=env, volumes=volumes, ports=ports, healthcheck=check)

    def scaled(self, name: str, replicas: int) -> Iterator[LocalService]:
        """``--scale name=replicas``: identical containers (the compose file gives them no fixed name or
        host port, which is what makes them scalable); each has a network of its own, so each replica
        listens on local ports of its own."""
        for replica in range(replicas):
            if replica:
                for key in [key for key in self.ports if key[0] == name]:
                    self.ports[key] = free_port()
            yield self.service(name)


def dockerfile_healthcheck(dockerfile: Path) -> list[str]:
    """The ``HEALTHCHECK CMD [...]`` of the Dockerfile, as argv (exec form only)."""
    parser = DockerfileParser(path=str(dockerfile))
    for instruction in reversed(parser.structure):
        if instruction["instruction"] == "HEALTHCHECK":
            value = instruction["value"]
            _, _, command = value.partition("CMD")
            argv = yaml.safe_load(command.strip())
            if not isinstance(argv, list):
                raise ComposeError(f"HEALTHCHECK is not in exec form: {value!r}")
            return [str(word) for word in argv]
    raise ComposeError("the Dockerfile has no HEALTHCHECK")
