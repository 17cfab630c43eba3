"""Amazon Data Firehose (Firehose_20150804) with boto3, served on the Kinesis port: delivery stream
management (create, describe, list, delete, tags, UpdateDestination), PutRecord/PutRecordBatch, and
delivery to the embedded object store (``--s3-dir DIR``: bucket ``arn:aws:s3:::NAME`` is the
directory ``DIR/NAME``), buffered by size or by time, compressed, prefixed and named as AWS does, and
durable across ``kill -9``.

Most tests share one module-scoped server and use their own bucket; the crash test has its own server.
"""

from __future__ import annotations

import calendar
import gzip
import io
import os
import re
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional
import zipfile

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError

from conftest import (ACCESS_KEY, ACCOUNT_ID, REGION, SECRET_KEY, error_code, http_status,
                      unique_name)

ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/firehose-e2e"
MIB = 1024 * 1024
ACTIVE_TIMEOUT_S = 10.0
DELIVERY_TIMEOUT_S = 10.0
POLL_S = 0.05

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# The timestamp in an object's name: YYYY-MM-dd-HH-mm-ss (UTC).
NAME_TS_RE = r"(?P<Y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})-(?P<H>\d{2})-(?P<M>\d{2})-(?P<S>\d{2})"
# The default prefix: YYYY/MM/dd/HH/ (UTC).
DEFAULT_PREFIX_RE = r"(?P<pY>\d{4})/(?P<pm>\d{2})/(?P<pd>\d{2})/(?P<pH>\d{2})/"
SNAPPY_STREAM_ID = b"\xff\x06\x00\x00sNaPpY"

try:  # optional: the pure-Python decoder below is used when neither is installed
    import snappy as _snappy  # type: ignore
except ImportError:  # pragma: no cover - depends on the environment
    _snappy = None


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def firehose_client(srv):
    return boto3.session.Session().client(
        "firehose",
        endpoint_url=srv.endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"},
                      connect_timeout=5, read_timeout=30),
    )


@dataclass
class Bucket:
    name: str
    dir: Path

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.name}"


def new_bucket(s3_dir: Path) -> Bucket:
    """A bucket no other test uses. Its directory is not created: the server creates it on delivery."""
    name = unique_name("bkt")
    return Bucket(name, Path(s3_dir) / name)


def s3_config(bucket: Bucket, size: Optional[int] = 1, interval: Optional[int] = 0, **extra) -> dict:
    """An ExtendedS3DestinationConfiguration (or S3DestinationConfiguration) for `bucket`.
    size/interval None leaves BufferingHints out (server defaults)."""
    cfg = {"RoleARN": ROLE_ARN, "BucketARN": bucket.arn}
    if size is not None or interval is not None:
        hints = {}
        if size is not None:
            hints["SizeInMBs"] = size
        if interval is not None:
            hints["IntervalInSeconds"] = interval
        cfg["BufferingHints"] = hints
    cfg.update(extra)
    return cfg


def wait_active(fh, name: str, timeout: float = ACTIVE_TIMEOUT_S) -> dict:
    """Poll DescribeDeliveryStream until ACTIVE; return the DeliveryStreamDescription."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
            if last["DeliveryStreamStatus"] == "ACTIVE":
                return last
            assert last["DeliveryStreamStatus"] == "CREATING", (
                f"new delivery stream {name} has status {last['DeliveryStreamStatus']}: {last}")
        except ClientError as exc:  # tolerate a brief invisibility right after CreateDeliveryStream
            if error_code(exc) != "ResourceNotFoundException":
                raise
            last = f"ResourceNotFoundException: {exc}"
        time.sleep(POLL_S)
    raise AssertionError(f"delivery stream {name} not ACTIVE after {timeout}s; last seen: {last!r}")


def wait_gone(fh, name: str, timeout: float = ACTIVE_TIMEOUT_S) -> None:
    """Poll DescribeDeliveryStream until ResourceNotFoundException (DELETING allowed meanwhile)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
            assert last["DeliveryStreamStatus"] == "DELETING", (
                f"deleted delivery stream {name} has status {last['DeliveryStreamStatus']}")
        except ClientError as exc:
            assert error_code(exc) == "ResourceNotFoundException", exc.response
            return
        time.sleep(POLL_S)
    raise AssertionError(f"delivery stream {name} still present {timeout}s after delete: {last!r}")


def create_stream(fh, bucket: Bucket, name: Optional[str] = None, prefix: str = "fh",
                  legacy: bool = False, size: Optional[int] = 1, interval: Optional[int] = 0,
                  tags: Optional[list] = None, **dest) -> str:
    """CreateDeliveryStream (DirectPut) delivering to `bucket`; waits until ACTIVE; returns the name."""
    name = name or unique_name(prefix)
    key = "S3DestinationConfiguration" if legacy else "ExtendedS3DestinationConfiguration"
    params = {"DeliveryStreamName": name, key: s3_config(bucket, size, interval, **dest)}
    if tags is not None:
        params["Tags"] = tags
    resp = fh.create_delivery_stream(**params)
    assert re.fullmatch(rf"arn:aws:firehose:{REGION}:\d{{12}}:deliverystream/{re.escape(name)}",
                        resp["DeliveryStreamARN"]), resp
    wait_active(fh, name)
    return name


