"""The deployment guide's two API-key rotation procedures, run as its curl commands against a
real `metachat serve` (only the host differs), with the keys `metachat seed-admin` prints.

Admin key: request a rotation token, confirm it, and the new key works while the old one is
refused. Tenant key: a super admin starts the rotation, the token is confirmed, and the new key
reads the tenant's own record (a tenant-protected endpoint) while the old one is refused.
"""

import json
import subprocess

import pytest

import metachat_process
import test_schemathesis as serving


def run_curl(arguments: list[str]) -> tuple[int, dict]:
    """Runs curl as the guide writes it, returning the HTTP status and the JSON body."""
    result = subprocess.run(
        ["curl", "-sS", "--max-time", "20", "-w", "\n%{http_code}", *arguments],
        capture_output=True,
        text=True,
        check=True,
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), (json.loads(body) if body.strip() else {})


def seed_admin(label: str) -> dict:
    """`metachat seed-admin --json`: the admin id, key id and plaintext key."""
    return metachat_process.seed_admin("rotation-ops@example.com", label)


@pytest.fixture(scope="module")
def api(metachat) -> str:
    return f"http://127.0.0.1:{metachat.port}"


metachat = serving.metachat


def test_admin_key_rotation_as_the_guide_writes_it(api):
    seeded = seed_admin("guide-admin-rotation")
    super_key, admin_id, key_id = seeded["apiKey"], seeded["adminId"], seeded["keyId"]

    # Step 2: request a rotation token.
    status, started = run_curl([
        "-X", "POST",
        "-H", f"x-admin-key: {super_key}",
        "-H", "Content-Type: application/json",
        f"{api}/api/security/admin/users/{admin_id}/api-keys/{key_id}/rotation",
    ])
    assert status == 200, started
    assert set(started) == {"rotationToken", "expiresAt"}

    # Step 3: confirm within the window; the new plaintext key comes back once.
    status, confirmed = run_curl([
        "-X", "POST",
        "-H", f"x-admin-key: {super_key}",
        "-H", "Content-Type: application/json",
        "-d", json.dumps({"token": started["rotationToken"]}),
        f"{api}/api/security/admin/users/{admin_id}/api-keys/{key_id}/rotation/confirm",
    ])
    assert status == 200, confirmed
    new_key = confirmed["apiKey"]
    assert new_key.startswith("adm_") and new_key != super_key
    assert confirmed["prefix"] == new_key[: len(confirmed["prefix"])]
    assert confirmed["lastFour"] == new_key[-4:]

    # Step 5 (audit): the listing shows the new prefix, lastFour and rotatedAt.
    status, listing = run_curl(["-H", f"x-admin-key: {new_key}", f"{api}/api/security/admin/users/{admin_id}/api-keys"])
    assert status == 200, listing
    row = next(key for key in listing["apiKeys"] if key["id"] == key_id)
    assert (row["prefix"], row["lastFour"]) == (confirmed["prefix"], confirmed["lastFour"])
    assert "rotatedAt" in row

    # The old key stops working; reusing the token is refused with a reason.
    status, refused = run_curl(["-H", f"x-admin-key: {super_key}", f"{api}/api/security/admin/users"])
    assert status == 401, refused
    status, reused = run_curl([
        "-X", "POST", "-H", f"x-admin-key: {new_key}", "-H", "Content-Type: application/json",
        "-d", json.dumps({"token": started["rotationToken"]}),
        f"{api}/api/security/admin/users/{admin_id}/api-keys/{key_id}/rotation/confirm",
    ])
    assert status == 400 and reused["error"]["status"] == "INVALID_ARGUMENT", reused


def test_tenant_key_rotation_as_the_guide_writes_it(api):
    super_key = seed_admin("guide-tenant-rotation")["apiKey"]
    status, tenant = run_curl([
        "-X", "POST", "-H", f"x-admin-key: {super_key}", "-H", "Content-Type: application/json",
        "-d", json.dumps({"name": "Rotation Guide Tenant"}), f"{api}/api/tenants",
    ])
    assert status == 200, tenant
    tenant_id = tenant["id"]
    status, created = run_curl([
        "-X", "POST", "-H", f"x-admin-key: {super_key}", "-H", "Content-Type: application/json",
        "-d", json.dumps({"label": "integration"}), f"{api}/api/security/tenants/{tenant_id}/api-keys",
    ])
    assert status == 200, created
    old_key, key_id = created["apiKey"], created["id"]
    assert old_key.startswith("ten_")

    # Step 1: request the token.
    status, started = run_curl([
        "-X", "POST",
        "-H", f"x-admin-key: {super_key}",
        "-H", "Content-Type: application/json",
        f"{api}/api/security/tenants/{tenant_id}/api-keys/{key_id}/rotation",
    ])
    assert status == 200, started

    # Step 2: confirm it.
    status, confirmed = run_curl([
        "-X", "POST",
        "-H", f"x-admin-key: {super_key}",
        "-H", "Content-Type: application/json",
        "-d", json.dumps({"token": started["rotationToken"]}),
        f"{api}/api/security/tenants/{tenant_id}/api-keys/{key_id}/rotation/confirm",
    ])
    assert status == 200, confirmed
    new_key = confirmed["apiKey"]

    # Step 3: the new key authenticates on a tenant-protected endpoint; the old one does not.
    status, own = run_curl(["-H", f"x-api-key: {new_key}", f"{api}/api/tenants/{tenant_id}"])
    assert status == 200 and own["id"] == tenant_id, own
    status, bearer = run_curl(["-H", f"Authorization: Bearer {new_key}", f"{api}/api/tenants/{tenant_id}"])
    assert status == 200, bearer
    status, refused = run_curl(["-H", f"x-api-key: {old_key}", f"{api}/api/tenants/{tenant_id}"])
    assert status == 401, refused
