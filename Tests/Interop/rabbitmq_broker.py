"""A private RabbitMQ broker for the event-bus tests, started and stopped by
scripts/lib/rabbitmq.sh on free loopback ports with a throwaway data directory; stopping and
starting it again on the same port keeps durable queues and persistent messages."""

from __future__ import annotations

import contextlib
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pika

from conftest import REPO_ROOT

EXCHANGE = "metachat.events"


@dataclass
class Broker:
    directory: Path
    port: int = 0

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _run(self, command: str) -> str:
        result = subprocess.run(
            ["bash", "-c", f"source scripts/lib/rabbitmq.sh && {command}"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout.strip()

    def start(self) -> None:
        self.port = int(self._run(f"rabbitmq_start '{self.directory}' {self.port or ''}").splitlines()[-1])

    def stop(self) -> None:
        self._run(f"rabbitmq_stop '{self.directory}'")

    def connection(self) -> pika.BlockingConnection:
        return pika.BlockingConnection(pika.URLParameters(self.url))

    def bind_queue(self, routing_key: str) -> str:
        """A durable queue bound to the exchange with `routing_key` (the exchange declared as the
        server declares it); its name."""
        name = f"test-{routing_key.replace('#', 'all').replace('*', 'any')}-{time.monotonic_ns()}"
        with contextlib.closing(self.connection()) as connection:
            channel = connection.channel()
            channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
            channel.queue_declare(name, durable=True)
            channel.queue_bind(name, EXCHANGE, routing_key=routing_key)
        return name

    def drain(self, queue: str, into: list, until, timeout_s: float) -> list:
        """Appends (method, properties, body) of every message in `queue` to `into`, acknowledging
        them, until `until(into)` holds or the timeout passes (reconnecting while the broker is
        away). Returns `into`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not until(into):
            try:
                with contextlib.closing(self.connection()) as connection:
                    channel = connection.channel()
                    while time.monotonic() < deadline and not until(into):
                        method, properties, body = channel.basic_get(queue)
                        if method is None:
                            connection.sleep(0.05)  # paces polling an empty queue
                            continue
                        into.append((method, properties, body))
                        channel.basic_ack(method.delivery_tag)
            except (pika.exceptions.AMQPError, OSError):
                time.sleep(0.2)  # the broker is restarting: paces the reconnects
        return into


@contextlib.contextmanager
def running_broker(directory: Path) -> Iterator[Broker]:
    broker = Broker(directory)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
