"""The knowledge base's file routes against a real `metachat serve`: `POST /api/documents/upload`
(multipart/form-data streamed into UploadDocument while it arrives, over HTTP/1.1 and HTTP/2) and
`GET /api/documents/{id}/content` (the original bytes as a plain body). Proves the bytes come
back exactly, a 100 MiB upload is never held in memory (the server's peak RSS), every bad body
gets a clear error with nothing stored, an answer given before the body has arrived (no API key)
reaches the client, and concurrent uploads each make their own document."""

from __future__ import annotations

import concurrent.futures
import hashlib
import http.client
import json
import subprocess
import uuid
from pathlib import Path

import pytest

import restclient
from metachat_process import MetaChat, require_services, running_metachat, seed_admin
from test_knowledge_base import embedding_url, ok, rest, tenant_key, wait_for_status

BOUNDARY = "metachat-test-boundary-7d2f"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> MetaChat:
    require_services()
    with running_metachat(
        tmp_path_factory.mktemp("files"),
        RATE_LIMIT_MAX_REQUESTS="1000000",
        EMBEDDING_BASE_URL=embedding_url(),
        EMBEDDING_MODEL="all-MiniLM-L6-v2",
        STORAGE_PATH=str(tmp_path_factory.mktemp("files-storage")),
    ) as running:
        yield running


@pytest.fixture(scope="module")
def admin(server) -> str:
    return seed_admin("files@example.com", f"files-{uuid.uuid4().hex[:12]}")["apiKey"]


@pytest.fixture
def key(server, admin) -> str:
    """A fresh tenant per test, so document counts are the test's own."""
    return tenant_key(server, admin)


def document_count(server: MetaChat, key: str) -> int:
    return len(ok(rest(server, "GET", "/api/documents?pageSize=100", {"x-api-key": key})).get("documents", []))


def multipart(parts: list[tuple[str, str | None, str | None, bytes]], boundary: str = BOUNDARY) -> bytes:
    """A multipart/form-data body from (name, filename, content type, bytes) parts."""
    body = b""
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\ncontent-disposition: {disposition}\r\n".encode()
        if content_type:
            body += f"content-type: {content_type}\r\n".encode()
        body += b"\r\n" + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


def upload_raw(server: MetaChat, key: str | None, body, content_type: str | None = None) -> restclient.Reply:
    """`content_type` None: the test boundary's multipart type; "": no content-type at all."""
    headers = {}
    if content_type != "":
        headers["content-type"] = content_type or f"multipart/form-data; boundary={BOUNDARY}"
    if key:
        headers["x-api-key"] = key
    return restclient.request(server.port, "POST", "/api/documents/upload", body=body, headers=headers, timeout=120)


def curl_upload(server: MetaChat, key: str, path: Path, *fields: str, protocol=restclient.HTTP1) -> restclient.Reply:
    args = ["-H", f"x-api-key: {key}"]
    for field in fields:
        args += ["-F", field]
    args += ["-F", f"file=@{path}"]
    return restclient.curl(f"http://127.0.0.1:{server.port}/api/documents/upload", *args, protocol=protocol, timeout=120)


def download(server: MetaChat, key: str, document_id: str, protocol=restclient.HTTP1) -> restclient.Reply:
    return restclient.curl(
        f"http://127.0.0.1:{server.port}/api/documents/{document_id}/content",
        "-H",
        f"x-api-key: {key}",
        protocol=protocol,
        timeout=120,
    )


def peak_rss_kib(server: MetaChat) -> int:
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


@pytest.mark.parametrize("protocol", [restclient.HTTP1, restclient.HTTP2])
def test_curl_upload_and_download_round_trip(server, key, tmp_path, protocol):
    source = tmp_path / "reset guide.md"
    text = "# Passwords\n\nTo change your password open Settings and choose Security.\n"
    source.write_text(text)
    reply = curl_upload(
        server, key, source, "title=Account help", 'metadata={"team":"it"}', protocol=protocol
    )
    document = ok(reply)
    assert document["title"] == "Account help"
    assert document["filename"] == "reset guide.md"
    assert document["contentType"] == "text/markdown"
    assert document["metadata"] == {"team": "it"}
    assert document["sizeBytes"] == str(len(text.encode()))
    assert document["sha256"] == hashlib.sha256(text.encode()).hexdigest()

    fetched = download(server, key, document["id"], protocol=protocol)
    assert fetched.status == 200, fetched.body[:300]
    assert fetched.body == text.encode()
    assert fetched.header("content-type") == "text/markdown"
    assert fetched.header("content-disposition") == "attachment; filename*=UTF-8''reset%20guide.md"
    assert fetched.header("cache-control") == "private, no-store"
    assert fetched.header("x-request-id")


