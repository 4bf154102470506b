"""SecurityService and TenantService over gRPC with grpcio, authenticated with call metadata,
against the real `metachat serve` (stubs generated from `proto/metachat/v1`).

Admin keys travel in `x-admin-key`; tenant keys in `x-api-key` or `authorization: Bearer`
(docs/auth.md). Each refusal is checked for its status and message, and where the REST bridge
serves the same call, its answer carries the same status and the same message.
"""

from __future__ import annotations

import json
import uuid
from typing import Iterator

import grpc
import pytest

import restclient
from metachat_process import MetaChat, open_channel, require_services, running_metachat, seed_admin

TIMEOUT_S = 10.0
# The REST bridge's HTTP status per RPC status (DESIGN.md §4).
HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[MetaChat]:
    """`metachat serve` on the suite's PostgreSQL and Redis."""
    require_services()
    with running_metachat(tmp_path_factory.mktemp("grpc-auth"), RATE_LIMIT_MAX_REQUESTS="1000000") as running:
        yield running


@pytest.fixture(scope="module")
def channel(server) -> Iterator[grpc.Channel]:
    ch = open_channel(server)
    yield ch
    ch.close()


@pytest.fixture(scope="module")
def api(metachat_api, channel):
    """Messages (`api.t`, `api.s`) and stubs (`api.tenants`, `api.security`)."""

    class Api:
        t = metachat_api.tenants_pb2
        s = metachat_api.security_pb2
        tenants = metachat_api.tenants_pb2_grpc.TenantServiceStub(channel)
        security = metachat_api.security_pb2_grpc.SecurityServiceStub(channel)

    return Api


