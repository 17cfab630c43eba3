"""Raw CBOR (application/x-amz-cbor-1.1) requests, as the AWS Java SDK and KPL send them."""

from __future__ import annotations

import datetime as dt
import http.client
import time

import cbor2
import pytest

from conftest import unique_name

CBOR_CT = "application/x-amz-cbor-1.1"
TARGET_PREFIX = "Kinesis_20131202."


def _epoch_tag(value, *_rest):
    """Keep tag 1 (epoch time) raw: AWS sends epoch *milliseconds* there, which a standard decoder misreads."""
    return ("epoch", value)


def cbor_call(port: int, op: str, body: dict, timeout: float = 30.0):
    """POST / with a CBOR body; returns (status, content-type, decoded body or raw bytes, raw bytes)."""
    amz_date = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    payload = cbor2.dumps(body)
    headers = {
        "Content-Type": CBOR_CT,
        "Accept": CBOR_CT,
        "X-Amz-Target": TARGET_PREFIX + op,
        "X-Amz-Date": amz_date,
        "Authorization": (
            f"AWS4-HMAC-SHA256 Credential=AKID/{amz_date[:8]}/us-east-1/kinesis/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=00"
        ),
        "Content-Length": str(len(payload)),
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/", body=payload, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        ctype = resp.getheader("Content-Type", "")
        status = resp.status
    finally:
        conn.close()
    decoded = None
    if raw:
        try:
            decoded = cbor2.loads(raw, semantic_decoders={1: _epoch_tag})
        except Exception as exc:  # noqa: BLE001 - reported by the caller's assertion
            decoded = ("undecodable", repr(exc))
    return status, ctype, decoded, raw


def ok(port, op, body):
    status, ctype, decoded, raw = cbor_call(port, op, body)
    assert status == 200, f"{op}: HTTP {status} {decoded!r} {raw[:300]!r}"
    assert ctype.split(";")[0].strip() == CBOR_CT, f"{op}: Content-Type {ctype!r}"
    assert isinstance(decoded, dict), f"{op}: body is not a CBOR map: {raw[:300]!r}"
    return decoded


def epoch_seconds(value) -> float:
    """ApproximateArrivalTimestamp as sent over CBOR: tag 1 + epoch millis (AWS) or seconds."""
    if isinstance(value, tuple) and value and value[0] == "epoch":
        value = value[1]
    assert isinstance(value, (int, float)), f"unexpected timestamp encoding: {value!r}"
    # AWS's CBOR protocol puts epoch milliseconds under tag 1; accept plain seconds too.
    return value / 1000.0 if value > 10**11 else float(value)


@pytest.fixture
def cbor_stream(stream_factory):
    return stream_factory(shards=1, prefix="cbor")


def test_cbor_put_record_and_get_records(sluice, cbor_stream):
    port = sluice.port
    data = bytes(range(256)) + b"cbor payload"
    t0 = time.time()
    put = ok(port, "PutRecord", {"StreamName": cbor_stream, "Data": data, "PartitionKey": "k"})
    assert put["ShardId"] == "shardId-000000000000", put
    assert isinstance(put["SequenceNumber"], str) and put["SequenceNumber"].isdigit(), put

    it = ok(port, "GetShardIterator", {"StreamName": cbor_stream, "ShardId": put["ShardId"],
                                       "ShardIteratorType": "TRIM_HORIZON"})
    assert isinstance(it["ShardIterator"], str) and it["ShardIterator"], it

    got = ok(port, "GetRecords", {"ShardIterator": it["ShardIterator"]})
    assert isinstance(got["Records"], list) and len(got["Records"]) == 1, got
    rec = got["Records"][0]
    assert isinstance(rec["Data"], bytes), f"Data must be a CBOR byte string, got {type(rec['Data'])}"
    assert rec["Data"] == data
    assert rec["PartitionKey"] == "k"
    assert rec["SequenceNumber"] == put["SequenceNumber"]
    ts = epoch_seconds(rec["ApproximateArrivalTimestamp"])
    assert t0 - 5 <= ts <= time.time() + 5, (ts, t0)
    assert isinstance(got["NextShardIterator"], str)
    assert got["MillisBehindLatest"] == 0


def test_cbor_and_json_see_the_same_records(sluice, kinesis, cbor_stream):
    """A record put over JSON reads back identical over CBOR, and vice versa."""
    port = sluice.port
    j = kinesis.put_record(StreamName=cbor_stream, Data=b"\x00json\xff", PartitionKey="j")
    c = ok(port, "PutRecord", {"StreamName": cbor_stream, "Data": b"\x00cbor\xff", "PartitionKey": "c"})
    assert int(c["SequenceNumber"]) > int(j["SequenceNumber"])

    it = ok(port, "GetShardIterator", {"StreamName": cbor_stream, "ShardId": "shardId-000000000000",
                                       "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                                       "StartingSequenceNumber": j["SequenceNumber"]})["ShardIterator"]
    recs = ok(port, "GetRecords", {"ShardIterator": it, "Limit": 10})["Records"]
    assert [(r["Data"], r["PartitionKey"], r["SequenceNumber"]) for r in recs] == [
        (b"\x00json\xff", "j", j["SequenceNumber"]), (b"\x00cbor\xff", "c", c["SequenceNumber"])]

    it2 = kinesis.get_shard_iterator(StreamName=cbor_stream, ShardId="shardId-000000000000",
                                     ShardIteratorType="AT_SEQUENCE_NUMBER",
                                     StartingSequenceNumber=c["SequenceNumber"])["ShardIterator"]
    recs2 = kinesis.get_records(ShardIterator=it2)["Records"]
    assert [(r["Data"], r["PartitionKey"]) for r in recs2] == [(b"\x00cbor\xff", "c")]


def test_cbor_put_records(sluice, cbor_stream):
    entries = [{"Data": f"item-{i}".encode(), "PartitionKey": f"p{i}"} for i in range(25)]
    res = ok(sluice.port, "PutRecords", {"StreamName": cbor_stream, "Records": entries})
    assert res.get("FailedRecordCount", 0) == 0, res
    assert len(res["Records"]) == 25
    nums = [int(r["SequenceNumber"]) for r in res["Records"]]
    assert nums == sorted(nums) and len(set(nums)) == 25


def test_cbor_describe_stream_summary(sluice, cbor_stream):
    s = ok(sluice.port, "DescribeStreamSummary", {"StreamName": cbor_stream})["StreamDescriptionSummary"]
    assert s["StreamName"] == cbor_stream
    assert s["StreamStatus"] == "ACTIVE"
    assert s["OpenShardCount"] == 1
    created = epoch_seconds(s["StreamCreationTimestamp"])
    assert abs(created - time.time()) < 600, created


def test_cbor_unknown_stream_error(sluice):
    ghost = unique_name("cbor-ghost")
    status, ctype, decoded, raw = cbor_call(sluice.port, "PutRecord",
                                            {"StreamName": ghost, "Data": b"x", "PartitionKey": "k"})
    assert status == 400, (status, raw[:300])
    assert ctype.split(";")[0].strip() == CBOR_CT, ctype
    assert isinstance(decoded, dict), raw[:300]
    assert decoded.get("__type") == "ResourceNotFoundException", decoded
    message = decoded.get("message", decoded.get("Message"))
    assert isinstance(message, str) and ghost in message, decoded


def test_cbor_invalid_iterator_error(sluice):
    status, ctype, decoded, raw = cbor_call(sluice.port, "GetRecords", {"ShardIterator": "garbage-iterator"})
    assert status == 400, (status, raw[:300])
    assert ctype.split(";")[0].strip() == CBOR_CT, ctype
    assert isinstance(decoded, dict) and decoded.get("__type") == "InvalidArgumentException", decoded
