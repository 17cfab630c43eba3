"""Firehose record format conversion: JSON records to Apache Parquet objects, read back with pyarrow.

The table's columns come from `--glue-table DATABASE.TABLE=FILE` (in place of the Glue Data
Catalog). Checked: the object name (`.parquet`), the schema and every row, OpenX key mapping
(case-insensitive, dots to underscores, ColumnToJsonKeyMappings), records that do not convert in
the `format-conversion-failed` error output, the describe echo, and AWS's refusals.
"""

from __future__ import annotations

import base64
import io
import json
import time

import boto3
import pyarrow.parquet as pq
import pytest
from botocore.config import Config

from conftest import make_firehose, wait_bucket_objects, ACCESS_KEY, REGION, SECRET_KEY, unique_name

ROLE_ARN = "arn:aws:iam::000000000000:role/firehose"
COLUMNS = [{"name": "ticker", "type": "string"}, {"name": "price", "type": "double"},
           {"name": "volume", "type": "bigint"}, {"name": "user_id", "type": "int"},
           {"name": "ok", "type": "boolean"}]


@pytest.fixture(scope="module")
def env(sluice_factory, tmp_path_factory):
    table = tmp_path_factory.mktemp("glue") / "trades.json"
    table.write_text(json.dumps({"columns": COLUMNS}))
    srv = sluice_factory("firehose-parquet", extra_args=["--glue-table", f"market.trades={table}"])
    fh = make_firehose(srv.endpoint)
    return srv, fh


def conversion(**openx):
    return {
        "Enabled": True,
        "SchemaConfiguration": {"RoleARN": ROLE_ARN, "DatabaseName": "market", "TableName": "trades",
                                "Region": REGION, "VersionId": "LATEST"},
        "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": openx}},
        "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {"Compression": "SNAPPY"}}},
    }


def create(fh, bucket: str, conv: dict, **extra) -> str:
    name = unique_name("fhpq")
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE_ARN, "BucketARN": f"arn:aws:s3:::{bucket}",
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 1},
        "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
        "DataFormatConversionConfiguration": conv, **extra})
    return name


def objects(srv, bucket: str, n: int = 1, timeout: float = 20.0) -> dict[str, bytes]:
    return wait_bucket_objects(srv.data_dir / "s3" / bucket, n, timeout)


def test_json_records_become_a_parquet_object(env):
    srv, fh = env
    name = create(fh, "pq", conversion(ConvertDotsInJsonKeysToUnderscores=True,
                                       ColumnToJsonKeyMappings={"volume": "qty"}))
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    s3 = d["Destinations"][0]["ExtendedS3DestinationDescription"]
    conv = s3["DataFormatConversionConfiguration"]
    assert conv["Enabled"] is True and conv["SchemaConfiguration"]["TableName"] == "trades", conv
    assert conv["OutputFormatConfiguration"]["Serializer"]["ParquetSerDe"]["Compression"] == "SNAPPY"
    assert s3["BufferingHints"]["SizeInMBs"] == 64
    rows = [{"Ticker": f"T{i}", "price": i * 1.5, "qty": i * 100, "user.id": i, "ok": i % 2 == 0,
             "ignored": "x"} for i in range(50)]
    fh.put_record_batch(DeliveryStreamName=name, Records=[
        {"Data": json.dumps(r).encode()} for r in rows])
    (key, body), = objects(srv, "pq", 1).items()
    assert key.endswith(".parquet") and f"/{name}-1-" in "/" + key, key
    table = pq.read_table(io.BytesIO(body))
    assert table.column_names == ["ticker", "price", "volume", "user_id", "ok"]
    assert str(table.schema.field("volume").type) == "int64"
    assert table.to_pylist() == [{"ticker": f"T{i}", "price": i * 1.5, "volume": i * 100,
                                  "user_id": i, "ok": i % 2 == 0} for i in range(50)]


def test_records_that_do_not_convert_go_to_the_error_output(env):
    srv, fh = env
    name = create(fh, "pq-bad", conversion())
    fh.put_record_batch(DeliveryStreamName=name, Records=[
        {"Data": b'{"ticker":"A","price":1}'}, {"Data": b'{"ticker":"B","price":"cheap"}'},
        {"Data": b"not json"}, {"Data": b'{"ticker":"C"}'}])
    found = objects(srv, "pq-bad", 2)
    good = [v for k, v in found.items() if k.endswith(".parquet")]
    bad = [v for k, v in found.items() if k.startswith("errors/format-conversion-failed/")]
    assert pq.read_table(io.BytesIO(good[0])).to_pylist() == [
        {"ticker": "A", "price": 1.0, "volume": None, "user_id": None, "ok": None},
        {"ticker": "C", "price": None, "volume": None, "user_id": None, "ok": None}]
    lines = [json.loads(x) for x in bad[0].splitlines()]
    assert [base64.b64decode(x["rawData"]) for x in lines] == [b'{"ticker":"B","price":"cheap"}', b"not json"]
    assert all(x["errorCode"] == "DataFormatConversion.MalformedData" for x in lines)
    assert lines[0]["dataCatalogTable"]["tableName"] == "trades"


def test_refusals(env):
    _, fh = env
    with pytest.raises(fh.exceptions.InvalidArgumentException):
        create(fh, "x", conversion(), CompressionFormat="GZIP")
    missing = conversion()
    missing["SchemaConfiguration"]["TableName"] = "nope"
    with pytest.raises(fh.exceptions.InvalidArgumentException):
        create(fh, "x", missing)
    orc = conversion()
    orc["OutputFormatConfiguration"] = {"Serializer": {"OrcSerDe": {}}}
    with pytest.raises(fh.exceptions.InvalidArgumentException):
        create(fh, "x", orc)
