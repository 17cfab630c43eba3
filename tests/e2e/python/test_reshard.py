"""SplitShard, MergeShards and UpdateShardCount with boto3: lineage, closed shards read to their end
with ChildShards, routing of new writes to children, and writes racing reshards."""

from __future__ import annotations

import threading

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, wait_stream_active

MAX_HASH = 2**128 - 1


def shards_by_id(kinesis, name: str) -> dict:
    return {s["ShardId"]: s for s in kinesis.list_shards(StreamName=name)["Shards"]}


def rng(shard: dict) -> tuple[int, int]:
    r = shard["HashKeyRange"]
    return int(r["StartingHashKey"]), int(r["EndingHashKey"])


def read_to_end(kinesis, name: str, shard_id: str):
    """Reads a shard from TRIM_HORIZON; for a closed shard, until NextShardIterator is null."""
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records, children = [], None
    for _ in range(200):
        resp = kinesis.get_records(ShardIterator=it)
        records.extend(resp["Records"])
        if resp.get("NextShardIterator") is None:
            children = resp.get("ChildShards")
            break
        if not resp["Records"] and resp["MillisBehindLatest"] == 0:
            break
        it = resp["NextShardIterator"]
    return records, children


def read_by_lineage(kinesis, name: str) -> list:
    """Every record of the stream, each shard read only after all its parents (as KCL does)."""
    shards = shards_by_id(kinesis, name)
    done, out = set(), []
    while len(done) < len(shards):
        ready = [s for sid, s in shards.items() if sid not in done and all(
            p in done for p in (s.get("ParentShardId"), s.get("AdjacentParentShardId")) if p)]
        assert ready, "lineage has a cycle or a missing parent"
        for s in sorted(ready, key=lambda s: s["ShardId"]):
            records, _ = read_to_end(kinesis, name, s["ShardId"])
            out.extend(records)
            done.add(s["ShardId"])
    return out


def test_split_closes_the_parent_and_routes_to_children(kinesis, stream_factory):
    name = stream_factory(shards=1)
    for i in range(10):
        kinesis.put_record(StreamName=name, PartitionKey=f"k{i}", Data=f"before-{i}".encode())
    mid = 2**127
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                        NewStartingHashKey=str(mid))
    summary = wait_stream_active(kinesis, name)
    assert summary["OpenShardCount"] == 2

    shards = shards_by_id(kinesis, name)
    parent = shards["shardId-000000000000"]
    lower, upper = shards["shardId-000000000001"], shards["shardId-000000000002"]
    assert "EndingSequenceNumber" in parent["SequenceNumberRange"]
    assert lower["ParentShardId"] == upper["ParentShardId"] == "shardId-000000000000"
    assert "AdjacentParentShardId" not in lower
    assert rng(lower) == (0, mid - 1) and rng(upper) == (mid, MAX_HASH)
    assert "EndingSequenceNumber" not in lower["SequenceNumberRange"]

    after = [kinesis.put_record(StreamName=name, PartitionKey=f"k{i}", Data=f"after-{i}".encode())
             for i in range(10)]
    assert {a["ShardId"] for a in after} <= {"shardId-000000000001", "shardId-000000000002"}

    records, children = read_to_end(kinesis, name, "shardId-000000000000")
    assert [r["Data"] for r in records] == [f"before-{i}".encode() for i in range(10)]
    assert parent["SequenceNumberRange"]["EndingSequenceNumber"] == records[-1]["SequenceNumber"]
    assert sorted(c["ShardId"] for c in children) == ["shardId-000000000001", "shardId-000000000002"]
    for c in children:
        assert c["ParentShards"] == ["shardId-000000000000"]

    # LATEST on a closed shard: nothing more to read, and the children are named.
    it = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                    ShardIteratorType="LATEST")["ShardIterator"]
    resp = kinesis.get_records(ShardIterator=it)
    assert resp["Records"] == [] and resp.get("NextShardIterator") is None
    assert len(resp["ChildShards"]) == 2

    # Per key: everything before the split, then everything after, in order.
    by_key = {}
    for r in read_by_lineage(kinesis, name):
        by_key.setdefault(r["PartitionKey"], []).append(r["Data"].decode())
    for i in range(10):
        assert by_key[f"k{i}"] == [f"before-{i}", f"after-{i}"]


