"""requirements.lock: every production dependency pinned, with hashes, in step with pyproject."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from app.config import PROJECT_ROOT

LOCK = PROJECT_ROOT / "requirements.lock"
#: The package each extra of pyproject.toml's dependencies brings in.
EXTRAS = {("psycopg", "binary"): "psycopg-binary", ("flask-limiter", "redis"): "redis"}


def pins() -> dict[str, tuple[str, list[str]]]:
    """name → (version, hashes), one entry per pinned package of the lock file."""
    text = LOCK.read_text(encoding="utf-8").replace("\\\n", " ")
    found = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)\s*(.*)$", line)
        if match:
            name, version, rest = match.groups()
            found[canonicalize_name(name)] = (
                version,
                re.findall(r"--hash=sha256:([0-9a-f]{64})", rest),
            )
    return found


def test_the_lock_file_pins_every_dependency_with_hashes() -> None:
    locked = pins()
    assert locked, "requirements.lock pins nothing"
    for name, (version, hashes) in locked.items():
        assert hashes, f"{name}=={version} has no hash: pip --require-hashes would refuse it"
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for line in project["project"]["dependencies"]:
        wanted = Requirement(line)
        name = canonicalize_name(wanted.name)
        assert name in locked, f"{wanted.name} is not in requirements.lock: run `make lock`"
        version = locked[name][0]
        assert wanted.specifier.contains(version, prereleases=True), (
            f"requirements.lock has {wanted.name}=={version}, pyproject.toml wants {wanted}: "
            "run `make lock`"
        )
        for extra in wanted.extras:
            package = EXTRAS[(name, extra)]  # a new extra: say here which package it brings
            assert package in locked, f"{wanted} needs {package}: run `make lock`"
