#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the fuzz targets into Tests/Fuzz/Corpus/<target>/seed-*.

The seeds are meaningful requests of every kind each target parses (valid gRPC frames, HTTP/1.1
requests, HTTP/2 prefaces and frames with HPACK header blocks, JSON bodies, paths and queries);
fuzzing grows the corpus from them and `scripts/fuzz.sh --minimize` keeps what adds coverage.
Run with the project's .venv (it needs `hpack`, from `h2`):

    .venv/bin/python Tests/Fuzz/make_seeds.py

Input formats (docs/fuzzing.md): http1 and http2 inputs start with one delivery-plan byte
(bits 0-5 chunk size, 0 = one read; bits 6-7 pause per read: none, 1 ms, 300 ms, 2 s); http2's
harness sends the client preface itself. grpc-framing inputs start with a parser selector byte.
"""

import base64
import gzip
import pathlib
import struct

import hpack

ROOT = pathlib.Path(__file__).resolve().parent / "Corpus"
SERVICE = "/metachat.fixture.v1.EchoService"


# --- protobuf (EchoRequest) -------------------------------------------------------------------

def varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_bytes(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def field_varint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def echo_request(text="hi", repeat=0, labels=None, tags=(), big=0, flag=False, after=None) -> bytes:
    out = field_bytes(1, text.encode())
    if repeat:
        out += field_varint(2, repeat)
    for key, value in (labels or {}).items():
        out += field_bytes(4, field_bytes(1, key.encode()) + field_bytes(2, value.encode()))
    if big:
        out += field_varint(5, big)
    if flag:
        out += field_varint(6, 1)
    for tag in tags:
        out += field_bytes(9, tag.encode())
    if after is not None:
        out += field_bytes(12, after.encode())
    return out


def grpc_frame(message: bytes, compressed=False, flag=None) -> bytes:
    head = flag if flag is not None else (1 if compressed else 0)
    return bytes([head]) + struct.pack(">I", len(message)) + message


# --- HTTP/2 -----------------------------------------------------------------------------------

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def settings(*pairs) -> bytes:
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


class H2:
    """Builds one client connection's frames after the preface."""

    def __init__(self, window_update=True):
        self.encoder = hpack.Encoder()
        self.out = bytearray(settings((0x2, 0), (0x4, 1 << 20)))
        self.out += frame(SETTINGS, ACK, 0)
        if window_update:
            self.out += frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 20))

    def headers(self, stream, headers, end_stream=False, split=False, huffman=True):
        block = self.encoder.encode(headers, huffman=huffman)
        if split and len(block) > 4:
            self.out += frame(HEADERS, END_STREAM if end_stream else 0, stream, block[:4])
            self.out += frame(CONTINUATION, END_HEADERS, stream, block[4:])
        else:
            self.out += frame(HEADERS, END_HEADERS | (END_STREAM if end_stream else 0), stream, block)
        return self

    def data(self, stream, payload, end_stream=True, padding=0):
        while len(payload) > 16384:  # the default SETTINGS_MAX_FRAME_SIZE
            self.out += frame(DATA, 0, stream, payload[:16384])
            payload = payload[16384:]
        if padding:
            self.out += frame(DATA, PADDED | (END_STREAM if end_stream else 0), stream,
                              bytes([padding]) + payload + b"\0" * padding)
        else:
            self.out += frame(DATA, END_STREAM if end_stream else 0, stream, payload)
        return self

    def raw(self, data: bytes):
        self.out += data
        return self

    def build(self, plan=0) -> bytes:
        return bytes([plan]) + bytes(self.out)


def grpc_headers(method, extra=()):
    return [(":method", "POST"), (":scheme", "http"), (":path", f"{SERVICE}/{method}"),
            (":authority", "localhost"), ("content-type", "application/grpc"), ("te", "trailers"),
            *extra]


def rest_headers(method, path, extra=()):
    return [(":method", method), (":scheme", "http"), (":path", path), (":authority", "localhost"), *extra]


