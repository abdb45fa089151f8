"""Signed checkpoints of the audit chain's head, published outside the database.

Rule 1: a checkpoint is ``{seq, head, at, key}`` signed with Ed25519; the signing key is a
file beside the encryption key file (``audit-signing.key``, 0600), never in the database,
so whoever rewrites the database cannot sign a matching checkpoint.
Rule 2: checkpoints are appended, one JSON line each, to ``audit-checkpoints.jsonl`` in the
data directory (and, by the service that publishes them, to the firm's webhook and into
the evidence PDFs). ``audit verify`` checks every line's signature, then the chain against
every checkpoint: a truncated tail or a wholesale rewrite no longer verifies.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lexdial.adapters.crypto import create_private_file, read_private_file
from lexdial.domain.audit_chain import Anchor, canonical_json, iso_z
from lexdial.errors import CheckpointMismatchError as CheckpointMismatchError  # was here
from lexdial.errors import ConfigError

SIGNING_KEY_FILE = "audit-signing.key"
PUBLIC_KEY_FILE = "audit-signing.pub"
CHECKPOINT_FILE = "audit-checkpoints.jsonl"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain had ``seq`` entries ending in ``head`` at ``at``, signed by key ``key``."""

    seq: int
    head: str
    at: str
    key: str
    sig: str = ""

    def payload(self) -> bytes:
        """The signed bytes: canonical JSON of everything but the signature."""
        return canonical_json(
            {"v": 1, "seq": self.seq, "head": self.head, "at": self.at, "key": self.key}
        )

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "head": self.head, "at": self.at, "key": self.key,
                "sig": self.sig}  # fmt: skip

    @property
    def anchor(self) -> Anchor:
        return Anchor(self.seq, self.head)

    @classmethod
    def from_dict(cls, raw: Any) -> Checkpoint:
        if not isinstance(raw, dict) or set(raw) != {"seq", "head", "at", "key", "sig"}:
            raise ValueError("a checkpoint has exactly seq, head, at, key and sig")
        if not isinstance(raw["seq"], int) or isinstance(raw["seq"], bool) or raw["seq"] < 0:
            raise ValueError("seq must be a whole number")
        Anchor.parse(f"{raw['seq']}:{raw['head']}")
        if not all(isinstance(raw[k], str) for k in ("at", "key", "sig")):
            raise ValueError("at, key and sig must be text")
        return cls(raw["seq"], raw["head"], raw["at"], raw["key"], raw["sig"])


def key_id(public: Ed25519PublicKey) -> str:
    """The first 16 hex digits of SHA-256 of the raw public key: names the key in lines."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class CheckpointSigner:
    """Signs checkpoints with the store's Ed25519 key and keeps the checkpoint file."""

    def __init__(self, private: Ed25519PrivateKey, book: Path) -> None:
        self._private = private
        self.public = private.public_key()
        self.key = key_id(self.public)
        self.book = book

    @classmethod
    def open(cls, data_dir: Path) -> CheckpointSigner:
        """The data directory's signing key, created (0600) with its public half if missing."""
        path = data_dir / SIGNING_KEY_FILE
        if not path.exists():
            fresh = Ed25519PrivateKey.generate()
            pem = fresh.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            create_private_file(path, pem)
        try:
            private = serialization.load_pem_private_key(
                read_private_file(path, "audit signing key"), password=None
            )
        except ValueError as exc:
            raise ConfigError(f"{path}: unusable audit signing key ({exc})") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise ConfigError(f"{path}: the audit signing key is not an Ed25519 key")
        signer = cls(private, data_dir / CHECKPOINT_FILE)
        public_path = data_dir / PUBLIC_KEY_FILE
        if not public_path.exists():  # for anyone who checks the published checkpoints
            pem = signer.public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            # 0600 like every file of the store (its folder is 0700); a copy for an auditor
            # is made on purpose, with `cp`
            create_private_file(public_path, pem)
        return signer

    def sign(self, anchor: Anchor, at: datetime) -> Checkpoint:
        draft = Checkpoint(anchor.seq, anchor.hash, iso_z(at), self.key)
        sig = base64.b64encode(self._private.sign(draft.payload())).decode("ascii")
        return Checkpoint(draft.seq, draft.head, draft.at, draft.key, sig)

    def append(self, checkpoint: Checkpoint) -> None:
        """Append one line and make it durable before the caller reports success."""
        line = json.dumps(checkpoint.to_dict(), sort_keys=True) + "\n"
        fd = os.open(self.book, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def checkpoints(self) -> tuple[list[Checkpoint], list[str]]:
        """Every published checkpoint whose signature verifies, and a problem per bad line
        (malformed, unknown key, or a signature that does not verify: tampered)."""
        if not self.book.exists():
            return [], []
        good: list[Checkpoint] = []
        problems: list[str] = []
        lines = self.book.read_text("utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            where = f"{self.book.name} line {number}"
            try:
                cp = Checkpoint.from_dict(json.loads(line))
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                problems.append(f"{where}: not a checkpoint ({exc})")
                continue
            if cp.key != self.key:
                problems.append(f"{where}: signed by key {cp.key}, not this store's {self.key}")
                continue
            try:
                self.public.verify(base64.b64decode(cp.sig, validate=True), cp.payload())
            except (InvalidSignature, ValueError):
                problems.append(f"{where}: the signature does not verify (tampered)")
                continue
            good.append(cp)
        return good, problems

    def last(self) -> Checkpoint | None:
        good, _ = self.checkpoints()
        return good[-1] if good else None
