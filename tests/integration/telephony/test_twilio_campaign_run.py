"""``lexdial campaign run --carrier twilio`` end to end: a separate lexdial process dials a
small campaign through a stand-in Twilio, which rings three scripted people and delivers
their callbacks — signed over the public https URL — to the webhook listener that the
command itself serves on ``[telephony] webhook_listen`` (as a TLS proxy would forward).

No live Twilio account was used (see ``twilio_standin``).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lexdial.entrypoints.cli import main

from .twilio_standin import ACCOUNT, TOKEN, Callee, TwilioStandIn

pytestmark = pytest.mark.integration

PUBLIC = "https://dialer.example.test/webhooks/twilio"
PEOPLE = {
    "+16145550101": Callee("human"),  # hears the message to its end
    "+16145550102": Callee("human", press="9"),  # opts out
    "+16145550103": Callee("machine"),  # voicemail
}
CAMPAIGN = {
    "name": "Court-date reminders",
    "purpose": "reminder",
    "mode": "broadcast",
    "caller_id": "+16145550199",
    "message": {
        "text": "Hello, this is Hartwell and Ruiz with a reminder of your court date. "
        "Call us at 614-555-0199. To stop these calls, press 9.",
        "voicemail_text": "Hello, this is Hartwell and Ruiz. Please call us at 614-555-0199.",
    },
    "schedule": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                 "start": "00:00", "end": "23:59"},
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, int]]:
    port = free_port()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEXDIAL_DATA_DIR", str(tmp_path / "data"))
    for name in ("LEXDIAL_DATABASE_URL", "LEXDIAL_MASTER_KEY", "LEXDIAL_SETTINGS"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "lexdial.toml").write_text(
        '[firm]\nname = "Hartwell & Ruiz LLP"\n'
        # calls are placed now, in real time: no calling-hours window in this test's store
        "[policy]\nall_calls_window = []\n"
        f'[telephony]\nwebhook_base_url = "{PUBLIC}"\nwebhook_listen = "127.0.0.1:{port}"\n'
    )
    assert main(["init"]) == 0
    yield tmp_path, port


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def campaign(
    path: Path, capsys: pytest.CaptureFixture[str], numbers: list[str], start: bool = True
) -> None:
    """Campaign #1, running (or a draft), with consented contacts at ``numbers``."""
    for number in numbers:
        cli(capsys, "contact", "add", "--number", number, "--line-type", "wireless",
            "--state", "OH", "--relationship", "current_client")  # fmt: skip
        cli(capsys, "consent", "add", number, "--kind", "express", "--scope", "reminder",
            "--seller", "Hartwell & Ruiz LLP", "--given-at", "2026-06-01T12:00:00Z",
            "--method", "engagement letter", "--disclosure", "You agree we may call you.",
            "--disclosure-version", "v3", "--captured-by", "intake")  # fmt: skip
    (path / "c.json").write_text(json.dumps(CAMPAIGN))
    cli(capsys, "campaign", "create", "c.json")
    cli(capsys, "campaign", "add", "1", "--all")
    if start:
        cli(capsys, "campaign", "start", "1")


