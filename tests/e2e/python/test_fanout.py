"""Enhanced fan-out with boto3 and the aws CLI: consumer registration, SubscribeToShard event
streams (initial-response, pushed records, continuation, shard end with ChildShards), the one
subscription per consumer and shard rule, lifetime, CBOR, durability across restart."""

from __future__ import annotations

import re
import threading
import time

import pytest
from botocore.exceptions import ClientError, EventStreamError

from conftest import error_code, stream_arn, unique_name, wait_stream_active

SHARD0 = "shardId-000000000000"
ARN_RE = re.compile(r"^arn:aws:kinesis:us-east-1:000000000000:stream/([^/]+)/consumer/([^:]+):(\d+)$")


def register(kinesis, name: str, consumer: str = "c1") -> str:
    out = kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName=consumer)
    return out["Consumer"]["ConsumerARN"]


def events(kinesis, consumer_arn: str, shard: str = SHARD0, **position):
    position = position or {"Type": "TRIM_HORIZON"}
    out = kinesis.subscribe_to_shard(ConsumerARN=consumer_arn, ShardId=shard,
                                     StartingPosition=position)
    return out["EventStream"]


def collect(stream, n: int, timeout: float = 20.0):
    """Records from an event stream until `n` arrived; also the events seen."""
    records, seen = [], []
    deadline = time.monotonic() + timeout
    for ev in stream:
        e = ev["SubscribeToShardEvent"]
        seen.append(e)
        records.extend(e["Records"])
        if len(records) >= n or time.monotonic() > deadline:
            break
    return records, seen


def test_consumer_lifecycle(kinesis, stream_factory):
    name = stream_factory(shards=1)
    out = kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName="app-1",
                                           Tags={"team": "blue"})
    c = out["Consumer"]
    m = ARN_RE.match(c["ConsumerARN"])
    assert m and m.group(1) == name and m.group(2) == "app-1", c["ConsumerARN"]
    # The ARN ends with the creation time in seconds.
    assert abs(int(m.group(3)) - c["ConsumerCreationTimestamp"].timestamp()) < 2
    assert c["ConsumerStatus"] == "ACTIVE"

    by_arn = kinesis.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])["ConsumerDescription"]
    by_name = kinesis.describe_stream_consumer(StreamARN=stream_arn(name),
                                               ConsumerName="app-1")["ConsumerDescription"]
    assert by_arn == by_name
    assert by_arn["StreamARN"] == stream_arn(name)

    with pytest.raises(ClientError) as e:
        kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName="app-1")
    assert error_code(e.value) == "ResourceInUseException"

    register(kinesis, name, "app-2")
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["ConsumerCount"] == 2

    page1 = kinesis.list_stream_consumers(StreamARN=stream_arn(name), MaxResults=1)
    assert [x["ConsumerName"] for x in page1["Consumers"]] == ["app-1"]
    page2 = kinesis.list_stream_consumers(StreamARN=stream_arn(name), NextToken=page1["NextToken"])
    assert [x["ConsumerName"] for x in page2["Consumers"]] == ["app-2"]
    assert "NextToken" not in page2

    kinesis.deregister_stream_consumer(ConsumerARN=c["ConsumerARN"])
    with pytest.raises(ClientError) as e:
        kinesis.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])
    assert error_code(e.value) == "ResourceNotFoundException"
    names = [x["ConsumerName"] for x in kinesis.list_stream_consumers(StreamARN=stream_arn(name))["Consumers"]]
    assert names == ["app-2"]
    kinesis.deregister_stream_consumer(StreamARN=stream_arn(name), ConsumerName="app-2")
    assert kinesis.list_stream_consumers(StreamARN=stream_arn(name))["Consumers"] == []


