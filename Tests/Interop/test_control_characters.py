"""NUL and other control characters in every string field of every request of the landed
services (SecurityService, TenantService, SystemService), on both faces of a real `metachat serve`:
gRPC answers INVALID_ARGUMENT and REST 400 in the one error shape, each naming the field; stored
data is unchanged afterwards, with all the refused requests sent at once.

The fields are not listed by hand: every string field (nested messages, lists, map keys and
values, the update mask) is found in the request messages' descriptors, and each RPC's REST route
is read from its `google.api.http` option, so a string field added later is covered at once.
The rule (docs/validation.md): single-line fields refuse every C0/C1 control character and DEL;
the prose fields (system prompt, hand-off message, greeting, metadata values) accept tab, line
feed and carriage return and refuse the rest.
"""

from __future__ import annotations

import copy
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import quote, urlencode

import grpc
import pytest
from google.protobuf import descriptor as descriptors
from google.protobuf import json_format

import restclient
from metachat_process import MetaChat, open_channel, require_services, running_metachat, seed_admin

REQUEST_TIMEOUT_S = 10.0
GRPC_TIMEOUT_S = 10.0
SERVICES = ("SecurityService", "TenantService", "SystemService")
SINGLE_LINE_BAD = ("\x00", "\n", "\t", "\x1b", "\x7f", "\x85")
MULTILINE_BAD = ("\x00", "\x0b", "\x1b", "\x7f", "\x9f")
MULTILINE_FIELDS = {
    "metachat.v1.LlmSettings.system_prompt",
    "metachat.v1.EscalationSettings.handoff_message",
    "metachat.v1.WidgetSettings.greeting",
    "metachat.v1.Tenant.metadata",
    "metachat.v1.CreateTenantRequest.metadata",
}
# A valid value per field name, so that the bad character is the only thing wrong.
VALID = {
    "email": "valid@example.com",
    "label": "label",
    "token": "rot_0123",
    "name": "Name",
    "name_query": "query",
    "model": "model",
    "base_url": "https://models.example.com/v1",
    "system_prompt": "prompt",
    "api_key": "sk-valid-12345678",
    "api_key_last_four": "5678",
    "text_search_language": "english",
    "keywords": "help",
    "handoff_message": "bye",
    "title": "title",
    "greeting": "hello",
    "primary_color": "#112233",
    "allowed_origins": "https://shop.example.com",
}


@dataclass(frozen=True)
class Leaf:
    """One string of a request: its JSON path, how it is stored and the field's rule."""

    path: tuple[str, ...]
    kind: str  # scalar, list, map-key, map-value, mask
    proto_name: str
    multiline: bool

    def error_name(self, request_type: str) -> str:
        """The field as the server names it."""
        path = self.path
        if request_type == "UpdateTenantRequest" and path[0] == "tenant":
            path = path[1:]  # tenant fields are named relative to the tenant
        name = ".".join(path)
        return {
            "list": name + "[0]",
            "map-key": name + " keys",
            "map-value": name + ".k",
        }.get(self.kind, name)


def string_leaves(message: descriptors.Descriptor, prefix: tuple[str, ...] = ()) -> Iterator[Leaf]:
    """Every string the message can hold, from its descriptor."""
    for field in message.fields:
        path = prefix + (field.json_name,)
        owner = f"{message.full_name}.{field.name}"
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            yield Leaf(path, "map-key", field.name, False)
            if field.message_type.fields_by_name["value"].type == descriptors.FieldDescriptor.TYPE_STRING:
                yield Leaf(path, "map-value", field.name, owner in MULTILINE_FIELDS)
        elif field.type == descriptors.FieldDescriptor.TYPE_STRING:
            repeated = field.is_repeated
            yield Leaf(path, "list" if repeated else "scalar", field.name, owner in MULTILINE_FIELDS)
        elif field.type == descriptors.FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.full_name == "google.protobuf.FieldMask":
                yield Leaf(path, "mask", field.name, False)
            elif not field.message_type.full_name.startswith("google.protobuf."):
                yield from string_leaves(field.message_type, path)