def test_merge_makes_one_child_with_two_parents(kinesis, stream_factory):
    name = stream_factory(shards=2)
    kinesis.put_record(StreamName=name, PartitionKey="a", Data=b"x")
    kinesis.merge_shards(StreamName=name, ShardToMerge="shardId-000000000000",
                         AdjacentShardToMerge="shardId-000000000001")
    wait_stream_active(kinesis, name)
    shards = shards_by_id(kinesis, name)
    child = shards["shardId-000000000002"]
    assert child["ParentShardId"] == "shardId-000000000000"
    assert child["AdjacentParentShardId"] == "shardId-000000000001"
    assert rng(child) == (0, MAX_HASH)
    for sid in ("shardId-000000000000", "shardId-000000000001"):
        _, children = read_to_end(kinesis, name, sid)
        assert [c["ShardId"] for c in children] == ["shardId-000000000002"]
        assert children[0]["ParentShards"] == ["shardId-000000000000", "shardId-000000000001"]
    out = kinesis.put_record(StreamName=name, PartitionKey="a", Data=b"y")
    assert out["ShardId"] == "shardId-000000000002"


@pytest.mark.parametrize("start,target", [(2, 4), (4, 2), (3, 5), (5, 3), (1, 2)])
def test_update_shard_count_gives_uniform_ranges_and_valid_lineage(kinesis, stream_factory,
                                                                   start, target):
    name = stream_factory(shards=start)
    resp = kinesis.update_shard_count(StreamName=name, TargetShardCount=target,
                                      ScalingType="UNIFORM_SCALING")
    assert resp["CurrentShardCount"] == start and resp["TargetShardCount"] == target
    assert resp["StreamName"] == name and resp["StreamARN"].endswith(f":stream/{name}")
    assert wait_stream_active(kinesis, name)["OpenShardCount"] == target

    shards = shards_by_id(kinesis, name)
    open_ranges = sorted(rng(s) for s in shards.values()
                         if "EndingSequenceNumber" not in s["SequenceNumberRange"])
    assert len(open_ranges) == target
    assert open_ranges[0][0] == 0 and open_ranges[-1][1] == MAX_HASH
    for (_, end), (nxt, _) in zip(open_ranges, open_ranges[1:]):
        assert nxt == end + 1
    widths = [e - s for s, e in open_ranges]
    assert max(widths) - min(widths) <= target
    for s in shards.values():
        for p in (s.get("ParentShardId"), s.get("AdjacentParentShardId")):
            if p:
                parent = shards[p]
                assert "EndingSequenceNumber" in parent["SequenceNumberRange"]
                ps, pe = rng(parent)
                cs, ce = rng(s)
                assert not (pe < cs or ce < ps), f"{p} does not overlap its child {s['ShardId']}"
    # AT_LATEST lists exactly the open shards.
    latest = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert sorted(rng(s) for s in latest) == open_ranges


def test_reshard_errors_are_aws_shaped(kinesis, stream_factory):
    name = stream_factory(shards=2)
    with pytest.raises(ClientError) as e:
        kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000009",
                            NewStartingHashKey="5")
    assert error_code(e.value) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                            NewStartingHashKey="1")
    assert error_code(e.value) == "InvalidArgumentException"
    assert "NewStartingHashKey 1 used in SplitShard()" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                            NewStartingHashKey="x")
    assert error_code(e.value) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kinesis.update_shard_count(StreamName=name, TargetShardCount=5,
                                   ScalingType="UNIFORM_SCALING")
    assert error_code(e.value) == "InvalidArgumentException"
    with pytest.raises(ClientError) as e:
        kinesis.update_shard_count(StreamName=name, TargetShardCount=3, ScalingType="OTHER")
    assert error_code(e.value) == "ValidationException"

    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                        NewStartingHashKey=str(2**126))
    wait_stream_active(kinesis, name)
    with pytest.raises(ClientError) as e:
        kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                            NewStartingHashKey=str(2**125))
    assert error_code(e.value) == "InvalidArgumentException"
    assert "already been merged or split" in e.value.response["Error"]["Message"]
    # shardId-2 covers [0, 2^126-1] and shardId-1 the upper half: not adjacent.
    with pytest.raises(ClientError) as e:
        kinesis.merge_shards(StreamName=name, ShardToMerge="shardId-000000000002",
                             AdjacentShardToMerge="shardId-000000000001")
    assert error_code(e.value) == "InvalidArgumentException"


