"""The aws CLI (`aws kinesis ...`) against Sluice, checking its JSON output."""

from __future__ import annotations

import base64
import time

from conftest import aws_cli_major_version, stream_arn, unique_name

SEQ_DIGITS = set("0123456789")


def binary_format_args() -> list[str]:
    """`--cli-binary-format raw-in-base64-out` where the CLI knows it (v2).

    CLI v1 (the PyPI `awscli` package) has no such option: it always takes blob
    arguments as raw text and base64-encodes them itself, which is exactly what
    raw-in-base64-out selects in v2. The config file written by the `aws_cli`
    fixture sets `cli_binary_format = raw-in-base64-out` as well."""
    return ["--cli-binary-format", "raw-in-base64-out"] if aws_cli_major_version() >= 2 else []


def wait_active_cli(aws_cli, name: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        res = aws_cli("kinesis", "describe-stream-summary", "--stream-name", name, check=False)
        if res.returncode == 0:
            last = res.json["StreamDescriptionSummary"]
            if last["StreamStatus"] == "ACTIVE":
                return last
        else:
            last = res.stderr
        time.sleep(0.1)
    raise AssertionError(f"stream {name} not ACTIVE via CLI after {timeout}s: {last}")


def test_cli_stream_lifecycle_and_records(aws_cli):
    name = unique_name("cli")
    created = aws_cli("kinesis", "create-stream", "--stream-name", name, "--shard-count", "2")
    assert created.stdout.strip() == "", created  # CreateStream has no output
    try:
        summary = wait_active_cli(aws_cli, name)
        assert summary["StreamName"] == name
        assert summary["StreamARN"] == stream_arn(name)
        assert summary["OpenShardCount"] == 2

        listed = aws_cli("kinesis", "list-streams")
        assert name in listed.json["StreamNames"], listed
        assert any(s["StreamName"] == name for s in listed.json.get("StreamSummaries", [])), listed

        desc = aws_cli("kinesis", "describe-stream", "--stream-name", name).json["StreamDescription"]
        shard_ids = [s["ShardId"] for s in desc["Shards"]]
        assert shard_ids == ["shardId-000000000000", "shardId-000000000001"]

        payload = "hello from the aws cli ✓"
        put = aws_cli("kinesis", "put-record", "--stream-name", name, "--partition-key", "cli-key",
                      "--data", payload, *binary_format_args()).json
        assert put["ShardId"] in shard_ids, put
        assert put["SequenceNumber"] and set(put["SequenceNumber"]) <= SEQ_DIGITS, put

        it = aws_cli("kinesis", "get-shard-iterator", "--stream-name", name, "--shard-id", put["ShardId"],
                     "--shard-iterator-type", "TRIM_HORIZON").json
        assert it["ShardIterator"], it

        got = aws_cli("kinesis", "get-records", "--shard-iterator", it["ShardIterator"]).json
        assert len(got["Records"]) == 1, got
        rec = got["Records"][0]
        assert base64.b64decode(rec["Data"]) == payload.encode("utf-8"), rec
        assert rec["PartitionKey"] == "cli-key"
        assert rec["SequenceNumber"] == put["SequenceNumber"]
        assert "ApproximateArrivalTimestamp" in rec
        assert got["NextShardIterator"]
        assert got["MillisBehindLatest"] >= 0

        at = aws_cli("kinesis", "get-shard-iterator", "--stream-name", name, "--shard-id", put["ShardId"],
                     "--shard-iterator-type", "AFTER_SEQUENCE_NUMBER",
                     "--starting-sequence-number", put["SequenceNumber"]).json
        assert aws_cli("kinesis", "get-records", "--shard-iterator", at["ShardIterator"]).json["Records"] == []
    finally:
        deleted = aws_cli("kinesis", "delete-stream", "--stream-name", name, check=False)

    assert deleted.returncode == 0, deleted
    assert deleted.stdout.strip() == "", deleted
    deadline = time.monotonic() + 30
    while True:
        res = aws_cli("kinesis", "describe-stream-summary", "--stream-name", name, check=False)
        if res.returncode != 0:
            assert "ResourceNotFoundException" in res.stderr, res
            break
        assert res.json["StreamDescriptionSummary"]["StreamStatus"] == "DELETING", res
        assert time.monotonic() < deadline, "stream still present 30 s after delete-stream"
        time.sleep(0.1)
    assert name not in aws_cli("kinesis", "list-streams").json["StreamNames"]


def test_cli_error_exit_code(aws_cli):
    ghost = unique_name("cli-ghost")
    res = aws_cli("kinesis", "describe-stream", "--stream-name", ghost, check=False)
    assert res.returncode == 254 or res.returncode == 255, res  # 254: service error (v1 >= 1.19, v2)
    assert "ResourceNotFoundException" in res.stderr, res
    dup = unique_name("cli-dup")
    aws_cli("kinesis", "create-stream", "--stream-name", dup, "--shard-count", "1")
    try:
        res = aws_cli("kinesis", "create-stream", "--stream-name", dup, "--shard-count", "1", check=False)
        assert res.returncode != 0 and "ResourceInUseException" in res.stderr, res
    finally:
        aws_cli("kinesis", "delete-stream", "--stream-name", dup, check=False)


def test_cli_put_records_and_list_shards(aws_cli):
    name = unique_name("cli-batch")
    aws_cli("kinesis", "create-stream", "--stream-name", name, "--shard-count", "3")
    try:
        wait_active_cli(aws_cli, name)
        shards = aws_cli("kinesis", "list-shards", "--stream-name", name).json["Shards"]
        assert [s["ShardId"] for s in shards] == [f"shardId-{i:012d}" for i in range(3)]
        records = " ".join(f"Data=rec{i},PartitionKey=pk{i}" for i in range(10))
        res = aws_cli("kinesis", "put-records", "--stream-name", name, "--records", *records.split(" "),
                      *binary_format_args()).json
        assert res["FailedRecordCount"] == 0, res
        assert len(res["Records"]) == 10
        # Read back everything through the CLI.
        seen = {}
        for s in shards:
            it = aws_cli("kinesis", "get-shard-iterator", "--stream-name", name, "--shard-id", s["ShardId"],
                         "--shard-iterator-type", "TRIM_HORIZON").json["ShardIterator"]
            for rec in aws_cli("kinesis", "get-records", "--shard-iterator", it).json["Records"]:
                seen[rec["SequenceNumber"]] = (s["ShardId"], base64.b64decode(rec["Data"]), rec["PartitionKey"])
        for i, r in enumerate(res["Records"]):
            assert seen[r["SequenceNumber"]] == (r["ShardId"], f"rec{i}".encode(), f"pk{i}")
    finally:
        aws_cli("kinesis", "delete-stream", "--stream-name", name, check=False)


def test_cli_firehose_delivery_stream(aws_cli, sluice, tmp_path):
    """`aws firehose ...`: create (ExtendedS3 from a JSON file argument), describe, list,
    put-record / put-record-batch, the delivered object, delete."""
    import json as _json

    name = unique_name("clifh")
    bucket = unique_name("clibucket").lower()
    cfg = tmp_path / "s3.json"
    cfg.write_text(_json.dumps({
        "RoleARN": "arn:aws:iam::000000000000:role/firehose",
        "BucketARN": f"arn:aws:s3:::{bucket}",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "AppendDelimiterToRecord"}]},
    }))
    created = aws_cli("firehose", "create-delivery-stream", "--delivery-stream-name", name,
                      "--extended-s3-destination-configuration", f"file://{cfg}")
    assert created.json["DeliveryStreamARN"].endswith(f":deliverystream/{name}"), created
    described = aws_cli("firehose", "describe-delivery-stream", "--delivery-stream-name", name)
    d = described.json["DeliveryStreamDescription"]
    assert d["DeliveryStreamStatus"] == "ACTIVE" and d["VersionId"] == "1", d
    assert name in aws_cli("firehose", "list-delivery-streams").json["DeliveryStreamNames"]
    one = aws_cli("firehose", "put-record", "--delivery-stream-name", name,
                  *binary_format_args(), "--record", '{"Data":"first"}')
    assert one.json["RecordId"] and one.json["Encrypted"] is False, one
    batch = aws_cli("firehose", "put-record-batch", "--delivery-stream-name", name,
                    *binary_format_args(), "--records", '[{"Data":"second"},{"Data":"third"}]')
    assert batch.json["FailedPutCount"] == 0 and len(batch.json["RequestResponses"]) == 2, batch
    root = sluice.data_dir / "s3" / bucket
    deadline = time.monotonic() + 20
    data = b""
    while time.monotonic() < deadline and data != b"first\nsecond\nthird\n":
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")) \
            if root.exists() else []
        data = b"".join(p.read_bytes() for p in files)
        time.sleep(0.1)
    assert data == b"first\nsecond\nthird\n"
    aws_cli("firehose", "delete-delivery-stream", "--delivery-stream-name", name)
    missing = aws_cli("firehose", "describe-delivery-stream", "--delivery-stream-name", name, check=False)
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr, missing


