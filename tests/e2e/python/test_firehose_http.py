"""Firehose HTTP endpoint destinations against a real HTTP server on loopback.

The endpoint records every request (headers and body) and answers as it is told: AWS's success
body, an error status, or a success with the wrong requestId. Checked: AWS's request format
(X-Amz-Firehose-* headers, JSON body of base64 records, optional GZIP), retries keeping the
request id, failed data to the S3 backup after the retry duration, and AllData backup.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from conftest import ACCESS_KEY, REGION, SECRET_KEY, unique_name

ROLE_ARN = "arn:aws:iam::000000000000:role/firehose"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Endpoint:
    """A real HTTP endpoint: `answers` is a list of behaviours consumed one per request
    ("ok", an int status, or "wrong-id"); when it is empty every request gets "ok"."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                body = gzip.decompress(raw) if self.headers.get("Content-Encoding") == "gzip" else raw
                doc = json.loads(body)
                with outer.lock:
                    outer.requests.append({"path": self.path, "headers": dict(self.headers),
                                           "raw": raw, "body": doc})
                    answer = outer.answers.pop(0) if outer.answers else "ok"
                rid = doc.get("requestId")
                if answer == "ok":
                    status, reply = 200, {"requestId": rid, "timestamp": int(time.time() * 1000)}
                elif answer == "wrong-id":
                    status, reply = 200, {"requestId": "not-" + str(rid), "timestamp": 0}
                else:
                    status, reply = answer, {"requestId": rid, "timestamp": 0,
                                             "errorMessage": "endpoint says no"}
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ingest?token=abc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_requests(self, n: int, timeout: float = 20.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.requests)} requests after {timeout}s, wanted {n}")

    def close(self):
        self.server.shutdown()


@pytest.fixture
def endpoint():
    e = Endpoint()
    yield e
    e.close()


@pytest.fixture(scope="module")
def srv(sluice_factory, tmp_path_factory):
    s3_dir = tmp_path_factory.mktemp("s3")
    srv = sluice_factory("firehose-http", extra_args=["--s3-dir", str(s3_dir)])
    srv.s3_dir = s3_dir
    return srv


@pytest.fixture(scope="module")
def fh(srv):
    return boto3.session.Session().client(
        "firehose", endpoint_url=srv.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, config=Config(retries={"total_max_attempts": 1}))


def create(fh, endpoint: Endpoint, bucket: str, **extra) -> str:
    name = unique_name("fhhttp")
    cfg = {
        "EndpointConfiguration": {"Url": endpoint.url, "Name": "test endpoint",
                                  "AccessKey": "secret-key-123"},
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1},
        "RequestConfiguration": {"ContentEncoding": "NONE", "CommonAttributes": [
            {"AttributeName": "env", "AttributeValue": "test"}]},
        "RoleARN": ROLE_ARN,
        "S3Configuration": {"RoleARN": ROLE_ARN, "BucketARN": f"arn:aws:s3:::{bucket}",
                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}},
    }
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(cfg.get(k), dict):
            cfg[k] = {**cfg[k], **v}
        else:
            cfg[k] = v
    fh.create_delivery_stream(DeliveryStreamName=name, HttpEndpointDestinationConfiguration=cfg)
    return name


def records_of(req: dict) -> list[bytes]:
    return [base64.b64decode(r["data"]) for r in req["body"]["records"]]


def bucket_files(srv, bucket: str) -> list[Path]:
    root = Path(srv.s3_dir) / bucket
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def wait_files(srv, bucket: str, n: int = 1, timeout: float = 20.0) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = bucket_files(srv, bucket)
        if len(files) >= n:
            return files
        time.sleep(0.05)
    raise AssertionError(f"bucket {bucket}: fewer than {n} objects after {timeout}s")


def test_requests_follow_aws_format(srv, fh, endpoint):
    name = create(fh, endpoint, "http-format")
    desc = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    d = desc["Destinations"][0]["HttpEndpointDestinationDescription"]
    assert d["EndpointConfiguration"] == {"Url": endpoint.url, "Name": "test endpoint"}, d
    assert d["S3BackupMode"] == "FailedDataOnly" and d["RetryOptions"] == {"DurationInSeconds": 300}, d
    assert d["S3DestinationDescription"]["BucketARN"] == "arn:aws:s3:::http-format", d
    records = [f"event-{i}".encode() for i in range(20)]
    fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": r} for r in records])
    (req,) = endpoint.wait_requests(1)
    h = {k.lower(): v for k, v in req["headers"].items()}
    assert req["path"] == "/ingest?token=abc"
    assert h["content-type"] == "application/json"
    assert "content-encoding" not in h
    assert h["x-amz-firehose-protocol-version"] == "1.0"
    assert UUID.fullmatch(h["x-amz-firehose-request-id"]), h
    assert h["x-amz-firehose-source-arn"] == desc["DeliveryStreamARN"]
    assert h["x-amz-firehose-access-key"] == "secret-key-123"
    assert json.loads(h["x-amz-firehose-common-attributes"]) == {"commonAttributes": {"env": "test"}}
    body = req["body"]
    assert body["requestId"] == h["x-amz-firehose-request-id"]
    assert isinstance(body["timestamp"], int) and abs(body["timestamp"] / 1000 - time.time()) < 60
    assert records_of(req) == records
    time.sleep(1.5)
    assert len(endpoint.requests) == 1, "a successful request is not sent again"
    assert bucket_files(srv, "http-format") == [], "FailedDataOnly backs up nothing that succeeded"


