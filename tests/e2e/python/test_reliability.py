"""What a careful operator and an attacker find: a full disk, a lost metadata store, a damaged
data directory, slow and idle connections, and bodies that are too big or too slow."""

from __future__ import annotations

import http.client
import socket
import subprocess
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import (SluiceServer, error_code, error_message, make_firehose, read_shard,
                      unique_name, wait_stream_active)


def health(srv: SluiceServer) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    conn.request("GET", "/health")
    resp = conn.getresponse()
    body = resp.read().decode()
    conn.close()
    return resp.status, body


def mount_tmpfs(path: Path, mib: int) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={mib}m", "tmpfs", str(path)],
                       capture_output=True)
    return r.returncode == 0


def start_fails(srv: SluiceServer) -> str:
    """Starts the server expecting it to refuse; returns its log."""
    with pytest.raises(RuntimeError):
        srv.start(timeout=20)
    srv._close_log()
    return srv.log_path.read_text(errors="replace").split("===== start")[-1]


# --------------------------------------------------------------------------- disk full


def test_a_full_disk_fails_cleanly_and_writes_resume_when_space_returns(sluice_factory, tmp_path):
    data = tmp_path / "small"
    if not mount_tmpfs(data, 48):
        pytest.skip("cannot mount a tmpfs here (needs root): the disk-full test did not run")
    srv = sluice_factory("diskfull", start=False)
    srv.data_dir = data
    try:
        srv.start()
        k = srv.client()
        victim, filler = unique_name("full"), unique_name("filler")
        for name in (victim, filler):
            k.create_stream(StreamName=name, ShardCount=1)
            wait_stream_active(k, name)
        fh = make_firehose(srv.endpoint)
        fh.create_delivery_stream(
            DeliveryStreamName="full-fh",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::000000000000:role/firehose",
                "BucketARN": "arn:aws:s3:::full-bucket",
                "BufferingHints": {"IntervalInSeconds": 900, "SizeInMBs": 128}})
        blob = b"f" * (512 * 1024)
        for i in range(30):  # 15 MiB that deleting the filler stream frees again
            k.put_record(StreamName=filler, PartitionKey="p", Data=blob)

        acked, refused, first = [], set(), None
        value = b"v" * (256 * 1024)
        for i in range(400):
            data_i = f"{i:06d}".encode() + value
            try:
                k.put_record(StreamName=victim, PartitionKey=str(i), Data=data_i)
                acked.append(i)
            except ClientError as exc:
                first = first or exc
                refused.add(i)
                if len(refused) >= 10:
                    break
        assert first is not None, "the disk never filled up"
        assert error_code(first) == "InternalFailure", first.response
        assert "No space left on device" in error_message(first), error_message(first)
        status, body = health(srv)
        assert status == 503 and "No space left" in body, (status, body)

        # PutRecords answers per record, with the cause.
        out = k.put_records(StreamName=victim, Records=[
            {"PartitionKey": "b", "Data": value} for _ in range(4)])
        assert out["FailedRecordCount"] == 4
        assert out["Records"][0]["ErrorCode"] == "InternalFailure"
        assert "No space left" in out["Records"][0]["ErrorMessage"]

        # Firehose's PutRecordBatch answers per record too, as AWS does, not with a 500.
        out = fh.put_record_batch(DeliveryStreamName="full-fh",
                                  Records=[{"Data": value} for _ in range(3)])
        assert out["FailedPutCount"] == 3, out
        assert out["RequestResponses"][0]["ErrorCode"] == "ServiceUnavailableException"
        assert "No space left" in out["RequestResponses"][0]["ErrorMessage"]

        # Deleting a stream frees its files at once; writes and /health recover by themselves.
        k.delete_stream(StreamName=filler)
        deadline = time.monotonic() + 15
        while health(srv)[0] != 200:
            assert time.monotonic() < deadline, f"/health still says {health(srv)}"
            time.sleep(0.2)
        for i in range(1000, 1003):
            k.put_record(StreamName=victim, PartitionKey=str(i), Data=f"{i:06d}".encode() + value)
            acked.append(i)

        # After kill -9: every acknowledged record, none of the refused ones.
        srv.restart(hard=True)
        k = srv.client()
        shard = k.list_shards(StreamName=victim)["Shards"][0]["ShardId"]
        got = [int(r["Data"][:6]) for r in read_shard(k, victim, shard)]
        assert got == acked
        assert not refused & set(got)
    finally:
        srv.stop()
        subprocess.run(["umount", str(data)], capture_output=True)


