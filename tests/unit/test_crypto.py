"""Personal data at rest: context-bound AES-GCM tokens, blind indexes, keys and rotation.

Real keys, generated per test; the key file lives in ``tmp_path``. Every error is checked
for what it must never say: the plaintext and the key bytes.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from lexdial.adapters.crypto import (
    ENV_VAR,
    CryptoError,
    Keyring,
    default_key_path,
    keyring_from_env,
    load_keyring,
    read_key_file,
    token_key_id,
)
from lexdial.errors import ConfigError, LexdialError

NAME = "Maria del Carmen Ruiz"
NUMBER = "+14105550146"
CONTEXT = "contacts.name"

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.generate()


def secrets_of(ring: Keyring) -> list[str]:
    """Every written form of every key, for 'never in a message' checks."""
    keys = [*ring.data_keys.values(), ring.index_key]
    return [form for key in keys for form in (base64.b64encode(key).decode(), key.hex())]


# --- tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plaintext",
    [
        pytest.param(NAME, id="a-name"),
        pytest.param(NUMBER, id="a-number"),
        pytest.param('{"street": "Ørstedsvej 3", "city": "Aarhus"}', id="a-unicode-address"),
        pytest.param("", id="empty-text"),
        pytest.param("Please call after 5pm. " * 200, id="long-free-text"),
    ],
)
def test_a_value_encrypted_for_a_column_decrypts_to_the_same_text(
    keyring: Keyring, plaintext: str
) -> None:
    token = keyring.encrypt(plaintext, context=CONTEXT)
    assert token.startswith(f"v1:{keyring.current}:")
    assert keyring.decrypt(token, context=CONTEXT) == plaintext


def test_the_same_text_encrypts_differently_each_time(keyring: Keyring) -> None:
    tokens = {keyring.encrypt(NAME, context=CONTEXT) for _ in range(20)}
    assert len(tokens) == 20, "random nonces: equal plaintexts must not be linkable"


@pytest.mark.parametrize(
    "plaintext", [pytest.param(NAME, id="a-name"), pytest.param(NUMBER, id="a-number")]
)
def test_a_token_never_contains_the_plaintext(keyring: Keyring, plaintext: str) -> None:
    token = keyring.encrypt(plaintext, context=CONTEXT)
    assert plaintext not in token
    assert "5550146" not in token and "Ruiz" not in token
    assert plaintext.encode() not in base64.urlsafe_b64decode(token.split(":")[2] + "==")


def test_a_token_moved_to_another_column_does_not_decrypt(keyring: Keyring) -> None:
    token = keyring.encrypt(NAME, context="contacts.name")
    with pytest.raises(CryptoError, match=r"contacts\.address: token does not decrypt"):
        keyring.decrypt(token, context="contacts.address")


def _flip_a_body_byte(token: str, ring: Keyring) -> str:
    head, body = token.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[20] ^= 0x01
    return f"{head}:{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


def _relabel_with_another_key(token: str, ring: Keyring) -> str:
    other = next(k for k in ring.data_keys if k != token_key_id(token))
    return token.replace(f":{token_key_id(token)}:", f":{other}:")


TAMPERINGS: list[tuple[Callable[[str, Keyring], str], str]] = [
    (_flip_a_body_byte, "does not decrypt"),
    (_relabel_with_another_key, "does not decrypt"),
    (lambda t, r: t[:-4], "does not decrypt"),
    (lambda t, r: t.rsplit(":", 1)[0] + ":AAAA", "too short"),
    (lambda t, r: "v2" + t[2:], "not a lexdial v1 token"),
    (lambda t, r: t.rsplit(":", 1)[0], "not a lexdial v1 token"),
    (lambda t, r: t + "!", "not base64"),
    (lambda t, r: "", "not a lexdial v1 token"),
]


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        pytest.param(*TAMPERINGS[0], id="a-flipped-ciphertext-bit"),
        pytest.param(*TAMPERINGS[1], id="another-key-id-in-the-header"),
        pytest.param(*TAMPERINGS[2], id="a-truncated-tag"),
        pytest.param(*TAMPERINGS[3], id="a-body-shorter-than-nonce-and-tag"),
        pytest.param(*TAMPERINGS[4], id="another-format-version"),
        pytest.param(*TAMPERINGS[5], id="no-body"),
        pytest.param(*TAMPERINGS[6], id="a-body-that-is-not-base64"),
        pytest.param(*TAMPERINGS[7], id="an-empty-token"),
    ],
)
def test_a_tampered_token_does_not_decrypt(
    tamper: Callable[[str, Keyring], str], message: str
) -> None:
    ring = Keyring.generate().rotated()  # two keys, so a token can be relabelled
    token = ring.encrypt(NAME, context=CONTEXT)
    with pytest.raises(CryptoError, match=message) as caught:
        ring.decrypt(tamper(token, ring), context=CONTEXT)
    assert NAME not in str(caught.value)


def test_a_token_for_a_key_not_in_the_keyring_is_an_error_naming_the_key_id(
    keyring: Keyring,
) -> None:
    stranger = Keyring.generate()
    token = stranger.encrypt(NAME, context=CONTEXT)
    with pytest.raises(CryptoError) as caught:
        keyring.decrypt(token, context=CONTEXT)
    text = str(caught.value)
    assert f"key id '{stranger.current}'" in text and "not in the keyring" in text
    assert keyring.current in text, "the message lists the key ids the keyring has"
    assert isinstance(caught.value, LexdialError)


def test_a_context_is_required(keyring: Keyring) -> None:
    with pytest.raises(ValueError, match="context"):
        keyring.encrypt(NAME, context="")


# --- rotation ----------------------------------------------------------------------------


def test_rotation_keeps_old_tokens_readable_and_encrypts_with_the_new_key(
    keyring: Keyring,
) -> None:
    old = keyring.encrypt(NAME, context=CONTEXT)
    rotated = keyring.rotated()
    assert rotated.current != keyring.current
    assert list(rotated.data_keys) == [keyring.current, rotated.current], "oldest first"
    assert rotated.decrypt(old, context=CONTEXT) == NAME
    new = rotated.encrypt(NAME, context=CONTEXT)
    assert token_key_id(new) == rotated.current
    with pytest.raises(CryptoError, match="not in the keyring"):
        keyring.decrypt(new, context=CONTEXT)


def test_reencrypt_moves_a_token_to_the_current_key_and_is_idempotent(keyring: Keyring) -> None:
    old = keyring.encrypt(NAME, context=CONTEXT)
    rotated = keyring.rotated()
    moved = rotated.reencrypt(old, context=CONTEXT)
    assert token_key_id(moved) == rotated.current
    assert rotated.decrypt(moved, context=CONTEXT) == NAME
    assert rotated.reencrypt(moved, context=CONTEXT) == moved, "a resumed rotation is a no-op"
    retired = rotated.without(keyring.current)
    assert retired.decrypt(moved, context=CONTEXT) == NAME


def test_reencrypt_keeps_the_column_binding(keyring: Keyring) -> None:
    rotated = keyring.rotated()
    moved = rotated.reencrypt(keyring.encrypt(NAME, context=CONTEXT), context=CONTEXT)
    with pytest.raises(CryptoError):
        rotated.decrypt(moved, context="notes.body")


def test_the_current_key_cannot_be_dropped(keyring: Keyring) -> None:
    with pytest.raises(ValueError, match="current"):
        keyring.without(keyring.current)


# --- blind index -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("+14105550146", id="e164"),
        pytest.param("+1 (410) 555-0146", id="international-with-punctuation"),
        pytest.param("410-555-0146", id="national"),
        pytest.param("1 410 555 0146", id="national-with-trunk-prefix"),
    ],
)
def test_every_way_of_writing_a_number_has_the_same_blind_index(
    keyring: Keyring, written: str
) -> None:
    assert keyring.blind_index(written, kind="number") == keyring.blind_index(NUMBER, kind="number")


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        pytest.param("Maria.Ruiz@Example.com ", "maria.ruiz@example.com", "email", id="email"),
        pytest.param("  MARIA   del carmen Ruiz", NAME, "name", id="name"),
    ],
)
def test_the_blind_index_ignores_case_and_spacing(
    keyring: Keyring, a: str, b: str, kind: str
) -> None:
    assert keyring.blind_index(a, kind=kind) == keyring.blind_index(b, kind=kind)


def test_the_blind_index_is_stable_across_rotation(keyring: Keyring) -> None:
    before = keyring.blind_index(NUMBER, kind="number")
    rotated = keyring.rotated().rotated()
    assert rotated.blind_index(NUMBER, kind="number") == before
    reloaded = Keyring.from_json(rotated.to_json())
    assert reloaded.blind_index(NUMBER, kind="number") == before


def test_the_blind_index_differs_by_kind_and_by_keyring(keyring: Keyring) -> None:
    value = "4105550146"
    assert keyring.blind_index(value, kind="name") != keyring.blind_index(value, kind="email")
    assert keyring.blind_index(NUMBER, kind="number") != Keyring.generate().blind_index(
        NUMBER, kind="number"
    )
    index = keyring.blind_index(NUMBER, kind="number")
    assert len(index) == 64 and "4105550146" not in index


def test_an_unknown_blind_index_kind_is_refused(keyring: Keyring) -> None:
    with pytest.raises(ValueError, match="nubmer"):
        keyring.blind_index(NUMBER, kind="nubmer")


# --- key file and environment ------------------------------------------------------------


@posix_only
def test_the_key_file_is_created_on_first_use_with_mode_0600(tmp_path: Path) -> None:
    path = default_key_path(tmp_path / "data")
    first = load_keyring(path, environ={})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    assert json.loads(path.read_text())["format"] == "lexdial-keyring"
    again = load_keyring(path, environ={})
    token = first.encrypt(NAME, context=CONTEXT)
    assert again.decrypt(token, context=CONTEXT) == NAME, "the second run reuses the keys"
    assert [p.name for p in path.parent.iterdir()] == ["keys.json"], "no temp file left"


@posix_only
@pytest.mark.parametrize(
    "mode",
    [
        pytest.param(0o644, id="0644-world-readable"),
        pytest.param(0o640, id="0640-group-readable"),
        pytest.param(0o604, id="0604-other-readable"),
        pytest.param(0o620, id="0620-group-writable"),
    ],
)
def test_a_key_file_other_users_can_access_is_refused_naming_the_path(
    tmp_path: Path, mode: int
) -> None:
    ring = Keyring.generate()
    path = tmp_path / "keys.json"
    ring.save(path)
    path.chmod(mode)
    with pytest.raises(ConfigError) as caught:
        load_keyring(path, environ={})
    text = str(caught.value)
    assert str(path) in text and f"{mode:04o}" in text and "chmod 600" in text
    assert not any(secret in text for secret in secrets_of(ring))


@posix_only
def test_save_replaces_the_key_file_atomically_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    ring = Keyring.generate()
    ring.save(path)
    rotated = ring.rotated()
    rotated.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_key_file(path).current == rotated.current
    assert [p.name for p in tmp_path.iterdir()] == ["keys.json"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("{not json", "not JSON", id="not-json"),
        pytest.param('{"format": "other"}', "not a lexdial keyring", id="another-format"),
        pytest.param(
            '{"format": "lexdial-keyring", "version": 9}', "version 9", id="a-future-version"
        ),
        pytest.param(
            '{"format": "lexdial-keyring", "version": 1, "current": "a",'
            ' "data_keys": {"a": "c2hvcnQ="}, "index_key": "c2hvcnQ="}',
            "not 32 bytes",
            id="a-short-key",
        ),
        pytest.param(
            '{"format": "lexdial-keyring", "version": 1, "current": "b",'
            f' "data_keys": {{"a": "{"A" * 43}="}}, "index_key": "{"B" * 43}="}}',
            "current key id 'b'",
            id="current-not-among-the-keys",
        ),
    ],
)
def test_a_malformed_key_file_is_a_config_error_naming_the_path(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "keys.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, content.encode())
    os.close(fd)
    with pytest.raises(ConfigError, match=message) as caught:
        read_key_file(path)
    assert str(path) in str(caught.value)


def test_a_master_key_from_the_environment_is_used_and_no_file_is_made(tmp_path: Path) -> None:
    master = base64.b64encode(os.urandom(32)).decode()
    path = tmp_path / "keys.json"
    ring = load_keyring(path, environ={ENV_VAR: master})
    assert not path.exists()
    token = ring.encrypt(NAME, context=CONTEXT)
    same = load_keyring(path, environ={ENV_VAR: master})
    assert same.decrypt(token, context=CONTEXT) == NAME, "a master key is one fixed keyring"
    assert same.blind_index(NUMBER, kind="number") == ring.blind_index(NUMBER, kind="number")
    assert ring.index_key not in ring.data_keys.values()


def test_a_rotated_keyring_can_come_from_the_environment_as_base64_json() -> None:
    master = base64.b64encode(os.urandom(32)).decode()
    ring = keyring_from_env(master)
    token = ring.encrypt(NAME, context=CONTEXT)
    rotated = ring.rotated()
    carried = base64.b64encode(rotated.to_json().encode()).decode()
    loaded = keyring_from_env(carried)
    assert loaded.current == rotated.current
    assert loaded.decrypt(token, context=CONTEXT) == NAME
    assert loaded.blind_index(NUMBER, kind="number") == ring.blind_index(NUMBER, kind="number")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("not base64!", "not base64", id="not-base64"),
        pytest.param(base64.b64encode(b"k" * 16).decode(), "neither", id="a-16-byte-key"),
        pytest.param(base64.b64encode(b'{"a": 1}').decode(), "neither", id="json-not-a-keyring"),
    ],
)
def test_an_unusable_environment_key_is_a_config_error_naming_the_variable(
    value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        keyring_from_env(value)
    assert ENV_VAR in str(caught.value) and value not in str(caught.value)


# --- nothing secret leaks ----------------------------------------------------------------


def test_no_error_message_or_repr_contains_plaintext_or_key_bytes(tmp_path: Path) -> None:
    ring = Keyring.generate().rotated()
    token = ring.encrypt(NAME, context=CONTEXT)
    failures: list[Callable[[], object]] = [
        lambda: ring.decrypt(token, context="contacts.address"),
        lambda: ring.decrypt(_flip_a_body_byte(token, ring), context=CONTEXT),
        lambda: Keyring.generate().decrypt(token, context=CONTEXT),
        lambda: ring.decrypt(token[:-10], context=CONTEXT),
    ]
    messages = [repr(ring), str(ring)]
    for fail in failures:
        with pytest.raises(CryptoError) as caught:
            fail()
        messages.append(str(caught.value))
    path = tmp_path / "keys.json"
    ring.save(path)
    if os.name == "posix":
        path.chmod(0o644)
        with pytest.raises(ConfigError) as refused:
            read_key_file(path)
        messages.append(str(refused.value))
    for text in messages:
        assert NAME not in text and "Ruiz" not in text
        assert not any(secret in text for secret in secrets_of(ring)), text
