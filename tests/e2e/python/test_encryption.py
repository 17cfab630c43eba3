"""Server-side encryption (Start/StopStreamEncryption) with boto3: records written while it is on
are stored encrypted (checked in the data files), reported with EncryptionType KMS, and readable,
as are the records written before and after; keys come from the local key store."""

from __future__ import annotations

import base64
import os
import time

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, unique_name, wait_stream_active

KEY = base64.b64encode(bytes(range(32))).decode()


def read_all(k, name):
    it = k.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out = []
    for _ in range(20):
        r = k.get_records(ShardIterator=it)
        out.extend(r["Records"])
        if not r["Records"]:
            break
        it = r["NextShardIterator"]
    return out


def data_files_contain(srv, needle: bytes) -> bool:
    for root, _, files in os.walk(srv.data_dir):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                if needle in fh.read():
                    return True
    return False


@pytest.fixture
def encsrv(sluice_factory):
    return sluice_factory("encryption", extra_args=["--kms-key", f"alias/orders={KEY}"])


def test_start_and_stop_encryption(encsrv):
    k = encsrv.kinesis
    name = unique_name("enc")
    k.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(k, name)
    plain = k.put_record(StreamName=name, PartitionKey="pk", Data=b"PLAINTEXT-BEFORE")
    assert plain["EncryptionType"] == "NONE"

    k.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    wait_stream_active(k, name)
    d = k.describe_stream(StreamName=name)["StreamDescription"]
    assert d["EncryptionType"] == "KMS" and d["KeyId"] == "alias/aws/kinesis"
    s = k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert s["EncryptionType"] == "KMS" and s["KeyId"] == "alias/aws/kinesis"
    one = k.put_record(StreamName=name, PartitionKey="pk", Data=b"SECRET-ONE-" * 8)
    assert one["EncryptionType"] == "KMS"
    batch = k.put_records(StreamName=name, Records=[
        {"PartitionKey": "pk", "Data": b"SECRET-TWO-" * 8}])
    assert batch["EncryptionType"] == "KMS"

    # Another key, by alias ARN: the records after it use that one.
    k.start_stream_encryption(StreamName=name, EncryptionType="KMS",
                              KeyId="arn:aws:kms:us-east-1:000000000000:alias/orders")
    k.put_record(StreamName=name, PartitionKey="pk", Data=b"SECRET-THREE-" * 8)
    with pytest.raises(ClientError) as e:
        k.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    assert error_code(e.value) == "InvalidArgumentException"
    k.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/orders")
    wait_stream_active(k, name)
    assert k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["EncryptionType"] == "NONE"
    after = k.put_record(StreamName=name, PartitionKey="pk", Data=b"PLAINTEXT-AFTER")
    assert after["EncryptionType"] == "NONE"

    records = read_all(k, name)
    assert [r["Data"] for r in records] == [
        b"PLAINTEXT-BEFORE", b"SECRET-ONE-" * 8, b"SECRET-TWO-" * 8, b"SECRET-THREE-" * 8,
        b"PLAINTEXT-AFTER"]
    assert [r["EncryptionType"] for r in records] == ["NONE", "KMS", "KMS", "KMS", "NONE"]
    assert all(r["PartitionKey"] == "pk" for r in records)

    # At rest: the plaintext records are in the data files, the encrypted ones are not.
    assert data_files_contain(encsrv, b"PLAINTEXT-BEFORE")
    for secret in (b"SECRET-ONE-", b"SECRET-TWO-", b"SECRET-THREE-"):
        assert not data_files_contain(encsrv, secret), secret

    # After a restart with the same keys, everything still reads.
    encsrv.restart(hard=True)
    k = encsrv.client()
    assert [r["Data"] for r in read_all(k, name)][1] == b"SECRET-ONE-" * 8


def test_encryption_errors(encsrv):
    k = encsrv.kinesis
    name = unique_name("encerr")
    k.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(k, name)
    with pytest.raises(ClientError) as e:
        k.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/unknown")
    assert error_code(e.value) == "KMSNotFoundException"
    with pytest.raises(ClientError) as e:
        k.start_stream_encryption(StreamName=name, EncryptionType="NONE", KeyId="alias/aws/kinesis")
    assert error_code(e.value) == "InvalidArgumentException"
    with pytest.raises(ClientError) as e:
        k.start_stream_encryption(StreamName=name, EncryptionType="AES", KeyId="alias/aws/kinesis")
    assert error_code(e.value) == "ValidationException"
    with pytest.raises(ClientError) as e:
        k.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    assert error_code(e.value) == "InvalidArgumentException"
    with pytest.raises(ClientError) as e:
        k.start_stream_encryption(StreamName="nope-" + name, EncryptionType="KMS",
                                  KeyId="alias/aws/kinesis")
    assert error_code(e.value) == "ResourceNotFoundException"


def test_records_of_a_key_no_longer_configured_fail_as_kms_not_found(sluice_factory):
    srv = sluice_factory("encryption-gone", extra_args=["--kms-key", f"alias/orders={KEY}"])
    k = srv.kinesis
    name = unique_name("gone")
    k.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(k, name)
    k.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/orders")
    k.put_record(StreamName=name, PartitionKey="pk", Data=b"x")
    srv.stop()
    srv.extra_args = []
    srv.start()
    k = srv.client()
    with pytest.raises(ClientError) as e:
        read_all(k, name)
    assert error_code(e.value) == "KMSNotFoundException"
    # Writing fails the same way until the key is back or encryption is stopped.
    with pytest.raises(ClientError) as e:
        k.put_record(StreamName=name, PartitionKey="pk", Data=b"y")
    assert error_code(e.value) == "KMSNotFoundException"
    k.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/orders")
    assert k.put_record(StreamName=name, PartitionKey="pk", Data=b"y")["EncryptionType"] == "NONE"


def test_encryption_changes_wait_for_active(sluice_factory):
    srv = sluice_factory("encryption-updating", extra_args=["--update-delay-ms", "800"])
    k = srv.kinesis
    name = unique_name("upd")
    k.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(k, name)
    k.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    assert k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] == "UPDATING"
    with pytest.raises(ClientError) as e:
        k.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    assert error_code(e.value) == "ResourceInUseException"
    # Writes go on while UPDATING.
    assert k.put_record(StreamName=name, PartitionKey="pk", Data=b"x")["EncryptionType"] == "KMS"
    wait_stream_active(k, name)
    k.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
