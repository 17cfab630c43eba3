"""The `sluice` binary's own client commands (`stream`, `put`, `tail`) against the server.

They speak the wire protocol only, SigV4-signed with the AWS environment variables, so what they
print is checked here and what they wrote is checked again with boto3.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from datetime import datetime, timezone

from conftest import read_shard, unique_name, wait_stream_active, wait_stream_gone


def run_cli(sluice, *args: str, stdin: str | None = None, check: bool = True,
            timeout: float = 60.0) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update({"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"})
    cmd = [str(sluice.binary), *args, "--endpoint", sluice.endpoint]
    res = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env,
                         timeout=timeout)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {res.returncode}: {res.stderr}")
    return res


def all_records(kinesis, name: str) -> list[dict]:
    shards = kinesis.list_shards(StreamName=name)["Shards"]
    out = []
    for s in shards:
        out.extend(read_shard(kinesis, name, s["ShardId"]))
    return out


def test_stream_create_list_describe_delete(sluice, kinesis):
    name = unique_name("slcli")
    res = run_cli(sluice, "stream", "create", name, "--shards", "3")
    assert res.stdout.strip() == f"created {name}"
    wait_stream_active(kinesis, name)

    listed = run_cli(sluice, "stream", "list").stdout.splitlines()
    assert f"{name}\tACTIVE\tPROVISIONED" in listed

    described = json.loads(run_cli(sluice, "stream", "describe", name).stdout)
    summary = described["StreamDescriptionSummary"]
    assert summary["StreamName"] == name
    assert summary["OpenShardCount"] == 3
    assert [s["ShardId"] for s in described["Shards"]] == [
        "shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]

    res = run_cli(sluice, "stream", "delete", name)
    assert res.stdout.strip() == f"deleted {name}"
    wait_stream_gone(kinesis, name)


def test_stream_create_without_shards_is_on_demand(sluice, kinesis):
    name = unique_name("slcli")
    run_cli(sluice, "stream", "create", name)
    summary = wait_stream_active(kinesis, name)
    assert summary["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"
    run_cli(sluice, "stream", "delete", name)


def test_errors_exit_non_zero_with_the_aws_error(sluice):
    res = run_cli(sluice, "stream", "describe", unique_name("missing"), check=False)
    assert res.returncode != 0
    assert "ResourceNotFoundException" in res.stderr
    res = run_cli(sluice, "stream", "create", "bad name!", "--shards", "1", check=False)
    assert res.returncode != 0
    assert "ValidationException" in res.stderr


def test_put_one_record_from_arguments(sluice, kinesis, stream_factory):
    name = stream_factory(shards=2)
    res = run_cli(sluice, "put", name, "hello from the cli", "-k", "user-7")
    shard, seq = res.stdout.strip().split("\t")
    records = all_records(kinesis, name)
    assert len(records) == 1
    r = records[0]
    assert r["Data"] == b"hello from the cli"
    assert r["PartitionKey"] == "user-7"
    assert r["SequenceNumber"] == seq
    owner = kinesis.list_shards(StreamName=name)["Shards"]
    assert shard in [s["ShardId"] for s in owner]


def test_put_many_lines_from_stdin_and_file_in_batches(sluice, kinesis, stream_factory, tmp_path):
    name = stream_factory(shards=4)
    # More than one PutRecords batch (500 records) from stdin.
    lines = [f"line {i} " + "x" * (i % 50) for i in range(1234)]
    res = run_cli(sluice, "put", name, stdin="\n".join(lines) + "\n")
    assert "put 1234 records" in res.stderr
    path = tmp_path / "more.txt"
    path.write_text("from file 1\nfrom file 2\n")
    res = run_cli(sluice, "put", name, "-f", str(path), "-k", "same-key")
    assert "put 2 records" in res.stderr

    records = all_records(kinesis, name)
    assert sorted(r["Data"].decode() for r in records) == sorted(
        lines + ["from file 1", "from file 2"])
    by_key = {}
    for r in records:
        by_key.setdefault(r["PartitionKey"], []).append(r["Data"].decode())
    # Default keys are line numbers; -k gives every record the same key (so one shard, in order).
    assert by_key["0"] == ["line 0 "]
    assert by_key["same-key"] == ["from file 1", "from file 2"]


def test_tail_from_trim_horizon_raw_and_json(sluice, kinesis, stream_factory):
    name = stream_factory(shards=2)
    sent = [f"event-{i}" for i in range(40)]
    kinesis.put_records(StreamName=name, Records=[
        {"PartitionKey": f"k{i}", "Data": d.encode()} for i, d in enumerate(sent)])

    raw = run_cli(sluice, "tail", name, "--from", "trim-horizon", "--max", "40")
    assert sorted(raw.stdout.splitlines()) == sorted(sent)

    out = run_cli(sluice, "tail", name, "--from", "trim-horizon", "--max", "40",
                  "--output", "json")
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 40
    stored = {r["SequenceNumber"]: r for r in all_records(kinesis, name)}
    for row in rows:
        r = stored[row["SequenceNumber"]]
        assert base64.b64decode(row["Data"]) == r["Data"]
        assert row["PartitionKey"] == r["PartitionKey"]
        assert row["ShardId"] in {"shardId-000000000000", "shardId-000000000001"}
        assert isinstance(row["ApproximateArrivalTimestamp"], (int, float))


def test_tail_since_a_timestamp_skips_older_records(sluice, kinesis, stream_factory):
    name = stream_factory(shards=1)
    kinesis.put_record(StreamName=name, PartitionKey="a", Data=b"before")
    time.sleep(0.05)
    cut = datetime.now(timezone.utc)
    time.sleep(0.05)
    kinesis.put_record(StreamName=name, PartitionKey="a", Data=b"after-1")
    kinesis.put_record(StreamName=name, PartitionKey="a", Data=b"after-2")
    res = run_cli(sluice, "tail", name, "--since", cut.isoformat().replace("+00:00", "Z"),
                  "--max", "2")
    assert res.stdout.splitlines() == ["after-1", "after-2"]


def test_tail_latest_follows_new_records(sluice, kinesis, stream_factory):
    name = stream_factory(shards=2)
    kinesis.put_record(StreamName=name, PartitionKey="old", Data=b"old")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret")
    proc = subprocess.Popen(
        [str(sluice.binary), "tail", name, "--max", "3", "--endpoint", sluice.endpoint],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        # Iterators are taken at start: give it a moment, then write while it follows.
        time.sleep(1.0)
        for i in range(3):
            kinesis.put_record(StreamName=name, PartitionKey=f"p{i}", Data=f"new-{i}".encode())
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert sorted(out.splitlines()) == ["new-0", "new-1", "new-2"]


def test_tail_with_a_consumer_uses_enhanced_fan_out_across_a_split(sluice, kinesis, stream_factory):
    name = stream_factory(shards=1)
    for i in range(3):
        kinesis.put_record(StreamName=name, PartitionKey=f"k{i}", Data=f"before-{i}".encode())
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret")
    proc = subprocess.Popen(
        [str(sluice.binary), "tail", name, "--from", "trim-horizon", "--consumer", "cli-tail",
         "--output", "json", "--max", "6", "--endpoint", sluice.endpoint],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        arn = f"arn:aws:kinesis:us-east-1:000000000000:stream/{name}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            consumers = kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]
            if [c["ConsumerName"] for c in consumers] == ["cli-tail"]:
                break
            time.sleep(0.1)
        # After the split the tail follows the shard's children.
        kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                            NewStartingHashKey=str(2**127))
        wait_stream_active(kinesis, name)
        for i in range(3):
            kinesis.put_record(StreamName=name, PartitionKey=f"after-{i}", Data=f"after-{i}".encode())
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    data = [base64.b64decode(r["Data"]).decode() for r in lines]
    assert data[:3] == ["before-0", "before-1", "before-2"]
    assert sorted(data[3:]) == ["after-0", "after-1", "after-2"]
    assert {r["ShardId"] for r in lines[3:]} <= {"shardId-000000000001", "shardId-000000000002"}


def test_firehose_create_put_describe_list_delete(sluice):
    """`sluice firehose ...`: lines from stdin become one gzip object in the embedded store."""
    import gzip
    import boto3
    from botocore.config import Config
    from conftest import ACCESS_KEY, REGION, SECRET_KEY
    fh = boto3.session.Session().client(
        "firehose", endpoint_url=sluice.endpoint, region_name=REGION,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"total_max_attempts": 1}))
    name = unique_name("slfh")
    bucket = unique_name("cli-bucket").lower()
    res = run_cli(sluice, "firehose", "create", name, "--bucket", bucket, "--compression", "gzip",
                  "--interval", "1", "--prefix", "cli/")
    assert res.stdout.strip().endswith(f":deliverystream/{name}"), res.stdout
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    s3 = d["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert s3["CompressionFormat"] == "GZIP" and s3["Prefix"] == "cli/", s3
    assert s3["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 1}, s3
    assert name in run_cli(sluice, "firehose", "list").stdout.splitlines()
    described = json.loads(run_cli(sluice, "firehose", "describe", name).stdout)
    assert described["DeliveryStreamDescription"]["DeliveryStreamName"] == name

    lines = "".join(f'{{"line":{i}}}\n' for i in range(1200))
    res = run_cli(sluice, "firehose", "put", name, stdin=lines)
    assert "put 1200 records" in res.stderr, res.stderr
    root = sluice.data_dir / "s3" / bucket
    deadline = time.monotonic() + 20
    files = []
    while time.monotonic() < deadline and not files:
        files = [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")] \
            if root.exists() else []
        time.sleep(0.1)
    data = b"".join(gzip.decompress(p.read_bytes()) for p in sorted(files))
    assert data.decode() == lines, "every line, in order, once"
    assert all(str(p.relative_to(root)).startswith(f"cli/{name}-1-") for p in files), files

    assert run_cli(sluice, "firehose", "delete", name).stdout.strip() == f"deleted {name}"
    assert name not in run_cli(sluice, "firehose", "list").stdout.splitlines()
