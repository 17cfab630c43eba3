"""Firehose dynamic partitioning with boto3: the MetadataExtraction processor's jq query gives
each record its keys, `!{partitionKeyFromQuery:KEY}` places each partition's object, records the
query cannot key go to the error output, and AWS's configuration rules are enforced.
"""

from __future__ import annotations

import base64
import json
import time

import boto3
import pytest
from botocore.config import Config

from conftest import make_firehose, wait_bucket_objects, ACCESS_KEY, REGION, SECRET_KEY, unique_name

ROLE_ARN = "arn:aws:iam::000000000000:role/firehose"


@pytest.fixture(scope="module")
def env(sluice_factory):
    srv = sluice_factory("firehose-partitioning")
    fh = make_firehose(srv.endpoint)
    return srv, fh


def config(bucket: str, query: str = "{customer: .customer_id, year: .ts[0:4]}", **over) -> dict:
    cfg = {
        "RoleARN": ROLE_ARN, "BucketARN": f"arn:aws:s3:::{bucket}",
        "Prefix": "customer=!{partitionKeyFromQuery:customer}/year=!{partitionKeyFromQuery:year}/",
        "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 1},
        "DynamicPartitioningConfiguration": {"Enabled": True, "RetryOptions": {"DurationInSeconds": 300}},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [
            {"Type": "MetadataExtraction", "Parameters": [
                {"ParameterName": "MetadataExtractionQuery", "ParameterValue": query},
                {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]},
            {"Type": "AppendDelimiterToRecord"}]},
    }
    cfg.update(over)
    return cfg


def objects(srv, bucket: str, n: int = 1, timeout: float = 20.0) -> dict[str, bytes]:
    return wait_bucket_objects(srv.data_dir / "s3" / bucket, n, timeout)


def test_records_land_in_their_partitions(env):
    srv, fh = env
    name = unique_name("fhdp")
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=config("dp"))
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    s3 = d["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert s3["DynamicPartitioningConfiguration"] == {"Enabled": True, "RetryOptions": {"DurationInSeconds": 300}}
    records = [{"customer_id": c, "ts": f"{y}-01-02", "n": i}
               for i, (c, y) in enumerate([("a", 2023), ("b", 2024), ("a", 2024), ("a", 2023), ("b", 2024)])]
    fh.put_record_batch(DeliveryStreamName=name, Records=[
        {"Data": json.dumps(r).encode()} for r in records] + [{"Data": b"not json"}, {"Data": b'{"ts":"2024"}'}])
    found = objects(srv, "dp", 4)
    by_dir = {k.rsplit("/", 1)[0]: v for k, v in found.items()}
    assert set(by_dir) == {"customer=a/year=2023", "customer=b/year=2024", "customer=a/year=2024",
                           "errors/processing-failed"}, sorted(found)
    for k in found:
        if not k.startswith("errors/"):
            assert k.rsplit("/", 1)[1].startswith(f"{name}-1-"), k
    lines = lambda b: [json.loads(x) for x in b.decode().splitlines()]
    assert [r["n"] for r in lines(by_dir["customer=a/year=2023"])] == [0, 3]
    assert [r["n"] for r in lines(by_dir["customer=b/year=2024"])] == [1, 4]
    assert [r["n"] for r in lines(by_dir["customer=a/year=2024"])] == [2]
    failed = lines(by_dir["errors/processing-failed"])
    assert sorted(base64.b64decode(x["rawData"]) for x in failed) == sorted([b'{"ts":"2024"}', b"not json"])
    assert all(x["errorCode"] == "DynamicPartitioning.MetadataExtractionFailed" for x in failed)


@pytest.mark.parametrize("over", [
    {"ErrorOutputPrefix": ""},
    {"Prefix": "static/"},
    {"ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "AppendDelimiterToRecord"}]}},
    {"DynamicPartitioningConfiguration": {"Enabled": False}},
])
def test_configuration_rules(env, over):
    _, fh = env
    with pytest.raises(fh.exceptions.InvalidArgumentException):
        fh.create_delivery_stream(DeliveryStreamName=unique_name("fhdpbad"),
                                  ExtendedS3DestinationConfiguration=config("x", **over))


def test_a_query_that_does_not_compile_is_refused(env):
    _, fh = env
    with pytest.raises(fh.exceptions.InvalidArgumentException):
        fh.create_delivery_stream(DeliveryStreamName=unique_name("fhdpq"),
                                  ExtendedS3DestinationConfiguration=config("x", query="{a: .x"))
