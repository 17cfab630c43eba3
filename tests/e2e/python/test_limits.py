"""`--limits aws`: per-shard write and read limits answered as AWS does; `off` (the default) never
throttles."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, error_message, unique_name, wait_stream_active

ONE_SHARD_KEY = "0"  # ExplicitHashKey: every record to shardId-000000000000


@pytest.fixture(scope="module")
def limited(sluice_factory):
    return sluice_factory("limits", extra_args=["--limits", "aws"])


def new_stream(kinesis, shards: int = 1) -> str:
    name = unique_name("limits")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    wait_stream_active(kinesis, name)
    return name


def test_put_records_past_1000_records_per_second_fail_per_record(limited):
    k = limited.kinesis
    name = new_stream(k)
    failed, ok = 0, 0
    for _ in range(3):  # 1,500 records in well under a second
        out = k.put_records(StreamName=name, Records=[
            {"PartitionKey": "p", "ExplicitHashKey": ONE_SHARD_KEY, "Data": b"x"}
            for _ in range(500)])
        failed += out["FailedRecordCount"]
        for r in out["Records"]:
            if "ErrorCode" in r:
                assert r["ErrorCode"] == "ProvisionedThroughputExceededException"
                assert r["ErrorMessage"] == (
                    f"Rate exceeded for shard shardId-000000000000 in stream {name} "
                    "under account 000000000000.")
                assert "SequenceNumber" not in r
            else:
                ok += 1
    assert 1000 <= ok < 1500 and failed == 1500 - ok
    # The allowance comes back with time.
    time.sleep(1.1)
    out = k.put_records(StreamName=name, Records=[
        {"PartitionKey": "p", "ExplicitHashKey": ONE_SHARD_KEY, "Data": b"x"} for _ in range(500)])
    assert out["FailedRecordCount"] == 0


def test_put_record_past_1_mib_per_second_is_refused(limited):
    k = limited.kinesis
    name = new_stream(k, shards=2)
    big = b"z" * (600 * 1024)
    k.put_record(StreamName=name, PartitionKey="a", ExplicitHashKey=ONE_SHARD_KEY, Data=big)
    with pytest.raises(ClientError) as e:
        k.put_record(StreamName=name, PartitionKey="a", ExplicitHashKey=ONE_SHARD_KEY, Data=big)
    assert error_code(e.value) == "ProvisionedThroughputExceededException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The other shard has its own allowance.
    k.put_record(StreamName=name, PartitionKey="a", ExplicitHashKey=str(2**127 + 1), Data=big)


def test_get_records_past_5_calls_per_second_is_refused(limited):
    k = limited.kinesis
    name = new_stream(k)
    k.put_record(StreamName=name, PartitionKey="a", Data=b"r")
    it = k.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    outcomes = []
    for _ in range(8):
        try:
            it = k.get_records(ShardIterator=it)["NextShardIterator"]
            outcomes.append("ok")
        except ClientError as exc:
            assert error_code(exc) == "ProvisionedThroughputExceededException"
            assert error_message(exc).startswith("Rate exceeded for Shard - shardId-000000000000")
            outcomes.append("throttled")
    assert outcomes.count("ok") >= 5 and "throttled" in outcomes


def test_limits_are_off_by_default(kinesis, stream_factory):
    name = stream_factory(shards=1)
    for _ in range(4):
        out = kinesis.put_records(StreamName=name, Records=[
            {"PartitionKey": "p", "ExplicitHashKey": ONE_SHARD_KEY, "Data": b"x"}
            for _ in range(500)])
        assert out["FailedRecordCount"] == 0