def s3_dest(desc: dict) -> dict:
    """The ExtendedS3DestinationDescription of a stream's only destination."""
    dests = desc["Destinations"]
    assert len(dests) == 1, dests
    assert "ExtendedS3DestinationDescription" in dests[0], dests[0]
    return dests[0]["ExtendedS3DestinationDescription"]


def is_temporary(rel: str) -> bool:
    parts = rel.split("/")
    return any(p.startswith(".") for p in parts) or ".tmp" in parts[-1]


def list_objects(bucket: Bucket) -> dict[str, int]:
    """{object key: size} of the bucket's delivered objects (temporary files left out)."""
    out = {}
    if not bucket.dir.is_dir():
        return out
    for root, _, files in os.walk(bucket.dir):
        for f in files:
            path = Path(root) / f
            rel = path.relative_to(bucket.dir).as_posix()
            if is_temporary(rel):
                continue
            try:
                out[rel] = path.stat().st_size
            except FileNotFoundError:  # renamed or removed under us
                continue
    return out


def read_objects(bucket: Bucket) -> dict[str, bytes]:
    return {k: (bucket.dir / k).read_bytes() for k in list_objects(bucket)}


def wait_objects(bucket: Bucket, count: int = 1, timeout: float = DELIVERY_TIMEOUT_S,
                 srv=None) -> dict[str, bytes]:
    """Wait until the bucket holds at least `count` objects and the listing (keys and sizes) is the
    same on two polls in a row; return {key: content}."""
    deadline = time.monotonic() + timeout
    prev = None
    seen: dict[str, int] = {}
    while time.monotonic() < deadline:
        seen = list_objects(bucket)
        if len(seen) >= count and seen == prev:
            return read_objects(bucket)
        prev = seen
        time.sleep(POLL_S)
    log = f"\nserver log:\n{srv.log_tail()}" if srv is not None else ""
    raise AssertionError(
        f"bucket {bucket.name}: wanted >= {count} objects within {timeout}s, have {seen}{log}")


def assert_no_objects_until(bucket: Bucket, until: float, why: str) -> None:
    """Assert the bucket stays empty until time.monotonic() reaches `until`."""
    while time.monotonic() < until:
        seen = list_objects(bucket)
        assert not seen, f"bucket {bucket.name}: object(s) delivered too early ({why}): {seen}"
        time.sleep(POLL_S)


def the_object(objects: dict[str, bytes]) -> tuple[str, bytes]:
    assert len(objects) == 1, f"expected exactly one object, got {sorted(objects)}"
    return next(iter(objects.items()))


def key_pattern(name: str, version: int = 1, ext: str = "", prefix_re: str = DEFAULT_PREFIX_RE):
    return re.compile("^" + prefix_re + re.escape(f"{name}-{version}-") + NAME_TS_RE + "-" + UUID_RE
                      + re.escape(ext) + "$")


def match_key(key: str, name: str, version: int = 1, ext: str = "",
              prefix_re: str = DEFAULT_PREFIX_RE) -> re.Match:
    pat = key_pattern(name, version, ext, prefix_re)
    m = pat.match(key)
    assert m, f"object key {key!r} does not match {pat.pattern!r}"
    return m


def key_epoch(m: re.Match) -> int:
    """The UTC instant in an object's name (from a match_key result), as epoch seconds."""
    return calendar.timegm(tuple(int(m.group(g)) for g in ("Y", "m", "d", "H", "M", "S")) + (0, 0, 0))


def assert_key_time(m: re.Match, before: float, after: float) -> None:
    """The name's timestamp lies within [before, after] (wall clock, 1 s slack for truncation)."""
    ts = key_epoch(m)
    assert int(before) - 1 <= ts <= after + 1, (
        f"object timestamp {m.group(0)!r} ({ts}) not within the put window [{before:.3f}, {after:.3f}]")


def assert_default_prefix_matches_name(m: re.Match) -> None:
    """The default YYYY/MM/dd/HH/ prefix is the same instant as the name's timestamp."""
    assert (m["pY"], m["pm"], m["pd"], m["pH"]) == (m["Y"], m["m"], m["d"], m["H"]), (
        f"prefix and name timestamps differ in {m.group(0)!r}")


def put_batch(fh, name: str, records: list[bytes]) -> dict:
    resp = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": r} for r in records])
    assert resp["FailedPutCount"] == 0, resp
    assert len(resp["RequestResponses"]) == len(records), resp
    return resp


# ---- Snappy framing format (https://github.com/google/snappy/blob/main/framing_format.txt) ----