def test_writes_racing_reshards_are_never_lost_and_keep_key_order(kinesis, stream_factory):
    name = stream_factory(shards=2)
    acked: dict[str, list[int]] = {}
    stop = threading.Event()
    errors = []

    def writer(w: int):
        n = 0
        try:
            while not stop.is_set():
                key = f"w{w}-k{n % 7}"
                kinesis.put_record(StreamName=name, PartitionKey=key, Data=f"{n}".encode())
                acked.setdefault(key, []).append(n)
                n += 1
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    try:
        for target in (4, 3, 6, 3, 2):
            kinesis.update_shard_count(StreamName=name, TargetShardCount=target,
                                       ScalingType="UNIFORM_SCALING")
            wait_stream_active(kinesis, name)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    got: dict[str, list[int]] = {}
    for r in read_by_lineage(kinesis, name):
        got.setdefault(r["PartitionKey"], []).append(int(r["Data"]))
    assert got == acked


def test_update_stream_mode_switches_and_keeps_the_shards(kinesis, stream_factory):
    name = stream_factory(shards=2)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = wait_stream_active(kinesis, name)
    assert summary["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"
    assert summary["OpenShardCount"] == 2
    kinesis.put_record(StreamName=name, PartitionKey="a", Data=b"still writable")
    kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "PROVISIONED"})
    summary = wait_stream_active(kinesis, name)
    assert summary["StreamModeDetails"]["StreamMode"] == "PROVISIONED"

    with pytest.raises(ClientError) as e:
        kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "SOMETIMES"})
    assert error_code(e.value) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kinesis.update_stream_mode(StreamARN=arn.replace(name, name + "-gone"),
                                   StreamModeDetails={"StreamMode": "ON_DEMAND"})
    assert error_code(e.value) == "ResourceNotFoundException"


def test_list_shards_filters_after_resharding(kinesis, stream_factory):
    import time
    name = stream_factory(shards=2)
    before = time.time()
    time.sleep(0.05)
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                        NewStartingHashKey=str(2**126))
    wait_stream_active(kinesis, name)
    time.sleep(0.05)
    after = time.time()

    def ids(**filt):
        return sorted(s["ShardId"] for s in kinesis.list_shards(StreamName=name, **filt)["Shards"])

    everything = ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002",
                  "shardId-000000000003"]
    assert ids() == everything
    assert ids(ShardFilter={"Type": "FROM_TRIM_HORIZON"}) == everything
    # Open at the trim horizon (the stream's creation): the two original shards.
    assert ids(ShardFilter={"Type": "AT_TRIM_HORIZON"}) == everything[:2]
    assert ids(ShardFilter={"Type": "AT_LATEST"}) == everything[1:]
    assert ids(ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000001"}) == \
        everything[2:]
    assert ids(ShardFilter={"Type": "AT_TIMESTAMP", "Timestamp": before}) == everything[:2]
    assert ids(ShardFilter={"Type": "AT_TIMESTAMP", "Timestamp": after}) == everything[1:]
    assert ids(ShardFilter={"Type": "FROM_TIMESTAMP", "Timestamp": before}) == everything
    assert ids(ShardFilter={"Type": "FROM_TIMESTAMP", "Timestamp": after}) == everything[1:]


def test_on_demand_stream_adds_shards_under_sustained_load(sluice_factory):
    import time

    srv = sluice_factory("on-demand", extra_args=["--on-demand-window-ms", "1000"])
    k = srv.kinesis
    k.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    wait_stream_active(k, "od")
    before = k.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"]
    assert before["OpenShardCount"] == 4
    # 4 shards take 4 MiB/s; writing well past half of that for longer than the window doubles them.
    batch = [{"PartitionKey": f"k{i}", "Data": b"x" * 1024} for i in range(500)]
    deadline = time.monotonic() + 15
    summary = before
    while time.monotonic() < deadline and summary["OpenShardCount"] == 4:
        for _ in range(4):
            assert k.put_records(StreamName="od", Records=batch)["FailedRecordCount"] == 0
        summary = k.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 8, summary
    assert summary["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"
    wait_stream_active(k, "od")
    # A provisioned stream under the same load keeps its shards.
    k.create_stream(StreamName="prov", ShardCount=4)
    wait_stream_active(k, "prov")
    end = time.monotonic() + 2.5
    while time.monotonic() < end:
        k.put_records(StreamName="prov", Records=batch)
    assert k.describe_stream_summary(StreamName="prov")["StreamDescriptionSummary"]["OpenShardCount"] == 4
