"""The secrets envelope as an operator meets it (docs/secrets.md): provider keys stored as
plaintext before the envelope are sealed when `metachat serve` starts with SECRETS_ENCRYPTION_KEY;
a server without the key refuses to start once sealed secrets exist; `metachat secrets rewrap`
moves every secret to a new key. Every sealed value is opened here by an independent AES-256-GCM
(Python's `cryptography`), from the documented format alone."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import subprocess
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from metachat_process import metachat_binary, require_services, running_metachat
from ops_support import free_port, psql, run_metachat

PLAINTEXT = "sk-legacy-provider-key-4321"


def key_id(key_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(key_hex)).hexdigest()[:8]


def open_sealed(stored: str, key_hex: str, table: str, column: str, row_id: str) -> str:
    """`mcs1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`, additional data `table.column:rowID`."""
    prefix, identifier, payload = stored.split(":", 2)
    assert prefix == "mcs1" and identifier == key_id(key_hex), stored
    raw = base64.b64decode(payload, validate=True)
    nonce, sealed = raw[:12], raw[12:]
    return AESGCM(bytes.fromhex(key_hex)).decrypt(nonce, sealed, f"{table}.{column}:{row_id}".encode()).decode()


def stored_key(database, tenant_id: str) -> tuple[str, str]:
    row = psql(database.superuser_url, f"SELECT llm_api_key || '|' || llm_api_key_last_four FROM tenants WHERE id = '{tenant_id}'")
    value, last_four = row.rsplit("|", 1)
    return value, last_four


def test_plaintext_is_sealed_at_start_a_keyless_start_is_refused_and_rewrap_moves_keys(database, tmp_path):
    require_services()
    tenant_id = str(uuid.uuid4())
    psql(
        database.superuser_url,
        "INSERT INTO tenants (id, name, llm_api_key, llm_api_key_last_four) "
        f"VALUES ('{tenant_id}', 'Legacy', '{PLAINTEXT}', 'xxxx')",
    )
    key_a, key_b = secrets.token_hex(32), secrets.token_hex(32)

    with running_metachat(tmp_path / "a", DATABASE_URL=database.url, SECRETS_ENCRYPTION_KEY=key_a):
        pass
    sealed, last_four = stored_key(database, tenant_id)
    assert PLAINTEXT not in sealed
    assert last_four == "4321"
    assert open_sealed(sealed, key_a, "tenants", "llm_api_key", tenant_id) == PLAINTEXT

    # Without the key the server stops at once with EX_CONFIG, naming the variable.
    keyless = subprocess.run(
        [str(metachat_binary()), "serve"],
        env={**os.environ, "DATABASE_URL": database.url, "SECRETS_ENCRYPTION_KEY": "", "PORT": str(free_port())},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert keyless.returncode == 78, keyless.stderr
    assert "SECRETS_ENCRYPTION_KEY is required" in keyless.stderr

    # Rotation: the new key current, the old one listed, then rewrap; afterwards only the new key.
    rewrapped = run_metachat(
        ["secrets", "rewrap"], DATABASE_URL=database.url, SECRETS_ENCRYPTION_KEY=key_b, SECRETS_ENCRYPTION_OLD_KEYS=key_a
    )
    assert rewrapped.returncode == 0, rewrapped.stderr
    assert "rewrapped 1" in rewrapped.stdout, rewrapped.stdout
    moved, _ = stored_key(database, tenant_id)
    assert open_sealed(moved, key_b, "tenants", "llm_api_key", tenant_id) == PLAINTEXT
    with running_metachat(tmp_path / "b", DATABASE_URL=database.url, SECRETS_ENCRYPTION_KEY=key_b):
        pass
    assert stored_key(database, tenant_id)[0] == moved

    # A rewrap that cannot open a value fails, names the key, and changes nothing.
    key_c = secrets.token_hex(32)
    failed = run_metachat(["secrets", "rewrap"], DATABASE_URL=database.url, SECRETS_ENCRYPTION_KEY=key_c)
    assert failed.returncode == 1
    assert key_id(key_b) in failed.stderr, failed.stderr
    assert stored_key(database, tenant_id)[0] == moved


def test_bad_key_texts_stop_the_commands_with_exit_78(database):
    for variable, value in [
        ("SECRETS_ENCRYPTION_KEY", "too-short"),
        ("SECRETS_ENCRYPTION_KEY", "ab" * 31),
        ("SECRETS_ENCRYPTION_OLD_KEYS", f"{'ab' * 32},nope"),
        ("OUTBOUND_ALLOW_CIDRS", "10.0.0.0/33"),
        ("LLM_PRICES", "openai:gpt-4o-mini=0.15"),
    ]:
        environment = {"DATABASE_URL": database.url, "SECRETS_ENCRYPTION_KEY": "cd" * 32, variable: value}
        result = run_metachat(["secrets", "rewrap"], **environment)
        assert result.returncode == 78, (variable, value, result.stderr)
        assert variable in result.stderr
        # Only secrets stay out of the message; a refused CIDR or price entry is named.
        assert value not in result.stderr or variable in ("OUTBOUND_ALLOW_CIDRS", "LLM_PRICES")

