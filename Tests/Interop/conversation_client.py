"""ConversationService over both faces for the interop suite: the same call (an RPC name and
its request as protobuf JSON) made over REST (the routes of `conversations.proto`, with
http.client) or over gRPC (grpcio stubs generated from `proto/`), answered as protobuf JSON, so
one test body checks both faces."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass

import grpc
from google.protobuf import json_format

import restclient
from metachat_process import MetaChat

TIMEOUT_S = 10.0

# RPC -> (HTTP method, path template, body: "*", a field name, or None for query parameters).
ROUTES = {
    "CreateConversation": ("POST", "/api/conversations", "*"),
    "GetConversation": ("GET", "/api/conversations/{conversationId}", None),
    "ListConversations": ("GET", "/api/conversations", None),
    "UpdateConversation": ("PATCH", "/api/conversations/{conversationId}", "conversation"),
    "DeleteConversation": ("DELETE", "/api/conversations/{conversationId}", None),
    "ExportConversation": ("GET", "/api/conversations/{conversationId}/export", None),
    "EscalateConversation": ("POST", "/api/conversations/{conversationId}/escalate", "*"),
    "AssignConversation": ("POST", "/api/conversations/{conversationId}/assign", "*"),
    "UnassignConversation": ("POST", "/api/conversations/{conversationId}/unassign", "*"),
    "HandBackConversation": ("POST", "/api/conversations/{conversationId}/hand-back", "*"),
    "ResolveConversation": ("POST", "/api/conversations/{conversationId}/resolve", "*"),
    "ReopenConversation": ("POST", "/api/conversations/{conversationId}/reopen", "*"),
    "CloseConversation": ("POST", "/api/conversations/{conversationId}/close", "*"),
    "ListMessages": ("GET", "/api/conversations/{conversationId}/messages", None),
    "PostAgentReply": ("POST", "/api/conversations/{conversationId}/replies", "*"),
}
STREAMING = {"ExportConversation"}
# Request message name of each RPC (in conversations_pb2).
REQUESTS = {rpc: rpc + "Request" for rpc in ROUTES}
REQUESTS["ExportConversation"] = "ExportConversationRequest"

HTTP_STATUS = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
}


@dataclass
class CallError(Exception):
    """A call that failed: its status name (e.g. NOT_FOUND) and message."""

    status: str
    message: str
    http_status: int | None = None


class Conversations:
    """ConversationService over one face, with one set of credentials (header -> value)."""

    def __init__(self, face: str, server: MetaChat, api, channel: grpc.Channel | None, credentials: dict[str, str]):
        assert face in ("rest", "grpc"), face
        self.face = face
        self.server = server
        self.api = api
        self.credentials = credentials
        self.stub = api.conversations_pb2_grpc.ConversationServiceStub(channel) if channel else None

    def with_credentials(self, credentials: dict[str, str]) -> "Conversations":
        """The same face with other credentials."""
        other = Conversations.__new__(Conversations)
        other.face, other.server, other.api, other.stub = self.face, self.server, self.api, self.stub
        other.credentials = credentials
        return other

    def __call__(self, rpc: str, request: dict | None = None):
        """Makes the call; the answer as protobuf JSON (a list of items for streams).

        Raises CallError when it fails."""
        request = dict(request or {})
        return self._rest(rpc, request) if self.face == "rest" else self._grpc(rpc, request)

    # MARK: gRPC

    def _grpc(self, rpc: str, request: dict):
        message = json_format.ParseDict(request, getattr(self.api.conversations_pb2, REQUESTS[rpc])())
        method = getattr(self.stub, rpc)
        metadata = tuple(self.credentials.items())
        try:
            if rpc in STREAMING:
                return [
                    json_format.MessageToDict(item) for item in method(message, metadata=metadata, timeout=TIMEOUT_S)
                ]
            return json_format.MessageToDict(method(message, metadata=metadata, timeout=TIMEOUT_S))
        except grpc.RpcError as error:
            raise CallError(error.code().name, error.details()) from None

    # MARK: REST

    def _rest(self, rpc: str, request: dict):
        method, template, body_field = ROUTES[rpc]
        path = template
        if "{conversationId}" in template:
            path = template.replace(
                "{conversationId}", urllib.parse.quote(str(request.pop("conversationId", "")), safe="")
            )
        headers = dict(self.credentials)
        payload = None
        if body_field == "*":
            payload = json.dumps(request)
        elif body_field is not None:
            payload = json.dumps(request.pop(body_field, {}))
            if request:
                path += "?" + urllib.parse.urlencode(self._query(request), doseq=True)
        elif request:
            path += "?" + urllib.parse.urlencode(self._query(request), doseq=True)
        if payload is not None:
            headers["content-type"] = "application/json"
        reply = restclient.request(self.server.port, method, path, body=payload, headers=headers, timeout=TIMEOUT_S)
        if reply.status != 200:
            error = reply.error()
            raise CallError(error["status"], error["message"], reply.status)
        if rpc in STREAMING:
            return [json.loads(line) for line in reply.body.decode().splitlines() if line.strip()]
        return reply.json()

    @staticmethod
    def _query(request: dict) -> list[tuple[str, str]]:
        pairs = []
        for name, value in request.items():
            values = value if isinstance(value, list) else [value]
            for item in values:
                if isinstance(item, bool):
                    item = "true" if item else "false"
                elif isinstance(item, dict):
                    raise AssertionError(f"{name}: messages cannot be query parameters")
                pairs.append((name, str(item)))
        return pairs
