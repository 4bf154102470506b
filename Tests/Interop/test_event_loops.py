"""The server runs one event loop per CPU it may use: pinned to one core, one loop."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import open_channel, start_echo_server


def event_loop_threads(pid: int) -> int:
    """Threads of the process named like NIO event-loop threads (`NIO-ELT-<group>-#<n>`)."""
    return sum(
        1 for task in Path(f"/proc/{pid}/task").iterdir() if (task / "comm").read_text().startswith("NIO-ELT-")
    )


def test_pinned_to_one_cpu_the_server_runs_one_event_loop_and_answers(stubs):
    """Under an affinity mask of one CPU (as `taskset -c N`), one loop serves every call."""
    cpu = min(os.sched_getaffinity(0))
    with start_echo_server(cpus={cpu}) as server:
        assert event_loop_threads(server.pid) == 1
        with open_channel(server) as channel:
            stub = stubs.echo_pb2_grpc.EchoServiceStub(channel)
            response = stub.Get(stubs.echo_pb2.EchoRequest(text="one loop"), timeout=10)
        assert response.text == "one loop"


def test_unpinned_the_server_runs_one_event_loop_per_allowed_cpu():
    """With the test's own affinity mask, the server starts one loop per CPU in it."""
    with start_echo_server() as server:
        assert event_loop_threads(server.pid) == len(os.sched_getaffinity(0))