def with_bad_value(base: dict, leaf: Leaf, bad: str) -> tuple[dict, str | None]:
    """`base` with the leaf holding `bad` inside a valid value; the mask path separately (its JSON
    form cannot carry it), else None."""
    document = copy.deepcopy(base)
    valid = VALID.get(leaf.proto_name, "text")
    value = valid[:1] + bad + valid[1:]
    if leaf.kind == "mask":
        return document, value
    node = document
    for key in leaf.path[:-1]:
        node = node.setdefault(key, {})
    last = leaf.path[-1]
    if leaf.kind == "scalar":
        if isinstance(node.get(last), str) and node[last]:
            value = node[last][:1] + bad + node[last][1:]
        node[last] = value
    elif leaf.kind == "list":
        node[last] = [value]
    elif leaf.kind == "map-key":
        node[last] = {"k" + bad + "k": "v"}
    elif leaf.kind == "map-value":
        node[last] = {"k": value}
    return document, None


@dataclass
class World:
    """The server, the admin key the calls use, and the records the calls point at."""

    server: MetaChat
    admin: str
    admin_id: str
    admin_key_id: str
    tenant_id: str
    tenant_key_id: str
    marker: str


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    require_services()
    with running_metachat(tmp_path_factory.mktemp("control-characters"), RATE_LIMIT_MAX_REQUESTS="1000000") as server:
        marker = uuid.uuid4().hex[:10]
        seeded = seed_admin(f"ctl-{marker}@example.com", f"ctl-{marker}")
        admin = seeded["apiKey"]
        # A second key of the admin, which the refused revocations and rotations point at.
        spare = ok(call(server, admin, "POST", f"/api/security/admin/users/{seeded['adminId']}/api-keys",
                        {"label": f"spare-{marker}"}))
        tenant = ok(call(server, admin, "POST", "/api/tenants", {"name": f"Ctl {marker}", "metadata": {"k": "v"}}))
        tenant_key = ok(call(server, admin, "POST", f"/api/security/tenants/{tenant['id']}/api-keys",
                             {"label": "ctl"}))
        yield World(server, admin, seeded["adminId"], spare["id"], tenant["id"], tenant_key["id"], marker)


def call(server: MetaChat, admin: str, method: str, target: str, body=None) -> restclient.Reply:
    headers = {"x-admin-key": admin}
    payload = None
    if body is not None:
        headers["content-type"] = "application/json"
        payload = json.dumps(body)
    return restclient.request(server.port, method, target, body=payload, headers=headers, timeout=REQUEST_TIMEOUT_S)


def ok(reply: restclient.Reply) -> dict:
    assert reply.status == 200, (reply.status, reply.body[:500])
    return reply.json()


def base_request(world: World, method: descriptors.MethodDescriptor) -> dict:
    """A request whose ids point at the module's records and whose other fields are valid."""
    ids = {
        "adminId": world.admin_id,
        "tenantId": world.tenant_id,
        "keyId": world.tenant_key_id if "Tenant" in method.name else world.admin_key_id,
    }
    document = {field.json_name: ids[field.json_name] for field in method.input_type.fields if field.json_name in ids}
    if method.name == "CreateAdminUser":
        document.update(email=f"ctl-new-{world.marker}@example.com", role="ADMIN_ROLE_STANDARD")
    if method.name == "CreateTenant":
        document.update(name=f"Ctl new {world.marker}")
    return document


@dataclass(frozen=True)
class Case:
    service: str
    method: str
    leaf: Leaf
    bad: str

    @property
    def id(self) -> str:
        return f"{self.method}:{self.leaf.error_name(self.method + 'Request')}:{self.leaf.kind}:{ord(self.bad):#04x}"