def http2_seeds():
    seeds = {}
    hi = grpc_frame(echo_request("hi", labels={"a": "b"}, tags=("x", "y"), big=1 << 40, flag=True))
    seeds["unary-get"] = H2().headers(1, grpc_headers("Get", [("grpc-timeout", "5S"), ("user-agent", "grpc-seed")])) \
        .data(1, hi).build()
    seeds["unary-metadata"] = H2().headers(1, grpc_headers("Get", [
        ("echo-note", "hello"), ("echo-trace-bin", base64.b64encode(b"\x00\x01\xff").decode().rstrip("=")),
        ("x-request-id", "seed-1"), ("grpc-accept-encoding", "identity,gzip")])).data(1, hi).build()
    seeds["unary-gzip"] = H2().headers(1, grpc_headers("Get", [("grpc-encoding", "gzip"),
                                                               ("grpc-accept-encoding", "gzip")])) \
        .data(1, grpc_frame(gzip.compress(echo_request("z" * 2000), mtime=0), compressed=True)).build()
    seeds["unary-fail"] = H2().headers(1, grpc_headers("Get")).data(1, grpc_frame(echo_request("fail:bad input"))) \
        .headers(3, grpc_headers("Get")).data(3, grpc_frame(echo_request("fail:secret"))).build()
    seeds["deadline-wait"] = H2().headers(1, grpc_headers("Get", [("grpc-timeout", "100m")])) \
        .data(1, grpc_frame(echo_request("wait"))).build(plan=0x80)
    seeds["server-stream"] = H2().headers(1, grpc_headers("Expand")) \
        .data(1, grpc_frame(echo_request("s", repeat=5))).build()
    seeds["client-stream"] = H2().headers(1, grpc_headers("Collect")) \
        .data(1, grpc_frame(echo_request("a")), end_stream=False) \
        .data(1, grpc_frame(echo_request("b")) + grpc_frame(echo_request("c")), padding=3).build()
    seeds["bidi"] = H2().headers(1, grpc_headers("Chat")) \
        .data(1, grpc_frame(echo_request("one")), end_stream=False) \
        .data(1, grpc_frame(echo_request("two"))).build(plan=0x0B)
    seeds["cancel"] = H2().headers(1, grpc_headers("Expand")).data(1, grpc_frame(echo_request("wait", repeat=2))) \
        .raw(frame(RST_STREAM, 0, 1, struct.pack(">I", 8))).build()
    seeds["health"] = H2().headers(1, [(":method", "POST"), (":scheme", "http"),
                                       (":path", "/grpc.health.v1.Health/Check"), (":authority", "x"),
                                       ("content-type", "application/grpc+proto"), ("te", "trailers")]) \
        .data(1, grpc_frame(b"")).build()
    seeds["health-watch"] = H2().headers(1, [(":method", "POST"), (":scheme", "http"),
                                             (":path", "/grpc.health.v1.Health/Watch"), (":authority", "x"),
                                             ("content-type", "application/grpc"), ("te", "trailers")]) \
        .data(1, grpc_frame(field_bytes(1, SERVICE[1:].encode()))).build()
    seeds["reflection"] = H2().headers(1, [(":method", "POST"), (":scheme", "http"),
                                           (":path", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
                                           (":authority", "x"), ("content-type", "application/grpc"),
                                           ("te", "trailers")]) \
        .data(1, grpc_frame(field_bytes(7, b"")) + grpc_frame(field_bytes(4, b"metachat.fixture.v1.EchoService"))
              ).build()
    seeds["rest-get"] = H2().headers(1, rest_headers("GET", "/v1/echo/hello%20there?repeat=2&tags=a"), end_stream=True) \
        .headers(3, rest_headers("GET", "/ping"), end_stream=True).build()
    seeds["rest-post"] = H2().headers(1, rest_headers("POST", "/v1/echo", [("content-type", "application/json")])) \
        .data(1, b'{"text":"hi","repeat":2,"labels":{"k":"v"},"big":"12","mood":"MOOD_HAPPY"}').build()
    seeds["rest-stream"] = H2().headers(1, rest_headers("GET", "/v1/echo/hi/expand?repeat=3",
                                                        [("accept", "text/event-stream")]), end_stream=True) \
        .build(plan=0x80)
    seeds["rest-oversized"] = H2().headers(1, rest_headers("POST", "/upload", [("content-length", "999999")])) \
        .data(1, b"x" * 100, end_stream=False).build()
    seeds["grpc-web"] = H2().headers(1, [(":method", "POST"), (":scheme", "http"), (":path", f"{SERVICE}/Get"),
                                         (":authority", "x"), ("content-type", "application/grpc-web+proto")]) \
        .data(1, grpc_frame(echo_request("web"))).build()
    seeds["continuation"] = H2().headers(1, grpc_headers("Get", [("echo-long", "v" * 300)]), split=True,
                                         huffman=False).data(1, hi).build()
    seeds["control-frames"] = H2().raw(frame(PING, 0, 0, b"12345678")) \
        .raw(frame(PRIORITY, 0, 1, struct.pack(">IB", 0, 16))) \
        .raw(frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 100))) \
        .raw(frame(0x42, 0, 0, b"unknown")) \
        .raw(frame(GOAWAY, 0, 0, struct.pack(">II", 0, 0))).build()
    seeds["not-post"] = H2().headers(1, [(":method", "GET"), (":scheme", "http"), (":path", f"{SERVICE}/Get"),
                                         (":authority", "x"), ("content-type", "application/grpc")],
                                     end_stream=True).build()
    seeds["partial-message"] = H2().headers(1, grpc_headers("Collect")).data(1, grpc_frame(echo_request("x"))[:-1]) \
        .build()
    seeds["bad-flag"] = H2().headers(1, grpc_headers("Get")).data(1, grpc_frame(b"\x0a\x00", flag=7)).build()
    # Backpressure: the client announces a zero stream window, so a long server stream fills the
    # stream's buffer and its writer must wait; then the client opens the window, or resets.
    big = grpc_frame(echo_request("w" * 300, repeat=400))
    blocked = H2(window_update=False).raw(settings((0x4, 0)))
    seeds["stream-backpressure"] = blocked.headers(1, grpc_headers("Expand")).data(1, big) \
        .raw(frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 65535))) \
        .raw(settings((0x4, 1 << 20))).build(plan=0x40)
    blocked = H2(window_update=False).raw(settings((0x4, 0)))
    seeds["stream-backpressure-reset"] = blocked.headers(1, grpc_headers("Chat")) \
        .data(1, grpc_frame(echo_request("v" * 40000)), end_stream=False) \
        .raw(frame(RST_STREAM, 0, 1, struct.pack(">I", 8))).build(plan=0x40)
    blocked = H2(window_update=False).raw(settings((0x4, 0)))
    seeds["rest-stream-backpressure"] = blocked.headers(
        1, rest_headers("GET", "/v1/echo/" + "q" * 200 + "/expand?repeat=500", [("accept", "application/x-ndjson")]),
        end_stream=True).raw(frame(GOAWAY, 0, 0, struct.pack(">II", 0, 0))).build(plan=0x80)
    seeds["unknown-method"] = H2().headers(1, grpc_headers("Nope", [("grpc-encoding", "br")])).data(1, hi).build()
    return seeds