@pytest.fixture(scope="module")
def seeded() -> dict:
    """A SUPER admin from `metachat seed-admin`."""
    return seed_admin("grpc-auth@example.com", f"grpc-{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="module")
def admin(seeded) -> tuple[tuple[str, str], ...]:
    """Call metadata with the SUPER admin key."""
    return (("x-admin-key", seeded["apiKey"]),)


def tenant_metadata(key: str, bearer: bool = False) -> tuple[tuple[str, str], ...]:
    """Call metadata with a tenant key, in `x-api-key` or `authorization: Bearer`."""
    return (("authorization", f"Bearer {key}"),) if bearer else (("x-api-key", key),)


def refused(rpc, request, metadata=()) -> grpc.RpcError:
    """The error a call ends with (fails if it succeeds)."""
    with pytest.raises(grpc.RpcError) as caught:
        rpc(request, metadata=metadata, timeout=TIMEOUT_S)
    return caught.value


def new_tenant(api, admin, name: str = "gRPC Tenant"):
    """CreateTenant with the admin key."""
    return api.tenants.CreateTenant(api.t.CreateTenantRequest(name=name), metadata=admin, timeout=TIMEOUT_S)


def new_key(api, admin, tenant_id: str, label: str = "grpc"):
    """CreateTenantApiKey with the admin key."""
    return api.security.CreateTenantApiKey(
        api.s.CreateTenantApiKeyRequest(tenant_id=tenant_id, label=label), metadata=admin, timeout=TIMEOUT_S
    )


def assert_same_over_rest(
    server: MetaChat, error: grpc.RpcError, method: str, path: str, headers: dict[str, str], body=None
) -> None:
    """The REST bridge answers the same call with the same status and message."""
    all_headers = dict(headers)
    payload = None
    if body is not None:
        all_headers["content-type"] = "application/json"
        payload = json.dumps(body)
    reply = restclient.request(server.port, method, path, body=payload, headers=all_headers, timeout=TIMEOUT_S)
    assert reply.status == HTTP_STATUS[error.code()], (reply.status, reply.body[:300])
    rest_error = reply.error()
    assert rest_error["status"] == error.code().name, (rest_error, error.code())
    assert rest_error["message"] == error.details(), (rest_error["message"], error.details())


# MARK: Admin key


def test_an_admin_key_creates_reads_lists_and_updates_tenants(api, admin):
    created = api.tenants.CreateTenant(
        api.t.CreateTenantRequest(
            name="  gRPC Admin Tenant  ",
            settings=api.t.TenantSettings(rag=api.t.RagSettings(top_k=9)),
            metadata={"tier": "gold"},
        ),
        metadata=admin,
        timeout=TIMEOUT_S,
    )
    assert created.id and created.enabled and created.name == "gRPC Admin Tenant"
    assert created.settings.rag.top_k == 9 and dict(created.metadata) == {"tier": "gold"}

    read = api.tenants.GetTenant(api.t.GetTenantRequest(tenant_id=created.id), metadata=admin, timeout=TIMEOUT_S)
    assert read == created

    listed = api.tenants.ListTenants(
        api.t.ListTenantsRequest(name_query="grpc admin tenant", page_size=200), metadata=admin, timeout=TIMEOUT_S
    )
    assert created.id in [tenant.id for tenant in listed.tenants]

    updated = api.tenants.UpdateTenant(
        api.t.UpdateTenantRequest(
            tenant_id=created.id,
            tenant=api.t.Tenant(
                name="Renamed over gRPC", settings=api.t.TenantSettings(rag=api.t.RagSettings(top_k=3))
            ),
            update_mask={"paths": ["name"]},
        ),
        metadata=admin,
        timeout=TIMEOUT_S,
    )
    # Only the masked field changed.
    assert updated.name == "Renamed over gRPC" and updated.settings.rag.top_k == 9
    assert api.tenants.GetTenant(
        api.t.GetTenantRequest(tenant_id=created.id), metadata=admin, timeout=TIMEOUT_S
    ).name == "Renamed over gRPC"


def test_an_admin_key_creates_a_tenant_key_that_reads_its_own_tenant_in_either_header(api, admin):
    tenant = new_tenant(api, admin)
    created = new_key(api, admin, tenant.id)
    assert created.api_key.startswith("ten_") and created.key.owner_id == tenant.id and created.key.active
    assert created.prefix == created.api_key[: len(created.prefix)] and created.last_four == created.api_key[-4:]

    for bearer in (False, True):
        own = api.tenants.GetTenant(
            api.t.GetTenantRequest(tenant_id=tenant.id), metadata=tenant_metadata(created.api_key, bearer),
            timeout=TIMEOUT_S,
        )  # fmt: skip
        assert own.id == tenant.id and own.name == tenant.name

    listed = api.security.ListTenantApiKeys(
        api.s.ListTenantApiKeysRequest(tenant_id=tenant.id), metadata=admin, timeout=TIMEOUT_S
    )
    assert [key.id for key in listed.api_keys] == [created.id]
    assert listed.api_keys[0].prefix == created.prefix and listed.api_keys[0].last_four == created.last_four


# MARK: Refusals


def test_a_tenant_key_gets_not_found_for_another_tenant_as_over_rest(api, admin, server):
    own = new_tenant(api, admin)
    foreign = new_tenant(api, admin, "Foreign Tenant")
    key = new_key(api, admin, own.id).api_key

    error = refused(api.tenants.GetTenant, api.t.GetTenantRequest(tenant_id=foreign.id), tenant_metadata(key))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == f"Tenant {foreign.id} was not found."
    assert_same_over_rest(server, error, "GET", f"/api/tenants/{foreign.id}", {"x-api-key": key})


def test_calls_without_credentials_are_unauthenticated(api, server):
    tenant_id = str(uuid.uuid4())
    error = refused(api.tenants.GetTenant, api.t.GetTenantRequest(tenant_id=tenant_id))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "needs a tenant key" in error.details(), error.details()
    assert_same_over_rest(server, error, "GET", f"/api/tenants/{tenant_id}", {})

    error = refused(api.tenants.CreateTenant, api.t.CreateTenantRequest(name="Nobody's"))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "x-admin-key" in error.details(), error.details()

    error = refused(api.security.ListAdminUsers, api.s.ListAdminUsersRequest())
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


def test_wrong_keys_are_unauthenticated_without_repeating_the_key(api, admin, server, seeded):
    tenant = new_tenant(api, admin)
    key = new_key(api, admin, tenant.id).api_key
    request = api.t.GetTenantRequest(tenant_id=tenant.id)
    # The right prefix with another secret: the stored hash does not match.
    tampered = key[:-4] + ("AAAA" if key[-4:] != "AAAA" else "BBBB")
    cases = [
        (tenant_metadata(tampered), "The API key is not valid."),
        (tenant_metadata(tampered, bearer=True), "The API key is not valid."),
        ((("x-api-key", "not-a-key"),), "The credential in x-api-key is not a valid API key."),
        ((("x-admin-key", "adm_" + "x" * 20),), "The credential in x-admin-key is not a valid API key."),
        # Kinds in the wrong header.
        ((("x-api-key", seeded["apiKey"]),), "An admin key (adm_) must be sent in x-admin-key."),
        ((("x-admin-key", key),), "A tenant key (ten_) must be sent in x-api-key or Authorization: Bearer."),
    ]
    for metadata, message in cases:
        error = refused(api.tenants.GetTenant, request, metadata)
        assert (error.code(), error.details()) == (grpc.StatusCode.UNAUTHENTICATED, message), metadata
        assert metadata[0][1].split()[-1] not in error.details()
    assert_same_over_rest(server, error, "GET", f"/api/tenants/{tenant.id}", {"x-admin-key": key})


def test_a_tenant_key_on_admin_calls_is_permission_denied(api, admin, server):
    tenant = new_tenant(api, admin)
    key = new_key(api, admin, tenant.id).api_key
    metadata = tenant_metadata(key)
    calls = [
        (api.tenants.ListTenants, api.t.ListTenantsRequest()),
        (api.tenants.CreateTenant, api.t.CreateTenantRequest(name="By a tenant")),
        (api.tenants.DisableTenant, api.t.DisableTenantRequest(tenant_id=tenant.id)),
        (api.security.CreateTenantApiKey, api.s.CreateTenantApiKeyRequest(tenant_id=tenant.id, label="self-made")),
        (api.security.ListAdminUsers, api.s.ListAdminUsersRequest()),
    ]
    for rpc, request in calls:
        error = refused(rpc, request, metadata)
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED, (rpc, error.code(), error.details())
        assert error.details() == "This call needs an admin key; a tenant key cannot make it.", error.details()
    assert_same_over_rest(server, error, "GET", "/api/security/admin/users", {"x-api-key": key})
    # Its own tenant it may read, but not re-enable or re-limit.
    error = refused(
        api.tenants.UpdateTenant,
        api.t.UpdateTenantRequest(
            tenant_id=tenant.id, tenant=api.t.Tenant(enabled=True), update_mask={"paths": ["enabled"]}
        ),
        metadata,
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED and "enable" in error.details()


def test_a_standard_admin_key_is_denied_super_admin_calls(api, admin):
    user = api.security.CreateAdminUser(
        api.s.CreateAdminUserRequest(
            email=f"standard-{uuid.uuid4().hex[:8]}@example.com", role=api.s.ADMIN_ROLE_STANDARD
        ),
        metadata=admin,
        timeout=TIMEOUT_S,
    )
    standard = api.security.CreateAdminApiKey(
        api.s.CreateAdminApiKeyRequest(admin_id=user.id, label="standard"), metadata=admin, timeout=TIMEOUT_S
    ).api_key
    metadata = (("x-admin-key", standard),)
    error = refused(api.security.ListAdminUsers, api.s.ListAdminUsersRequest(), metadata)
    assert (error.code(), error.details()) == (grpc.StatusCode.PERMISSION_DENIED, "This call needs a SUPER admin key.")
    # Tenant work is open to any admin.
    assert new_tenant(api, metadata, "Standard's Tenant").id


def test_bad_settings_are_invalid_argument_naming_the_field_as_over_rest(api, admin, server, seeded):
    request = api.t.CreateTenantRequest(
        name="Bad Settings", settings=api.t.TenantSettings(rag=api.t.RagSettings(top_k=99))
    )
    error = refused(api.tenants.CreateTenant, request, admin)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "settings.rag.topK must be between 0 and 50", error.details()
    assert_same_over_rest(
        server, error, "POST", "/api/tenants", {"x-admin-key": seeded["apiKey"]},
        {"name": "Bad Settings", "settings": {"rag": {"topK": 99}}},
    )  # fmt: skip

    tenant = new_tenant(api, admin)
    error = refused(
        api.tenants.UpdateTenant,
        api.t.UpdateTenantRequest(
            tenant_id=tenant.id,
            tenant=api.t.Tenant(settings=api.t.TenantSettings(widget=api.t.WidgetSettings(primary_color="blue"))),
            update_mask={"paths": ["settings.widget.primary_color"]},
        ),
        admin,
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("settings.widget.primaryColor "), error.details()
    error = refused(api.tenants.CreateTenant, api.t.CreateTenantRequest(name="   "), admin)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and error.details().startswith("name "), error.details()


# MARK: Key lifecycle


def test_a_rotation_over_grpc_replaces_the_key_and_the_old_one_is_unauthenticated(api, admin):
    tenant = new_tenant(api, admin)
    created = new_key(api, admin, tenant.id)
    old_key = created.api_key
    request = api.t.GetTenantRequest(tenant_id=tenant.id)
    api.tenants.GetTenant(request, metadata=tenant_metadata(old_key), timeout=TIMEOUT_S)

    started = api.security.StartTenantApiKeyRotation(
        api.s.StartTenantApiKeyRotationRequest(tenant_id=tenant.id, key_id=created.id),
        metadata=admin,
        timeout=TIMEOUT_S,
    )
    assert started.rotation_token and started.HasField("expires_at")
    # Until confirmed, the old key still works.
    api.tenants.GetTenant(request, metadata=tenant_metadata(old_key), timeout=TIMEOUT_S)
    confirmed = api.security.ConfirmTenantApiKeyRotation(
        api.s.ConfirmTenantApiKeyRotationRequest(tenant_id=tenant.id, key_id=created.id, token=started.rotation_token),
        metadata=admin,
        timeout=TIMEOUT_S,
    )
    new_key_text = confirmed.api_key
    assert new_key_text.startswith("ten_") and new_key_text != old_key
    assert confirmed.key.id == created.id and confirmed.key.HasField("rotated_at")

    error = refused(api.tenants.GetTenant, request, tenant_metadata(old_key))
    assert (error.code(), error.details()) == (grpc.StatusCode.UNAUTHENTICATED, "The API key is not valid.")
    renewed = api.tenants.GetTenant(request, metadata=tenant_metadata(new_key_text, bearer=True), timeout=TIMEOUT_S)
    assert renewed.id == tenant.id

    # The token was used up.
    error = refused(
        api.security.ConfirmTenantApiKeyRotation,
        api.s.ConfirmTenantApiKeyRotationRequest(tenant_id=tenant.id, key_id=created.id, token=started.rotation_token),
        admin,
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()


def test_a_revoked_key_is_unauthenticated_and_a_disabled_tenant_is_denied(api, admin):
    tenant = new_tenant(api, admin)
    revoked = new_key(api, admin, tenant.id, "to-revoke")
    kept = new_key(api, admin, tenant.id, "kept")
    request = api.t.GetTenantRequest(tenant_id=tenant.id)
    for key in (revoked.api_key, kept.api_key):
        api.tenants.GetTenant(request, metadata=tenant_metadata(key), timeout=TIMEOUT_S)

    answer = api.security.RevokeTenantApiKey(
        api.s.RevokeTenantApiKeyRequest(tenant_id=tenant.id, key_id=revoked.id), metadata=admin, timeout=TIMEOUT_S
    )
    assert answer.id == revoked.id and not answer.active and answer.HasField("revoked_at")
    # Revoking again changes nothing: the revocation time stays the first one.
    again = api.security.RevokeTenantApiKey(
        api.s.RevokeTenantApiKeyRequest(tenant_id=tenant.id, key_id=revoked.id), metadata=admin, timeout=TIMEOUT_S
    )
    assert again.revoked_at == answer.revoked_at
    listed = api.security.ListTenantApiKeys(
        api.s.ListTenantApiKeysRequest(tenant_id=tenant.id, include_revoked=True), metadata=admin, timeout=TIMEOUT_S
    )
    by_id = {key.id: key for key in listed.api_keys}
    assert by_id[revoked.id].revoked_at == answer.revoked_at
    assert by_id[kept.id].active and not by_id[kept.id].HasField("revoked_at")
    error = refused(api.tenants.GetTenant, request, tenant_metadata(revoked.api_key))
    assert (error.code(), error.details()) == (grpc.StatusCode.UNAUTHENTICATED, "The API key has been revoked.")
    assert api.tenants.GetTenant(request, metadata=tenant_metadata(kept.api_key), timeout=TIMEOUT_S).id == tenant.id

    disabled = api.tenants.DisableTenant(
        api.t.DisableTenantRequest(tenant_id=tenant.id), metadata=admin, timeout=TIMEOUT_S
    )
    assert not disabled.enabled and disabled.HasField("disabled_at")
    error = refused(api.tenants.GetTenant, request, tenant_metadata(kept.api_key))
    assert (error.code(), error.details()) == (grpc.StatusCode.PERMISSION_DENIED, "The tenant is disabled.")