# --------------------------------------------------------------------------- lost metadata


def test_a_lost_metadata_store_stops_the_start_and_deletes_nothing(sluice_factory):
    srv = sluice_factory("lostmeta")
    k = srv.client()
    name = unique_name("meta")
    k.create_stream(StreamName=name, ShardCount=2)
    wait_stream_active(k, name)
    k.put_records(StreamName=name, Records=[
        {"PartitionKey": str(i), "Data": b"x"} for i in range(50)])
    srv.stop()
    logs = sorted(p.name for p in (srv.data_dir / "logs").iterdir())
    assert len(logs) == 2
    (srv.data_dir / "meta.redb").unlink()

    err = start_fails(srv)
    assert "belong to no stream" in err and "--delete-orphan-logs" in err, err
    assert "50 records" in err, err
    assert sorted(p.name for p in (srv.data_dir / "logs").iterdir()) == logs, "nothing deleted"

    # The documented way out.
    srv.extra_args = ["--delete-orphan-logs"]
    srv.start()
    assert srv.client().list_streams()["StreamNames"] == []
    assert list((srv.data_dir / "logs").iterdir()) == []
    srv.stop()


def test_a_deleted_stream_stays_deleted_across_a_restart(sluice_factory):
    srv = sluice_factory("tomb")
    k = srv.client()
    keep, gone = unique_name("keep"), unique_name("gone")
    for name in (keep, gone):
        k.create_stream(StreamName=name, ShardCount=1)
        wait_stream_active(k, name)
        k.put_record(StreamName=name, PartitionKey="p", Data=b"x")
    k.delete_stream(StreamName=gone)
    srv.restart(hard=True)
    assert srv.client().list_streams()["StreamNames"] == [keep]
    assert len(list((srv.data_dir / "logs").iterdir())) == 1


# --------------------------------------------------------------------------- damaged data


def test_damage_in_checkpointed_records_refuses_the_start_or_is_salvaged(sluice_factory):
    srv = sluice_factory("damage")
    k = srv.client()
    name = unique_name("dmg")
    k.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(k, name)
    for batch in range(3):
        k.put_records(StreamName=name, Records=[
            {"PartitionKey": "p", "Data": f"{batch}-{i}".encode()} for i in range(100)])
    srv.stop()  # a clean stop checkpoints: the WAL no longer holds the records
    (log_dir,) = (srv.data_dir / "logs").iterdir()
    (seg,) = sorted(log_dir.glob("*.seg"))
    data = bytearray(seg.read_bytes())
    # The second batch: after the 16-byte header and the first batch.
    first_len = int.from_bytes(data[16:20], "little") + 8
    data[16 + first_len + 50] ^= 0xFF
    seg.write_bytes(bytes(data))

    err = start_fails(srv)
    assert seg.name in err and "100 intact records follow it" in err, err
    assert seg.read_bytes() == bytes(data), "nothing was cut"

    srv.extra_args = ["--salvage-damaged-logs"]
    srv.start()
    k = srv.client()
    shard = k.list_shards(StreamName=name)["Shards"][0]["ShardId"]
    got = [r["Data"].decode() for r in read_shard(k, name, shard)]
    assert got == [f"0-{i}" for i in range(100)] + [f"2-{i}" for i in range(100)]
    srv.stop()


# --------------------------------------------------------------------------- connections