def http2_regressions():
    """Inputs of known defects, kept whatever they cover (named regression-*)."""
    return {
        # grpc-timeout past TimeAmount's range (fixed separately; the target filters it until then).
        "grpc-timeout-hours": H2().headers(1, grpc_headers("Get", [("grpc-timeout", "99999999H")]),
                                           huffman=False).data(1, grpc_frame(echo_request("t"))).build(),
    }


# --- HTTP/1.1 ---------------------------------------------------------------------------------

def http1(text: str, body: bytes = b"", plan=0) -> bytes:
    return bytes([plan]) + text.replace("\n", "\r\n").encode() + body


def ws_frame(payload: bytes, opcode=1) -> bytes:
    mask = b"\x01\x02\x03\x04"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def http1_seeds():
    json_body = b'{"text":"hi","repeat":1,"tags":["a"],"labels":{"k":"v"},"at":"2024-01-01T00:00:00Z","limit":3}'
    web = grpc_frame(echo_request("web", repeat=2))
    seeds = {
        "ping": http1("GET /ping HTTP/1.1\nHost: x\n\n"),
        "get-echo": http1("GET /v1/echo/hello?repeat=2&tags=a&tags=b&flag=true HTTP/1.1\nHost: x\n"
                          "X-Request-Id: seed-request-1\nX-Forwarded-For: 198.51.100.7, 10.0.0.1\n"
                          "X-Forwarded-Proto: https\nAccept-Encoding: gzip\n\n"),
        "post-json": http1("POST /v1/echo HTTP/1.1\nHost: x\nContent-Type: application/json\n"
                           f"Content-Length: {len(json_body)}\n\n", json_body),
        "patch-labels": http1("PATCH /v1/rooms/r%2F1/users/u1 HTTP/1.1\nHost: x\nContent-Type: application/json\n"
                              "Content-Length: 15\n\n", b'{"a":"1","b":""}'[:15]),
        "put-replace": http1("PUT /v1/echo/x HTTP/1.1\nHost: x\nContent-Length: 13\n\n", b'{"repeat":"4"}'[:13]),
        "delete-head": http1("DELETE /v1/echo/x HTTP/1.1\nHost: x\n\nHEAD /v1/echo/y HTTP/1.1\nHost: x\n\n"),
        "sse": http1("GET /v1/echo/hi/expand?repeat=3 HTTP/1.1\nHost: x\nAccept: text/event-stream\n"
                     "Last-Event-ID: 0\n\n", plan=0x80),
        "ndjson": http1("GET /v1/echo/hi/expand?repeat=2 HTTP/1.1\nHost: x\nAccept: application/x-ndjson\n\n"),
        "chunked": http1("POST /v1/echo HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n"
                         "Content-Type: application/json\n\n", b"5\r\n{\"tex\r\n9\r\nt\":\"ok\"}\r\n0\r\n\r\n"),
        "pipelined": http1("GET /ping HTTP/1.1\nHost: x\n\nGET /v1/echo/a HTTP/1.1\nHost: x\nConnection: close\n\n",
                           plan=7),
        "too-large": http1("POST /upload HTTP/1.1\nHost: x\nContent-Length: 100000\n\n", b"x" * 64),
        "upload": http1("POST /upload HTTP/1.1\nHost: x\nContent-Length: 5\n\n", b"hello"),
        "grpc-web": http1(f"POST {SERVICE}/Expand HTTP/1.1\nHost: x\nContent-Type: application/grpc-web+proto\n"
                          f"X-Grpc-Web: 1\nContent-Length: {len(web)}\n\n", web),
        "grpc-web-text": http1(f"POST {SERVICE}/Get HTTP/1.1\nHost: x\nContent-Type: application/grpc-web-text\n"
                               f"grpc-timeout: 1S\nContent-Length: {len(base64.b64encode(web))}\n\n",
                               base64.b64encode(web)),
        "websocket": http1("GET /v1/ws/echo HTTP/1.1\nHost: x\nUpgrade: websocket\nConnection: Upgrade\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\n",
                           ws_frame(b"hello") + ws_frame(b"\x03\xe8", opcode=8)),
        "preflight": http1("OPTIONS /v1/echo HTTP/1.1\nHost: x\nOrigin: https://app.example\n"
                           "Access-Control-Request-Method: POST\n\n"
                           "GET /v1/echo/a HTTP/1.1\nHost: x\nOrigin: https://evil.example\n\n"),
        "bad-json": http1("POST /v1/echo HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 12\n\n",
                          b'{"text": 12]'),
        "wrong-method": http1("POST /ping HTTP/1.1\nHost: x\nContent-Length: 0\n\n"),
        "http10": http1("GET /v1/echo/old HTTP/1.0\n\n"),
        "garbage": bytes([0]) + b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
        "h2-preface": bytes([0]) + b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + settings(),
        "health-web": http1("POST /grpc.health.v1.Health/Check HTTP/1.1\nHost: x\n"
                            "Content-Type: application/grpc-web\nContent-Length: 5\n\n", grpc_frame(b"")),
    }
    return seeds


