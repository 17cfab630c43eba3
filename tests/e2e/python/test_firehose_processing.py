"""Firehose record processors with boto3: Decompression + CloudWatchLogProcessing (a CloudWatch Logs
subscription's gzip records), RecordDeAggregation (JSON and a base64 delimiter), records that fail
processing in the S3 error output (`processing-failed`), and KPL aggregated records taken apart
when the source is a data stream.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from conftest import make_firehose, wait_bucket_objects, ACCESS_KEY, ACCOUNT_ID, REGION, SECRET_KEY, unique_name, wait_stream_active

ROLE_ARN = "arn:aws:iam::000000000000:role/firehose"


@pytest.fixture(scope="module")
def srv(sluice_factory):
    return sluice_factory("firehose-processing")


@pytest.fixture(scope="module")
def fh(srv):
    return make_firehose(srv.endpoint)


def create(fh, bucket: str, processors: list, **extra) -> str:
    name = unique_name("fhproc")
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE_ARN, "BucketARN": f"arn:aws:s3:::{bucket}",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1},
        "ProcessingConfiguration": {"Enabled": True, "Processors": processors}, **extra}, **{})
    return name


def objects(srv, bucket: str, n: int = 1, timeout: float = 20.0) -> dict[str, bytes]:
    return wait_bucket_objects(srv.data_dir / "s3" / bucket, n, timeout)


def delimiter(params=None):
    return {"Type": "AppendDelimiterToRecord", "Parameters": params or []}


def test_cloudwatch_logs_subscription_records(srv, fh):
    name = create(fh, "cwl", [
        {"Type": "Decompression", "Parameters": [{"ParameterName": "CompressionFormat", "ParameterValue": "GZIP"}]},
        {"Type": "CloudWatchLogProcessing", "Parameters": [{"ParameterName": "DataMessageExtraction", "ParameterValue": "true"}]},
        delimiter()])
    data = {"messageType": "DATA_MESSAGE", "owner": ACCOUNT_ID, "logGroup": "/app", "logStream": "s1",
            "subscriptionFilters": ["all"],
            "logEvents": [{"id": str(i), "timestamp": 1700000000000 + i, "message": f"line {i}"} for i in range(3)]}
    control = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
               "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1, "message": "CWL CONTROL MESSAGE"}]}
    fh.put_record_batch(DeliveryStreamName=name, Records=[
        {"Data": gzip.compress(json.dumps(data).encode())}, {"Data": gzip.compress(json.dumps(control).encode())}])
    (body,) = objects(srv, "cwl").values()
    assert body == b"line 0\nline 1\nline 2\n"


def test_json_and_delimited_deaggregation(srv, fh):
    name = create(fh, "deagg-json", [
        {"Type": "RecordDeAggregation", "Parameters": [{"ParameterName": "SubRecordType", "ParameterValue": "JSON"}]},
        delimiter()])
    fh.put_record(DeliveryStreamName=name, Record={"Data": b'{"a":1}{"a":2}\n{"a":3}'})
    (body,) = objects(srv, "deagg-json").values()
    assert body == b'{"a":1}\n{"a":2}\n{"a":3}\n'

    name = create(fh, "deagg-delim", [
        {"Type": "RecordDeAggregation", "Parameters": [
            {"ParameterName": "SubRecordType", "ParameterValue": "DELIMITED"},
            {"ParameterName": "Delimiter", "ParameterValue": base64.b64encode(b"####").decode()}]},
        delimiter([{"ParameterName": "Delimiter", "ParameterValue": "|"}])])
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"x####y####z"})
    (body,) = objects(srv, "deagg-delim").values()
    assert body == b"x|y|z|"


def test_records_failing_processing_go_to_the_error_output(srv, fh):
    name = create(fh, "procfail", [
        {"Type": "Decompression", "Parameters": [{"ParameterName": "CompressionFormat", "ParameterValue": "GZIP"}]}],
        ErrorOutputPrefix="failed/!{firehose:error-output-type}/")
    fh.put_record_batch(DeliveryStreamName=name, Records=[
        {"Data": gzip.compress(b"good")}, {"Data": b"not gzip"}])
    found = objects(srv, "procfail", n=2)
    failed = {k: v for k, v in found.items() if k.startswith("failed/processing-failed/")}
    good = {k: v for k, v in found.items() if not k.startswith("failed/")}
    assert list(good.values()) == [b"good"], found.keys()
    (line,) = [json.loads(x) for x in next(iter(failed.values())).splitlines()]
    assert base64.b64decode(line["rawData"]) == b"not gzip"
    assert line["errorCode"] == "Decompression.Failed", line


def test_bad_processor_parameters_are_refused(fh):
    with pytest.raises(fh.exceptions.InvalidArgumentException):
        create(fh, "b", [{"Type": "RecordDeAggregation", "Parameters": [
            {"ParameterName": "SubRecordType", "ParameterValue": "DELIMITED"}]}])
    with pytest.raises(fh.exceptions.InvalidArgumentException):
        create(fh, "b", [{"Type": "Lambda", "Parameters": [
            {"ParameterName": "LambdaArn", "ParameterValue": "arn:aws:lambda:us-east-1:000000000000:function:f"}]}])


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(tag: int, wire: int, payload: bytes) -> bytes:
    key = varint((tag << 3) | wire)
    return key + (varint(len(payload)) + payload if wire == 2 else payload)


def kpl_aggregate(records: list[tuple[str, bytes]]) -> bytes:
    """The KPL's aggregated record: magic, protobuf AggregatedRecord, MD5 of the protobuf."""
    keys: list[str] = []
    body = b""
    for key, data in records:
        if key not in keys:
            keys.append(key)
        rec = field(1, 0, varint(keys.index(key))) + field(3, 2, data)
        body += field(3, 2, rec)
    body = b"".join(field(1, 2, k.encode()) for k in keys) + body
    return b"\xf3\x89\x9a\xc2" + body + hashlib.md5(body).digest()


def test_kpl_aggregated_records_from_a_data_stream_are_taken_apart(srv, fh):
    kin = srv.kinesis
    stream = unique_name("kpl")
    kin.create_stream(StreamName=stream, ShardCount=1)
    wait_stream_active(kin, stream)
    name = unique_name("fhkpl")
    fh.create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={
            "KinesisStreamARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{stream}", "RoleARN": ROLE_ARN},
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE_ARN, "BucketARN": "arn:aws:s3:::kpl",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1},
            "ProcessingConfiguration": {"Enabled": True, "Processors": [delimiter()]}})
    time.sleep(0.05)
    kin.put_record(StreamName=stream, PartitionKey="agg",
                   Data=kpl_aggregate([("a", b"user-1"), ("b", b"user-2"), ("a", b"user-3")]))
    kin.put_record(StreamName=stream, PartitionKey="plain", Data=b"not aggregated")
    (body,) = objects(srv, "kpl").values()
    assert body == b"user-1\nuser-2\nuser-3\nnot aggregated\n"
