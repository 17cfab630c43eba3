"""Firehose OpenSearch and Elasticsearch destinations against osmem-server (an in-memory
OpenSearch-compatible server) on loopback.

Checked: documents indexed with `_bulk` into the rotated index name, stable document ids,
documents the cluster refuses retried and then written to the S3 error output with AWS's
error-output type, an unreachable cluster retried and then backed up, AllDocuments backup,
DomainARN mapped by `--opensearch-domain`, and the destination descriptions.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from conftest import ACCESS_KEY, REGION, SECRET_KEY, find_free_port, unique_name

import osmem_server  # noqa: E402  (installed from requirements.txt)

ROLE_ARN = "arn:aws:iam::000000000000:role/firehose"


@pytest.fixture(scope="module")
def cluster():
    with osmem_server.OsmemServer.start() as s:
        yield s.url


def es(url: str, method: str, path: str, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return json.loads(e.read() or b"{}") | {"_status": e.code}


def wait_count(url: str, index: str, n: int, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        es(url, "POST", f"/{index}/_refresh")
        count = es(url, "GET", f"/{index}/_count").get("count", 0)
        if count >= n:
            return count
        time.sleep(0.1)
    raise AssertionError(f"index {index}: {count} documents after {timeout}s, wanted {n}")


def search_all(url: str, index: str) -> list[dict]:
    es(url, "POST", f"/{index}/_refresh")
    return es(url, "POST", f"/{index}/_search", {"size": 1000, "query": {"match_all": {}}})["hits"]["hits"]


@pytest.fixture(scope="module")
def srv(sluice_factory, cluster, tmp_path_factory):
    s3_dir = tmp_path_factory.mktemp("s3")
    srv = sluice_factory("firehose-os", extra_args=[
        "--s3-dir", str(s3_dir), "--opensearch-domain", f"logs-domain={cluster}"])
    srv.s3_dir = s3_dir
    return srv


@pytest.fixture(scope="module")
def fh(srv):
    return boto3.session.Session().client(
        "firehose", endpoint_url=srv.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, config=Config(retries={"total_max_attempts": 1}))


def create(fh, bucket: str, kind: str = "AmazonopensearchserviceDestinationConfiguration", **cfg) -> str:
    name = unique_name("fhos")
    base = {"RoleARN": ROLE_ARN, "IndexName": "idx", "IndexRotationPeriod": "NoRotation",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1},
            "S3Configuration": {"RoleARN": ROLE_ARN, "BucketARN": f"arn:aws:s3:::{bucket}"}}
    base.update(cfg)
    fh.create_delivery_stream(DeliveryStreamName=name, **{kind: base})
    return name


def bucket_files(srv, bucket: str, timeout: float = 0.0, n: int = 1) -> list[Path]:
    deadline = time.monotonic() + timeout
    while True:
        root = Path(srv.s3_dir) / bucket
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")) \
            if root.exists() else []
        if len(files) >= n or time.monotonic() >= deadline:
            return files
        time.sleep(0.1)


def test_documents_are_indexed_with_stable_ids(srv, fh, cluster):
    index = unique_name("events").lower()
    name = create(fh, "os-ok", ClusterEndpoint=cluster, IndexName=index)
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    desc = d["Destinations"][0]["AmazonopensearchserviceDestinationDescription"]
    assert desc["ClusterEndpoint"] == cluster and desc["IndexName"] == index, desc
    assert desc["IndexRotationPeriod"] == "NoRotation" and desc["S3BackupMode"] == "FailedDocumentsOnly", desc
    assert desc["RetryOptions"] == {"DurationInSeconds": 300}, desc
    docs = [{"user": f"u{i}", "score": i} for i in range(25)]
    r = fh.put_record_batch(DeliveryStreamName=name,
                            Records=[{"Data": json.dumps(x).encode() + b"\n"} for x in docs])
    assert r["FailedPutCount"] == 0
    assert wait_count(cluster, index, 25) == 25
    hits = search_all(cluster, index)
    assert sorted((h["_source"] for h in hits), key=lambda s: s["score"]) == docs
    ids = {h["_id"] for h in hits}
    assert len(ids) == 25, "one stable id per record"
    time.sleep(1.5)
    assert wait_count(cluster, index, 25) == 25, "no document indexed twice"
    assert bucket_files(srv, "os-ok") == []


def test_index_rotation_uses_the_arrival_day(fh, cluster):
    index = unique_name("daily").lower()
    name = create(fh, "os-rot", ClusterEndpoint=cluster, IndexName=index, IndexRotationPeriod="OneDay")
    fh.put_record(DeliveryStreamName=name, Record={"Data": b'{"a":1}'})
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert wait_count(cluster, f"{index}-{day}", 1) == 1


def test_refused_documents_go_to_the_s3_error_output(srv, fh, cluster):
    index = unique_name("mixed").lower()
    name = create(fh, "os-failed", ClusterEndpoint=cluster, IndexName=index,
                  RetryOptions={"DurationInSeconds": 2})
    fh.put_record_batch(DeliveryStreamName=name, Records=[
        {"Data": b'{"ok":1}'}, {"Data": b"{not json"}, {"Data": b'{"ok":2}'}])
    assert wait_count(cluster, index, 2) == 2
    (path,) = bucket_files(srv, "os-failed", timeout=30)
    rel = str(path.relative_to(Path(srv.s3_dir) / "os-failed"))
    assert rel.startswith("AmazonOpenSearchService-failed/"), rel
    (line,) = [json.loads(x) for x in path.read_text().splitlines()]
    assert base64.b64decode(line["rawData"]) == b"{not json"
    assert line["esIndexName"] == index and line["esDocumentId"], line
    assert line["errorCode"] == "mapper_parsing_exception", line
    assert line["attemptsMade"] >= 2, line
    time.sleep(1.5)
    assert wait_count(cluster, index, 2) == 2


def test_an_unreachable_cluster_is_retried_then_backed_up(srv, fh):
    dead = f"http://127.0.0.1:{find_free_port()}"
    name = create(fh, "os-down", ClusterEndpoint=dead, IndexName="x",
                  RetryOptions={"DurationInSeconds": 1})
    fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b'{"a":1}'}, {"Data": b'{"a":2}'}])
    (path,) = bucket_files(srv, "os-down", timeout=30)
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [base64.b64decode(x["rawData"]) for x in lines] == [b'{"a":1}', b'{"a":2}']
    assert all(x["errorCode"] == "OS.ConnectionFailed" for x in lines), lines


def test_all_documents_backup_and_a_mapped_domain(srv, fh, cluster):
    index = unique_name("mapped").lower()
    name = create(fh, "os-all", DomainARN="arn:aws:es:us-east-1:000000000000:domain/logs-domain",
                  IndexName=index, S3BackupMode="AllDocuments")
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    desc = d["Destinations"][0]["AmazonopensearchserviceDestinationDescription"]
    assert desc["DomainARN"].endswith("domain/logs-domain") and "ClusterEndpoint" not in desc, desc
    fh.put_record(DeliveryStreamName=name, Record={"Data": b'{"kept":"twice"}'})
    assert wait_count(cluster, index, 1) == 1
    (path,) = bucket_files(srv, "os-all", timeout=20)
    assert path.read_bytes() == b'{"kept":"twice"}'


def test_an_unknown_domain_is_refused(fh):
    with pytest.raises(fh.exceptions.InvalidArgumentException):
        create(fh, "b", DomainARN="arn:aws:es:us-east-1:000000000000:domain/nowhere")


def test_elasticsearch_destination(fh, cluster):
    index = unique_name("es").lower()
    name = create(fh, "es-ok", kind="ElasticsearchDestinationConfiguration",
                  ClusterEndpoint=cluster, IndexName=index,
                  DocumentIdOptions={"DefaultDocumentIdFormat": "NO_DOCUMENT_ID"})
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    desc = d["Destinations"][0]["ElasticsearchDestinationDescription"]
    assert desc["DocumentIdOptions"] == {"DefaultDocumentIdFormat": "NO_DOCUMENT_ID"}, desc
    fh.put_record(DeliveryStreamName=name, Record={"Data": b'{"es":true}'})
    assert wait_count(cluster, index, 1) == 1
    fh.update_destination(DeliveryStreamName=name, CurrentDeliveryStreamVersionId="1",
                          DestinationId="destinationId-000000000001",
                          ElasticsearchDestinationUpdate={"IndexName": index + "-v2"})
    fh.put_record(DeliveryStreamName=name, Record={"Data": b'{"es":2}'})
    assert wait_count(cluster, index + "-v2", 1) == 1