def _crc32c_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def snappy_masked_crc(data: bytes) -> int:
    c = crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def snappy_raw_decompress(buf: bytes) -> bytes:
    """Decode one raw Snappy block."""
    pos, length, shift = 0, 0, 0
    while True:
        b = buf[pos]
        pos += 1
        length |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    out = bytearray()
    while pos < len(buf):
        tag = buf[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal
            n = tag >> 2
            if n >= 60:
                extra = n - 59
                n = int.from_bytes(buf[pos:pos + extra], "little")
                pos += extra
            n += 1
            out += buf[pos:pos + n]
            pos += n
            continue
        if kind == 1:
            n = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | buf[pos]
            pos += 1
        elif kind == 2:
            n = (tag >> 2) + 1
            offset = int.from_bytes(buf[pos:pos + 2], "little")
            pos += 2
        else:
            n = (tag >> 2) + 1
            offset = int.from_bytes(buf[pos:pos + 4], "little")
            pos += 4
        assert 0 < offset <= len(out), f"snappy copy offset {offset} out of range ({len(out)} bytes out)"
        start = len(out) - offset
        for i in range(n):  # byte by byte: a copy may overlap its own output
            out.append(out[start + i])
    assert len(out) == length, f"snappy block decoded to {len(out)} bytes, header says {length}"
    return bytes(out)


def snappy_framed_decompress(data: bytes) -> bytes:
    """Decode the Snappy framing format, checking the stream identifier and every chunk's CRC."""
    if _snappy is not None and hasattr(_snappy, "StreamDecompressor"):
        return _snappy.StreamDecompressor().decompress(data)
    assert data.startswith(SNAPPY_STREAM_ID), f"no snappy stream identifier: {data[:16]!r}"
    out = bytearray()
    pos = 0
    while pos < len(data):
        assert pos + 4 <= len(data), f"truncated snappy chunk header at {pos}"
        kind = data[pos]
        n = int.from_bytes(data[pos + 1:pos + 4], "little")
        body = data[pos + 4:pos + 4 + n]
        assert len(body) == n, f"truncated snappy chunk at {pos}: {len(body)} of {n} bytes"
        pos += 4 + n
        if kind == 0xFF:
            assert body == b"sNaPpY", body
        elif kind in (0x00, 0x01):
            crc = struct.unpack("<I", body[:4])[0]
            chunk = snappy_raw_decompress(body[4:]) if kind == 0x00 else body[4:]
            assert len(chunk) <= 65536, f"snappy chunk of {len(chunk)} uncompressed bytes (max 65536)"
            assert crc == snappy_masked_crc(chunk), "snappy chunk CRC-32C mismatch"
            out += chunk
        else:
            assert kind >= 0x80, f"reserved unskippable snappy chunk type {kind:#x}"
    return bytes(out)


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------


@dataclass
class FirehoseEnv:
    srv: object
    s3_dir: Path
    fh: object


@pytest.fixture(scope="module")
def env(sluice_factory, tmp_path_factory) -> FirehoseEnv:
    s3_dir = tmp_path_factory.mktemp("firehose-s3")
    srv = sluice_factory("firehose", extra_args=["--s3-dir", str(s3_dir)])
    return FirehoseEnv(srv, s3_dir, firehose_client(srv))


@pytest.fixture
def fh(env):
    if not env.srv.is_running():
        pytest.fail(f"firehose server is not running; log:\n{env.srv.log_tail()}", pytrace=False)
    return env.fh


@pytest.fixture
def bucket(env) -> Bucket:
    return new_bucket(env.s3_dir)


# --------------------------------------------------------------------------
# management
# --------------------------------------------------------------------------


def test_create_and_describe_with_defaults(fh, bucket):
    name = unique_name("desc")
    resp = fh.create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE_ARN, "BucketARN": bucket.arn})
    arn = resp["DeliveryStreamARN"]
    assert re.fullmatch(rf"arn:aws:firehose:us-east-1:\d{{12}}:deliverystream/{name}", arn), arn
    d = wait_active(fh, name)
    assert d["DeliveryStreamName"] == name
    assert d["DeliveryStreamARN"] == arn
    assert d["DeliveryStreamType"] == "DirectPut"
    assert d["VersionId"] == "1"
    assert d["HasMoreDestinations"] is False
    assert d["Destinations"][0]["DestinationId"] == "destinationId-000000000001"
    s3 = s3_dest(d)
    assert s3["RoleARN"] == ROLE_ARN
    assert s3["BucketARN"] == bucket.arn
    assert s3.get("Prefix", "") == "" and s3.get("ErrorOutputPrefix", "") == "", s3
    assert s3["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 300}, s3["BufferingHints"]
    assert s3["CompressionFormat"] == "UNCOMPRESSED"
    assert s3["EncryptionConfiguration"] == {"NoEncryptionConfig": "NoEncryption"}


def test_describe_echoes_the_given_configuration(fh, bucket):
    name = create_stream(fh, bucket, prefix="echo", size=3, interval=60, Prefix="in/",
                         ErrorOutputPrefix="err/", CompressionFormat="GZIP")
    s3 = s3_dest(fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"])
    assert s3["Prefix"] == "in/" and s3["ErrorOutputPrefix"] == "err/", s3
    assert s3["BufferingHints"] == {"SizeInMBs": 3, "IntervalInSeconds": 60}, s3["BufferingHints"]
    assert s3["CompressionFormat"] == "GZIP"


def test_s3_destination_configuration_is_described_both_ways_and_delivers(env, fh, bucket):
    name = create_stream(fh, bucket, prefix="legacy", legacy=True, size=2, interval=0, Prefix="legacy/")
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    dest = d["Destinations"][0]
    assert dest["DestinationId"] == "destinationId-000000000001"
    for key in ("S3DestinationDescription", "ExtendedS3DestinationDescription"):
        assert key in dest, f"{key} missing from {dest}"
        s3 = dest[key]
        assert s3["BucketARN"] == bucket.arn and s3["RoleARN"] == ROLE_ARN, s3
        assert s3["Prefix"] == "legacy/", s3
        assert s3["BufferingHints"] == {"SizeInMBs": 2, "IntervalInSeconds": 0}, s3
        assert s3["CompressionFormat"] == "UNCOMPRESSED", s3
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"legacy-record"})
    key, data = the_object(wait_objects(bucket, srv=env.srv))
    assert key.startswith(f"legacy/{name}-1-"), key
    assert data == b"legacy-record"