# --- grpc-framing -----------------------------------------------------------------------------

def framing_seeds():
    msgs = grpc_frame(echo_request("a")) + grpc_frame(b"", compressed=True) + grpc_frame(b"x" * 40)
    return {
        "deframe": bytes([0, 3, 20]) + msgs,
        "deframe-partial": bytes([0, 1, 255]) + msgs[:-3],
        "deframe-oversized": bytes([0, 7, 1]) + grpc_frame(b"y" * 9),
        "deframe-bad-flag": bytes([0, 2, 9]) + grpc_frame(b"z", flag=0x80),
        "timeout": bytes([1]) + b"100m",
        "timeout-hours": bytes([1]) + b"99999999M",
        "metadata": bytes([2]) + b"echo-a: b\nx-trace-bin: AAEC\nbad-bin: ***\ngrpc-timeout: 1S\n:path: /x\nte: trailers",
        "base64": bytes([3]) + b"aGVsbG8gd29ybGQ=",
        "base64-unpadded": bytes([3]) + b"AAECAwQ",
        "status-message": bytes([4]) + "café 100% done\n\x01".encode(),
        "status-encoded": bytes([4]) + b"caf%C3%A9%2",
        "accept-encoding": bytes([5]) + b"identity, deflate ,gzip",
        "gzip": bytes([6]) + gzip.compress(b"hello hello hello hello", mtime=0),
    }


