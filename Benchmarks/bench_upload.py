"""Driver for scripts/bench-upload.sh: a 100 MiB file through `POST /api/documents/upload`
(multipart/form-data, streamed to STORAGE_PATH) and back through
`GET /api/documents/{id}/content`, over HTTP/1.1 and HTTP/2, with the server's memory measured
(docs/knowledge-base.md: an upload is never held whole in memory; goal: the peak RSS grows by
less than 20 MiB).

scripts/bench-upload.sh builds the release binary, starts PostgreSQL and Redis
(scripts/lib/services.sh), migrates, and runs this file with DATABASE_URL, REDIS_URL and
API_KEY_PEPPER set.

Each protocol gets a fresh `metachat serve` pinned to --server-cpu (so its peak RSS, VmHWM, starts
from the same point): a small upload and download warm it up, then --rounds rounds upload the file
with curl (pinned to --client-cpu) and download it again. The file starts with `%PDF-` so it is
stored as a PDF whose ingestion fails at once (pdftotext reads it where it lies), keeping the
measurement to the transfer. Reported per protocol: the peak RSS after warm-up, after the uploads
and after the downloads, the growth, and the median MB/s of each direction; beside them, in the
same invocation, the reference: curl copying the same file from disk to disk (`file://`), the
ceiling of a transfer that reads and writes every byte once.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import Server, free_port, json_call, markdown, median, print_plain, vm_hwm_kib

MIB = 1024 * 1024




def make_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "wb") as file:
        written = 0
        block = b"%PDF-1.4\n" + bytes(range(256)) * (MIB // 256)
        index = 0
        while written < size:
            piece = (hashlib.sha256(str(index).encode()).digest() + block)[: min(MIB, size - written)]
            if written == 0:
                piece = b"%PDF-1.4\n" + piece[9:]
            file.write(piece)
            digest.update(piece)
            written += len(piece)
            index += 1
    return digest.hexdigest()


def curl(cpu: int, args: list[str]) -> tuple[float, str]:
    started = time.monotonic()
    result = subprocess.run(
        ["taskset", "-c", str(cpu), "curl", "-sS", "--fail-with-body", *args],
        capture_output=True, text=True, timeout=600,
    )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"curl {args[:4]} failed ({result.returncode}): {result.stderr} {result.stdout[:300]}")
    return elapsed, result.stdout


def wait_ingested(port: int, key: str, document_id: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = json_call(port, "GET", f"/api/documents/{document_id}", {"x-api-key": key})["status"]
        if status in ("DOCUMENT_STATUS_FAILED", "DOCUMENT_STATUS_READY"):
            return
        time.sleep(0.05)  # paces the polling of a state that changes on its own
    raise SystemExit(f"document {document_id} was not ingested within 120 s")


def run_protocol(args, protocol: str, source: Path, expected: str, work: Path, key_for) -> dict:
    port = free_port()
    # Server() starts the process with this process's environment.
    os.environ.update(HOST="127.0.0.1", PORT=str(port), LOG_LEVEL="warning", DASHBOARD_PORT="off",
                      STORAGE_PATH=str(work / f"storage-{protocol}"), RATE_LIMIT_MAX_REQUESTS="1000000")
    server = Server(f"metachat-{protocol}", [args.metachat, "serve"], args.server_cpu, work, protocol, port=port)
    flag = "--http1.1" if protocol == "http1" else "--http2-prior-knowledge"
    url = f"http://127.0.0.1:{port}"
    try:
        key = key_for(port)
        small = work / "warm-up.txt"
        small.write_text("warm up\n" * 100)
        _, reply = curl(args.client_cpu, [flag, "-H", f"x-api-key: {key}", "-F", f"file=@{small}", f"{url}/api/documents/upload"])
        warm_id = json.loads(reply)["id"]
        curl(args.client_cpu, [flag, "-H", f"x-api-key: {key}", "-o", "/dev/null", f"{url}/api/documents/{warm_id}/content"])
        warm = vm_hwm_kib(server.pid)
        uploads, downloads, after_upload, after_download = [], [], warm, warm
        for round_index in range(args.rounds):
            # Each round its own tenant: the same content in one tenant would answer the first copy.
            key = key_for(port)
            seconds, reply = curl(args.client_cpu, [flag, "-H", f"x-api-key: {key}", "-F", f"file=@{source}",
                                                    f"{url}/api/documents/upload"])
            document = json.loads(reply)
            if document["sha256"] != expected:
                raise SystemExit(f"round {round_index}: stored sha256 {document['sha256']} != {expected}")
            uploads.append(args.size_mib / seconds)
            after_upload = vm_hwm_kib(server.pid)
            wait_ingested(port, key, document["id"])
            target = work / f"downloaded-{protocol}"
            seconds, _ = curl(args.client_cpu, [flag, "-H", f"x-api-key: {key}", "-o", str(target),
                                                f"{url}/api/documents/{document['id']}/content"])
            downloads.append(args.size_mib / seconds)
            after_download = vm_hwm_kib(server.pid)
            if hashlib.sha256(target.read_bytes()).hexdigest() != expected:
                raise SystemExit(f"round {round_index}: the downloaded bytes differ")
            target.unlink()
        server.check_alive("after the rounds")
        return {"warm": warm, "upload": after_upload, "download": after_download,
                "up": median(uploads), "down": median(downloads)}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metachat", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--size-mib", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server-cpu", type=int, default=1)
    parser.add_argument("--client-cpu", type=int, default=0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-upload-", dir=args.data_dir))
    source = work / "large.pdf"
    expected = make_file(source, args.size_mib * MIB)

    seeded = subprocess.run([args.metachat, "seed-admin", "--email", "bench@example.com", "--label", "bench",
                             "--json"], capture_output=True, text=True, check=True)
    admin = json.loads(seeded.stdout.strip().splitlines()[-1])["apiKey"]

    def key_for(port: int) -> str:
        tenant = json_call(port, "POST", "/api/tenants", {"x-admin-key": admin}, {"name": f"upload {time.monotonic_ns()}"})
        return json_call(port, "POST", f"/api/security/tenants/{tenant['id']}/api-keys", {"x-admin-key": admin},
                    {"label": "bench"})["apiKey"]

    copies = []
    for _ in range(args.rounds):
        seconds, _ = curl(args.client_cpu, ["-o", str(work / "copy.pdf"), f"file://{source}"])
        copies.append(args.size_mib / seconds)
    reference = median(copies)

    results = {protocol: run_protocol(args, protocol, source, expected, work, key_for) for protocol in ("http1", "http2")}
    header = ["run", "peak RSS after warm-up MiB", "after uploads MiB", "after downloads MiB", "growth MiB",
              "upload MB/s", "download MB/s"]
    body = []
    for protocol, result in results.items():
        growth = (max(result["upload"], result["download"]) - result["warm"]) / 1024
        body.append([f"MetaChat {protocol}", f"{result['warm'] / 1024:.1f}", f"{result['upload'] / 1024:.1f}",
                     f"{result['download'] / 1024:.1f}", f"{growth:.1f}", f"{result['up']:.0f}", f"{result['down']:.0f}"])
    body.append(["reference: curl file:// copy", "-", "-", "-", "-", f"{reference:.0f}", f"{reference:.0f}"])
    print(f"{args.size_mib} MiB file, {args.rounds} rounds, medians")
    print_plain(header, body)
    print()
    print(markdown(header, body))


if __name__ == "__main__":
    sys.exit(main())