def test_gzip_content_encoding_and_delimiter(fh, endpoint):
    name = create(fh, endpoint, "http-gzip", RequestConfiguration={"ContentEncoding": "GZIP"},
                  ProcessingConfiguration={"Enabled": True, "Processors": [
                      {"Type": "AppendDelimiterToRecord"}]})
    fh.put_record(DeliveryStreamName=name, Record={"Data": b'{"a":1}'})
    (req,) = endpoint.wait_requests(1)
    assert {k.lower(): v for k, v in req["headers"].items()}.get("content-encoding") == "gzip"
    assert gzip.decompress(req["raw"])  # a real gzip body
    assert records_of(req) == [b'{"a":1}\n']


def test_failures_are_retried_with_the_same_request_id(srv, fh, endpoint):
    endpoint.answers = [500, 503, "wrong-id"]
    name = create(fh, endpoint, "http-retry")
    fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"r1"}, {"Data": b"r2"}])
    reqs = endpoint.wait_requests(4, timeout=30)
    ids = {r["body"]["requestId"] for r in reqs}
    assert len(ids) == 1, f"retries changed the request id: {ids}"
    for r in reqs:
        assert records_of(r) == [b"r1", b"r2"]
    time.sleep(1.5)
    assert len(endpoint.requests) == 4, "delivered once it succeeded, not again"
    assert bucket_files(srv, "http-retry") == []


def test_records_go_to_the_s3_backup_when_retries_run_out(srv, fh, endpoint):
    endpoint.answers = [500] * 1000
    name = create(fh, endpoint, "http-failed", RetryOptions={"DurationInSeconds": 2},
                  S3Configuration={"RoleARN": ROLE_ARN, "BucketARN": "arn:aws:s3:::http-failed",
                                   "ErrorOutputPrefix": "failed/!{firehose:error-output-type}/"})
    before = time.time()
    fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"lost?"}, {"Data": b"no"}])
    (path,) = wait_files(srv, "http-failed", timeout=30)
    rel = str(path.relative_to(Path(srv.s3_dir) / "http-failed"))
    assert rel.startswith(f"failed/http-endpoint-failed/{name}-1-"), rel
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [base64.b64decode(x["rawData"]) for x in lines] == [b"lost?", b"no"]
    for x in lines:
        assert x["errorCode"] == "HttpEndpoint.DestinationException", x
        assert "500" in x["errorMessage"], x
        assert x["attemptsMade"] >= 2, x
        assert before - 1 <= x["arrivalTimestamp"] / 1000 <= x["attemptEndingTimestamp"] / 1000, x
    n = len(endpoint.requests)
    time.sleep(1.5)
    assert len(endpoint.requests) == n, "no more tries once the records were backed up"


def test_all_data_backup_writes_every_record_to_s3(srv, fh, endpoint):
    name = create(fh, endpoint, "http-all", S3BackupMode="AllData")
    fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"one,"}, {"Data": b"two"}])
    (req,) = endpoint.wait_requests(1)
    assert records_of(req) == [b"one,", b"two"]
    (path,) = wait_files(srv, "http-all")
    assert path.read_bytes() == b"one,two"
    assert path.name.startswith(f"{name}-1-")


def test_update_destination_changes_the_endpoint(fh, endpoint):
    name = create(fh, endpoint, "http-update")
    other = Endpoint()
    try:
        fh.update_destination(
            DeliveryStreamName=name, CurrentDeliveryStreamVersionId="1",
            DestinationId="destinationId-000000000001",
            HttpEndpointDestinationUpdate={"EndpointConfiguration": {"Url": other.url},
                                           "RetryOptions": {"DurationInSeconds": 60}})
        d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
        assert d["VersionId"] == "2"
        h = d["Destinations"][0]["HttpEndpointDestinationDescription"]
        assert h["EndpointConfiguration"]["Url"] == other.url and h["RetryOptions"]["DurationInSeconds"] == 60
        fh.put_record(DeliveryStreamName=name, Record={"Data": b"to the new endpoint"})
        (req,) = other.wait_requests(1)
        assert records_of(req) == [b"to the new endpoint"]
        assert endpoint.requests == []
        with pytest.raises(fh.exceptions.InvalidArgumentException):
            fh.update_destination(
                DeliveryStreamName=name, CurrentDeliveryStreamVersionId="2",
                DestinationId="destinationId-000000000001",
                ExtendedS3DestinationUpdate={"Prefix": "x/"})
    finally:
        other.close()


def test_an_http_url_that_is_not_a_url_is_refused(fh):
    with pytest.raises(fh.exceptions.ClientError) as e:
        fh.create_delivery_stream(
            DeliveryStreamName=unique_name("fhbad"),
            HttpEndpointDestinationConfiguration={
                "EndpointConfiguration": {"Url": "ftp://example.invalid/"},
                "S3Configuration": {"RoleARN": ROLE_ARN, "BucketARN": "arn:aws:s3:::b"}})
    assert e.value.response["Error"]["Code"] == "ValidationException", e.value.response