def cases(metachat_api) -> list[Case]:
    found = []
    for service_name in SERVICES:
        service = metachat_api_file(metachat_api, service_name).services_by_name[service_name]
        for method in service.methods:
            for leaf in string_leaves(method.input_type):
                for bad in MULTILINE_BAD if leaf.multiline else SINGLE_LINE_BAD:
                    found.append(Case(service_name, method.name, leaf, bad))
    return found


def metachat_api_file(metachat_api, service_name: str):
    module = {"SecurityService": "security_pb2", "TenantService": "tenants_pb2", "SystemService": "system_pb2"}
    return getattr(metachat_api, module[service_name]).DESCRIPTOR


def http_rule(method: descriptors.MethodDescriptor):
    from google.api import annotations_pb2

    return method.GetOptions().Extensions[annotations_pb2.http]


def rest_request(rule, document: dict, mask: str | None) -> tuple[str, str, dict | None]:
    """The HTTP method, target and JSON body of `document` on the route `rule` describes."""
    verb = rule.WhichOneof("pattern")
    template = getattr(rule, verb)
    remaining = copy.deepcopy(document)
    target = template
    while "{" in target:
        start, end = target.index("{"), target.index("}")
        proto_name = target[start + 1:end].split("=")[0]
        json_name = proto_name.split("_")[0] + "".join(part.title() for part in proto_name.split("_")[1:])
        target = target[:start] + quote(str(remaining.pop(json_name, "")), safe="") + target[end + 1:]
    body = None
    query: list[tuple[str, str]] = []
    if rule.body == "*":
        body = remaining
    else:
        if rule.body:
            body = remaining.pop(rule.body, {})
        for key, value in remaining.items():
            for item in value if isinstance(value, list) else [value]:
                query.append((key, item if isinstance(item, str) else json.dumps(item)))
    if mask is not None:
        query.append(("updateMask", mask))
    if query:
        target += "?" + urlencode(query, quote_via=quote)
    return verb.upper(), target, body


def grpc_request(metachat_api, case: Case, document: dict, mask: str | None):
    file = metachat_api_file(metachat_api, case.service)
    method = file.services_by_name[case.service].methods_by_name[case.method]
    module = {"SecurityService": metachat_api.security_pb2, "TenantService": metachat_api.tenants_pb2,
              "SystemService": metachat_api.system_pb2}[case.service]
    message = json_format.ParseDict(document, getattr(module, method.input_type.name)())
    if mask is not None:
        message.update_mask.paths[:] = [mask]
    return message


def expect_refused_over_grpc(world: World, metachat_api, channel, case: Case) -> None:
    document, mask = with_bad_value(base_request(world, method_of(metachat_api, case)), case.leaf, case.bad)
    request = grpc_request(metachat_api, case, document, mask)
    stub_module = {"SecurityService": metachat_api.security_pb2_grpc, "TenantService": metachat_api.tenants_pb2_grpc,
                   "SystemService": metachat_api.system_pb2_grpc}[case.service]
    stub = getattr(stub_module, f"{case.service}Stub")(channel)
    with pytest.raises(grpc.RpcError) as raised:
        getattr(stub, case.method)(request, metadata=(("x-admin-key", world.admin),), timeout=GRPC_TIMEOUT_S)
    error = raised.value
    name = case.leaf.error_name(case.method + "Request")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (case.id, error.code(), error.details())
    assert error.details().startswith(name + " must not contain control characters"), (case.id, error.details())


def expect_refused_over_rest(world: World, metachat_api, case: Case) -> None:
    method = method_of(metachat_api, case)
    document, mask = with_bad_value(base_request(world, method), case.leaf, case.bad)
    verb, target, body = rest_request(http_rule(method), document, mask)
    reply = call(world.server, world.admin, verb, target, body)
    name = case.leaf.error_name(case.method + "Request")
    assert reply.status == 400, (case.id, verb, target, reply.status, reply.body[:300])
    error = reply.error()
    assert error["status"] == "INVALID_ARGUMENT", (case.id, error)
    # The handler names the field; a value the bridge cannot bind at all (a field mask in the
    # query) is refused before, by a message naming the parameter.
    accepted = (name + " must not contain control characters", f"Query parameter '{name}' ")
    assert error["message"].startswith(accepted), (case.id, error)