def test_create_existing_name_is_resource_in_use(fh, bucket):
    name = create_stream(fh, bucket, prefix="dup")
    with pytest.raises(ClientError) as e:
        fh.create_delivery_stream(DeliveryStreamName=name,
                                  ExtendedS3DestinationConfiguration=s3_config(bucket))
    assert error_code(e.value) == "ResourceInUseException", e.value.response
    assert http_status(e.value) == 400


def test_unknown_delivery_stream_is_resource_not_found(fh):
    missing = unique_name("missing")
    calls = {
        "DescribeDeliveryStream": lambda: fh.describe_delivery_stream(DeliveryStreamName=missing),
        "PutRecord": lambda: fh.put_record(DeliveryStreamName=missing, Record={"Data": b"x"}),
        "PutRecordBatch": lambda: fh.put_record_batch(DeliveryStreamName=missing,
                                                      Records=[{"Data": b"x"}]),
        "DeleteDeliveryStream": lambda: fh.delete_delivery_stream(DeliveryStreamName=missing),
        "UpdateDestination": lambda: fh.update_destination(
            DeliveryStreamName=missing, CurrentDeliveryStreamVersionId="1",
            DestinationId="destinationId-000000000001",
            ExtendedS3DestinationUpdate={"Prefix": "x/"}),
        "TagDeliveryStream": lambda: fh.tag_delivery_stream(
            DeliveryStreamName=missing, Tags=[{"Key": "k", "Value": "v"}]),
        "UntagDeliveryStream": lambda: fh.untag_delivery_stream(DeliveryStreamName=missing,
                                                                TagKeys=["k"]),
        "ListTagsForDeliveryStream": lambda: fh.list_tags_for_delivery_stream(
            DeliveryStreamName=missing),
    }
    wrong = {}
    for op, call in calls.items():
        try:
            call()
            wrong[op] = "succeeded"
        except ClientError as exc:
            if (error_code(exc), http_status(exc)) != ("ResourceNotFoundException", 400):
                wrong[op] = (error_code(exc), http_status(exc))
    assert not wrong, f"operations on an unknown delivery stream did not answer ResourceNotFoundException/400: {wrong}"


def test_list_delivery_streams_pagination_and_type_filter(fh, bucket):
    base = unique_name("lst")
    names = [f"{base}-a", f"{base}-b", f"{base}-c"]
    for n in names:
        create_stream(fh, bucket, name=n)

    # Alphabetical, starting right after ExclusiveStartDeliveryStreamName (which need not exist).
    r = fh.list_delivery_streams(ExclusiveStartDeliveryStreamName=base, Limit=2)
    assert r["DeliveryStreamNames"] == names[:2], r
    assert r["HasMoreDeliveryStreams"] is True, r
    r = fh.list_delivery_streams(ExclusiveStartDeliveryStreamName=names[1], Limit=1)
    assert r["DeliveryStreamNames"] == [names[2]], r

    # Paging through everything: sorted, no duplicates, HasMore false only on the last page.
    seen, start = [], None
    for _ in range(1000):
        kw = {"Limit": 3}
        if start:
            kw["ExclusiveStartDeliveryStreamName"] = start
        r = fh.list_delivery_streams(**kw)
        assert len(r["DeliveryStreamNames"]) <= 3, r
        seen.extend(r["DeliveryStreamNames"])
        if not r["HasMoreDeliveryStreams"]:
            break
        assert r["DeliveryStreamNames"], f"empty page with HasMoreDeliveryStreams true: {r}"
        start = r["DeliveryStreamNames"][-1]
    else:
        raise AssertionError("ListDeliveryStreams pagination did not end")
    assert seen == sorted(set(seen)), seen
    assert set(names) <= set(seen), (names, seen)

    # No Limit: at most 10 (the documented default).
    r = fh.list_delivery_streams()
    assert len(r["DeliveryStreamNames"]) == min(10, len(seen)), r
    assert r["HasMoreDeliveryStreams"] is (len(seen) > 10), r

    r = fh.list_delivery_streams(DeliveryStreamType="DirectPut", ExclusiveStartDeliveryStreamName=base,
                                 Limit=3)
    assert r["DeliveryStreamNames"] == names, r
    r = fh.list_delivery_streams(DeliveryStreamType="KinesisStreamAsSource")
    assert r["DeliveryStreamNames"] == [] and r["HasMoreDeliveryStreams"] is False, r


