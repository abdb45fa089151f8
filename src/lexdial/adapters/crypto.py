"""Personal data at rest: AES-256-GCM tokens and keyed blind indexes, from one keyring.

Rule 1: no plaintext and no key byte ever appears in a token header, an error message or
a ``repr``; errors name the path, the variable, the context or the key id, nothing more.
Rule 2: a token describes itself, ``v1:<key id>:<base64url(nonce|ciphertext|tag)>``, and is
bound to its column: the format version, the key id and the context (``table.column``)
are GCM associated data, so a ciphertext copied into another column, or relabelled with
another key id, fails to decrypt instead of reading as someone else's data.
Rule 3: the blind-index key is separate from the data keys and survives rotation. A blind
index is how an opt-out finds a number; if rotating data keys changed it, every lookup
between the rotation and the re-indexing would miss and a number that said STOP could be
dialled. Rotating data keys limits what one leaked key decrypts; the index key stays.

Keys come from ``$LEXDIAL_MASTER_KEY`` when it is set, else from the key file
(``<data_dir>/keys.json``), created on first use with mode 0600:

* ``LEXDIAL_MASTER_KEY`` is base64 of either exactly 32 random bytes (a master key: the
  data key and the index key are derived with HKDF-SHA256 under distinct labels, the key
  id from an HMAC of it; ``openssl rand -base64 32`` makes one) or of the key file's JSON
  (needed once keys have rotated). The two cannot be confused: a keyring's JSON is far
  longer than 32 bytes.
* the key file is JSON, refused while group or other users have any permission on it::

    {"format": "lexdial-keyring", "version": 1, "current": "<id>",
     "data_keys": {"<id>": "<base64 32 bytes>", ...}, "index_key": "<base64 32 bytes>"}
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lexdial.domain.numbers import parse_number
from lexdial.errors import ConfigError
from lexdial.errors import CryptoError as CryptoError  # its home was here

ENV_VAR = "LEXDIAL_MASTER_KEY"
_URLSAFE = bytes.maketrans(b"+/", b"-_")
KEY_FILE_NAME = "keys.json"
TOKEN_VERSION = "v1"
#: what ``blind_index`` can normalise; a closed set, so a misspelt kind is an error
#: rather than an index nothing will ever match
INDEX_KINDS = frozenset({"number", "email", "name"})
_KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_ID = re.compile(r"[0-9a-z]{1,16}")
_FORMAT = "lexdial-keyring"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Keyring:
    """Data keys by id (oldest first), the current one's id, and the blind-index key.

    It is the ``Cipher`` port of ``service.ports``: encrypt, decrypt, blind_index.
    """

    data_keys: Mapping[str, bytes]
    current: str
    index_key: bytes
    _aead: dict[str, AESGCM] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        keys = dict(self.data_keys)
        object.__setattr__(self, "data_keys", keys)
        if not keys:
            raise ValueError("a keyring needs at least one data key")
        for kid, key in keys.items():
            if not _KEY_ID.fullmatch(kid):
                raise ValueError(f"key id {kid!r} must be 1-16 lowercase letters or digits")
            if len(key) != _KEY_BYTES:
                raise ValueError(f"data key {kid!r} is not {_KEY_BYTES} bytes")
        if self.current not in keys:
            raise ValueError(f"the current key id {self.current!r} is not in the keyring")
        if len(self.index_key) != _KEY_BYTES:
            raise ValueError(f"the index key is not {_KEY_BYTES} bytes")
        if any(hmac.compare_digest(self.index_key, key) for key in keys.values()):
            raise ValueError("the index key must differ from every data key")

    def __repr__(self) -> str:
        return f"Keyring(current={self.current!r}, key_ids={list(self.data_keys)!r})"

    # --- making keyrings -----------------------------------------------------------------

    @classmethod
    def generate(cls) -> Keyring:
        """A fresh keyring: one random data key and a random index key."""
        kid = _new_key_id(())
        return cls({kid: secrets.token_bytes(_KEY_BYTES)}, kid, secrets.token_bytes(_KEY_BYTES))

    @classmethod
    def from_master_key(cls, master: bytes) -> Keyring:
        """The keyring a single 32-byte master key stands for (always the same one)."""
        if len(master) != _KEY_BYTES:
            raise ValueError(f"a master key is {_KEY_BYTES} bytes")
        kid = hmac.new(master, b"lexdial key id", hashlib.sha256).hexdigest()[:8]
        return cls(
            {kid: _derive(master, b"lexdial data key v1")},
            kid,
            _derive(master, b"lexdial blind index key v1"),
        )

    def rotated(self) -> Keyring:
        """A keyring whose new, random current key encrypts; old keys still decrypt."""
        kid = _new_key_id(self.data_keys)
        keys = {**self.data_keys, kid: secrets.token_bytes(_KEY_BYTES)}
        return Keyring(keys, kid, self.index_key)

    def without(self, key_id: str) -> Keyring:
        """The keyring with a retired key dropped, once no token uses it any more."""
        if key_id == self.current:
            raise ValueError("the current key cannot be dropped")
        if key_id not in self.data_keys:
            raise ValueError(f"key id {key_id!r} is not in the keyring")
        keys = {k: v for k, v in self.data_keys.items() if k != key_id}
        return Keyring(keys, self.current, self.index_key)

    # --- tokens --------------------------------------------------------------------------

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """A token for ``plaintext`` that only decrypts under the same ``context``."""
        nonce = os.urandom(_NONCE_BYTES)  # what secrets.token_bytes does
        sealed = self._cipher(self.current).encrypt(
            nonce, plaintext.encode("utf-8"), _aad(self.current, context)
        )
        # base64.urlsafe_b64encode without its per-call checks and copies
        body = binascii.b2a_base64(nonce + sealed, newline=False).translate(_URLSAFE)
        return f"{TOKEN_VERSION}:{self.current}:{body.rstrip(b'=').decode('ascii')}"

    def decrypt(self, token: str, *, context: str) -> str:
        """The plaintext of ``token``; ``CryptoError`` if it was not made for ``context``."""
        kid, blob = _split(token, context)
        if kid not in self.data_keys:
            raise CryptoError(
                f"{context}: token uses key id {kid!r}, which is not in the keyring "
                f"(key ids: {', '.join(self.data_keys)})"
            )
        try:
            plain = self._cipher(kid).decrypt(
                blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _aad(kid, context)
            )
            return plain.decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise CryptoError(
                f"{context}: token does not decrypt with key {kid!r} "
                "(tampered, or encrypted for another column)"
            ) from None

    def reencrypt(self, token: str, *, context: str) -> str:
        """``token`` under the current key; unchanged if it already is (so a rotation that
        stopped half-way can simply run again)."""
        if token_key_id(token) == self.current:
            return token
        return self.encrypt(self.decrypt(token, context=context), context=context)

    def blind_index(self, value: str, *, kind: str, default_region: str = "US") -> str:
        """Hex HMAC-SHA256 of the normalised value, separated by ``kind``, for equality
        lookups of encrypted columns. Numbers are normalised to E.164 digits, so every way
        of writing a number finds the same row."""
        if kind not in INDEX_KINDS:
            raise ValueError(f"blind index kind {kind!r} is not one of {sorted(INDEX_KINDS)}")
        message = b"\0".join(
            (b"lexdial blind index v1", kind.encode(), _normalise(value, kind, default_region))
        )
        return hmac.digest(self.index_key, message, "sha256").hex()

    def _cipher(self, kid: str) -> AESGCM:
        aead = self._aead.get(kid)
        if aead is None:
            aead = self._aead[kid] = AESGCM(self.data_keys[kid])
        return aead

    # --- storage -------------------------------------------------------------------------

    def to_json(self) -> str:
        """The key file's text (secret: it holds every key)."""
        return json.dumps(
            {
                "format": _FORMAT,
                "version": 1,
                "current": self.current,
                "data_keys": {kid: _b64(key) for kid, key in self.data_keys.items()},
                "index_key": _b64(self.index_key),
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Keyring:
        """Parse a key file's text; ``ValueError`` says what is wrong, never a key."""
        try:
            raw = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ValueError("not JSON") from None
        if not isinstance(raw, dict) or raw.get("format") != _FORMAT:
            raise ValueError(f'not a lexdial keyring (no "format": "{_FORMAT}")')
        if raw.get("version") != 1:
            raise ValueError(f"keyring version {raw.get('version')!r} is not supported")
        keys = raw.get("data_keys")
        if not isinstance(keys, dict) or not isinstance(raw.get("current"), str):
            raise ValueError('"data_keys" must map key ids to keys and "current" name one')
        return cls(
            {str(kid): _unb64(key, f"data key {kid!r}") for kid, key in keys.items()},
            raw["current"],
            _unb64(raw.get("index_key"), "the index key"),
        )

    def save(self, path: Path) -> None:
        """Write the key file atomically (temp file, fsync, rename) with mode 0600."""
        tmp = _write_private_temp(path, self.to_json().encode("utf-8"))
        try:
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)


def token_key_id(token: str) -> str:
    """The key id a token was made with (``keys rotate`` counts what is left per key)."""
    return _split(token, "token")[0]


def default_key_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE_NAME


def load_keyring(path: Path, environ: Mapping[str, str] | None = None) -> Keyring:
    """The keyring from ``$LEXDIAL_MASTER_KEY`` if set, else from the key file at ``path``,
    which is created (mode 0600, directory 0700) when missing."""
    env = os.environ if environ is None else environ
    value = env.get(ENV_VAR, "").strip()
    if value:
        return keyring_from_env(value)
    if not path.exists():
        _create_key_file(path)
    return read_key_file(path)


def keyring_from_env(value: str) -> Keyring:
    """Read ``$LEXDIAL_MASTER_KEY``: base64 of a 32-byte master key or of keyring JSON."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{ENV_VAR} is not base64") from None
    try:
        if len(raw) == _KEY_BYTES:
            return Keyring.from_master_key(raw)
        return Keyring.from_json(raw)
    except ValueError as exc:
        raise ConfigError(
            f"{ENV_VAR} is neither base64 of a {_KEY_BYTES}-byte key nor of a keyring: {exc}"
        ) from None


def read_key_file(path: Path) -> Keyring:
    """Read a key file, refusing one that other users could read or replace."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot open key file ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{path}: key file is not a regular file")
        # Windows reports no POSIX permissions; there the file's ACL is the protection
        if os.name == "posix" and info.st_mode & 0o077:
            raise ConfigError(
                f"{path}: key file has mode {stat.S_IMODE(info.st_mode):04o}; other users "
                f"could read the keys. Restrict it with: chmod 600 {path}"
            )
        text = fh.read()
    try:
        return Keyring.from_json(text)
    except ValueError as exc:
        raise ConfigError(f"{path}: unusable key file: {exc}") from None