@pytest.mark.parametrize("protocol", [restclient.HTTP1, restclient.HTTP2])
def test_a_100_mib_upload_streams_to_disk_and_back(server, key, tmp_path, protocol):
    # A PDF by its first bytes (so ingestion fails fast and cheaply afterwards), 100 MiB long.
    source = tmp_path / "large.pdf"
    with open(source, "wb") as file:
        file.write(b"%PDF-1.4\n")
        block = hashlib.sha256(b"seed").digest() * (MIB // 32)
        for index in range(100):
            file.write(hashlib.sha256(str(index).encode()).digest() + block[32:])
        file.truncate(100 * MIB)
    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    before = peak_rss_kib(server)
    document = ok(curl_upload(server, key, source, protocol=protocol))
    uploaded = peak_rss_kib(server)
    assert document["sizeBytes"] == str(100 * MIB) and document["sha256"] == expected
    # Ingestion reads the PDF where it lies (pdftotext), never into the server's memory either.
    failed = wait_for_status(server, key, document["id"], {"DOCUMENT_STATUS_FAILED", "DOCUMENT_STATUS_READY"}, 120)
    assert failed["status"] == "DOCUMENT_STATUS_FAILED", failed
    fetched = download(server, key, document["id"], protocol=protocol)
    downloaded = peak_rss_kib(server)
    assert fetched.status == 200
    assert len(fetched.body) == 100 * MIB and hashlib.sha256(fetched.body).hexdigest() == expected
    # Held whole, either way would raise the peak by 100 MiB or more.
    assert uploaded - before < 48 * 1024, (before, uploaded)
    assert downloaded - before < 48 * 1024, (before, downloaded)


def test_an_upload_over_100_mib_is_refused_and_nothing_is_stored(server, key, tmp_path):
    body = multipart([("file", "big.txt", "text/plain", b"a" * (100 * MIB + 1))])
    reply = upload_raw(server, key, body)
    assert reply.status == 400, reply.body[:300]
    assert "chunk the file is larger than 104857600 bytes" in reply.error()["message"]
    assert document_count(server, key) == 0


BAD_BODIES = [
    ("no content type", "", b"x", "content-type must be multipart/form-data"),
    ("json content type", "application/json", b"{}", "content-type must be multipart/form-data"),
    ("no boundary", "multipart/form-data", b"x", "content-type has no boundary parameter"),
    ("boundary too long", "multipart/form-data; boundary=" + "b" * 71, b"x", "boundary must be 1-70 characters"),
    ("no delimiter", None, b"just text", "the body has no multipart delimiter"),
    ("no file part", None, multipart([("title", None, None, b"T")]), 'the body has no part named "file"'),
    (
        "unknown field",
        None,
        multipart([("owner", None, None, b"x"), ("file", "a.txt", "text/plain", b"hello")]),
        'the part "owner" is unknown',
    ),
    (
        "field twice",
        None,
        multipart([("title", None, None, b"a"), ("title", None, None, b"b"), ("file", "a.txt", None, b"hi")]),
        "the field title appears twice",
    ),
    (
        "file not last",
        None,
        multipart([("file", "a.txt", "text/plain", b"hello"), ("title", None, None, b"late")]),
        'the part named "file" must be the last part',
    ),
    (
        "a file in another part",
        None,
        multipart([("attachment", "a.txt", "text/plain", b"hello")]),
        'the part "attachment" carries a file',
    ),
    (
        "metadata not an object of strings",
        None,
        multipart([("metadata", None, None, b'{"n": 1}'), ("file", "a.txt", None, b"hi")]),
        "the field metadata must be a JSON object of strings",
    ),
    ("empty file", None, multipart([("file", "a.txt", "text/plain", b"")]), "chunk the file is empty"),
    (
        "truncated body",
        None,
        multipart([("file", "a.txt", "text/plain", b"hello")])[:-12],
        "the body ended before the closing multipart delimiter",
    ),
    (
        "header block too large",
        None,
        f"--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"\r\nx-pad: {'p' * 9000}\r\n\r\nhi".encode(),
        "header block is larger than 8192 bytes",
    ),
    (
        "part without content-disposition",
        None,
        f"--{BOUNDARY}\r\ncontent-type: text/plain\r\n\r\nhi\r\n--{BOUNDARY}--\r\n".encode(),
        "a part has no content-disposition header",
    ),
    ("no file name", None, multipart([("file", None, "text/plain", b"hello")]), "header.filename"),
    (
        "declared type the bytes contradict",
        None,
        multipart([("contentType", None, None, b"application/pdf"), ("file", "a.txt", None, b"hello")]),
        "header.contentType",
    ),
    (
        "sha256 that does not match",
        None,
        multipart([("sha256", None, None, b"0" * 64), ("file", "a.txt", None, b"hello")]),
        "header.sha256 does not match the bytes sent",
    ),
]


@pytest.mark.parametrize("name,content_type,body,message", BAD_BODIES, ids=[case[0] for case in BAD_BODIES])
def test_bad_upload_bodies_are_refused_by_name_and_store_nothing(server, key, name, content_type, body, message):
    reply = upload_raw(server, key, body, content_type)
    assert reply.status == 400, (name, reply.status, reply.body[:300])
    assert message in reply.error()["message"], (name, reply.body[:300])
    assert document_count(server, key) == 0


def curl_from_stdin(server: MetaChat, key: str | None, source: Path, protocol: str) -> tuple[int, bytes]:
    """POSTs `source` as the body through curl's stdin, so no content-length is sent (chunked on
    HTTP/1.1, DATA frames without a length on HTTP/2): only the streamed-body limit can stop it.
    Returns the status curl saw and the body; curl's exit code is not checked, since the server
    stops reading once it has answered."""
    body_path = source.with_suffix(".reply")
    command = [
        restclient.curl_binary(), "-sS", protocol, "--max-time", "120", "-X", "POST", "-T", "-",
        "-H", f"content-type: multipart/form-data; boundary={BOUNDARY}",
        "--output", str(body_path), "--write-out", "%{http_code}",
        f"http://127.0.0.1:{server.port}/api/documents/upload",
    ]
    if key:
        command[1:1] = ["-H", f"x-api-key: {key}"]
    with open(source, "rb") as stdin:
        result = subprocess.run(command, stdin=stdin, capture_output=True, text=True, timeout=180)
    assert result.stdout.strip().isdigit(), (result.returncode, result.stderr)
    assert result.stdout.strip() != "000", (result.returncode, result.stderr)
    return int(result.stdout.strip()), body_path.read_bytes() if body_path.exists() else b""


@pytest.mark.parametrize("protocol", [restclient.HTTP1, restclient.HTTP2])
def test_an_upload_without_a_key_is_answered_401_before_its_body_is_read(server, key, tmp_path, protocol):
    # 48 MiB the server will not read: the 401 must still reach the client, not a reset.
    source = tmp_path / "body"
    source.write_bytes(multipart([("file", "a.txt", "text/plain", b"a" * (48 * MIB))]))
    status, body = curl_from_stdin(server, None, source, protocol)
    assert status == 401, body[:300]
    assert json.loads(body)["error"]["status"] == "UNAUTHENTICATED"
    assert document_count(server, key) == 0


@pytest.mark.parametrize("protocol", [restclient.HTTP1, restclient.HTTP2])
def test_a_file_past_100_mib_without_a_length_is_refused_and_nothing_is_stored(server, key, tmp_path, protocol):
    source = tmp_path / "body"
    with open(source, "wb") as file:
        file.write(multipart([("file", "big.txt", "text/plain", b"")])[:-len(BOUNDARY) - 8])
        for _ in range(102):
            file.write(b"b" * MIB)
    status, body = curl_from_stdin(server, key, source, protocol)
    # The file passes 100 MiB before the body passes the route's limit (101 MiB): UploadDocument
    # refuses it by name, and the partly written file is removed.
    assert status == 400, body[:300]
    error = json.loads(body)["error"]
    assert error["message"] == "chunk the file is larger than 104857600 bytes (100 MiB)", error
    assert document_count(server, key) == 0


def test_concurrent_uploads_each_make_their_own_document(server, key):
    contents = [f"Document {index}: the answer is {index * 7}.\n".encode() * 50 for index in range(8)]

    def send(data: bytes) -> dict:
        return ok(upload_raw(server, key, multipart([("file", "doc.txt", "text/plain", data)])))

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        documents = list(pool.map(send, contents))
    assert len({document["id"] for document in documents}) == 8
    for document, data in zip(documents, contents):
        assert download(server, key, document["id"]).body == data
    # The same content again, concurrently: the existing document each time, no copy.
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        again = list(pool.map(send, [contents[0]] * 4))
    assert {document["id"] for document in again} == {documents[0]["id"]}
    assert document_count(server, key) == 8


def test_downloads_of_unknown_foreign_and_malformed_ids(server, admin, key, tmp_path):
    other = tenant_key(server, admin)
    mine = ok(upload_raw(server, key, multipart([("file", "mine.txt", "text/plain", b"private words")])))
    foreign = download(server, other, mine["id"])
    assert foreign.status == 404 and foreign.error()["status"] == "NOT_FOUND"
    unknown = download(server, key, str(uuid.uuid4()))
    assert unknown.status == 404
    malformed = download(server, key, "not-a-uuid")
    assert malformed.status == 400 and "documentId" in malformed.error()["message"]
    anonymous = restclient.curl(f"http://127.0.0.1:{server.port}/api/documents/{mine['id']}/content")
    assert anonymous.status == 401


def test_an_admin_key_uploads_for_a_named_tenant(server, admin, key):
    tenant_id = ok(upload_raw(server, key, multipart([("file", "own.txt", "text/plain", b"own words")])))["tenantId"]
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        body = multipart([("file", "ops.txt", "text/plain", b"uploaded by an operator")])
        connection.request(
            "POST",
            "/api/documents/upload",
            body=body,
            headers={
                "content-type": f"multipart/form-data; boundary={BOUNDARY}",
                "x-admin-key": admin,
                "x-tenant-id": tenant_id,
            },
        )
        response = connection.getresponse()
        assert response.status == 200, response.read()[:300]
        document = json.loads(response.read())
    finally:
        connection.close()
    assert download(server, key, document["id"]).body == b"uploaded by an operator"
