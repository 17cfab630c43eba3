"""Firehose server-side encryption with boto3 (CreateDeliveryStream with
DeliveryStreamEncryptionConfigurationInput, Start/StopDeliveryStreamEncryption): records put
while it is on are sealed in the delivery stream's log (checked in the data files), answered with
Encrypted true, and delivered as they were put, also after a kill -9; records put before and
after stay plain. Keys come from the local key store (`--kms-key`)."""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, error_code, unique_name, wait_bucket_objects, wait_stream_active
from test_firehose import ROLE_ARN, firehose_client, wait_active

KEY = base64.b64encode(bytes(range(100, 132))).decode()
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:alias/firehose-orders"


def data_files_contain(data_dir: Path, needle: bytes) -> bool:
    for root, _, files in os.walk(data_dir):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                if needle in fh.read():
                    return True
    return False


@pytest.fixture(scope="module")
def env(sluice_factory, tmp_path_factory):
    s3_dir = tmp_path_factory.mktemp("firehose-sse-s3")
    srv = sluice_factory("firehose-sse", extra_args=[
        "--s3-dir", str(s3_dir), "--kms-key", f"alias/firehose-orders={KEY}"])
    return srv, s3_dir


def create(fh, bucket: str, interval: int = 1, encryption=None) -> str:
    name = unique_name("sse")
    params = dict(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE_ARN, "BucketARN": f"arn:aws:s3:::{bucket}",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": interval}})
    if encryption is not None:
        params["DeliveryStreamEncryptionConfigurationInput"] = encryption
    fh.create_delivery_stream(**params)
    wait_active(fh, name)
    return name


def encryption_of(fh, name: str) -> dict:
    return fh.describe_delivery_stream(DeliveryStreamName=name)[
        "DeliveryStreamDescription"]["DeliveryStreamEncryptionConfiguration"]


def delivered(root: Path, tokens: list[bytes], timeout: float = 15.0) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        blob = b"".join(wait_bucket_objects(root, 1, timeout=timeout).values())
        if all(t in blob for t in tokens) or time.monotonic() > deadline:
            return blob
        time.sleep(0.1)


def test_created_encrypted_records_are_sealed_at_rest_and_delivered_plain(env):
    srv, s3_dir = env
    fh = firehose_client(srv)
    bucket = unique_name("bkt")
    name = create(fh, bucket, encryption={"KeyType": "AWS_OWNED_CMK"})
    assert encryption_of(fh, name) == {"KeyType": "AWS_OWNED_CMK", "Status": "ENABLED"}

    one = b"SSE-OWNED-ONE-" * 4
    two = b"SSE-OWNED-TWO-" * 4
    assert fh.put_record(DeliveryStreamName=name, Record={"Data": one})["Encrypted"] is True
    r = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": two}])
    assert r["Encrypted"] is True and r["FailedPutCount"] == 0, r

    assert not data_files_contain(srv.data_dir, b"SSE-OWNED-"), "a sealed record is in the clear"
    blob = delivered(s3_dir / bucket, [one, two])
    assert blob == one + two, blob


def test_start_and_stop_with_a_customer_managed_key(env):
    srv, s3_dir = env
    fh = firehose_client(srv)
    bucket = unique_name("bkt")
    name = create(fh, bucket)
    assert encryption_of(fh, name) == {"Status": "DISABLED"}
    before, during, after = b"SSE-CMK-BEFORE-" * 3, b"SSE-CMK-DURING-" * 3, b"SSE-CMK-AFTER-" * 3
    assert fh.put_record(DeliveryStreamName=name, Record={"Data": before})["Encrypted"] is False

    fh.start_delivery_stream_encryption(
        DeliveryStreamName=name,
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": KEY_ARN})
    assert encryption_of(fh, name) == {"KeyARN": KEY_ARN, "KeyType": "CUSTOMER_MANAGED_CMK",
                                       "Status": "ENABLED"}
    assert fh.put_record(DeliveryStreamName=name, Record={"Data": during})["Encrypted"] is True

    fh.stop_delivery_stream_encryption(DeliveryStreamName=name)
    assert encryption_of(fh, name) == {"Status": "DISABLED"}
    assert fh.put_record(DeliveryStreamName=name, Record={"Data": after})["Encrypted"] is False

    assert data_files_contain(srv.data_dir, b"SSE-CMK-BEFORE-")
    assert not data_files_contain(srv.data_dir, b"SSE-CMK-DURING-")
    assert data_files_contain(srv.data_dir, b"SSE-CMK-AFTER-")
    blob = delivered(s3_dir / bucket, [before, during, after])
    assert blob == before + during + after, blob


def test_encryption_errors_are_aws_shaped(env):
    srv, s3_dir = env
    fh = firehose_client(srv)
    name = create(fh, unique_name("bkt"))

    def refused(code: str, **params):
        with pytest.raises(ClientError) as e:
            fh.start_delivery_stream_encryption(**params)
        assert error_code(e.value) == code, e.value.response
        return e.value.response["Error"]["Message"]

    msg = refused("InvalidArgumentException", DeliveryStreamName=name,
                  DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK"})
    assert "KeyARN" in msg
    refused("InvalidArgumentException", DeliveryStreamName=name,
            DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK", "KeyARN": KEY_ARN})
    msg = refused("InvalidKMSResourceException", DeliveryStreamName=name,
                  DeliveryStreamEncryptionConfigurationInput={
                      "KeyType": "CUSTOMER_MANAGED_CMK",
                      "KeyARN": f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:alias/not-configured"})
    assert "not-configured" in msg
    msg = refused("ValidationException", DeliveryStreamName=name,
                  DeliveryStreamEncryptionConfigurationInput={
                      "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": "arn:aws:s3:::not-a-key"})
    assert "keyARN" in msg and "regular expression" in msg, msg
    refused("ValidationException", DeliveryStreamName=name,
            DeliveryStreamEncryptionConfigurationInput={"KeyType": "SOME_CMK"})
    refused("ResourceNotFoundException", DeliveryStreamName=unique_name("missing"))
    with pytest.raises(ClientError) as e:
        fh.stop_delivery_stream_encryption(DeliveryStreamName=unique_name("missing"))
    assert error_code(e.value) == "ResourceNotFoundException"
    # A refused start leaves the stream as it was.
    assert encryption_of(fh, name) == {"Status": "DISABLED"}

    # A create with a key that is not configured is refused and creates nothing.
    bad = unique_name("sse")
    with pytest.raises(ClientError) as e:
        fh.create_delivery_stream(
            DeliveryStreamName=bad,
            DeliveryStreamEncryptionConfigurationInput={
                "KeyType": "CUSTOMER_MANAGED_CMK",
                "KeyARN": f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0f0e0d0c-0000-4000-8000-000000000000"},
            ExtendedS3DestinationConfiguration={"RoleARN": ROLE_ARN, "BucketARN": "arn:aws:s3:::b"})
    assert error_code(e.value) == "InvalidKMSResourceException", e.value.response
    assert bad not in fh.list_delivery_streams()["DeliveryStreamNames"]


def test_a_kinesis_source_stream_cannot_be_encrypted(env):
    srv, _ = env
    fh = firehose_client(srv)
    stream = unique_name("src")
    srv.kinesis.create_stream(StreamName=stream, ShardCount=1)
    wait_stream_active(srv.kinesis, stream)
    arn = srv.kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    name = unique_name("sse-src")
    fh.create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": arn, "RoleARN": ROLE_ARN},
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE_ARN, "BucketARN": "arn:aws:s3:::b"})
    wait_active(fh, name)
    with pytest.raises(ClientError) as e:
        fh.start_delivery_stream_encryption(
            DeliveryStreamName=name, DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"})
    assert error_code(e.value) == "InvalidArgumentException", e.value.response
    assert "KinesisStreamAsSource" in e.value.response["Error"]["Message"]


def test_sealed_records_survive_kill_9(sluice_factory, tmp_path):
    s3_dir = tmp_path / "s3"
    args = ["--s3-dir", str(s3_dir), "--kms-key", f"alias/firehose-orders={KEY}"]
    srv = sluice_factory("firehose-sse-crash", extra_args=args)
    fh = firehose_client(srv)
    bucket = unique_name("bkt")
    name = create(fh, bucket, interval=3,
                  encryption={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": KEY_ARN})
    tokens = [b"<sse-crash-%03d>" % i for i in range(40)]
    for t in tokens[:5]:
        assert fh.put_record(DeliveryStreamName=name, Record={"Data": t})["Encrypted"] is True
    fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": t} for t in tokens[5:]])
    srv.kill()
    assert not data_files_contain(srv.data_dir, b"<sse-crash-")
    srv.start()

    blob = delivered(s3_dir / bucket, tokens, timeout=20)
    missing = [t for t in tokens if t not in blob]
    assert not missing, f"sealed records lost across kill -9: {missing}\n{srv.log_tail()}"
    assert encryption_of(firehose_client(srv), name)["Status"] == "ENABLED"