def test_consumer_validation(kinesis, stream_factory):
    name = stream_factory(shards=1)
    cases = [
        (dict(StreamARN=stream_arn(name), ConsumerName="bad name"), "ValidationException"),
        (dict(StreamARN="arn:aws:kinesis:us-east-1:000000000000:stream/nope", ConsumerName="c"),
         "ResourceNotFoundException"),
    ]
    for params, code in cases:
        with pytest.raises(ClientError) as e:
            kinesis.register_stream_consumer(**params)
        assert error_code(e.value) == code, params
    with pytest.raises(ClientError) as e:
        kinesis.describe_stream_consumer(ConsumerARN="arn:aws:kinesis:us-east-1:000000000000:stream/x")
    assert error_code(e.value) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kinesis.describe_stream_consumer(StreamARN=stream_arn(name))
    assert error_code(e.value) == "InvalidArgumentException"
    # A consumer ARN with another creation time names another (absent) consumer.
    arn = register(kinesis, name)
    stale = arn.rsplit(":", 1)[0] + ":12345"
    with pytest.raises(ClientError) as e:
        kinesis.describe_stream_consumer(ConsumerARN=stale)
    assert error_code(e.value) == "ResourceNotFoundException"


def test_consumer_limit_is_20_per_stream(kinesis, stream_factory):
    name = stream_factory(shards=1)
    for i in range(20):
        register(kinesis, name, f"c{i}")
    with pytest.raises(ClientError) as e:
        register(kinesis, name, "c20")
    assert error_code(e.value) == "LimitExceededException"


def test_delete_stream_with_consumers_needs_enforce(kinesis, stream_factory):
    name = stream_factory(shards=1)
    register(kinesis, name)
    with pytest.raises(ClientError) as e:
        kinesis.delete_stream(StreamName=name)
    assert error_code(e.value) == "ResourceInUseException"
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)


def test_subscribe_delivers_existing_then_pushed_records(kinesis, stream_factory):
    name = stream_factory(shards=1)
    arn = register(kinesis, name)
    seqs = [kinesis.put_record(StreamName=name, PartitionKey="k", Data=f"r{i}".encode())["SequenceNumber"]
            for i in range(5)]
    stream = events(kinesis, arn)
    first, seen = collect(stream, 5)
    assert [r["Data"] for r in first] == [f"r{i}".encode() for i in range(5)]
    assert [r["SequenceNumber"] for r in first] == seqs
    assert all(r["PartitionKey"] == "k" for r in first)
    assert seen[-1]["ContinuationSequenceNumber"] == seqs[-1]

    # Written after the subscription started: pushed, not polled.
    def later():
        time.sleep(0.3)
        kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"late")

    threading.Thread(target=later).start()
    started = time.monotonic()
    late, _ = collect(stream, 1)
    assert [r["Data"] for r in late] == [b"late"]
    # Well under the 5 s heartbeat: the record woke the subscription.
    assert time.monotonic() - started < 4
    stream.close()


