"""The public API is pinned, importing it builds nothing, and the pure layers do no I/O.

Like httpx's ``__all__`` test: a name added to or dropped from ``lexdial`` must be a
decision, not an accident. ``domain/`` and ``rules/`` are pure (architecture conventions
1, 2 and 8): no database, network, environment or clock, so a stored decision replays.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

import lexdial

EXPECTED_ALL = {
    "ConfigError",
    "Decision",
    "DecisionRequest",
    "LexdialError",
    "Reason",
    "RequestError",
    "RulePackError",
    "__version__",
    "decide",
    "parse_request",
}

PACKAGE = Path(lexdial.__file__).resolve().parent
PURE_LAYERS = ("domain", "rules")

#: modules whose import means I/O (top-level name or dotted prefix)
FORBIDDEN_MODULES = (
    "sqlite3",
    "socket",
    "http",
    "urllib",
    "requests",
    "sqlalchemy",
    "httpx",
    "aiohttp",
    "subprocess",
    "psycopg",
    "psycopg2",
    "redis",
    "smtplib",
    "ftplib",
    "lexdial.adapters",
    "lexdial.service",
    "lexdial.entrypoints",
    "lexdial.bootstrap",
    "lexdial.config",
)
#: ``receiver.attr()`` calls that read the clock
CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
}


# --- __all__ --------------------------------------------------------------------------


def test_the_public_names_are_exactly_the_pinned_set() -> None:
    assert set(lexdial.__all__) == EXPECTED_ALL
    assert len(lexdial.__all__) == len(set(lexdial.__all__)), "no name listed twice"


@pytest.mark.parametrize("name", sorted(EXPECTED_ALL))
def test_every_public_name_is_importable_from_the_package(name: str) -> None:
    assert getattr(lexdial, name) is not None


def test_the_package_exports_nothing_public_outside_all() -> None:
    # dir(), not vars(): the contract names are resolved on first use (PEP 562)
    exported = {
        name
        for name in dir(lexdial)
        if not name.startswith("_")
        and not isinstance(getattr(lexdial, name), ModuleType)
        and name != "annotations"  # from __future__ import annotations
    }
    assert exported == EXPECTED_ALL - {"__version__"}


def test_the_public_names_are_the_contract_objects() -> None:
    from lexdial import api, errors
    from lexdial.domain import decision, request_parse

    assert lexdial.decide is api.decide
    assert lexdial.parse_request is request_parse.parse_request
    assert (lexdial.Decision, lexdial.DecisionRequest, lexdial.Reason) == (
        decision.Decision,
        decision.DecisionRequest,
        decision.Reason,
    )
    for name in ("LexdialError", "RequestError", "RulePackError", "ConfigError"):
        assert getattr(lexdial, name) is getattr(errors, name)
        assert issubclass(getattr(lexdial, name), lexdial.LexdialError)


def test_the_version_is_the_installed_distribution_version() -> None:
    assert lexdial.__version__ == importlib.metadata.version("lexdial")


# --- nothing built at import -----------------------------------------------------------

IMPORT_PROBE = textwrap.dedent(
    """
    import sys
    import lexdial
    wiring = sorted(
        m for m in sys.modules
        if m.startswith(("lexdial.bootstrap", "lexdial.config", "lexdial.adapters",
                         "lexdial.entrypoints"))
    )
    import lexdial.adapters.geodata
    import lexdial.bootstrap
    print(wiring)
    print(lexdial.bootstrap.default_engine.cache_info().currsize)
    print(lexdial.adapters.geodata.load_geography.cache_info().currsize)
    """
)


def test_importing_lexdial_builds_no_engine_and_loads_no_data(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LEXDIAL_SETTINGS"}
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    wiring, engines, geographies = done.stdout.split("\n")[:3]
    assert wiring == "[]", "importing lexdial must not import the wiring or I/O adapters"
    assert (engines, geographies) == ("0", "0")


# --- the pure layers do no I/O ----------------------------------------------------------


def io_uses(source: str) -> list[str]:
    """Every I/O import, environment access and clock read in ``source``."""
    found: list[str] = []

    def forbidden(module: str) -> bool:
        return any(module == m or module.startswith(m + ".") for m in FORBIDDEN_MODULES)

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if forbidden(a.name)]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0 and forbidden(module):
                found.append(f"from {module} import ...")
            if node.level == 0 and module == "os":
                found += [
                    f"from os import {a.name}"
                    for a in node.names
                    if a.name in ("environ", "getenv", "environb")
                ]
            if node.level == 0 and module == "time":
                found += [
                    f"from time import {a.name}"
                    for a in node.names
                    if a.name in ("time", "time_ns")
                ]
            if node.level == 0 and module == "lexdial":
                found += [
                    f"from lexdial import {a.name}"
                    for a in node.names
                    if forbidden(f"lexdial.{a.name}")
                ]
        elif isinstance(node, ast.Attribute):
            if (
                isinstance(node.value, ast.Name)
                and node.value.id == "os"
                and node.attr in ("environ", "getenv", "environb", "putenv")
            ):
                found.append(f"os.{node.attr}")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "open":
                found.append("open()")
            if isinstance(func, ast.Attribute):
                receiver = func.value
                name = (
                    receiver.id
                    if isinstance(receiver, ast.Name)
                    else receiver.attr
                    if isinstance(receiver, ast.Attribute)
                    else ""
                )
                if (name, func.attr) in CLOCK_CALLS:
                    found.append(f"{name}.{func.attr}()")
    return found


def pure_sources() -> list[Path]:
    files = [p for layer in PURE_LAYERS for p in sorted((PACKAGE / layer).rglob("*.py"))]
    assert len(files) >= 10, f"expected the pure layers' sources under {PACKAGE}"
    return files


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, id=str(p.relative_to(PACKAGE))) for p in pure_sources()],
)
def test_a_pure_layer_module_imports_no_io_and_reads_no_clock_or_environment(
    path: Path,
) -> None:
    assert io_uses(path.read_text("utf-8")) == []


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        pytest.param("import sqlite3", ["import sqlite3"], id="sqlite3"),
        pytest.param("import socket as s", ["import socket"], id="socket-aliased"),
        pytest.param(
            "from http.client import HTTPConnection",
            ["from http.client import ..."],
            id="http-client",
        ),
        pytest.param("import urllib.request", ["import urllib.request"], id="urllib"),
        pytest.param("import requests", ["import requests"], id="requests"),
        pytest.param(
            "from sqlalchemy import select", ["from sqlalchemy import ..."], id="sqlalchemy"
        ),
        pytest.param("import os\nx = os.environ['HOME']", ["os.environ"], id="os-environ"),
        pytest.param("import os\nx = os.getenv('HOME')", ["os.getenv"], id="os-getenv"),
        pytest.param("from os import environ", ["from os import environ"], id="from-os-environ"),
        pytest.param(
            "from datetime import datetime\nx = datetime.now()",
            ["datetime.now()"],
            id="datetime-now",
        ),
        pytest.param(
            "import datetime\nx = datetime.datetime.utcnow()",
            ["datetime.utcnow()"],
            id="datetime-utcnow",
        ),
        pytest.param(
            "from datetime import date\nx = date.today()", ["date.today()"], id="date-today"
        ),
        pytest.param("import time\nx = time.time()", ["time.time()"], id="time-time"),
        pytest.param("from time import time", ["from time import time"], id="from-time-time"),
        pytest.param("x = open('f').read()", ["open()"], id="open"),
        pytest.param(
            "from lexdial.adapters.geodata import load_geography",
            ["from lexdial.adapters.geodata import ..."],
            id="adapter",
        ),
        pytest.param(
            "from lexdial import bootstrap", ["from lexdial import bootstrap"], id="bootstrap"
        ),
        pytest.param(
            "from lexdial.service.storage import UnitOfWork",
            ["from lexdial.service.storage import ..."],
            id="service",
        ),
        pytest.param(
            "from datetime import UTC, datetime, time\n"
            "x = time.fromisoformat('08:00')\ny = datetime(2026, 1, 1, tzinfo=UTC)\n"
            "import http_status_codes\nfrom lexdial.domain import decision\n",
            [],
            id="clean-module",
        ),
    ],
)
def test_the_purity_scanner_flags_each_kind_of_io_it_looks_for(
    snippet: str, expected: list[str]
) -> None:
    assert io_uses(snippet) == expected


def test_a_built_request_gets_the_same_decision_id_in_every_process() -> None:
    """Set iteration order depends on the process's hash seed; the id must not."""
    import subprocess
    import sys

    code = (
        "import json, lexdial\n"
        "from lexdial import parse_request\n"
        "r = {'at': '2026-12-03T17:00:00Z', 'number': '+1 312 555 0116', 'purpose': 'marketing',"
        " 'technology': 'prerecorded', 'consents': [{'kind': 'express', 'given_at': '2026-04-01',"
        " 'scope': ['reminder', 'notification', 'informational'], 'seller': 'X LLP'}]}\n"
        "print(lexdial.decide(parse_request(r)).decision_id)\n"
    )
    ids = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert len(ids) == 1, ids