def twilio_env(api: str) -> dict[str, str]:
    return os.environ | {
        "LEXDIAL_TWILIO_ACCOUNT_SID": ACCOUNT,
        "LEXDIAL_TWILIO_AUTH_TOKEN": TOKEN,
        "LEXDIAL_TWILIO_API_URL": api,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


def run_with(twilio: TwilioStandIn, path: Path) -> subprocess.CompletedProcess[str]:
    """``lexdial campaign run 1 --carrier twilio`` in its own process, against ``twilio``."""
    env = twilio_env(twilio.start())
    try:
        done = subprocess.run(
            [sys.executable, "-m", "lexdial", "campaign", "run", "1", "--carrier", "twilio",
             "--minutes", "0.1", "--json"],
            env=env, cwd=path, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        twilio.stop()
    return done


def test_campaign_run_with_the_twilio_carrier_serves_its_own_webhooks_and_completes(
    home: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, port = home
    campaign(path, capsys, list(PEOPLE))
    twilio = TwilioStandIn(deliver_to=f"http://127.0.0.1:{port}/webhooks/twilio",
                           callees=dict(PEOPLE))  # fmt: skip
    done = run_with(twilio, path)
    assert done.returncode == 0, done.stderr
    assert f"{PUBLIC} -> 127.0.0.1:{port}" in done.stderr  # it says where it listens
    report = json.loads(done.stdout)
    assert "rehearsal" not in report
    # three calls created at Twilio, each ended; each callback reached the CLI process
    assert sorted(form["To"][0] for form in twilio.creates) == sorted(PEOPLE)
    assert all(call.status == "completed" for call in twilio.calls.values())
    assert twilio.delivered and all(d.status in (200, 204) for d in twilio.delivered)
    delivered = {d.url.removeprefix(PUBLIC + "/").split("?")[0] for d in twilio.delivered}
    assert delivered == {"status", "amd", "gather", "played"}
    assert report["queue"] == {"done": 3}
    assert report["outcomes"] == {"human": 1, "machine": 1, "opted_out": 1}
    assert (report["opt_outs"], report["opt_outs_honoured"]) == (1, 1)
    assert report["audit_chain_ok"] is True


def test_a_5xx_from_twilio_on_create_is_a_failed_outcome_and_the_run_goes_on(
    home: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, port = home
    down, fine = "+16145550104", "+16145550101"
    campaign(path, capsys, [down, fine])
    twilio = TwilioStandIn(deliver_to=f"http://127.0.0.1:{port}/webhooks/twilio",
                           callees={fine: Callee("human")}, fails_for={down: 503})  # fmt: skip
    done = run_with(twilio, path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["outcomes"] == {"failed": 1, "human": 1}
    # one request for the failed call (no retry storm); the campaign's own retry policy
    # brings it back later (120 minutes by default), not within this run
    assert [form["To"][0] for form in twilio.creates].count(down) == 1
    assert report["next_due"] is not None
    assert "Twilio dial failed: HTTP 503" not in done.stdout


def test_lexdial_serve_with_the_twilio_carrier_dials_a_started_campaign_and_gets_its_callbacks(
    home: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    """The web runner: the campaign is started through the API; ``lexdial serve`` dials it
    and Twilio's callbacks reach the app at /webhooks/twilio/<route>."""
    path, _ = home
    settings = path / "lexdial.toml"
    settings.write_text(
        settings.read_text().replace("[telephony]\n", '[telephony]\ncarrier = "twilio"\n')
    )
    campaign(path, capsys, list(PEOPLE), start=False)
    cli(capsys, "users", "add", "mia@firm.test", "--name", "Mia", "--role", "manager")
    token = json.loads(cli(capsys, "users", "token", "1", "--name", "t", "--json"))["token"]
    port = free_port()
    twilio = TwilioStandIn(deliver_to=f"http://127.0.0.1:{port}", callees=dict(PEOPLE))
    env = twilio_env(twilio.start())
    server = subprocess.Popen([sys.executable, "-m", "lexdial", "serve", "--port", str(port)],
                              env=env, cwd=path, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/health", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        start = urllib.request.Request(f"{base}/v1/campaigns/1/start", data=b"", method="POST",
                                       headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        with urllib.request.urlopen(start, timeout=10) as res:
            assert json.load(res)["status"] == "running"
        deadline = time.monotonic() + 60
        while True:  # until the app recorded the three outcomes
            report = json.loads(cli(capsys, "campaign", "report", "1", "--json"))
            if sum(report["outcomes"].values()) == 3:
                break
            assert time.monotonic() < deadline, twilio.delivered
            time.sleep(0.2)
    finally:
        server.terminate()
        server.communicate(timeout=20)
        twilio.stop()
    assert report["outcomes"] == {"human": 1, "machine": 1, "opted_out": 1}
    assert all(call.status == "completed" for call in twilio.calls.values())
    assert twilio.delivered and all(d.status in (200, 204) for d in twilio.delivered)