@pytest.mark.parametrize("kind", ["LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "AT_TIMESTAMP"])
def test_starting_positions(kinesis, stream_factory, kind):
    name = stream_factory(shards=1)
    arn = register(kinesis, name)
    puts = [kinesis.put_record(StreamName=name, PartitionKey="k", Data=f"p{i}".encode()) for i in range(3)]
    if kind == "LATEST":
        position = {"Type": "LATEST"}
        expect = [b"new"]
    elif kind == "AT_SEQUENCE_NUMBER":
        position = {"Type": kind, "SequenceNumber": puts[1]["SequenceNumber"]}
        expect = [b"p1", b"p2", b"new"]
    elif kind == "AFTER_SEQUENCE_NUMBER":
        position = {"Type": kind, "SequenceNumber": puts[1]["SequenceNumber"]}
        expect = [b"p2", b"new"]
    else:
        time.sleep(0.05)
        position = {"Type": kind, "Timestamp": time.time()}
        time.sleep(0.05)
        expect = [b"new"]
    stream = events(kinesis, arn, **position)
    kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"new")
    got, _ = collect(stream, len(expect))
    assert [r["Data"] for r in got] == expect
    stream.close()


def test_second_subscription_is_refused_while_the_first_is_young(kinesis, stream_factory):
    name = stream_factory(shards=2)
    arn = register(kinesis, name)
    first = events(kinesis, arn)
    with pytest.raises(ClientError) as e:
        events(kinesis, arn)
    assert error_code(e.value) == "ResourceInUseException"
    # Another shard, or another consumer on the same shard, is fine.
    other_shard = events(kinesis, arn, shard="shardId-000000000001")
    other_consumer = events(kinesis, register(kinesis, name, "c2"))
    for s in (first, other_shard, other_consumer):
        s.close()


def test_subscribe_errors(kinesis, stream_factory):
    name = stream_factory(shards=1)
    arn = register(kinesis, name)
    with pytest.raises(ClientError) as e:
        events(kinesis, arn, shard="shardId-000000000009")
    assert error_code(e.value) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        events(kinesis, arn.rsplit(":", 1)[0] + ":1")
    assert error_code(e.value) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        events(kinesis, arn, Type="AT_SEQUENCE_NUMBER")
    assert error_code(e.value) == "InvalidArgumentException"
    with pytest.raises(ClientError) as e:
        events(kinesis, arn, Type="AT_SEQUENCE_NUMBER", SequenceNumber="12")
    assert error_code(e.value) == "InvalidArgumentException"
    with pytest.raises(ClientError) as e:
        events(kinesis, arn, Type="SOMEWHERE")
    assert error_code(e.value) == "ValidationException"


def test_shard_end_has_child_shards(kinesis, stream_factory):
    name = stream_factory(shards=1)
    arn = register(kinesis, name)
    kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"before")
    stream = events(kinesis, arn)
    got, _ = collect(stream, 1)
    assert [r["Data"] for r in got] == [b"before"]
    kinesis.split_shard(StreamName=name, ShardToSplit=SHARD0, NewStartingHashKey=str(2**127))
    wait_stream_active(kinesis, name)
    rest = list(stream)  # the stream ends after the shard-end event
    last = rest[-1]["SubscribeToShardEvent"]
    assert last["Records"] == []
    assert "ContinuationSequenceNumber" not in last
    children = last["ChildShards"]
    assert sorted(c["ShardId"] for c in children) == ["shardId-000000000001", "shardId-000000000002"]
    assert all(c["ParentShards"] == [SHARD0] for c in children)


def test_deregistering_ends_the_subscription_with_an_error(kinesis, stream_factory):
    name = stream_factory(shards=1)
    arn = register(kinesis, name)
    kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"x")
    stream = events(kinesis, arn)
    collect(stream, 1)
    kinesis.deregister_stream_consumer(ConsumerARN=arn)
    with pytest.raises(EventStreamError) as e:
        list(stream)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_lifetime_ends_the_stream_and_continuation_resumes_exactly(sluice_factory):
    srv = sluice_factory("fanout-lifetime", extra_args=["--subscription-lifetime-ms", "1500"])
    k = srv.kinesis
    name = unique_name("life")
    k.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(k, name)
    arn = register(k, name)
    for i in range(3):
        k.put_record(StreamName=name, PartitionKey="k", Data=f"a{i}".encode())
    started = time.monotonic()
    seen = list(events(k, arn))  # ends by itself after 1.5 s
    assert time.monotonic() - started < 10
    records = [r for e in seen for r in e["SubscribeToShardEvent"]["Records"]]
    assert [r["Data"] for r in records] == [b"a0", b"a1", b"a2"]
    cont = seen[-1]["SubscribeToShardEvent"]["ContinuationSequenceNumber"]
    k.put_record(StreamName=name, PartitionKey="k", Data=b"b0")
    # The old subscription is over, so a new one is accepted at once.
    got, _ = collect(events(k, arn, Type="AFTER_SEQUENCE_NUMBER", SequenceNumber=cont), 1)
    assert [r["Data"] for r in got] == [b"b0"]