def test_delete_delivery_stream(fh, bucket):
    name = create_stream(fh, bucket, prefix="del")
    fh.delete_delivery_stream(DeliveryStreamName=name)
    wait_gone(fh, name)
    r = fh.list_delivery_streams(ExclusiveStartDeliveryStreamName=name[:-1], Limit=10)
    assert name not in r["DeliveryStreamNames"], r
    with pytest.raises(ClientError) as e:
        fh.put_record(DeliveryStreamName=name, Record={"Data": b"late"})
    assert error_code(e.value) == "ResourceNotFoundException"
    # The name can be used again, starting over at version 1.
    create_stream(fh, bucket, name=name)
    assert fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]["VersionId"] == "1"


def test_tags(fh, bucket):
    name = create_stream(fh, bucket, prefix="tags", tags=[{"Key": "team", "Value": "data"}])
    r = fh.list_tags_for_delivery_stream(DeliveryStreamName=name)
    assert r["Tags"] == [{"Key": "team", "Value": "data"}] and r["HasMoreTags"] is False, r

    # New keys are added, an existing key gets the new value.
    fh.tag_delivery_stream(DeliveryStreamName=name, Tags=[
        {"Key": "env", "Value": "test"}, {"Key": "owner", "Value": "e2e"},
        {"Key": "team", "Value": "platform"}])
    page1 = fh.list_tags_for_delivery_stream(DeliveryStreamName=name, Limit=2)
    assert len(page1["Tags"]) == 2 and page1["HasMoreTags"] is True, page1
    page2 = fh.list_tags_for_delivery_stream(DeliveryStreamName=name, Limit=2,
                                             ExclusiveStartTagKey=page1["Tags"][-1]["Key"])
    assert len(page2["Tags"]) == 1 and page2["HasMoreTags"] is False, page2
    tags = {t["Key"]: t["Value"] for t in page1["Tags"] + page2["Tags"]}
    assert tags == {"env": "test", "owner": "e2e", "team": "platform"}, (page1, page2)

    # Untagging a key that is not there is not an error.
    fh.untag_delivery_stream(DeliveryStreamName=name, TagKeys=["env", "owner", "never-set"])
    r = fh.list_tags_for_delivery_stream(DeliveryStreamName=name)
    assert r["Tags"] == [{"Key": "team", "Value": "platform"}] and r["HasMoreTags"] is False, r


@pytest.mark.parametrize("case", ["MSKAsSource", "RedshiftDestination"])
def test_unsupported_configuration_is_refused(fh, bucket, case):
    name = unique_name("unsup")
    if case == "MSKAsSource":
        params = dict(
            DeliveryStreamType="MSKAsSource",
            MSKSourceConfiguration={
                "MSKClusterARN": f"arn:aws:kafka:{REGION}:{ACCOUNT_ID}:cluster/c/"
                                 "11111111-2222-3333-4444-555555555555-1",
                "TopicName": "topic",
                "AuthenticationConfiguration": {"RoleARN": ROLE_ARN, "Connectivity": "PRIVATE"}},
            ExtendedS3DestinationConfiguration=s3_config(bucket))
    else:
        params = dict(RedshiftDestinationConfiguration={
            "RoleARN": ROLE_ARN,
            "ClusterJDBCURL": "jdbc:redshift://examplecluster.abc123xyz789.us-east-1.redshift.amazonaws.com:5439/dev",
            "CopyCommand": {"DataTableName": "events"},
            "Username": "admin",
            "Password": "secret-password",
            "S3Configuration": {"RoleARN": ROLE_ARN, "BucketARN": bucket.arn}})
    with pytest.raises(ClientError) as e:
        fh.create_delivery_stream(DeliveryStreamName=name, **params)
    assert error_code(e.value) == "InvalidArgumentException", e.value.response
    assert http_status(e.value) == 400
    # Nothing was created.
    with pytest.raises(ClientError) as e:
        fh.describe_delivery_stream(DeliveryStreamName=name)
    assert error_code(e.value) == "ResourceNotFoundException"


# --------------------------------------------------------------------------
# putting records
# --------------------------------------------------------------------------


def test_put_record_and_put_record_batch_responses(fh, bucket):
    name = create_stream(fh, bucket, prefix="put", interval=60)
    one = fh.put_record(DeliveryStreamName=name, Record={"Data": b"single"})
    assert isinstance(one["RecordId"], str) and one["RecordId"], one
    assert one.get("Encrypted") is False, one
    batch = put_batch(fh, name, [b"b-%d" % i for i in range(7)])
    assert batch.get("Encrypted", False) is False, batch
    ids = [e.get("RecordId") for e in batch["RequestResponses"]]
    assert all(isinstance(i, str) and i for i in ids), batch
    assert not any("ErrorCode" in e for e in batch["RequestResponses"]), batch
    assert len(set(ids + [one["RecordId"]])) == 8, f"RecordIds are not distinct: {ids + [one['RecordId']]}"


def test_put_record_batch_over_500_records_is_refused(env, fh, bucket):
    name = create_stream(fh, bucket, prefix="big", interval=0)
    try:
        fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"r%d" % i} for i in range(501)])
    except ParamValidationError:
        pass
    except ClientError as exc:
        assert error_code(exc) == "ValidationException", exc.response
        assert http_status(exc) == 400
    else:
        raise AssertionError("PutRecordBatch with 501 records was accepted")
    # None of the refused batch is delivered: only the marker put afterwards.
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"marker"})
    _, data = the_object(wait_objects(bucket, srv=env.srv))
    assert data == b"marker", data[:200]


