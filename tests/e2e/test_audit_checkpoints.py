"""Signed checkpoints: a truncated or rewritten audit trail, or a tampered checkpoint file,
is caught by ``lexdial audit verify`` with no anchor anyone had to export."""

from __future__ import annotations

import io
import json
import sqlite3
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader
from tests.e2e.test_store_cli import NUMBER, _setup, home, run

from lexdial.domain.audit_chain import GENESIS, AuditEntry

__all__ = ["home"]  # the fixture, shared with the store CLI tests


def _db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "data" / "lexdial.sqlite3")


def _busy_store(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Several commands, each ending with a checkpoint of the head it moved."""
    _setup(capsys)
    code, _, err = run(
        capsys, "optout", NUMBER, "--channel", "staff", "--at", "2026-12-02T16:05:00Z"
    )
    assert code == 0, err


def _verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code, out, err = run(capsys, "audit", "verify")
    return code, out + err


def test_each_command_publishes_a_signed_checkpoint_with_a_private_key(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _busy_store(home, capsys)
    data = home / "data"
    lines = (data / "audit-checkpoints.jsonl").read_text().splitlines()
    assert len(lines) == 3  # contact, consent, opt-out: three heads
    last = json.loads(lines[-1])
    with _db(home) as db:
        seq, head = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC").fetchone()
    assert (last["seq"], last["head"]) == (seq, head) and len(last["sig"]) == 88
    assert stat.S_IMODE((data / "audit-signing.key").stat().st_mode) == 0o600
    assert b"PRIVATE KEY" not in (data / "lexdial.sqlite3").read_bytes()
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "3 signed checkpoint(s) hold" in out


def test_a_truncated_tail_is_caught_without_an_anchor(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _busy_store(home, capsys)
    with _db(home) as db:
        db.execute("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
    code, text = _verify(capsys)
    assert code == 5 and "truncated" in text


def test_a_chain_rewritten_whole_with_recomputed_hashes_is_caught(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _busy_store(home, capsys)
    with _db(home) as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("SELECT * FROM audit_log ORDER BY seq")]
        prev = GENESIS
        for row in rows:  # the intruder edits the first entry and re-chains every hash
            entry = AuditEntry.from_dict(
                {**row, "data": json.loads(row["data"]), "masked": json.loads(row["masked"])}
            )
            if entry.seq == 1:
                entry = replace(entry, actor="cli:someone-else")
            entry = replace(entry, prev_hash=prev)
            entry = replace(entry, hash=entry.computed_hash())
            db.execute(
                "UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                (entry.actor, entry.prev_hash, entry.hash, entry.seq),
            )
            prev = entry.hash
    code, text = _verify(capsys)
    assert code == 5 and "rewritten" in text
    # and lexdial will not sign the rewritten head as if it were the trail
    code, _, err = run(capsys, "contact", "add", "--number", "+1 614 555 0102")
    assert code == 0 and "no audit checkpoint published" in err


def test_an_evidence_bundle_of_a_chain_cut_below_a_signed_checkpoint_is_not_intact(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _busy_store(home, capsys)
    code, out, err = run(capsys, "evidence", NUMBER, "--json")
    assert code == 0, err
    assert json.loads(out)["intact"] is True
    with _db(home) as db:  # the opt-out's entry, the chain's last, is cut off
        db.execute("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
    code, out, err = run(capsys, "evidence", NUMBER, "--json")
    got = json.loads(out)
    assert got["intact"] is False and got["chain"]["intact"] is False, got["chain"]


def test_a_tampered_checkpoint_file_fails_its_signature(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _busy_store(home, capsys)
    book = home / "data" / "audit-checkpoints.jsonl"
    lines = book.read_text().splitlines()
    forged = json.loads(lines[1])
    forged["seq"] = 1  # claims less history than was signed, to hide a truncation
    lines[1] = json.dumps(forged)
    book.write_text("\n".join(lines) + "\n")
    code, text = _verify(capsys)
    assert code == 5
    assert "CHECKPOINT FILE TAMPERED" in text and "line 2" in text and "signature" in text


def test_the_evidence_pdf_prints_the_latest_signed_checkpoint(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _busy_store(home, capsys)
    code, out, err = run(capsys, "report", "evidence", NUMBER, "--at", "2026-12-02T17:00:00Z")
    assert code == 0, err
    body = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(Path(out.strip()).read_bytes())).pages
    ).replace("\n", "")
    last = json.loads((home / "data" / "audit-checkpoints.jsonl").read_text().splitlines()[-1])
    assert "Latest signed checkpoint" in body and last["key"] in body
    assert last["head"] in body and last["sig"] in body


def test_with_a_webhook_each_checkpoint_is_queued_for_it(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEXDIAL_WEBHOOK_URL", "https://firm.example/hooks")
    monkeypatch.setenv("LEXDIAL_WEBHOOK_SECRET", "s" * 32)
    _busy_store(home, capsys)
    with _db(home) as db:
        queued = [
            json.loads(p)
            for (p,) in db.execute("SELECT payload FROM outbox WHERE event = 'audit.checkpoint'")
        ]
    published = [
        json.loads(x) for x in (home / "data" / "audit-checkpoints.jsonl").read_text().splitlines()
    ]
    assert queued == published and len(queued) == 3


def test_a_record_changed_in_the_database_fails_verify_naming_its_table_id_and_field(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _busy_store(home, capsys)
    code, text = _verify(capsys)
    assert code == 0 and "records agree with the trail: 1 numbers" in text
    with _db(home) as db:  # the chain holds: only comparing the row with its entry tells
        db.execute("UPDATE dnc_entries SET channel = 'web_form'")
        db.execute("UPDATE consents SET method = 'verbal'")
    code, text = _verify(capsys)
    assert code == 5 and "audit trail intact" in text and "RECORDS CHANGED" in text
    assert "dnc_entries id 1 (firm 1), channel, audit entry" in text
    assert "consents id 1 (firm 1), method, audit entry" in text
    assert "614" not in text.split("RECORDS CHANGED")[1]  # no number in clear
    code, out, _ = run(capsys, "audit", "verify", "--json")
    problems = json.loads(out)["records"]["problems"]
    assert code == 5 and {(p["table"], p["field"]) for p in problems} == {
        ("dnc_entries", "channel"),
        ("consents", "method"),
    }
