"""grpcio against echo-server: call kinds, deadlines, cancellation, metadata, errors, sizes,
concurrency."""

from __future__ import annotations

import queue
import time

import grpc
import pytest

CALL_TIMEOUT_S = 10.0
SERVICE = "/metachat.fixture.v1.EchoService"


def _code(error: grpc.RpcError) -> grpc.StatusCode:
    """The status code of a failed call."""
    return error.code()


# MARK: Call kinds


def test_unary_round_trips_text_and_labels_including_non_ascii(stubs, echo_stub):
    """Get echoes the text and every label, non-ASCII keys and values included."""
    labels = {"lang": "日本語", "ünï": "cødé ✓", "empty": "", "emoji": "🦊"}
    request = stubs.echo_pb2.EchoRequest(text="héllo wörld ✓ 100%", labels=labels)
    response = echo_stub.Get(request, timeout=CALL_TIMEOUT_S)
    assert response.text == "héllo wörld ✓ 100%"
    assert dict(response.labels) == labels
    assert response.index == 0


def test_server_streaming_delivers_ten_thousand_messages_in_order(stubs, echo_stub):
    """Expand with repeat=10000 yields indexes 0…9999 in order, each with the text."""
    request = stubs.echo_pb2.EchoRequest(text="tick", repeat=10_000)
    indexes = []
    for response in echo_stub.Expand(request, timeout=60):
        assert response.text == "tick"
        indexes.append(response.index)
    assert indexes == list(range(10_000))


def test_client_streaming_collect_joins_texts(stubs, echo_stub):
    """Collect answers the received texts joined by spaces and their count."""
    texts = ["alpha", "βeta", "gamma", "δelta"]
    requests = iter(stubs.echo_pb2.EchoRequest(text=t) for t in texts)
    response = echo_stub.Collect(requests, timeout=CALL_TIMEOUT_S)
    assert response.text == "alpha βeta gamma δelta"
    assert response.summary.count == 4


def test_bidi_chat_answers_each_message_before_the_next_is_sent(stubs, echo_stub):
    """Chat ping-pong: the next request is only queued after the previous answer arrived."""
    outbox: queue.Queue = queue.Queue()

    def requests():
        """Yields what the test queues, until None."""
        while (item := outbox.get(timeout=CALL_TIMEOUT_S)) is not None:
            yield item

    responses = echo_stub.Chat(requests(), timeout=30)
    for i in range(50):
        outbox.put(stubs.echo_pb2.EchoRequest(text=f"ping {i}"))
        answer = next(responses)
        assert (answer.text, answer.index) == (f"ping {i}", i)
    outbox.put(None)
    assert list(responses) == []
    assert responses.code() == grpc.StatusCode.OK


# MARK: Deadlines and cancellation


def test_unary_call_past_its_deadline_fails_with_deadline_exceeded(stubs, echo_stub):
    """Get("wait") with a 0.3 s timeout ends DEADLINE_EXCEEDED, promptly."""
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as failure:
        echo_stub.Get(stubs.echo_pb2.EchoRequest(text="wait"), timeout=0.3)
    assert _code(failure.value) == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 5


def test_stream_past_its_deadline_delivers_sent_messages_then_deadline_exceeded(stubs, echo_stub):
    """Expand("wait", repeat=3) yields 3 messages, then the deadline ends it."""
    received = []
    with pytest.raises(grpc.RpcError) as failure:
        for response in echo_stub.Expand(stubs.echo_pb2.EchoRequest(text="wait", repeat=3), timeout=1.0):
            received.append(response.index)
    assert received == [0, 1, 2]
    assert _code(failure.value) == grpc.StatusCode.DEADLINE_EXCEEDED


def test_client_cancellation_reaches_the_handler(stubs, echo_stub):
    """Cancelling an in-flight Get("wait") makes the handler count one cancellation."""
    probe = stubs.echo_pb2.EchoRequest(text="cancellations")
    before = echo_stub.Probe(probe, timeout=CALL_TIMEOUT_S).index
    future = echo_stub.Get.future(stubs.echo_pb2.EchoRequest(text="wait"), timeout=60)
    # A round-trip on the same connection, sent after the Get, proves the server has read the
    # Get's HEADERS (and so started its handler) before the cancel goes out.
    echo_stub.Probe(stubs.echo_pb2.EchoRequest(text="x"), timeout=CALL_TIMEOUT_S)
    assert future.cancel()
    seen = before
    deadline = time.monotonic() + 5
    while seen != before + 1 and time.monotonic() < deadline:
        seen = echo_stub.Probe(probe, timeout=CALL_TIMEOUT_S).index
    assert seen == before + 1
    assert future.cancelled()