# --------------------------------------------------------------------------
# delivery
# --------------------------------------------------------------------------


def test_delivery_content_order_and_default_key(env, fh, bucket):
    name = create_stream(fh, bucket, prefix="dlv", size=1, interval=1)
    records = [b"first|", b"second|", b"third|"] + [b"batch-%02d|" % i for i in range(20)] + [b"last"]
    before = time.time()
    for r in records[:3]:
        fh.put_record(DeliveryStreamName=name, Record={"Data": r})
    put_batch(fh, name, records[3:-1])
    fh.put_record(DeliveryStreamName=name, Record={"Data": records[-1]})
    after = time.time()
    key, data = the_object(wait_objects(bucket, srv=env.srv))
    # Concatenated in put order, nothing added.
    assert data == b"".join(records), data
    m = match_key(key, name)
    assert_default_prefix_matches_name(m)
    assert_key_time(m, before, after)


def test_delivery_by_time(env, fh, bucket):
    name = create_stream(fh, bucket, prefix="time", size=128, interval=2)
    before = time.monotonic()
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"wait-for-the-interval"})
    # The interval counts from the record's arrival (after `before`): nothing for the first second.
    assert_no_objects_until(bucket, before + 1.0, "IntervalInSeconds is 2")
    _, data = the_object(wait_objects(bucket, timeout=before + 2 + 3 - time.monotonic(), srv=env.srv))
    assert data == b"wait-for-the-interval"


def test_delivery_by_size(env, fh, bucket):
    name = create_stream(fh, bucket, prefix="size", size=1, interval=900)
    rec_size, n_records, per_batch = 100 * 1024, 26, 2  # ~2.5 MiB in 100 KiB records
    records = [(b"%05d|" % i).ljust(rec_size, b"abcdefghijklmnopqrstuvwxyz"[i % 26:i % 26 + 1])
               for i in range(n_records)]
    for i in range(0, n_records, per_batch):
        put_batch(fh, name, records[i:i + per_batch])
    last_put = time.monotonic()
    objects = wait_objects(bucket, count=2, srv=env.srv)

    # Each object is a run of whole records, at least 1 MiB and at most one batch over it;
    # in record order they are the beginning of what was put.
    for key, data in objects.items():
        match_key(key, name)
        assert MIB <= len(data) < MIB + per_batch * rec_size, f"object {key} has {len(data)} bytes"
        assert len(data) % rec_size == 0, f"object {key} ({len(data)} bytes) is not whole records"
    ordered = sorted(objects.values(), key=lambda d: int(d[:5]))
    delivered = b"".join(ordered)
    assert delivered == b"".join(records)[:len(delivered)], "objects are not the put records in order"
    remainder = n_records * rec_size - len(delivered)
    assert 0 < remainder < MIB, f"{len(delivered)} of {n_records * rec_size} bytes delivered"

    # The remainder (< 1 MiB) waits for the 900 s interval.
    while time.monotonic() < last_put + 3:
        now = list_objects(bucket)
        assert now.keys() == objects.keys(), f"an object under 1 MiB was delivered: {now}"
        time.sleep(0.1)


@pytest.mark.parametrize("fmt,ext", [("UNCOMPRESSED", ""), ("GZIP", ".gz"), ("Snappy", ".snappy"),
                                     ("ZIP", ".zip"), ("HADOOP_SNAPPY", ".hsnappy")])
def test_compression_format_and_extension(env, fh, bucket, fmt, ext):
    name = create_stream(fh, bucket, prefix="cmp", interval=1, CompressionFormat=fmt)
    records = [(b"compress me %03d " % i) * 20 for i in range(40)]
    put_batch(fh, name, records)
    key, data = the_object(wait_objects(bucket, srv=env.srv))
    match_key(key, name, ext=ext)
    expected = b"".join(records)
    if fmt == "UNCOMPRESSED":
        assert data == expected
    elif fmt == "GZIP":
        assert gzip.decompress(data) == expected
    elif fmt == "Snappy":
        assert data.startswith(SNAPPY_STREAM_ID), f"not the snappy framing format: {data[:16]!r}"
        assert snappy_framed_decompress(data) == expected
    elif fmt == "ZIP":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert z.testzip() is None, "ZIP entry CRC mismatch"
            (entry,) = z.infolist()
            assert entry.compress_type == zipfile.ZIP_DEFLATED, entry
            assert z.read(entry) == expected
    else:  # HADOOP_SNAPPY: blocks of (u32 BE raw length, u32 BE chunk length, raw Snappy)
        out, pos = bytearray(), 0
        while pos < len(data):
            raw_len, chunk_len = struct.unpack(">II", data[pos:pos + 8])
            block = snappy_raw_decompress(data[pos + 8:pos + 8 + chunk_len])
            assert len(block) == raw_len, (len(block), raw_len)
            out += block
            pos += 8 + chunk_len
        assert bytes(out) == expected


@pytest.mark.parametrize("params", [[{"ParameterName": "Delimiter", "ParameterValue": "\\n"}], []],
                         ids=["explicit-newline", "default"])
