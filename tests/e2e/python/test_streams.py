"""boto3 end-to-end tests of the Kinesis Data Streams API served by Sluice.

Every expectation follows the AWS API reference (kinesis-2013-12-02).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import re
import time

import pytest
from botocore.exceptions import ClientError

from conftest import (
    ACCOUNT_ID,
    REGION,
    error_code,
    error_message,
    http_status,
    read_shard,
    stream_arn,
    unique_name,
    wait_stream_active,
    wait_stream_gone,
)

MAX_HASH = 2**128 - 1
SHARD_ID_RE = re.compile(r"^shardId-\d{12}$")
SEQ_RE = re.compile(r"^(0|[1-9]\d{0,128})$")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def md5_hash_key(partition_key: str) -> int:
    """Kinesis maps a partition key to MD5(utf8(key)) read as a 128-bit big-endian int."""
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest(), "big")


def shard_for_hash(shards: list[dict], h: int) -> str:
    matches = [s["ShardId"] for s in shards
               if int(s["HashKeyRange"]["StartingHashKey"]) <= h <= int(s["HashKeyRange"]["EndingHashKey"])]
    assert len(matches) == 1, f"hash key {h} is covered by {matches}"
    return matches[0]


def describe_shards(client, name: str) -> list[dict]:
    desc = client.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["HasMoreShards"] is False
    return desc["Shards"]


def assert_raises_code(code: str, fn, *args, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as ei:
        fn(*args, **kwargs)
    assert error_code(ei.value) == code, (
        f"expected {code}, got {error_code(ei.value)!r}: {ei.value.response.get('Error')}")
    assert http_status(ei.value) == 400, ei.value.response.get("ResponseMetadata")
    return ei.value


def assert_full_contiguous_coverage(shards: list[dict], n: int) -> None:
    assert len(shards) == n
    ranges = sorted((int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
                    for s in shards)
    assert ranges[0][0] == 0, ranges
    assert ranges[-1][1] == MAX_HASH, ranges
    for (s1, e1), (s2, e2) in zip(ranges, ranges[1:]):
        assert s2 == e1 + 1, f"gap/overlap between [{s1},{e1}] and [{s2},{e2}]"
    ideal = 2**128 // n
    for s, e in ranges:
        assert s <= e
        width = e - s + 1
        # AWS splits the key space evenly; allow 1% slack instead of demanding the exact split.
        assert abs(width - ideal) <= ideal // 100 + 1, f"uneven split: width {width} vs ideal {ideal}"


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# --------------------------------------------------------------------------
# stream lifecycle
# --------------------------------------------------------------------------


def test_create_stream_and_describe(kinesis):
    name = unique_name("create")
    before = now_utc()
    resp = kinesis.create_stream(StreamName=name, ShardCount=3,
                                 StreamModeDetails={"StreamMode": "PROVISIONED"})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    try:
        wait_stream_active(kinesis, name)
        desc = kinesis.describe_stream(StreamName=name)["StreamDescription"]
        assert desc["StreamName"] == name
        assert desc["StreamARN"] == f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{name}"
        assert desc["StreamStatus"] == "ACTIVE"
        assert desc["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
        assert desc["RetentionPeriodHours"] == 24
        assert desc["HasMoreShards"] is False
        assert desc.get("EncryptionType", "NONE") == "NONE"
        assert desc["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
        created = desc["StreamCreationTimestamp"]
        assert isinstance(created, dt.datetime)
        assert before - dt.timedelta(seconds=5) <= created <= now_utc() + dt.timedelta(seconds=5), created
        shards = desc["Shards"]
        assert [s["ShardId"] for s in shards] == [f"shardId-{i:012d}" for i in range(3)]
        for s in shards:
            assert SHARD_ID_RE.match(s["ShardId"])
            assert "ParentShardId" not in s
            seq_range = s["SequenceNumberRange"]
            assert SEQ_RE.match(seq_range["StartingSequenceNumber"]), seq_range
            assert "EndingSequenceNumber" not in seq_range, "open shard must have no EndingSequenceNumber"
        assert_full_contiguous_coverage(shards, 3)
    finally:
        kinesis.delete_stream(StreamName=name)


@pytest.mark.parametrize("n", [1, 2, 5, 7])
def test_hash_key_ranges_cover_key_space(stream_factory, kinesis, n):
    name = stream_factory(shards=n)
    assert_full_contiguous_coverage(describe_shards(kinesis, name), n)


def test_create_stream_without_mode_defaults_to_provisioned(kinesis):
    name = unique_name("nomode")
    kinesis.create_stream(StreamName=name, ShardCount=2)
    try:
        summary = wait_stream_active(kinesis, name)
        assert summary["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
        assert summary["OpenShardCount"] == 2
    finally:
        kinesis.delete_stream(StreamName=name)


def test_stream_exists_waiter(kinesis):
    name = unique_name("waiter")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    try:
        kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
        assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamStatus"] == "ACTIVE"
    finally:
        kinesis.delete_stream(StreamName=name)


def test_describe_stream_summary(stream_factory, kinesis):
    name = stream_factory(shards=4)
    s = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert s["StreamName"] == name
    assert s["StreamARN"] == stream_arn(name)
    assert s["StreamStatus"] == "ACTIVE"
    assert s["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert s["RetentionPeriodHours"] == 24
    assert s["OpenShardCount"] == 4
    assert s.get("ConsumerCount", 0) == 0
    assert s.get("EncryptionType", "NONE") == "NONE"
    assert s["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
    assert isinstance(s["StreamCreationTimestamp"], dt.datetime)


def test_list_streams_pagination(kinesis, stream_factory):
    mine = sorted(stream_factory(shards=1, prefix="list") for _ in range(5))

    pages = []
    kwargs = {"Limit": 2}
    for _ in range(1000):
        page = kinesis.list_streams(**kwargs)
        pages.append(page)
        assert len(page["StreamNames"]) <= 2
        assert [s["StreamName"] for s in page["StreamSummaries"]] == page["StreamNames"]
        if not page["HasMoreStreams"]:
            break
        assert page.get("NextToken"), f"HasMoreStreams=true but no NextToken: {page}"
        kwargs = {"Limit": 2, "NextToken": page["NextToken"]}
    else:
        pytest.fail("ListStreams pagination did not terminate")

    assert pages[-1]["HasMoreStreams"] is False
    names = [n for p in pages for n in p["StreamNames"]]
    assert len(names) == len(set(names)), f"duplicates across pages: {names}"
    assert names == sorted(names), "ListStreams must list streams in name order"
    for n in mine:
        assert n in names
    assert len(pages) >= 3  # at least our 5 streams with Limit=2
    for p in pages[:-1]:
        assert len(p["StreamNames"]) == 2 and p["HasMoreStreams"] is True

    summaries = {s["StreamName"]: s for p in pages for s in p["StreamSummaries"]}
    for n in mine:
        s = summaries[n]
        assert s["StreamARN"] == stream_arn(n)
        assert s["StreamStatus"] == "ACTIVE"
        assert s["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
        assert isinstance(s["StreamCreationTimestamp"], dt.datetime)

    # ExclusiveStartStreamName: listing starts strictly after the given name.
    after = kinesis.list_streams(ExclusiveStartStreamName=mine[1], Limit=10000)["StreamNames"]
    assert mine[0] not in after and mine[1] not in after
    assert all(n in after for n in mine[2:])
    assert after == sorted(after)


def test_list_shards_pagination(stream_factory, kinesis):
    name = stream_factory(shards=5)
    expected = describe_shards(kinesis, name)

    first = kinesis.list_shards(StreamName=name, MaxResults=2)
    assert len(first["Shards"]) == 2
    assert first.get("NextToken")
    got = list(first["Shards"])
    token = first["NextToken"]
    for _ in range(10):
        page = kinesis.list_shards(NextToken=token, MaxResults=2)
        assert 1 <= len(page["Shards"]) <= 2
        got.extend(page["Shards"])
        token = page.get("NextToken")
        if not token:
            break
    assert token is None, "last page of ListShards must not carry a NextToken"
    assert got == expected

    everything = kinesis.list_shards(StreamName=name)
    assert everything["Shards"] == expected
    assert "NextToken" not in everything

    by_arn = kinesis.list_shards(StreamARN=stream_arn(name))
    assert by_arn["Shards"] == expected

    after = kinesis.list_shards(StreamName=name, ExclusiveStartShardId="shardId-000000000002")
    assert [s["ShardId"] for s in after["Shards"]] == ["shardId-000000000003", "shardId-000000000004"]


def test_list_shards_stream_name_with_next_token_is_invalid(stream_factory, kinesis):
    name = stream_factory(shards=3)
    token = kinesis.list_shards(StreamName=name, MaxResults=1)["NextToken"]
    assert_raises_code("InvalidArgumentException", kinesis.list_shards, StreamName=name, NextToken=token)


def test_delete_stream(kinesis):
    name = unique_name("delete")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(kinesis, name)
    resp = kinesis.delete_stream(StreamName=name)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    wait_stream_gone(kinesis, name)
    assert_raises_code("ResourceNotFoundException", kinesis.describe_stream, StreamName=name)
    assert_raises_code("ResourceNotFoundException", kinesis.put_record,
                       StreamName=name, Data=b"x", PartitionKey="k")
    assert name not in kinesis.list_streams(Limit=10000)["StreamNames"]
    # The name can be reused once the stream is gone.
    kinesis.create_stream(StreamName=name, ShardCount=1)
    try:
        wait_stream_active(kinesis, name)
        th = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        assert kinesis.get_records(ShardIterator=th)["Records"] == [], "recreated stream must start empty"
    finally:
        kinesis.delete_stream(StreamName=name)


# --------------------------------------------------------------------------
# records
# --------------------------------------------------------------------------


def test_put_get_round_trip_all_iterator_types(stream_factory, kinesis):
    name = stream_factory(shards=1)
    shard = "shardId-000000000000"

    latest_before = kinesis.get_shard_iterator(StreamName=name, ShardId=shard,
                                               ShardIteratorType="LATEST")["ShardIterator"]
    empty = kinesis.get_records(ShardIterator=latest_before)
    assert empty["Records"] == []
    assert "MillisBehindLatest" in empty
    latest_before = empty["NextShardIterator"]

    payloads = [b"hello", bytes(range(256)), "ünïcødé ✓".encode(), b"\x00" * 1000, b"last"]
    keys = ["pk-a", "pk-b", "ключ", "pk-a", "x" * 256]
    t0 = now_utc()
    puts = []
    for data, pk in zip(payloads, keys):
        r = kinesis.put_record(StreamName=name, Data=data, PartitionKey=pk)
        assert r["ShardId"] == shard
        assert SEQ_RE.match(r["SequenceNumber"]), r
        assert r.get("EncryptionType", "NONE") == "NONE"
        puts.append(r)
    t1 = now_utc()
    seqs = [p["SequenceNumber"] for p in puts]
    assert [int(s) for s in seqs] == sorted(int(s) for s in seqs)
    assert len(set(seqs)) == len(seqs)

    def check(records, start_index):
        assert len(records) == len(payloads) - start_index, records
        for rec, data, pk, seq in zip(records, payloads[start_index:], keys[start_index:], seqs[start_index:]):
            assert rec["Data"] == data
            assert rec["PartitionKey"] == pk
            assert rec["SequenceNumber"] == seq
            ts = rec["ApproximateArrivalTimestamp"]
            assert isinstance(ts, dt.datetime)
            assert t0 - dt.timedelta(seconds=2) <= ts <= t1 + dt.timedelta(seconds=2), (ts, t0, t1)

    # TRIM_HORIZON
    th = kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    resp = kinesis.get_records(ShardIterator=th["ShardIterator"])
    check(resp["Records"], 0)
    assert isinstance(resp["MillisBehindLatest"], int) and resp["MillisBehindLatest"] >= 0
    assert resp["NextShardIterator"]

    # LATEST taken before the puts sees them
    check(kinesis.get_records(ShardIterator=latest_before)["Records"], 0)

    # AT_SEQUENCE_NUMBER / AFTER_SEQUENCE_NUMBER
    at = kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                    StartingSequenceNumber=seqs[2])["ShardIterator"]
    check(kinesis.get_records(ShardIterator=at)["Records"], 2)
    after = kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                       StartingSequenceNumber=seqs[2])["ShardIterator"]
    check(kinesis.get_records(ShardIterator=after)["Records"], 3)
    after_last = kinesis.get_shard_iterator(StreamName=name, ShardId=shard,
                                            ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                            StartingSequenceNumber=seqs[-1])["ShardIterator"]
    assert kinesis.get_records(ShardIterator=after_last)["Records"] == []

    # AT_TIMESTAMP before everything returns everything
    early = kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="AT_TIMESTAMP",
                                       Timestamp=t0 - dt.timedelta(seconds=60))["ShardIterator"]
    check(kinesis.get_records(ShardIterator=early)["Records"], 0)

    # LATEST taken after the puts sees nothing
    latest_after = kinesis.get_shard_iterator(StreamName=name, ShardId=shard,
                                              ShardIteratorType="LATEST")["ShardIterator"]
    r = kinesis.get_records(ShardIterator=latest_after)
    assert r["Records"] == []
    assert r["MillisBehindLatest"] == 0


def test_at_timestamp_splits_batches(stream_factory, kinesis):
    name = stream_factory(shards=1)
    shard = "shardId-000000000000"
    for i in range(3):
        kinesis.put_record(StreamName=name, Data=f"old-{i}".encode(), PartitionKey="k")
    time.sleep(1.2)
    cut = now_utc()
    time.sleep(0.3)
    new = [kinesis.put_record(StreamName=name, Data=f"new-{i}".encode(), PartitionKey="k")["SequenceNumber"]
           for i in range(3)]
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="AT_TIMESTAMP",
                                    Timestamp=cut)["ShardIterator"]
    recs = kinesis.get_records(ShardIterator=it)["Records"]
    assert [r["Data"] for r in recs] == [b"new-0", b"new-1", b"new-2"]
    assert [r["SequenceNumber"] for r in recs] == new
    for r in recs:
        assert r["ApproximateArrivalTimestamp"] >= cut - dt.timedelta(milliseconds=1)

    # AWS refuses a timestamp in the future rather than waiting for it.
    with pytest.raises(ClientError) as err:
        kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="AT_TIMESTAMP",
                                   Timestamp=now_utc() + dt.timedelta(seconds=30))
    assert error_code(err.value) == "InvalidArgumentException"
    assert "cannot be greater than the currentTimestampInMillis" in error_message(err.value)


def test_put_records_500_routed_by_md5(stream_factory, kinesis):
    name = stream_factory(shards=4)
    shards = describe_shards(kinesis, name)
    rng = random.Random(500)
    entries = [{"Data": rng.randbytes(rng.randint(1, 200)), "PartitionKey": f"user-{i}-{rng.random()}"}
               for i in range(500)]
    resp = kinesis.put_records(StreamName=name, Records=entries)
    assert resp["FailedRecordCount"] == 0
    assert resp.get("EncryptionType", "NONE") == "NONE"
    results = resp["Records"]
    assert len(results) == 500
    per_shard: dict[str, list[tuple[int, dict]]] = {}
    for i, (entry, res) in enumerate(zip(entries, results)):
        assert "ErrorCode" not in res, res
        assert SEQ_RE.match(res["SequenceNumber"]), res
        expected_shard = shard_for_hash(shards, md5_hash_key(entry["PartitionKey"]))
        assert res["ShardId"] == expected_shard, f"record {i} pk={entry['PartitionKey']!r}"
        per_shard.setdefault(res["ShardId"], []).append((i, res))
    assert len(per_shard) == 4, "500 random keys must reach all 4 shards"

    # Sequence numbers strictly increase within a shard, in request order.
    for shard_id, items in per_shard.items():
        nums = [int(r["SequenceNumber"]) for _, r in items]
        assert all(a < b for a, b in zip(nums, nums[1:])), f"{shard_id}: not strictly increasing"

    # Every record is readable from its shard, byte-identical and in order.
    for shard_id, items in per_shard.items():
        recs = read_shard(kinesis, name, shard_id)
        assert len(recs) == len(items), shard_id
        for rec, (i, res) in zip(recs, items):
            assert rec["SequenceNumber"] == res["SequenceNumber"]
            assert rec["Data"] == entries[i]["Data"]
            assert rec["PartitionKey"] == entries[i]["PartitionKey"]


def test_explicit_hash_key_honoured(stream_factory, kinesis):
    name = stream_factory(shards=4)
    shards = describe_shards(kinesis, name)
    # A partition key that hashes to shard 0; ExplicitHashKey must override it.
    pk = next(f"k{i}" for i in range(10_000) if shard_for_hash(shards, md5_hash_key(f"k{i}")) == shards[0]["ShardId"])
    for s in shards:
        lo, hi = s["HashKeyRange"]["StartingHashKey"], s["HashKeyRange"]["EndingHashKey"]
        for ehk in (lo, hi):
            r = kinesis.put_record(StreamName=name, Data=b"e", PartitionKey=pk, ExplicitHashKey=ehk)
            assert r["ShardId"] == s["ShardId"], f"ExplicitHashKey={ehk}"
    batch = [{"Data": b"b", "PartitionKey": pk, "ExplicitHashKey": s["HashKeyRange"]["EndingHashKey"]}
             for s in reversed(shards)]
    resp = kinesis.put_records(StreamName=name, Records=batch)
    assert resp["FailedRecordCount"] == 0
    assert [r["ShardId"] for r in resp["Records"]] == [s["ShardId"] for s in reversed(shards)]
    # The partition key is still stored with the record.
    recs = read_shard(kinesis, name, shards[3]["ShardId"])
    assert recs and all(r["PartitionKey"] == pk for r in recs)


def test_explicit_hash_key_out_of_range(stream_factory, kinesis):
    name = stream_factory(shards=1)
    assert_raises_code("InvalidArgumentException", kinesis.put_record, StreamName=name, Data=b"x",
                       PartitionKey="k", ExplicitHashKey=str(2**128))


def test_sequence_numbers_strictly_increase_per_shard(stream_factory, kinesis):
    name = stream_factory(shards=2)
    last: dict[str, int] = {}
    for i in range(60):
        r = kinesis.put_record(StreamName=name, Data=str(i).encode(), PartitionKey=f"p{i % 7}")
        n = int(r["SequenceNumber"])
        assert n > last.get(r["ShardId"], -1), f"put {i}: {n} not above {last.get(r['ShardId'])}"
        last[r["ShardId"]] = n
    for shard_id in last:
        nums = [int(rec["SequenceNumber"]) for rec in read_shard(kinesis, name, shard_id)]
        assert all(a < b for a, b in zip(nums, nums[1:]))
        start = int(next(s for s in describe_shards(kinesis, name)
                         if s["ShardId"] == shard_id)["SequenceNumberRange"]["StartingSequenceNumber"])
        assert nums[0] >= start


def test_get_records_limit_and_next_iterator(stream_factory, kinesis):
    name = stream_factory(shards=1)
    shard = "shardId-000000000000"
    seqs = [kinesis.put_record(StreamName=name, Data=f"r{i}".encode(), PartitionKey="k")["SequenceNumber"]
            for i in range(10)]
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    first = kinesis.get_records(ShardIterator=it, Limit=3)
    assert [r["SequenceNumber"] for r in first["Records"]] == seqs[:3]
    assert first["MillisBehindLatest"] >= 0

    got = list(first["Records"])
    it = first["NextShardIterator"]
    for _ in range(20):
        page = kinesis.get_records(ShardIterator=it, Limit=3)
        assert len(page["Records"]) <= 3
        assert "MillisBehindLatest" in page
        got.extend(page["Records"])
        it = page["NextShardIterator"]
        if len(got) >= 10:
            break
    assert [r["SequenceNumber"] for r in got] == seqs
    assert [r["Data"] for r in got] == [f"r{i}".encode() for i in range(10)]

    # Caught up: empty page, MillisBehindLatest 0, and the iterator keeps working for new data.
    tail = kinesis.get_records(ShardIterator=it)
    assert tail["Records"] == []
    assert tail["MillisBehindLatest"] == 0
    new_seq = kinesis.put_record(StreamName=name, Data=b"late", PartitionKey="k")["SequenceNumber"]
    later = kinesis.get_records(ShardIterator=tail["NextShardIterator"])
    assert [(r["SequenceNumber"], r["Data"]) for r in later["Records"]] == [(new_seq, b"late")]

    # An already used iterator can be re-read (iterators are positions, not cursors).
    again = kinesis.get_records(ShardIterator=first["NextShardIterator"], Limit=3)
    assert [r["SequenceNumber"] for r in again["Records"]] == seqs[3:6]


# --------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------


def test_unknown_stream_is_resource_not_found(kinesis):
    ghost = unique_name("ghost")
    e = assert_raises_code("ResourceNotFoundException", kinesis.describe_stream, StreamName=ghost)
    assert ghost in error_message(e)
    assert_raises_code("ResourceNotFoundException", kinesis.describe_stream_summary, StreamName=ghost)
    assert_raises_code("ResourceNotFoundException", kinesis.put_record, StreamName=ghost, Data=b"x", PartitionKey="k")
    assert_raises_code("ResourceNotFoundException", kinesis.put_records, StreamName=ghost,
                       Records=[{"Data": b"x", "PartitionKey": "k"}])
    assert_raises_code("ResourceNotFoundException", kinesis.get_shard_iterator, StreamName=ghost,
                       ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")
    assert_raises_code("ResourceNotFoundException", kinesis.delete_stream, StreamName=ghost)
    assert_raises_code("ResourceNotFoundException", kinesis.list_shards, StreamName=ghost)
    assert_raises_code("ResourceNotFoundException", kinesis.describe_stream_summary, StreamARN=stream_arn(ghost))


def test_unknown_shard_is_resource_not_found(stream_factory, kinesis):
    name = stream_factory(shards=1)
    assert_raises_code("ResourceNotFoundException", kinesis.get_shard_iterator, StreamName=name,
                       ShardId="shardId-000000000009", ShardIteratorType="TRIM_HORIZON")


def test_duplicate_create_is_resource_in_use(stream_factory, kinesis):
    name = stream_factory(shards=1)
    assert_raises_code("ResourceInUseException", kinesis.create_stream, StreamName=name, ShardCount=1)
    # the original stream is untouched
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == 1


def test_invalid_stream_name_is_validation_exception(kinesis):
    e = assert_raises_code("ValidationException", kinesis.create_stream, StreamName="bad name!", ShardCount=1)
    assert error_message(e).startswith(
        "1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"), error_message(e)
    assert "bad name!" not in kinesis.list_streams(Limit=10000)["StreamNames"]


def test_retention_out_of_range_is_invalid_argument(stream_factory, kinesis):
    name = stream_factory(shards=1)
    assert_raises_code("InvalidArgumentException", kinesis.increase_stream_retention_period,
                       StreamName=name, RetentionPeriodHours=8761)
    assert_raises_code("InvalidArgumentException", kinesis.decrease_stream_retention_period,
                       StreamName=name, RetentionPeriodHours=23)
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    # Increase must be to a longer period, decrease to a shorter one.
    assert_raises_code("InvalidArgumentException", kinesis.increase_stream_retention_period,
                       StreamName=name, RetentionPeriodHours=36)
    assert_raises_code("InvalidArgumentException", kinesis.decrease_stream_retention_period,
                       StreamName=name, RetentionPeriodHours=72)
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["RetentionPeriodHours"] == 48


@pytest.mark.parametrize("garbage", ["AAAAAAAAAAGarbageIterator", "not-a-shard-iterator", "A" * 200])
def test_garbage_shard_iterator_is_invalid_argument(kinesis, garbage):
    assert_raises_code("InvalidArgumentException", kinesis.get_records, ShardIterator=garbage)


# --------------------------------------------------------------------------
# stream settings
# --------------------------------------------------------------------------


def test_tags_by_stream_name(stream_factory, kinesis):
    name = stream_factory(shards=1)
    assert kinesis.list_tags_for_stream(StreamName=name)["Tags"] == []
    kinesis.add_tags_to_stream(StreamName=name, Tags={"team": "data", "env": "test", "cost": "42"})
    resp = kinesis.list_tags_for_stream(StreamName=name)
    assert {t["Key"]: t["Value"] for t in resp["Tags"]} == {"team": "data", "env": "test", "cost": "42"}
    assert resp["HasMoreTags"] is False
    kinesis.add_tags_to_stream(StreamName=name, Tags={"env": "prod"})  # overwrite
    kinesis.remove_tags_from_stream(StreamName=name, TagKeys=["team"])
    tags = {t["Key"]: t["Value"] for t in kinesis.list_tags_for_stream(StreamName=name)["Tags"]}
    assert tags == {"env": "prod", "cost": "42"}


def test_tags_by_resource_arn(stream_factory, kinesis):
    name = stream_factory(shards=1)
    arn = stream_arn(name)
    kinesis.tag_resource(ResourceARN=arn, Tags={"a": "1", "b": "2"})
    tags = {t["Key"]: t["Value"] for t in kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"]}
    assert tags == {"a": "1", "b": "2"}
    # the two tag APIs see the same tags
    tags2 = {t["Key"]: t["Value"] for t in kinesis.list_tags_for_stream(StreamName=name)["Tags"]}
    assert tags2 == tags
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["a"])
    tags = {t["Key"]: t["Value"] for t in kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"]}
    assert tags == {"b": "2"}
    assert_raises_code("ResourceNotFoundException", kinesis.list_tags_for_resource,
                       ResourceARN=stream_arn(unique_name("ghost")))


def test_create_stream_with_tags(kinesis):
    name = unique_name("tagged")
    kinesis.create_stream(StreamName=name, ShardCount=1, Tags={"owner": "e2e"})
    try:
        wait_stream_active(kinesis, name)
        tags = {t["Key"]: t["Value"] for t in kinesis.list_tags_for_stream(StreamName=name)["Tags"]}
        assert tags == {"owner": "e2e"}
    finally:
        kinesis.delete_stream(StreamName=name)


def test_retention_period_changes(stream_factory, kinesis):
    name = stream_factory(shards=1)

    def retention():
        return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["RetentionPeriodHours"]

    assert retention() == 24
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=168)
    wait_stream_active(kinesis, name)
    assert retention() == 168
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    wait_stream_active(kinesis, name)
    assert retention() == 48
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["RetentionPeriodHours"] == 48
    kinesis.increase_stream_retention_period(StreamARN=stream_arn(name), RetentionPeriodHours=8760)
    wait_stream_active(kinesis, name)
    assert retention() == 8760


def test_describe_limits(stream_factory, kinesis):
    stream_factory(shards=3)
    lim = kinesis.describe_limits()
    for key in ("ShardLimit", "OpenShardCount", "OnDemandStreamCount", "OnDemandStreamCountLimit"):
        assert isinstance(lim[key], int), (key, lim)
    assert lim["OpenShardCount"] >= 3
    assert lim["ShardLimit"] >= lim["OpenShardCount"]
    assert lim["OnDemandStreamCountLimit"] >= lim["OnDemandStreamCount"] >= 0


def test_enhanced_monitoring(stream_factory, kinesis):
    name = stream_factory(shards=1)

    def metrics():
        em = kinesis.describe_stream(StreamName=name)["StreamDescription"]["EnhancedMonitoring"]
        assert len(em) == 1
        return set(em[0]["ShardLevelMetrics"])

    assert metrics() == set()
    r = kinesis.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["IncomingBytes", "OutgoingRecords"])
    assert r["StreamName"] == name
    assert set(r.get("CurrentShardLevelMetrics", [])) == set()
    assert set(r["DesiredShardLevelMetrics"]) == {"IncomingBytes", "OutgoingRecords"}
    wait_stream_active(kinesis, name)
    assert metrics() == {"IncomingBytes", "OutgoingRecords"}
    summary_em = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["EnhancedMonitoring"]
    assert set(summary_em[0]["ShardLevelMetrics"]) == {"IncomingBytes", "OutgoingRecords"}

    r = kinesis.disable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["IncomingBytes"])
    assert set(r["CurrentShardLevelMetrics"]) == {"IncomingBytes", "OutgoingRecords"}
    assert set(r.get("DesiredShardLevelMetrics", [])) == {"OutgoingRecords"}
    wait_stream_active(kinesis, name)
    assert metrics() == {"OutgoingRecords"}


def test_resource_policy_round_trip(stream_factory, kinesis):
    name = stream_factory(shards=1)
    arn = stream_arn(name)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "e2e",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
            "Action": ["kinesis:GetRecords", "kinesis:GetShardIterator"],
            "Resource": arn,
        }],
    }
    kinesis.put_resource_policy(ResourceARN=arn, Policy=json.dumps(policy))
    got = kinesis.get_resource_policy(ResourceARN=arn)["Policy"]
    assert json.loads(got) == policy
    kinesis.delete_resource_policy(ResourceARN=arn)
    try:
        after = kinesis.get_resource_policy(ResourceARN=arn)["Policy"]
        assert after in ("", "{}") or json.loads(after) == {}, after
    except ClientError as exc:
        assert error_code(exc) == "ResourceNotFoundException", exc.response


def test_describe_account_settings(kinesis):
    if "DescribeAccountSettings" not in kinesis.meta.service_model.operation_names:
        pytest.skip("installed botocore has no DescribeAccountSettings")
    resp = kinesis.describe_account_settings()
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    commitment = resp.get("MinimumThroughputBillingCommitment")
    if commitment is not None:
        assert commitment["Status"] in ("ENABLED", "DISABLED", "ENABLED_UNTIL_EARLIEST_ALLOWED_END")


def test_stream_arn_in_place_of_name(stream_factory, kinesis):
    name = stream_factory(shards=2)
    arn = stream_arn(name)
    s = kinesis.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]
    assert s["StreamName"] == name and s["StreamARN"] == arn
    put = kinesis.put_record(StreamARN=arn, Data=b"via-arn", PartitionKey="arn-key")
    batch = kinesis.put_records(StreamARN=arn, Records=[{"Data": b"batch-arn", "PartitionKey": "arn-key"}])
    assert batch["FailedRecordCount"] == 0
    assert batch["Records"][0]["ShardId"] == put["ShardId"]
    it = kinesis.get_shard_iterator(StreamARN=arn, ShardId=put["ShardId"],
                                    ShardIteratorType="AT_SEQUENCE_NUMBER",
                                    StartingSequenceNumber=put["SequenceNumber"])["ShardIterator"]
    recs = kinesis.get_records(ShardIterator=it, StreamARN=arn)["Records"]
    assert [(r["Data"], r["PartitionKey"]) for r in recs] == [(b"via-arn", "arn-key"), (b"batch-arn", "arn-key")]
    assert recs[0]["SequenceNumber"] == put["SequenceNumber"]
    # Both given and consistent is fine too.
    both = kinesis.describe_stream_summary(StreamName=name, StreamARN=arn)["StreamDescriptionSummary"]
    assert both["StreamName"] == name


def test_update_max_record_size(stream_factory, kinesis):
    if "UpdateMaxRecordSize" not in kinesis.meta.service_model.operation_names:
        pytest.skip("installed botocore has no UpdateMaxRecordSize")
    name = stream_factory(shards=1)
    arn = stream_arn(name)
    big = bytes(random.Random(7).randbytes(1536 * 1024))  # 1.5 MiB, above the 1 MiB default
    with pytest.raises(ClientError):
        kinesis.put_record(StreamName=name, Data=big, PartitionKey="big")
    kinesis.update_max_record_size(StreamARN=arn, MaxRecordSizeInKiB=2048)
    wait_stream_active(kinesis, name)
    s = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert s.get("MaxRecordSizeInKiB") == 2048, s
    r = kinesis.put_record(StreamName=name, Data=big, PartitionKey="big")
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=r["ShardId"], ShardIteratorType="AT_SEQUENCE_NUMBER",
                                    StartingSequenceNumber=r["SequenceNumber"])["ShardIterator"]
    recs = kinesis.get_records(ShardIterator=it)["Records"]
    assert recs and recs[0]["Data"] == big


def test_tag_characters_follow_aws_rules(kinesis, stream_factory):
    name = stream_factory()
    kinesis.add_tags_to_stream(StreamName=name, Tags={"team name": "a\u3000b", "k:/=+-@_.": "ünï"})
    for bad in ({"tab\tkey": "v"}, {"k": "line\nbreak"}, {"k": "bell\x07"}):
        with pytest.raises(ClientError) as e:
            kinesis.add_tags_to_stream(StreamName=name, Tags=bad)
        assert error_code(e.value) == "InvalidArgumentException", bad
        assert error_message(e.value).startswith("Some tags contain invalid characters"), bad
    with pytest.raises(ClientError) as e:
        kinesis.add_tags_to_stream(StreamName=name, Tags={"k": "50%"})
    assert error_code(e.value) == "InvalidArgumentException"
    assert "illegal characters" in error_message(e.value)
    tags = {t["Key"]: t["Value"] for t in kinesis.list_tags_for_stream(StreamName=name)["Tags"]}
    assert tags == {"team name": "a\u3000b", "k:/=+-@_.": "ünï"}