# --- REST -------------------------------------------------------------------------------------

def rest_seeds():
    def req(text: str, body: str = "") -> bytes:
        return (text + "\n\n" + body).encode()

    return {
        "get": req("GET /v1/echo/hello?repeat=2&tags=a&tags=b&flag=true&limit=5&ratio=0.5&big=123"),
        "get-nested": req("GET /v1/echo/x?target.roomId=r&target.user_id=u&mood=MOOD_SAD&at=2024-01-01T00:00:00Z"),
        "post-json": req("POST /v1/echo\ncontent-type: application/json",
                         '{"text":"hi","repeat":3,"labels":{"a":"b"},"tags":["x","y"],"big":"-9",'
                         '"flag":true,"mood":"MOOD_HAPPY","at":"2024-02-29T12:00:00.5Z","limit":null,"ratio":1e3}'),
        "post-bad-type": req("POST /v1/echo\ncontent-type: application/json", '{"repeat":"many","tags":[1]}'),
        "post-malformed": req("POST /v1/echo\ncontent-type: application/json", '{"text": "a\\u00e9\\ud83d\\ude00",'),
        "post-wrong-media": req("POST /v1/echo\ncontent-type: text/plain", "hello"),
        "patch-field": req("PATCH /v1/rooms/r1/users/u%2F1?text=t", '{"k":"v","n":"1"}'),
        "put-summary": req("PUT /v1/echo/abc", '{"repeat":2}'),
        "delete": req("DELETE /v1/echo/abc?tags=t"),
        "head": req("HEAD /v1/echo/abc"),
        "stream-sse": req("GET /v1/echo/hi/expand?repeat=4\naccept: text/event-stream\nlast-event-id: 1"),
        "stream-ndjson": req("GET /v1/echo/hi/expand?repeat=2\naccept: application/x-ndjson"),
        "stream-fail": req("GET /v1/echo/fail:nope/expand"),
        "cors": req("GET /v1/echo/x\norigin: https://app.example\naccept-encoding: gzip"),
        "cors-denied": req("POST /v1/echo\norigin: https://other.example", "{}"),
        "preflight": req("OPTIONS /v1/echo\norigin: https://app.example\naccess-control-request-method: POST"),
        "not-found": req("GET /v2/nothing"),
        "method-not-allowed": req("POST /v1/echo/abc/expand"),
        "query-in-body-route": req("POST /v1/echo?text=x", "{}"),
        "forwarded": req("GET /ping\nx-forwarded-for: 203.0.113.9, 127.0.0.1\nx-real-ip: 192.0.2.1\n"
                         "x-forwarded-proto: https\nx-request-id: abc-123"),
    }


def path_seeds():
    def three(template: str, method: str, target: str) -> bytes:
        return f"{template}\n{method}\n{target}".encode()

    return {
        "simple": three("/v1/echo/{text}", "GET", "/v1/echo/hello?repeat=1&x=%20y+z"),
        "nested": three("/v1/rooms/{target.room_id}/users/{target.user_id=*}", "PATCH", "/v1/rooms/r/users/u%2Fv"),
        "rest": three("/v1/{name=files/**}:download", "GET", "/v1/files/a/b%2Fc/d:download"),
        "verb": three("/v1/things/{id}:cancel", "POST", "/v1/things/7:cancel?force=true&force"),
        "expand": three("/v1/echo/{text}/expand", "HEAD", "/v1/echo/x/expand?tags=a&tags=b&=empty&k="),
        "bad-escape": three("/v1/{a=*}/{b}", "DELETE", "/v1/%zz/%41%42?%=1"),
        "unicode": three("/v1/{x}", "GET", "/v1/%C3%A9t%C3%A9?q=%E2%82%AC"),
        "malformed": three("/v1/{unclosed", "PUT", "//v1//echo/"),
    }


def main():
    for target, seeds in {
        "http2": http2_seeds(),
        "http1": http1_seeds(),
        "grpc-framing": framing_seeds(),
        "rest-binding": rest_seeds(),
        "path-query": path_seeds(),
    }.items():
        directory = ROOT / target
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (directory / f"seed-{name}").write_bytes(data)
        print(f"{target}: {len(seeds)} seeds")
    for name, data in http2_regressions().items():
        (ROOT / "http2" / f"regression-{name}").write_bytes(data)


if __name__ == "__main__":
    main()