def test_append_delimiter_to_record(env, fh, bucket, params):
    processor = {"Type": "AppendDelimiterToRecord"}
    if params:
        processor["Parameters"] = params
    name = create_stream(fh, bucket, prefix="delim", interval=1,
                         ProcessingConfiguration={"Enabled": True, "Processors": [processor]})
    s3 = s3_dest(fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"])
    if "ProcessingConfiguration" in s3:
        pc = s3["ProcessingConfiguration"]
        assert pc.get("Enabled") is True and pc["Processors"][0]["Type"] == "AppendDelimiterToRecord", pc
    put_batch(fh, name, [b'{"n":1}', b'{"n":2}', b'{"n":3}'])
    _, data = the_object(wait_objects(bucket, srv=env.srv))
    assert data == b'{"n":1}\n{"n":2}\n{"n":3}\n', data


def test_s3_backup_mode_enabled_keeps_the_source_records(env, fh, bucket):
    """S3BackupMode Enabled: each buffer's source records, unprocessed, also go to the backup
    bucket under its own prefix and compression; S3BackupUpdate changes the backup."""
    backup = new_bucket(env.s3_dir)
    name = create_stream(
        fh, bucket, prefix="bkp", interval=1,
        ProcessingConfiguration={"Enabled": True, "Processors": [{"Type": "AppendDelimiterToRecord"}]},
        S3BackupMode="Enabled",
        S3BackupConfiguration={"RoleARN": ROLE_ARN, "BucketARN": backup.arn, "Prefix": "source/",
                               "CompressionFormat": "GZIP"})
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    s3 = s3_dest(d)
    assert s3["S3BackupMode"] == "Enabled", s3
    bd = s3["S3BackupDescription"]
    assert bd["BucketARN"] == backup.arn and bd["Prefix"] == "source/", bd
    assert bd["CompressionFormat"] == "GZIP", bd
    put_batch(fh, name, [b'{"n":1}', b'{"n":2}'])
    _, data = the_object(wait_objects(bucket, srv=env.srv))
    assert data == b'{"n":1}\n{"n":2}\n', data
    key, raw = the_object(wait_objects(backup, srv=env.srv))
    match_key(key, name, ext=".gz", prefix_re=r"source/")
    assert gzip.decompress(raw) == b'{"n":1}{"n":2}', raw

    fh.update_destination(DeliveryStreamName=name, CurrentDeliveryStreamVersionId="1",
                          DestinationId=d["Destinations"][0]["DestinationId"],
                          ExtendedS3DestinationUpdate={"S3BackupUpdate": {"Prefix": "source-v2/",
                                                                          "CompressionFormat": "UNCOMPRESSED"}})
    bd = s3_dest(fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"])[
        "S3BackupDescription"]
    assert bd["Prefix"] == "source-v2/" and bd["BucketARN"] == backup.arn, bd
    fh.put_record(DeliveryStreamName=name, Record={"Data": b'{"n":3}'})
    objects = wait_objects(backup, count=2, srv=env.srv)
    newer = {k: v for k, v in objects.items() if k.startswith("source-v2/")}
    assert list(newer.values()) == [b'{"n":3}'], objects

    with pytest.raises(ClientError) as e:  # Enabled needs a backup configuration
        fh.create_delivery_stream(
            DeliveryStreamName=unique_name("bkp"),
            ExtendedS3DestinationConfiguration={**s3_config(bucket), "S3BackupMode": "Enabled"})
    assert error_code(e.value) == "InvalidArgumentException", e.value.response


def test_custom_prefix_with_timestamp_and_random_string(env, fh, bucket):
    name = create_stream(
        fh, bucket, prefix="pfx", interval=0,
        Prefix="logs/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/"
               "!{timestamp:yyyy-MM-dd}/!{firehose:random-string}/",
        ErrorOutputPrefix="errors/!{firehose:error-output-type}/")
    before = time.time()
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"prefixed"})
    after = time.time()
    key, data = the_object(wait_objects(bucket, srv=env.srv))
    assert data == b"prefixed"
    prefix_re = (r"logs/(?P<pY>\d{4})/(?P<pm>\d{2})/(?P<pd>\d{2})/(?P<pH>\d{2})/"
                 r"(?P<dY>\d{4})-(?P<dm>\d{2})-(?P<dd>\d{2})/(?P<rnd>[^/]{11})/")
    m = match_key(key, name, prefix_re=prefix_re)
    assert_default_prefix_matches_name(m)
    assert (m["dY"], m["dm"], m["dd"]) == (m["Y"], m["m"], m["d"]), key
    assert "!{" not in key and "}" not in key, key
    assert_key_time(m, before, after)


def test_prefix_without_slash_and_file_extension(env, fh, bucket):
    name = create_stream(fh, bucket, prefix="ext", interval=0, Prefix="flat-",
                         CompressionFormat="GZIP", FileExtension=".json.gz")
    fh.put_record(DeliveryStreamName=name, Record={"Data": b'{"ok":true}'})
    key, data = the_object(wait_objects(bucket, srv=env.srv))
    # The custom prefix is used as is (no slash added) and FileExtension replaces ".gz".
    match_key(key, name, ext=".json.gz", prefix_re=r"flat-")
    assert gzip.decompress(data) == b'{"ok":true}'