def test_consumer_delay_reads_creating_then_active(sluice_factory):
    srv = sluice_factory("fanout-delay", extra_args=["--consumer-delay-ms", "700"])
    k = srv.kinesis
    name = unique_name("delay")
    k.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(k, name)
    arn = register(k, name)
    assert k.describe_stream_consumer(ConsumerARN=arn)["ConsumerDescription"]["ConsumerStatus"] == "CREATING"
    with pytest.raises(ClientError) as e:
        events(k, arn)
    assert error_code(e.value) == "ResourceInUseException"
    time.sleep(0.8)
    assert k.describe_stream_consumer(ConsumerARN=arn)["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE"
    k.deregister_stream_consumer(ConsumerARN=arn)
    assert k.describe_stream_consumer(ConsumerARN=arn)["ConsumerDescription"]["ConsumerStatus"] == "DELETING"
    time.sleep(0.8)
    with pytest.raises(ClientError) as e:
        k.describe_stream_consumer(ConsumerARN=arn)
    assert error_code(e.value) == "ResourceNotFoundException"


def test_consumers_survive_kill_9(sluice_factory):
    srv = sluice_factory("fanout-restart")
    name = unique_name("keep")
    srv.kinesis.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(srv.kinesis, name)
    arn = register(srv.kinesis, name)
    srv.kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"kept")
    srv.restart(hard=True)
    k = srv.client()
    assert k.describe_stream_consumer(ConsumerARN=arn)["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE"
    got, _ = collect(events(k, arn), 1)
    assert [r["Data"] for r in got] == [b"kept"]


def test_aws_cli_consumers(aws_cli, stream_factory):
    name = stream_factory(shards=1)
    out = aws_cli("kinesis", "register-stream-consumer", "--stream-arn", stream_arn(name),
                  "--consumer-name", "cli-consumer").json
    arn = out["Consumer"]["ConsumerARN"]
    assert ARN_RE.match(arn)
    listed = aws_cli("kinesis", "list-stream-consumers", "--stream-arn", stream_arn(name)).json
    assert [c["ConsumerName"] for c in listed["Consumers"]] == ["cli-consumer"]
    desc = aws_cli("kinesis", "describe-stream-consumer", "--consumer-arn", arn).json
    assert desc["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE"
    aws_cli("kinesis", "deregister-stream-consumer", "--consumer-arn", arn)
    res = aws_cli("kinesis", "describe-stream-consumer", "--consumer-arn", arn, check=False)
    assert res.returncode != 0 and "ResourceNotFoundException" in res.stderr


def test_cbor_subscription_frames(sluice_factory):
    """The Java SDK speaks CBOR: the event payloads are CBOR too, with the same members."""
    import cbor2
    from botocore.eventstream import EventStreamBuffer

    from test_cbor import CBOR_CT, cbor_call

    srv = sluice_factory("fanout-cbor", extra_args=["--subscription-lifetime-ms", "800"])
    k = srv.kinesis
    name = unique_name("cbor")
    k.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(k, name)
    arn = register(k, name)
    seq = k.put_record(StreamName=name, PartitionKey="pk", Data=b"\x00\x01binary")["SequenceNumber"]
    status, ctype, _, raw = cbor_call(srv.port, "SubscribeToShard", {
        "ConsumerARN": arn, "ShardId": SHARD0, "StartingPosition": {"Type": "TRIM_HORIZON"}})
    assert status == 200 and ctype == "application/vnd.amazon.eventstream", (status, ctype, raw[:200])
    buf = EventStreamBuffer()
    buf.add_data(raw)
    messages = list(buf)
    assert messages[0].headers[":event-type"] == "initial-response"
    event = messages[1]
    assert event.headers[":event-type"] == "SubscribeToShardEvent"
    assert event.headers[":content-type"] == CBOR_CT
    body = cbor2.loads(event.payload, semantic_decoders={1: lambda v, *_: v})
    assert body["ContinuationSequenceNumber"] == seq
    (record,) = body["Records"]
    assert record["Data"] == b"\x00\x01binary" and record["PartitionKey"] == "pk"
    assert record["SequenceNumber"] == seq


def test_consumer_tags(kinesis, stream_factory):
    name = stream_factory(shards=1)
    out = kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName="tagged",
                                           Tags={"a": "1"})
    arn = out["Consumer"]["ConsumerARN"]
    kinesis.tag_resource(ResourceARN=arn, Tags={"b": "2"})
    tags = {t["Key"]: t["Value"] for t in kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"]}
    assert tags == {"a": "1", "b": "2"}
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["a"])
    tags = {t["Key"]: t["Value"] for t in kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"]}
    assert tags == {"b": "2"}
    # The stream's own tags are separate.
    assert kinesis.list_tags_for_resource(ResourceARN=stream_arn(name))["Tags"] == []
