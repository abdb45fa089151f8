"""``lexdial serve`` answers on loopback; a token made with ``lexdial users token`` works."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(env: dict[str, str], *argv: str) -> str:
    home = Path(env["LEXDIAL_DATA_DIR"]).parent  # where 'lexdial init' wrote lexdial.toml
    done = subprocess.run([sys.executable, "-m", "lexdial", *argv], env=env, capture_output=True,
                          text=True, timeout=120, check=True, cwd=home)  # fmt: skip
    return done.stdout


def test_the_server_answers_health_and_a_token_from_the_cli_authenticates(tmp_path: Path) -> None:
    env = {**os.environ, "LEXDIAL_DATA_DIR": str(tmp_path / "data")}
    env.pop("LEXDIAL_DATABASE_URL", None)
    _cli(env, "init", "--firm", "Hartwell & Ruiz LLP")
    _cli(env, "users", "add", "ana@firm.test", "--name", "Ana", "--role", "compliance")
    token = json.loads(_cli(env, "users", "token", "1", "--name", "test", "--json"))["token"]
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "lexdial", "serve", "--port", str(port)],
                              env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as res:
                    assert json.load(res) == {"status": "ok"}
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        req = urllib.request.Request(f"{base}/v1/me", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=5) as res:
            assert json.load(res)["role"] == "compliance"
        try:
            urllib.request.urlopen(f"{base}/v1/me", timeout=5)
            raise AssertionError("an anonymous caller was let in")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
    finally:
        server.terminate()
        server.communicate(timeout=20)  # also closes the pipes


def test_serving_on_a_public_address_needs_saying_so(tmp_path: Path) -> None:
    env = {**os.environ, "LEXDIAL_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "lexdial", "serve", "--host", "0.0.0.0"],
                          env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and "--public" in done.stderr