# MARK: Metadata


def test_metadata_including_binary_comes_back_in_headers_and_trailers(stubs, echo_stub):
    """echo-a and echo-b-bin come back unchanged in initial and trailing metadata."""
    sent = (("echo-a", "1"), ("echo-b-bin", b"\x00\x01\xff"))
    _, call = echo_stub.Get.with_call(stubs.echo_pb2.EchoRequest(text="m"), metadata=sent, timeout=CALL_TIMEOUT_S)
    initial = [(m.key, m.value) for m in call.initial_metadata()]
    trailing = [(m.key, m.value) for m in call.trailing_metadata()]
    for expected in sent:
        assert expected in initial, initial
        assert expected in trailing, trailing


# MARK: Errors


def test_error_message_with_non_ascii_arrives_exactly(stubs, echo_stub):
    """fail:<text> → INVALID_ARGUMENT whose details are exactly <text>, percent sign included."""
    with pytest.raises(grpc.RpcError) as failure:
        echo_stub.Get(stubs.echo_pb2.EchoRequest(text="fail:ünïcødé ✓ 100%"), timeout=CALL_TIMEOUT_S)
    assert _code(failure.value) == grpc.StatusCode.INVALID_ARGUMENT
    assert failure.value.details() == "ünïcødé ✓ 100%"


def test_unexpected_handler_error_is_internal_and_hides_its_text(stubs, echo_stub):
    """A non-RPC error becomes INTERNAL without leaking its description."""
    with pytest.raises(grpc.RpcError) as failure:
        echo_stub.Get(stubs.echo_pb2.EchoRequest(text="fail:secret"), timeout=CALL_TIMEOUT_S)
    assert _code(failure.value) == grpc.StatusCode.INTERNAL
    assert "hunter2" not in (failure.value.details() or "")
    assert all("hunter2" not in str(m.value) for m in failure.value.trailing_metadata() or ())


def test_unknown_method_is_unimplemented(stubs, channel):
    """A method the service does not have answers UNIMPLEMENTED."""
    nope = channel.unary_unary(
        f"{SERVICE}/Nope",
        request_serializer=stubs.echo_pb2.EchoRequest.SerializeToString,
        response_deserializer=stubs.echo_pb2.EchoResponse.FromString,
    )
    with pytest.raises(grpc.RpcError) as failure:
        nope(stubs.echo_pb2.EchoRequest(text="x"), timeout=CALL_TIMEOUT_S)
    assert _code(failure.value) == grpc.StatusCode.UNIMPLEMENTED


# MARK: Message sizes


def test_three_mebibyte_message_is_echoed_whole(stubs, echo_stub):
    """A 3 MiB request (under the 4 MiB limit) comes back with the same length."""
    text = "a" * (3 * 1024 * 1024)
    response = echo_stub.Get(stubs.echo_pb2.EchoRequest(text=text), timeout=30)
    assert len(response.text) == len(text)
    assert response.text == text


def test_five_mebibyte_message_is_resource_exhausted(stubs, echo_stub):
    """A 5 MiB request (over the 4 MiB limit) fails RESOURCE_EXHAUSTED; the channel stays usable."""
    with pytest.raises(grpc.RpcError) as failure:
        echo_stub.Get(stubs.echo_pb2.EchoRequest(text="b" * (5 * 1024 * 1024)), timeout=30)
    assert _code(failure.value) == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert echo_stub.Get(stubs.echo_pb2.EchoRequest(text="after"), timeout=CALL_TIMEOUT_S).text == "after"


# MARK: Concurrency


def test_thousand_concurrent_unary_calls_on_one_channel_are_all_answered(stubs, echo_stub):
    """1,000 Get futures in flight at once on one channel each get their own answer."""
    futures = [echo_stub.Get.future(stubs.echo_pb2.EchoRequest(text=f"call {i}"), timeout=60) for i in range(1000)]
    answers = [f.result(timeout=60).text for f in futures]
    assert answers == [f"call {i}" for i in range(1000)]