def test_cli_kinesisanalytics_application(aws_cli, kinesis, stream_factory, tmp_path):
    """`aws kinesisanalytics ...`: create (inputs, outputs and code from files), describe, list,
    start, rows out, stop, delete with the creation timestamp."""
    import json as _json

    src, dst = stream_factory(prefix="cli-ka-in"), stream_factory(prefix="cli-ka-out")
    name = unique_name("cli-ka")
    role = "arn:aws:iam::000000000000:role/analytics"
    inputs = tmp_path / "inputs.json"
    inputs.write_text(_json.dumps([{
        "NamePrefix": "SOURCE_SQL_STREAM",
        "KinesisStreamsInput": {"ResourceARN": stream_arn(src), "RoleARN": role},
        "InputSchema": {"RecordFormat": {"RecordFormatType": "JSON",
                                         "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"}}},
                        "RecordColumns": [{"Name": "n", "Mapping": "$.n", "SqlType": "INTEGER"}]},
    }]))
    outputs = tmp_path / "outputs.json"
    outputs.write_text(_json.dumps([{
        "Name": "DESTINATION_SQL_STREAM",
        "KinesisStreamsOutput": {"ResourceARN": stream_arn(dst), "RoleARN": role},
        "DestinationSchema": {"RecordFormatType": "JSON"},
    }]))
    code = tmp_path / "app.sql"
    code.write_text('CREATE STREAM "DESTINATION_SQL_STREAM" (doubled INTEGER);\n'
                    'CREATE PUMP "P" AS INSERT INTO "DESTINATION_SQL_STREAM"\n'
                    '  SELECT STREAM "n" * 2 FROM "SOURCE_SQL_STREAM_001" WHERE "n" > 1;\n')
    created = aws_cli("kinesisanalytics", "create-application", "--application-name", name,
                      "--inputs", f"file://{inputs}", "--outputs", f"file://{outputs}",
                      "--application-code", f"file://{code}")
    assert created.json["ApplicationSummary"]["ApplicationStatus"] == "READY", created
    detail = aws_cli("kinesisanalytics", "describe-application", "--application-name", name).json["ApplicationDetail"]
    assert detail["ApplicationVersionId"] == 1 and detail["InputDescriptions"][0]["InputId"] == "1.1", detail
    listed = aws_cli("kinesisanalytics", "list-applications").json["ApplicationSummaries"]
    assert name in [a["ApplicationName"] for a in listed]
    for n in (1, 2, 3):
        kinesis.put_record(StreamName=src, PartitionKey="k", Data=_json.dumps({"n": n}).encode())
    aws_cli("kinesisanalytics", "start-application", "--application-name", name, "--input-configurations",
            '[{"Id":"1.1","InputStartingPositionConfiguration":{"InputStartingPosition":"TRIM_HORIZON"}}]')
    it = kinesis.get_shard_iterator(StreamName=dst, ShardId="shardId-000000000000",
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    got: list = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(got) < 2:
        r = kinesis.get_records(ShardIterator=it)
        got.extend(_json.loads(x["Data"]) for x in r["Records"])
        it = r["NextShardIterator"]
        time.sleep(0.1)
    assert got == [{"DOUBLED": 4}, {"DOUBLED": 6}], got
    aws_cli("kinesisanalytics", "stop-application", "--application-name", name)
    detail = aws_cli("kinesisanalytics", "describe-application", "--application-name", name).json["ApplicationDetail"]
    assert detail["ApplicationStatus"] == "READY", detail
    aws_cli("kinesisanalytics", "delete-application", "--application-name", name,
            "--create-timestamp", str(detail["CreateTimestamp"]))
    missing = aws_cli("kinesisanalytics", "describe-application", "--application-name", name, check=False)
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr, missing
