"""Firehose delivering to a real S3-compatible server (moto's standalone server on loopback).

The server is started with `--s3-endpoint` (every bucket there) or `--s3-bucket NAME=URL` (one
bucket there, another to a `file://` directory). Objects are read back with boto3's S3 client
and checked byte for byte; a bucket that does not exist yet makes delivery fail and retry until
it is created, with nothing lost.
"""

from __future__ import annotations

import gzip
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from conftest import ACCESS_KEY, REGION, SECRET_KEY, s3_client, unique_name

ROLE_ARN = "arn:aws:iam::000000000000:role/firehose"


def firehose_client(srv):
    return boto3.session.Session().client(
        "firehose", endpoint_url=srv.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, config=Config(retries={"total_max_attempts": 1}))


def create(fh, bucket: str, **s3) -> str:
    name = unique_name("fhs3")
    cfg = {"RoleARN": ROLE_ARN, "BucketARN": f"arn:aws:s3:::{bucket}",
           "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}}
    cfg.update(s3)
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=cfg)
    return name


def wait_keys(s3, bucket: str, n: int = 1, timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    keys: list[str] = []
    while time.monotonic() < deadline:
        try:
            resp = s3.list_objects_v2(Bucket=bucket)
            keys = sorted(o["Key"] for o in resp.get("Contents", []))
        except s3.exceptions.NoSuchBucket:
            keys = []
        if len(keys) >= n:
            return keys
        time.sleep(0.1)
    raise AssertionError(f"bucket {bucket}: {len(keys)} objects after {timeout}s, wanted {n}: {keys}")


@pytest.fixture(scope="module")
def srv(sluice_factory, s3_server, tmp_path_factory):
    local = tmp_path_factory.mktemp("mapped-bucket")
    srv = sluice_factory("firehose-s3", extra_args=[
        "--s3-endpoint", s3_server, "--s3-credential", f"{ACCESS_KEY}:{SECRET_KEY}",
        "--s3-bucket", f"local-bucket=file://{local}"])
    srv.mapped_dir = local
    return srv


def test_gzip_objects_land_in_the_s3_compatible_store(srv, s3_server):
    s3 = s3_client(s3_server)
    bucket = unique_name("bkt").lower().replace("_", "-")
    s3.create_bucket(Bucket=bucket)
    fh = firehose_client(srv)
    name = create(fh, bucket, CompressionFormat="GZIP", Prefix="events/!{timestamp:yyyy}/",
                  ErrorOutputPrefix="errors/")
    records = [f'{{"n":{i}}}\n'.encode() for i in range(300)]
    for i in range(0, len(records), 100):
        r = fh.put_record_batch(DeliveryStreamName=name,
                                Records=[{"Data": d} for d in records[i:i + 100]])
        assert r["FailedPutCount"] == 0, r
    (key,) = wait_keys(s3, bucket)
    year = time.strftime("%Y", time.gmtime())
    assert key.startswith(f"events/{year}/{name}-1-") and key.endswith(".gz"), key
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert gzip.decompress(body) == b"".join(records)


def test_a_missing_bucket_is_retried_until_it_exists(srv, s3_server):
    s3 = s3_client(s3_server)
    bucket = unique_name("late").lower().replace("_", "-")
    fh = firehose_client(srv)
    name = create(fh, bucket, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 0})
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"kept while the bucket is missing"})
    # Deliveries fail meanwhile (moto answers NoSuchBucket); the record stays in Sluice's log.
    time.sleep(2.0)
    metrics = urllib.request.urlopen(srv.endpoint + "/metrics", timeout=5).read().decode()
    failures = [line for line in metrics.splitlines()
                if line.startswith("sluice_firehose_delivery_to_s3_failures_total")
                and f'delivery_stream="{name}"' in line]
    assert failures and float(failures[0].split()[-1]) >= 1, failures
    s3.create_bucket(Bucket=bucket)
    (key,) = wait_keys(s3, bucket, timeout=40)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"kept while the bucket is missing"


def test_a_bucket_mapped_to_a_directory(srv):
    fh = firehose_client(srv)
    name = create(fh, "local-bucket", Prefix="mapped/")
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"to the directory"})
    deadline = time.monotonic() + 20
    files: list[Path] = []
    while time.monotonic() < deadline and not files:
        files = [p for p in Path(srv.mapped_dir).rglob("*")
                 if p.is_file() and not p.name.startswith(".")]
        time.sleep(0.1)
    assert len(files) == 1, files
    rel = files[0].relative_to(srv.mapped_dir)
    assert str(rel).startswith(f"mapped/{name}-1-"), rel
    assert files[0].read_bytes() == b"to the directory"
