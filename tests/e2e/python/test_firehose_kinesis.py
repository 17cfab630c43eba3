"""Firehose with a Sluice data stream as its source (DeliveryStreamType KinesisStreamAsSource).

Records put into the data stream after the delivery stream was created are delivered to S3
(the embedded directory store), across a reshard in per-key order, and across a `kill -9`
without loss; records from before its creation are not; PutRecord to it is refused.
"""

from __future__ import annotations

import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from conftest import ACCESS_KEY, ACCOUNT_ID, REGION, SECRET_KEY, unique_name, wait_stream_active

ROLE_ARN = "arn:aws:iam::000000000000:role/firehose"


def firehose(srv):
    return boto3.session.Session().client(
        "firehose", endpoint_url=srv.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, config=Config(retries={"total_max_attempts": 1}))


def stream_arn(name: str) -> str:
    return f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{name}"


def create_from_stream(fh, stream: str, bucket: str) -> str:
    name = unique_name("fhks")
    fh.create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": stream_arn(stream), "RoleARN": ROLE_ARN},
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE_ARN, "BucketARN": f"arn:aws:s3:::{bucket}",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1},
            "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "AppendDelimiterToRecord"}]}})
    return name


def delivered_lines(root: Path) -> list[str]:
    if not root.exists():
        return []
    out = []
    files = sorted((p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")),
                   key=lambda p: (p.stat().st_mtime_ns, p.name))
    for p in files:
        out.extend(p.read_text().splitlines())
    return out


def wait_lines(root: Path, want: set[str], timeout: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = delivered_lines(root)
        if want <= set(lines):
            return lines
        time.sleep(0.1)
    missing = want - set(lines)
    raise AssertionError(f"{len(missing)} records not delivered after {timeout}s, e.g. {sorted(missing)[:5]}")


@pytest.fixture(scope="module")
def srv(sluice_factory):
    return sluice_factory("firehose-kinesis")


def test_records_after_creation_are_delivered_in_order_across_a_split(srv):
    kin, fh = srv.kinesis, firehose(srv)
    stream = unique_name("src")
    kin.create_stream(StreamName=stream, ShardCount=2)
    wait_stream_active(kin, stream)
    kin.put_record(StreamName=stream, PartitionKey="k0", Data=b"before-creation")
    name = create_from_stream(fh, stream, "ks-split")
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    assert d["DeliveryStreamType"] == "KinesisStreamAsSource"
    src = d["Source"]["KinesisStreamSourceDescription"]
    assert src["KinesisStreamARN"] == stream_arn(stream) and src["RoleARN"] == ROLE_ARN, src
    assert abs(src["DeliveryStartTimestamp"].timestamp() - time.time()) < 60, src
    with pytest.raises(fh.exceptions.InvalidArgumentException):
        fh.put_record(DeliveryStreamName=name, Record={"Data": b"x"})

    time.sleep(0.05)  # arrival strictly after DeliveryStartTimestamp
    sent = []
    for i in range(60):
        key = f"k{i % 6}"
        data = f"{key}:{i:03d}"
        kin.put_record(StreamName=stream, PartitionKey=key, Data=data.encode())
        sent.append(data)
    shard = kin.list_shards(StreamName=stream)["Shards"][0]
    lo, hi = int(shard["HashKeyRange"]["StartingHashKey"]), int(shard["HashKeyRange"]["EndingHashKey"])
    kin.split_shard(StreamName=stream, ShardToSplit=shard["ShardId"], NewStartingHashKey=str((lo + hi) // 2))
    wait_stream_active(kin, stream)
    for i in range(60, 120):
        key = f"k{i % 6}"
        data = f"{key}:{i:03d}"
        kin.put_record(StreamName=stream, PartitionKey=key, Data=data.encode())
        sent.append(data)

    root = srv.data_dir / "s3" / "ks-split"
    lines = wait_lines(root, set(sent))
    assert "before-creation" not in lines, "records from before the delivery stream are not read"
    assert sorted(set(lines)) == sorted(sent), "nothing but what was put"
    for k in {s.split(":")[0] for s in sent}:
        got = [x for x in dict.fromkeys(lines) if x.startswith(k + ":")]
        assert got == [x for x in sent if x.startswith(k + ":")], f"order of {k} across the split"


def test_an_unknown_source_stream_is_refused(srv):
    fh = firehose(srv)
    with pytest.raises(fh.exceptions.InvalidArgumentException):
        create_from_stream(fh, "no-such-stream", "ks-none")


def test_no_record_is_lost_across_kill_9(sluice_factory):
    srv = sluice_factory("firehose-kinesis-crash")
    kin, fh = srv.kinesis, firehose(srv)
    stream = unique_name("src")
    kin.create_stream(StreamName=stream, ShardCount=1)
    wait_stream_active(kin, stream)
    create_from_stream(fh, stream, "ks-crash")
    time.sleep(0.05)
    sent = [f"r{i:04d}" for i in range(200)]
    for i in range(0, 100, 50):
        kin.put_records(StreamName=stream, Records=[{"PartitionKey": "p", "Data": s.encode()}
                                                     for s in sent[i:i + 50]])
    srv.kill()
    srv.start()
    kin, fh = srv.kinesis, firehose(srv)
    for i in range(100, 200, 50):
        kin.put_records(StreamName=stream, Records=[{"PartitionKey": "p", "Data": s.encode()}
                                                     for s in sent[i:i + 50]])
    lines = wait_lines(srv.data_dir / "s3" / "ks-crash", set(sent))
    assert set(lines) == set(sent)
    assert list(dict.fromkeys(lines)) == sent, "first deliveries are in put order"