def test_update_destination(env, fh, bucket):
    name = create_stream(fh, bucket, prefix="upd", size=1, interval=0, Prefix="orig/")
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    dest_id = d["Destinations"][0]["DestinationId"]
    assert d["VersionId"] == "1"
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"before-update"})
    key1, data1 = the_object(wait_objects(bucket, srv=env.srv))
    match_key(key1, name, version=1, prefix_re="orig/")
    assert data1 == b"before-update"

    fh.update_destination(DeliveryStreamName=name, CurrentDeliveryStreamVersionId="1",
                          DestinationId=dest_id, ExtendedS3DestinationUpdate={"Prefix": "changed/"})
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    assert d["VersionId"] == "2", d
    s3 = s3_dest(d)
    assert s3["Prefix"] == "changed/", s3
    # What the update did not name is kept.
    assert s3["BucketARN"] == bucket.arn and s3["RoleARN"] == ROLE_ARN, s3
    assert s3["BufferingHints"] == {"SizeInMBs": 1, "IntervalInSeconds": 0}, s3
    assert s3["CompressionFormat"] == "UNCOMPRESSED", s3

    with pytest.raises(ClientError) as e:  # version 1 is stale now
        fh.update_destination(DeliveryStreamName=name, CurrentDeliveryStreamVersionId="1",
                              DestinationId=dest_id, ExtendedS3DestinationUpdate={"Prefix": "stale/"})
    assert error_code(e.value) == "ConcurrentModificationException", e.value.response
    with pytest.raises(ClientError) as e:
        fh.update_destination(DeliveryStreamName=name, CurrentDeliveryStreamVersionId="2",
                              DestinationId="destinationId-000000000099",
                              ExtendedS3DestinationUpdate={"Prefix": "nowhere/"})
    assert error_code(e.value) == "InvalidArgumentException", e.value.response
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    assert d["VersionId"] == "2" and s3_dest(d)["Prefix"] == "changed/", d

    fh.put_record(DeliveryStreamName=name, Record={"Data": b"after-update"})
    objects = wait_objects(bucket, count=2, srv=env.srv)
    new = {k: v for k, v in objects.items() if k != key1}
    key2, data2 = the_object(new)
    match_key(key2, name, version=2, prefix_re="changed/")
    assert data2 == b"after-update"


# --------------------------------------------------------------------------
# durability
# --------------------------------------------------------------------------


def test_acknowledged_records_survive_kill_9(sluice_factory):
    # No --s3-dir: the object store is <data-dir>/s3.
    srv = sluice_factory("firehose-crash")
    fh = firehose_client(srv)
    bucket = new_bucket(srv.data_dir / "s3")
    name = create_stream(fh, bucket, prefix="crash", size=128, interval=2)
    tokens = [b"<crash-%03d>" % i for i in range(50)]
    for t in tokens[:10]:
        fh.put_record(DeliveryStreamName=name, Record={"Data": t})
    put_batch(fh, name, tokens[10:])
    killed_at = time.time()
    srv.kill()
    srv.start()

    fh = firehose_client(srv)
    d = wait_active(fh, name)
    assert d["VersionId"] == "1" and s3_dest(d)["BucketARN"] == bucket.arn, d
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"<after-restart>"})
    wanted = tokens + [b"<after-restart>"]

    deadline = time.monotonic() + 15
    missing = wanted
    while time.monotonic() < deadline:
        objects = read_objects(bucket)
        blob = b"".join(objects.values())
        missing = [t for t in wanted if t not in blob]
        if not missing:
            break
        time.sleep(0.1)
    assert not missing, (f"records lost after kill -9: {missing[:10]} ({len(missing)} of {len(wanted)}); "
                         f"objects: {sorted(objects)}\nserver log:\n{srv.log_tail()}")
    # Each object holds whole records only (duplicates after the crash are allowed).
    for key, data in objects.items():
        m = match_key(key, name)
        assert re.fullmatch(rb"(<[a-z0-9-]+>)+", data), f"object {key} is not whole records: {data[:200]!r}"
        if tokens[0] in data:
            # Named after the oldest record's arrival, which was before the kill.
            assert key_epoch(m) <= killed_at + 1, f"{key}: timestamp after the kill at {killed_at:.3f}"


def test_sigv4_is_checked_for_firehose_too(sluice_factory):
    """With --auth sigv4, Firehose requests must be signed for the `firehose` service by a
    configured key; a wrong secret gets AWS's error."""
    srv = sluice_factory("firehose-sigv4", extra_args=["--auth", "sigv4", "--credential", "AKIDFH:secret-fh"])
    ok = boto3.session.Session().client(
        "firehose", endpoint_url=srv.endpoint, region_name=REGION, aws_access_key_id="AKIDFH",
        aws_secret_access_key="secret-fh", config=Config(retries={"total_max_attempts": 1}))
    assert ok.list_delivery_streams()["DeliveryStreamNames"] == []
    bad = boto3.session.Session().client(
        "firehose", endpoint_url=srv.endpoint, region_name=REGION, aws_access_key_id="AKIDFH",
        aws_secret_access_key="wrong", config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        bad.list_delivery_streams()
    assert error_code(e.value) == "InvalidSignatureException", e.value.response