@pytest.fixture(scope="module")
def strict(sluice_factory):
    return sluice_factory("strict", extra_args=[
        "--header-read-timeout-ms", "1000", "--idle-timeout-ms", "1500",
        "--body-read-timeout-ms", "1500", "--max-connections", "60",
        "--max-body-bytes", "1048576"])


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes the socket within `seconds` (reads until EOF)."""
    sock.settimeout(seconds)
    try:
        while True:
            if not sock.recv(4096):
                return True
    except (socket.timeout, TimeoutError):
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True


def test_slowloris_and_idle_connections_are_closed(strict):
    slow = []
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", strict.port))
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # the headers never end
        slow.append(s)
    idle = [socket.create_connection(("127.0.0.1", strict.port)) for _ in range(20)]
    started = time.monotonic()
    assert all(closed_within(s, 6) for s in slow), "a slow header sender kept its connection"
    assert all(closed_within(s, 6) for s in idle), "an idle connection stayed open"
    assert time.monotonic() - started < 10
    for s in slow + idle:
        s.close()
    assert health(strict)[0] == 200


def test_a_request_trickled_byte_by_byte_is_cut_off(strict):
    s = socket.create_connection(("127.0.0.1", strict.port))
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
              b"X-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Length: 100\r\n\r\n")
    started = time.monotonic()
    answer = b""
    s.settimeout(0.3)
    for _ in range(40):
        try:
            s.sendall(b" ")
        except OSError:
            break
        try:
            chunk = s.recv(4096)
        except (socket.timeout, TimeoutError):
            continue
        if not chunk:
            break
        answer += chunk
        if b"\r\n\r\n" in answer:
            break
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < 6
    s.close()


def test_connections_past_the_limit_are_refused_and_the_server_recovers(strict):
    held = [socket.create_connection(("127.0.0.1", strict.port)) for _ in range(60)]
    time.sleep(0.2)
    extra = socket.create_connection(("127.0.0.1", strict.port))
    assert closed_within(extra, 1.0), "a connection past the limit was kept"
    for s in held:
        s.close()
    time.sleep(0.3)
    assert health(strict)[0] == 200


def test_a_body_over_the_limit_is_refused_before_it_is_read(strict):
    s = socket.create_connection(("127.0.0.1", strict.port))
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
              b"X-Amz-Target: Kinesis_20131202.ListStreams\r\n"
              b"Content-Length: 15000000\r\n\r\n")
    s.settimeout(5)
    answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer
    s.close()


def test_metrics_can_be_moved_off_the_api_port(sluice_factory):
    from conftest import find_free_port
    port = find_free_port()
    srv = sluice_factory("metrics", extra_args=["--metrics", f"127.0.0.1:{port}"])
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    conn.request("GET", "/metrics")
    assert conn.getresponse().status == 403  # any other GET: AWS's AccessDeniedException
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/metrics")
    resp = conn.getresponse()
    assert resp.status == 200 and b"sluice_" in resp.read()
    srv.stop()
    off = sluice_factory("nometrics", extra_args=["--metrics", "off"])
    conn = http.client.HTTPConnection("127.0.0.1", off.port, timeout=5)
    conn.request("GET", "/metrics")
    assert conn.getresponse().status == 403  # any other GET: AWS's AccessDeniedException
    off.stop()


def test_logs_written_to_a_file_have_no_colour_codes(sluice):
    assert "\x1b[" not in sluice.log_path.read_text(errors="replace")


# --------------------------------------------------------------------------- DryRun


def test_dry_run_checks_the_request_and_changes_nothing(kinesis, stream_factory):
    name = stream_factory()
    shard = kinesis.list_shards(StreamName=name)["Shards"][0]["ShardId"]
    for call in (
        lambda: kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"x", DryRun=True),
        lambda: kinesis.put_records(StreamName=name, DryRun=True,
                                    Records=[{"PartitionKey": "k", "Data": b"x"}]),
        lambda: kinesis.get_shard_iterator(StreamName=name, ShardId=shard, DryRun=True,
                                           ShardIteratorType="TRIM_HORIZON"),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert error_code(e.value) == "DryRunOperationException", e.value.response
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    with pytest.raises(ClientError) as e:
        kinesis.get_records(ShardIterator=it, DryRun=True)
    assert error_code(e.value) == "DryRunOperationException"
    assert kinesis.get_records(ShardIterator=it)["Records"] == [], "the dry runs wrote nothing"
    # A dry run of a request that would fail fails as the request would.
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName=name + "-missing", PartitionKey="k", Data=b"x", DryRun=True)
    assert error_code(e.value) == "ResourceNotFoundException"
    kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"x", DryRun=False)
    assert len(kinesis.get_records(ShardIterator=it)["Records"]) == 1


def test_an_empty_body_is_a_serialization_exception(sluice):
    for target in ("Kinesis_20131202.ListStreams", "Firehose_20150804.ListDeliveryStreams",
                   "KinesisAnalytics_20150814.ListApplications"):
        conn = http.client.HTTPConnection("127.0.0.1", sluice.port, timeout=5)
        conn.request("POST", "/", body=b"", headers={
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
        resp = conn.getresponse()
        body = resp.read()
        assert resp.status == 400, (target, body)
        assert b"SerializationException" in body, (target, body)
        conn.close()
