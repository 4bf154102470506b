"""WatchConversationEvents over each face the server offers: Server-Sent Events (curl -N, with
Last-Event-ID), newline-delimited JSON (http.client), gRPC (grpcio) and gRPC-Web (http.client,
length-prefixed frames). Every watcher answers events as protobuf JSON dicts, so one test reads
any face the same way."""

from __future__ import annotations

import http.client
import json
import queue
import struct
import threading
import time
import urllib.parse

import grpc
from google.protobuf import json_format

import restclient
from conversation_client import CallError
from metachat_process import MetaChat

FACES = ["sse", "ndjson", "grpc", "grpc-web"]
PATH = "/metachat.v1.ConversationService/WatchConversationEvents"


def is_durable(event: dict) -> bool:
    """Whether an event has an event id (heartbeats and live-only kinds do not)."""
    return bool(event.get("eventId"))


class Watch:
    """One watching call; `next(timeout)` answers the next event (raises CallError when the call
    ended with an error, EOFError when it ended without one, TimeoutError when nothing came)."""

    def __init__(
        self,
        face: str,
        server: MetaChat,
        api,
        credentials: dict[str, str],
        conversation_id: str = "",
        after: str | None = None,
        kinds: list[str] | None = None,
        channel: grpc.Channel | None = None,
    ):
        self.face = face
        self.events: queue.Queue = queue.Queue()
        request = {}
        if conversation_id:
            request["conversationId"] = conversation_id
        if kinds:
            request["kinds"] = kinds
        if face == "sse":
            self._start_sse(server, credentials, conversation_id, after, kinds)
        elif face == "ndjson":
            self._start_ndjson(server, credentials, conversation_id, after, kinds)
        elif face == "grpc":
            if after is not None:
                request["afterEventId"] = after
            self._start_grpc(api, channel, credentials, request)
        elif face == "grpc-web":
            if after is not None:
                request["afterEventId"] = after
            self._start_grpc_web(server, api, credentials, request)
        else:
            raise AssertionError(face)

    # MARK: Reading

    def next(self, timeout: float = 10.0) -> dict:
        try:
            item = self.events.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no event within {timeout}s ({self.face})") from None
        if isinstance(item, BaseException):
            self.events.put(item)  # every later read sees the end too
            raise item
        return item

    def next_durable(self, timeout: float = 10.0) -> dict:
        """The next event with an event id, skipping heartbeats and live-only events."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(max(0.01, deadline - time.monotonic()))
            if is_durable(event):
                return event

    def close(self) -> None:
        self._close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # MARK: Faces

    @staticmethod
    def _rest_path(conversation_id: str, kinds: list[str] | None, after: str | None) -> str:
        path = f"/api/conversations/{conversation_id}/events" if conversation_id else "/api/conversations/events"
        query = [("kinds", kind) for kind in kinds or []]
        if after is not None:
            query.append(("afterEventId", after))
        return path + ("?" + urllib.parse.urlencode(query) if query else "")

    def _start_sse(self, server, credentials, conversation_id, after, kinds):
        # Last-Event-ID carries the position, as a reconnecting EventSource sends it.
        args = ["-H", "accept: text/event-stream"]
        for name, value in credentials.items():
            args += ["-H", f"{name}: {value}"]
        if after is not None:
            args += ["-H", f"last-event-id: {after}"]
        url = f"http://127.0.0.1:{server.port}" + self._rest_path(conversation_id, kinds, None)
        context = restclient.curl_stream(url, *args)
        stream = context.__enter__()

        def read():
            try:
                status = stream.read_head(timeout_s=30)
                if status != 200:
                    error = json.loads(stream.read_to_end(timeout_s=10))["error"]
                    self.events.put(CallError(error["status"], error["message"], status))
                    return
                while True:
                    block = stream.read_event(timeout_s=3600)
                    if block.data is None:
                        continue  # a heartbeat comment
                    if block.event == "error":
                        error = block.json()["error"]
                        self.events.put(CallError(error["status"], error["message"], error["code"]))
                        return
                    event = block.json()
                    assert (block.id or "") == event.get("eventId", ""), (block.id, event)
                    self.events.put(event)
            except Exception as error:  # noqa: BLE001 - the end of the stream, however it ended
                self.events.put(EOFError(str(error)))

        threading.Thread(target=read, daemon=True).start()
        self._close = lambda: context.__exit__(None, None, None)

    def _start_ndjson(self, server, credentials, conversation_id, after, kinds):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=3600)
        connection.request(
            "GET", self._rest_path(conversation_id, kinds, after), headers={"accept": "application/x-ndjson", **credentials}
        )

        def read():
            try:
                response = connection.getresponse()
                if response.status != 200:
                    error = json.loads(response.read())["error"]
                    self.events.put(CallError(error["status"], error["message"], response.status))
                    return
                while line := response.readline():
                    document = json.loads(line)
                    if "error" in document and len(document) == 1:
                        error = document["error"]
                        self.events.put(CallError(error["status"], error["message"], error["code"]))
                        return
                    self.events.put(document)
                self.events.put(EOFError("the stream ended"))
            except Exception as error:  # noqa: BLE001
                self.events.put(EOFError(str(error)))

        threading.Thread(target=read, daemon=True).start()
        self._close = connection.close

    def _start_grpc(self, api, channel, credentials, request):
        message = json_format.ParseDict(request, api.conversations_pb2.WatchConversationEventsRequest())
        stub = api.conversations_pb2_grpc.ConversationServiceStub(channel)
        call = stub.WatchConversationEvents(message, metadata=tuple(credentials.items()))

        def read():
            try:
                for event in call:
                    self.events.put(json_format.MessageToDict(event))
                self.events.put(EOFError("the stream ended"))
            except grpc.RpcError as error:
                trailers = dict(error.trailing_metadata() or ())
                failure = CallError(error.code().name, error.details())
                failure.resume_after = trailers.get("metachat-resume-after")
                self.events.put(failure)

        threading.Thread(target=read, daemon=True).start()
        self._close = call.cancel

    def _start_grpc_web(self, server, api, credentials, request):
        payload = json_format.ParseDict(request, api.conversations_pb2.WatchConversationEventsRequest()).SerializeToString()
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=3600)
        connection.request(
            "POST",
            PATH,
            body=struct.pack(">BI", 0, len(payload)) + payload,
            headers={
                "content-type": "application/grpc-web+proto",
                "accept": "application/grpc-web+proto",
                "x-grpc-web": "1",
                **credentials,
            },
        )

        def read():
            try:
                response = connection.getresponse()
                assert response.status == 200, response.status
                status = response.getheader("grpc-status")
                if status is not None:  # a trailers-only answer
                    self.events.put(CallError(_status_name(int(status)), urllib.parse.unquote(response.getheader("grpc-message", ""))))
                    return
                while header := response.read(5):
                    flag, length = struct.unpack(">BI", header)
                    body = response.read(length)
                    if flag & 0x80:
                        trailers = dict(
                            line.split(":", 1) for line in body.decode().split("\r\n") if ":" in line
                        )
                        trailers = {k.strip().lower(): v.strip() for k, v in trailers.items()}
                        code = int(trailers.get("grpc-status", "0"))
                        if code:
                            failure = CallError(_status_name(code), urllib.parse.unquote(trailers.get("grpc-message", "")))
                            failure.resume_after = trailers.get("metachat-resume-after")
                            self.events.put(failure)
                        else:
                            self.events.put(EOFError("the stream ended"))
                        return
                    event = api.conversations_pb2.ConversationEvent.FromString(body)
                    self.events.put(json_format.MessageToDict(event))
            except Exception as error:  # noqa: BLE001
                self.events.put(EOFError(str(error)))

        threading.Thread(target=read, daemon=True).start()
        self._close = connection.close


def _status_name(code: int) -> str:
    """The name of a numeric gRPC status, e.g. 5 -> NOT_FOUND."""
    return next(status.name for status in grpc.StatusCode if status.value[0] == code)