def read_private_file(path: Path, what: str) -> bytes:
    """The bytes of a secret file, refusing one other users could read or replace."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot open {what} ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{path}: {what} is not a regular file")
        if os.name == "posix" and info.st_mode & 0o077:
            raise ConfigError(
                f"{path}: {what} has mode {stat.S_IMODE(info.st_mode):04o}; other users "
                f"could read it. Restrict it with: chmod 600 {path}"
            )
        return fh.read()


def create_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file at ``path`` (0600, directory 0700) unless one exists;
    a racing writer's file wins and is never overwritten."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError(f"{path.parent}: cannot create directory ({exc.strerror})") from None
    tmp = _write_private_temp(path, data)
    try:
        path.hardlink_to(tmp)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


# --- internals ---------------------------------------------------------------------------


def _create_key_file(path: Path) -> None:
    """Write a fresh keyring to ``path`` unless another process just did.

    The keys go to a private temp file first, which is then hard-linked into place: the
    link fails if ``path`` exists, so a racing first run never overwrites a keyring that
    may already have encrypted data, and nobody ever reads a half-written file.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError(f"{path.parent}: cannot create key directory ({exc.strerror})") from None
    tmp = _write_private_temp(path, Keyring.generate().to_json().encode("utf-8"))
    try:
        path.hardlink_to(tmp)
    except FileExistsError:
        pass  # another process created it first: use theirs
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _write_private_temp(path: Path, data: bytes) -> Path:
    """A new temp file beside ``path``, mode 0600 from creation (never briefly wider)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write key file ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _fsync_dir(directory: Path) -> None:
    """Make a rename or link durable (POSIX only; Windows cannot open directories)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _split(token: str, context: str) -> tuple[str, bytes]:
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != TOKEN_VERSION or not _KEY_ID.fullmatch(parts[1]):
        raise CryptoError(f"{context}: not a lexdial {TOKEN_VERSION} token")
    body = parts[2]
    try:
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise CryptoError(f"{context}: token body is not base64") from None
    if len(blob) < _NONCE_BYTES + _TAG_BYTES:
        raise CryptoError(f"{context}: token is too short")
    return parts[1], blob


@lru_cache(maxsize=1024)
def _aad(kid: str, context: str) -> bytes:
    """The associated data binding a token to its key and column (a handful of distinct
    values, made once each: a bulk import encrypts four cells per row)."""
    if not context:
        raise ValueError("an encryption context (table.column) is required")
    return f"lexdial/{TOKEN_VERSION}\0{kid}\0{context}".encode()


def _normalise(value: str, kind: str, default_region: str) -> bytes:
    if kind == "number":
        if len(value) == 12 and value.startswith("+1") and value[1:].isdigit():
            return value[1:].encode("ascii")  # NANP E.164 already: what parse_number gives
        return parse_number(value, default_region).e164.lstrip("+").encode("ascii")
    text = unicodedata.normalize("NFKC", value).casefold()
    if kind == "email":
        return text.strip().encode("utf-8")
    return " ".join(text.split()).encode("utf-8")  # name: case and spacing ignored


def _new_key_id(taken: Any) -> str:
    while True:
        kid = secrets.token_hex(4)
        if kid not in taken:
            return kid


def _derive(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=None, info=label).derive(master)


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def _unb64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{what} is missing or not a string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not base64") from None