def method_of(metachat_api, case: Case) -> descriptors.MethodDescriptor:
    return metachat_api_file(metachat_api, case.service).services_by_name[case.service].methods_by_name[case.method]


def snapshot(world: World) -> dict:
    """Everything the refused requests could have changed."""
    server, admin = world.server, world.admin
    return {
        "tenant": ok(call(server, admin, "GET", f"/api/tenants/{world.tenant_id}")),
        "tenant keys": ok(call(server, admin, "GET",
                               f"/api/security/tenants/{world.tenant_id}/api-keys?includeRevoked=true&pageSize=200")),
        "admin keys": ok(call(server, admin, "GET",
                              f"/api/security/admin/users/{world.admin_id}/api-keys?includeRevoked=true&pageSize=200")),
        "new tenants": ok(call(server, admin, "GET", f"/api/tenants?nameQuery={quote('Ctl new ' + world.marker)}")),
        "admins": sorted(user["email"] for user in ok(
            call(server, admin, "GET", "/api/security/admin/users?pageSize=200"))["adminUsers"]),
    }


def test_every_string_field_of_the_landed_services_is_found(metachat_api):
    """The table is not empty and covers what the services take: sanity for the generic search."""
    found = {(case.method, case.leaf.error_name(case.method + "Request")) for case in cases(metachat_api)}
    for expected in [
        ("CreateAdminUser", "email"), ("CreateAdminApiKey", "label"), ("ConfirmTenantApiKeyRotation", "token"),
        ("ListAdminUsers", "pageToken"), ("ListTenants", "nameQuery"), ("CreateTenant", "metadata keys"),
        ("CreateTenant", "metadata.k"), ("CreateTenant", "settings.escalation.keywords[0]"),
        ("UpdateTenant", "settings.llm.systemPrompt"), ("UpdateTenant", "updateMask"), ("UpdateTenant", "id"),
        ("UpdateTenant", "tenantId"), ("GetTenant", "tenantId"),
    ]:
        assert expected in found, expected
    system = [case for case in cases(metachat_api) if case.service == "SystemService"]
    assert system == [], "SystemService requests carry no strings today; give them base values here"


def test_control_characters_are_refused_on_both_faces_and_change_nothing(world, metachat_api):
    table = cases(metachat_api)
    before = snapshot(world)
    channel = open_channel(world.server)
    try:
        # Every refused request at once, both faces interleaved.
        with ThreadPoolExecutor(max_workers=16) as pool:
            futures = [pool.submit(expect_refused_over_grpc, world, metachat_api, channel, case) for case in table]
            futures += [pool.submit(expect_refused_over_rest, world, metachat_api, case) for case in table]
            failures = []
            for future in futures:
                try:
                    future.result()
                except AssertionError as failure:
                    failures.append(str(failure).splitlines()[0])
        assert not failures, f"{len(failures)} of {len(futures)} requests were not refused as expected:\n" + "\n".join(
            failures[:40])
    finally:
        channel.close()
    after = snapshot(world)

    assert after == before


def test_multiline_fields_keep_tabs_and_line_breaks(world):
    server, admin = world.server, world.admin
    prose = "First line\n\tindented\r\nlast"
    tenant = ok(call(server, admin, "POST", "/api/tenants", {
        "name": f"Ctl prose {world.marker}",
        "settings": {"llm": {"systemPrompt": prose}, "escalation": {"handoffMessage": prose},
                     "widget": {"greeting": prose}},
        "metadata": {"notes": prose},
    }))
    stored = ok(call(server, admin, "GET", f"/api/tenants/{tenant['id']}"))

    assert stored["settings"]["llm"]["systemPrompt"] == prose
    assert stored["settings"]["escalation"]["handoffMessage"] == prose
    assert stored["settings"]["widget"]["greeting"] == prose
    assert stored["metadata"]["notes"] == prose
