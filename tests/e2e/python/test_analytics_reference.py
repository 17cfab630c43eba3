"""Kinesis Analytics reference data with boto3: AddApplicationReferenceDataSource on an object of
the embedded bucket store (a file under the data directory) and of a real S3-compatible server
(moto), the developer guide's LEFT JOIN of trades with company names, a reload through
UpdateApplication, DeleteApplicationReferenceDataSource, and AWS's errors; and windowed SQL
(a stagger window, a stream-to-stream join, TOP_K_ITEMS_TUMBLING) end to end."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, make_analytics, s3_client, unique_name
from test_analytics import ROLE, put, read_out, start, stream_arn, wait_status

# The developer guide's example, verbatim (its reference file has a header line).
REFERENCE_CODE = """CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(4), "Company" varchar(20), sector VARCHAR(12), change DOUBLE, price DOUBLE);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
   SELECT STREAM ticker_symbol, "c"."Company", sector, change, price
   FROM "SOURCE_SQL_STREAM_001" LEFT JOIN "CompanyName" as "c"
   ON "SOURCE_SQL_STREAM_001".ticker_symbol = "c"."Ticker";
"""

TICKERS = b"Ticker,Company\nAMZN,Amazon\nASD,SomeCompanyA\nMMB,SomeCompanyB\nWAS,SomeCompanyC\n"

INPUT_COLUMNS = [
    {"Name": "TICKER_SYMBOL", "Mapping": "$.TICKER_SYMBOL", "SqlType": "VARCHAR(4)"},
    {"Name": "SECTOR", "Mapping": "$.SECTOR", "SqlType": "VARCHAR(16)"},
    {"Name": "CHANGE", "Mapping": "$.CHANGE", "SqlType": "REAL"},
    {"Name": "PRICE", "Mapping": "$.PRICE", "SqlType": "REAL"},
]


def config(src: str, dst: str, code: str, columns=None) -> dict:
    return dict(
        ApplicationCode=code,
        Inputs=[{
            "NamePrefix": "SOURCE_SQL_STREAM",
            "KinesisStreamsInput": {"ResourceARN": stream_arn(src), "RoleARN": ROLE},
            "InputSchema": {
                "RecordFormat": {"RecordFormatType": "JSON",
                                 "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"}}},
                "RecordEncoding": "UTF-8",
                "RecordColumns": columns or INPUT_COLUMNS,
            },
        }],
        Outputs=[{
            "Name": "DESTINATION_SQL_STREAM",
            "KinesisStreamsOutput": {"ResourceARN": stream_arn(dst), "RoleARN": ROLE},
            "DestinationSchema": {"RecordFormatType": "JSON"},
        }],
    )


def reference(bucket: str, key: str) -> dict:
    return {
        "TableName": "CompanyName",
        "S3ReferenceDataSource": {"BucketARN": f"arn:aws:s3:::{bucket}", "FileKey": key,
                                  "ReferenceRoleARN": ROLE},
        "ReferenceSchema": {
            "RecordFormat": {"RecordFormatType": "CSV", "MappingParameters": {
                "CSVMappingParameters": {"RecordRowDelimiter": "\n", "RecordColumnDelimiter": ","}}},
            "RecordEncoding": "UTF-8",
            "RecordColumns": [{"Name": "Ticker", "SqlType": "VARCHAR(4)"},
                              {"Name": "Company", "SqlType": "VARCHAR(20)"}],
        },
    }


def trade(ticker: str, price: float) -> dict:
    return {"TICKER_SYMBOL": ticker, "SECTOR": "TECHNOLOGY", "CHANGE": 1.0, "PRICE": price}


def version(ka, name: str) -> int:
    return ka.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationVersionId"]


def refused(code: str, call, **params) -> str:
    with pytest.raises(ClientError) as e:
        call(**params)
    assert error_code(e.value) == code, e.value.response
    return e.value.response["Error"]["Message"]


def test_reference_data_from_the_embedded_store_joins_and_reloads(sluice, kinesis, stream_factory):
    ka = make_analytics(sluice.endpoint)
    bucket = unique_name("ref")
    obj = sluice.data_dir / "s3" / bucket / "data" / "TickerReference.csv"
    obj.parent.mkdir(parents=True)
    obj.write_bytes(TICKERS)
    src, dst = stream_factory(prefix="ref-in"), stream_factory(prefix="ref-out")
    name = unique_name("ka-ref")
    # The code names a table that is not there yet.
    refused("CodeValidationException", ka.create_application, ApplicationName=name,
            **config(src, dst, REFERENCE_CODE))
    ka.create_application(ApplicationName=name, **config(src, dst, 'CREATE STREAM "DESTINATION_SQL_STREAM" (a INT);'))
    refused("ConcurrentModificationException", ka.add_application_reference_data_source,
            ApplicationName=name, CurrentApplicationVersionId=7,
            ReferenceDataSource=reference(bucket, "data/TickerReference.csv"))
    bad = reference(bucket, "x")
    bad["S3ReferenceDataSource"]["BucketARN"] = "arn:aws:kinesis:::nope"
    refused("InvalidArgumentException", ka.add_application_reference_data_source,
            ApplicationName=name, CurrentApplicationVersionId=1, ReferenceDataSource=bad)
    refused("ValidationException", ka.add_application_reference_data_source,
            ApplicationName=name, CurrentApplicationVersionId=1,
            ReferenceDataSource={**reference(bucket, "x"), "TableName": "T" * 33})
    refused("ResourceNotFoundException", ka.add_application_reference_data_source,
            ApplicationName=unique_name("none"), CurrentApplicationVersionId=1,
            ReferenceDataSource=reference(bucket, "x"))

    ka.add_application_reference_data_source(
        ApplicationName=name, CurrentApplicationVersionId=1,
        ReferenceDataSource=reference(bucket, "data/TickerReference.csv"))
    d = ka.describe_application(ApplicationName=name)["ApplicationDetail"]
    assert d["ApplicationVersionId"] == 2
    (ref,) = d["ReferenceDataSourceDescriptions"]
    assert ref["TableName"] == "CompanyName"
    assert ref["S3ReferenceDataSourceDescription"] == {
        "BucketARN": f"arn:aws:s3:::{bucket}", "FileKey": "data/TickerReference.csv",
        "ReferenceRoleARN": ROLE}
    assert ref["ReferenceSchema"]["RecordColumns"][1] == {"Name": "Company", "SqlType": "VARCHAR(20)"}
    # At most one reference data source.
    refused("InvalidArgumentException", ka.add_application_reference_data_source,
            ApplicationName=name, CurrentApplicationVersionId=2,
            ReferenceDataSource={**reference(bucket, "x"), "TableName": "Other"})

    ka.update_application(ApplicationName=name, CurrentApplicationVersionId=2,
                          ApplicationUpdate={"ApplicationCodeUpdate": REFERENCE_CODE})
    put(kinesis, src, [trade("AMZN", 120.5), trade("QXZ", 52.0), trade("WAS", 33.5)])
    start(ka, name)
    got = [json.loads(x) for x in read_out(kinesis, dst, 3)]
    assert [(r["TICKER_SYMBOL"], r["Company"]) for r in got] == [
        ("AMZN", "Amazon"), ("QXZ", None), ("WAS", "SomeCompanyC")], got
    assert got[0]["PRICE"] == 120.5 and got[0]["SECTOR"] == "TECHNOLOGY"

    # The table loads once; a new object is read when UpdateApplication points at it.
    new = obj.with_name("v2.csv")
    new.write_bytes(TICKERS + b"QXZ,Quixotic\n")
    v = version(ka, name)
    ka.update_application(ApplicationName=name, CurrentApplicationVersionId=v, ApplicationUpdate={
        "ReferenceDataSourceUpdates": [{
            "ReferenceId": ref["ReferenceId"],
            "S3ReferenceDataSourceUpdate": {"FileKeyUpdate": "data/v2.csv"}}]})
    wait_status(ka, name, "RUNNING")
    d = ka.describe_application(ApplicationName=name)["ApplicationDetail"]
    assert d["ReferenceDataSourceDescriptions"][0]["S3ReferenceDataSourceDescription"]["FileKey"] == "data/v2.csv"
    put(kinesis, src, [trade("QXZ", 53.0)])
    got = [json.loads(x) for x in read_out(kinesis, dst, 4)]
    assert len(got) == 4 and (got[3]["TICKER_SYMBOL"], got[3]["Company"]) == ("QXZ", "Quixotic"), got

    # The code still joins the table: it cannot go while the code uses it.
    v = version(ka, name)
    refused("CodeValidationException", ka.delete_application_reference_data_source,
            ApplicationName=name, CurrentApplicationVersionId=v, ReferenceId=ref["ReferenceId"])
    refused("ResourceNotFoundException", ka.delete_application_reference_data_source,
            ApplicationName=name, CurrentApplicationVersionId=v, ReferenceId="9.1")
    ka.stop_application(ApplicationName=name)
    ka.update_application(ApplicationName=name, CurrentApplicationVersionId=v, ApplicationUpdate={
        "ApplicationCodeUpdate": 'CREATE STREAM "DESTINATION_SQL_STREAM" (a INT);'})
    ka.delete_application_reference_data_source(
        ApplicationName=name, CurrentApplicationVersionId=v + 1, ReferenceId=ref["ReferenceId"])
    assert ka.describe_application(ApplicationName=name)["ApplicationDetail"]["ReferenceDataSourceDescriptions"] == []


def test_reference_data_from_an_s3_compatible_server(sluice_factory, s3_server, stream_factory):
    srv = sluice_factory("ref-s3", extra_args=["--s3-endpoint", s3_server])
    ka = make_analytics(srv.endpoint)
    kinesis = srv.client()
    s3 = s3_client(s3_server)
    bucket = unique_name("refs3").lower()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="TickerReference.csv", Body=TICKERS)
    src, dst = unique_name("ref-in"), unique_name("ref-out")
    for s in (src, dst):
        kinesis.create_stream(StreamName=s, ShardCount=1)
    for s in (src, dst):
        kinesis.get_waiter("stream_exists").wait(StreamName=s, WaiterConfig={"Delay": 0.2})
    name = unique_name("ka-ref")
    ka.create_application(ApplicationName=name, **config(src, dst, 'CREATE STREAM "DESTINATION_SQL_STREAM" (a INT);'))
    ka.add_application_reference_data_source(
        ApplicationName=name, CurrentApplicationVersionId=1,
        ReferenceDataSource=reference(bucket, "TickerReference.csv"))
    ka.update_application(ApplicationName=name, CurrentApplicationVersionId=2,
                          ApplicationUpdate={"ApplicationCodeUpdate": REFERENCE_CODE})
    put(kinesis, src, [trade("MMB", 8.0), trade("ZZZ", 9.0)])
    start(ka, name)
    got = [json.loads(x) for x in read_out(kinesis, dst, 2)]
    assert [(r["TICKER_SYMBOL"], r["Company"]) for r in got] == [("MMB", "SomeCompanyB"), ("ZZZ", None)], got
    ka.stop_application(ApplicationName=name)


def test_a_missing_reference_object_holds_the_application_in_starting(sluice, kinesis, stream_factory):
    ka = make_analytics(sluice.endpoint)
    bucket = unique_name("ref")
    src, dst = stream_factory(prefix="ref-in"), stream_factory(prefix="ref-out")
    name = unique_name("ka-ref")
    ka.create_application(ApplicationName=name, **config(src, dst, 'CREATE STREAM "DESTINATION_SQL_STREAM" (a INT);'))
    ka.add_application_reference_data_source(ApplicationName=name, CurrentApplicationVersionId=1,
                                             ReferenceDataSource=reference(bucket, "late.csv"))
    ka.update_application(ApplicationName=name, CurrentApplicationVersionId=2,
                          ApplicationUpdate={"ApplicationCodeUpdate": REFERENCE_CODE})
    put(kinesis, src, [trade("AMZN", 1.0)])
    ka.start_application(ApplicationName=name, InputConfigurations=[
        {"Id": "1.1", "InputStartingPositionConfiguration": {"InputStartingPosition": "TRIM_HORIZON"}}])
    wait_status(ka, name, "STARTING")
    assert read_out(kinesis, dst, 1, timeout=1.5) == []
    obj = sluice.data_dir / "s3" / bucket / "late.csv"
    obj.parent.mkdir(parents=True)
    obj.write_bytes(TICKERS)
    wait_status(ka, name, "RUNNING", timeout=10)
    got = [json.loads(x) for x in read_out(kinesis, dst, 1)]
    assert got[0]["Company"] == "Amazon", got
    ka.stop_application(ApplicationName=name)


STAGGER_CODE = """CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(4), ticker_count INTEGER);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM TICKER_SYMBOL, COUNT(*) AS ticker_count
    FROM "SOURCE_SQL_STREAM_001"
    WINDOWED BY STAGGER (PARTITION BY TICKER_SYMBOL RANGE INTERVAL '1' SECOND);
"""

TOP_K_CODE = """CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" ("TICKER_SYMBOL" VARCHAR(4), "MOST_FREQUENT_VALUES" BIGINT);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM * FROM TABLE (TOP_K_ITEMS_TUMBLING(
        CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 'TICKER_SYMBOL', 1, 2));
"""

JOIN_CODE = """CREATE OR REPLACE STREAM "BIG" (ticker VARCHAR(4), price REAL);
CREATE OR REPLACE PUMP "BIG_PUMP" AS INSERT INTO "BIG"
    SELECT STREAM TICKER_SYMBOL, PRICE FROM "SOURCE_SQL_STREAM_001" WHERE PRICE >= 100;
CREATE OR REPLACE STREAM "SMALL" (ticker VARCHAR(4), price REAL);
CREATE OR REPLACE PUMP "SMALL_PUMP" AS INSERT INTO "SMALL"
    SELECT STREAM TICKER_SYMBOL, PRICE FROM "SOURCE_SQL_STREAM_001" WHERE PRICE < 100;
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker VARCHAR(4), big REAL, small REAL);
CREATE OR REPLACE PUMP "JOIN_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM b.ticker, b.price, s.price
    FROM "BIG" OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS b
    JOIN "SMALL" AS s ON b.ticker = s.ticker;
"""


LOG_CODE = """CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (sector VARCHAR(16), head VARCHAR(8), tail VARCHAR(8));
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM T.SECTOR, T.REC.COLUMN1, T.REC.COLUMN2
    FROM (SELECT STREAM SECTOR, REGEX_LOG_PARSE(SECTOR, '(\\w{4})(\\w*)') AS REC
          FROM "SOURCE_SQL_STREAM_001") AS T;
"""

FOREST_CODE = """CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(4), price REAL, "ANOMALY_SCORE" DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM TICKER_SYMBOL, PRICE, ANOMALY_SCORE FROM TABLE(RANDOM_CUT_FOREST(
        CURSOR(SELECT STREAM TICKER_SYMBOL, PRICE FROM "SOURCE_SQL_STREAM_001")));
"""


@pytest.mark.parametrize("code,rows,want", [
    (STAGGER_CODE, [trade("AMZN", 1), trade("AMZN", 2), trade("IBM", 3)],
     [{"TICKER_SYMBOL": "AMZN", "TICKER_COUNT": 2}, {"TICKER_SYMBOL": "IBM", "TICKER_COUNT": 1}]),
    (TOP_K_CODE, [trade("AMZN", 1), trade("IBM", 2), trade("AMZN", 3)],
     [{"TICKER_SYMBOL": "AMZN", "MOST_FREQUENT_VALUES": 2}]),
    (JOIN_CODE, [trade("AMZN", 150), trade("IBM", 10), trade("AMZN", 20)],
     [{"TICKER": "AMZN", "BIG": 150.0, "SMALL": 20.0}]),
    (LOG_CODE, [trade("AMZN", 1)],
     [{"SECTOR": "TECHNOLOGY", "HEAD": "TECH", "TAIL": "NOLOGY"}]),
    # The forest scores nothing before it has seen 64 rows (a quarter of its 256 samples).
    (FOREST_CODE, [trade("AMZN", 1), trade("IBM", 2)],
     [{"TICKER_SYMBOL": "AMZN", "PRICE": 1.0, "ANOMALY_SCORE": 0.0},
      {"TICKER_SYMBOL": "IBM", "PRICE": 2.0, "ANOMALY_SCORE": 0.0}]),
], ids=["stagger", "top-k", "stream-join", "regex-log-parse", "random-cut-forest"])
def test_windowed_sql_end_to_end(sluice, kinesis, stream_factory, code, rows, want):
    ka = make_analytics(sluice.endpoint)
    src, dst = stream_factory(prefix="win-in"), stream_factory(prefix="win-out")
    name = unique_name("ka-win")
    ka.create_application(ApplicationName=name, **config(src, dst, code))
    put(kinesis, src, rows)
    start(ka, name)
    # The rows of one PutRecords are read in one pass, so they get ROWTIMEs within a few
    # milliseconds: one stagger window per ticker, one 2-second tumbling window.
    got = [json.loads(x) for x in read_out(kinesis, dst, len(want), timeout=15)]
    def key(r):
        return json.dumps(r, sort_keys=True)
    assert sorted(got, key=key) == sorted(want, key=key), got
    ka.stop_application(ApplicationName=name)


def test_discover_input_schema_of_a_reference_object(sluice):
    ka = make_analytics(sluice.endpoint)
    bucket = unique_name("disc")
    obj = sluice.data_dir / "s3" / bucket / "TickerReference.csv"
    obj.parent.mkdir(parents=True)
    obj.write_bytes(b"AMZN,Amazon,12\nASD,SomeCompanyA,7\nMMB,SomeCompanyB,1000000\n")
    r = ka.discover_input_schema(S3Configuration={
        "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "FileKey": "TickerReference.csv"})
    schema = r["InputSchema"]
    assert schema["RecordFormat"] == {"RecordFormatType": "CSV", "MappingParameters": {
        "CSVMappingParameters": {"RecordRowDelimiter": "\n", "RecordColumnDelimiter": ","}}}, schema
    assert [(c["Name"], c["SqlType"]) for c in schema["RecordColumns"]] == [
        ("COLUMN1", "VARCHAR(4)"), ("COLUMN2", "VARCHAR(16)"), ("COLUMN3", "INTEGER")]
    assert r["ParsedInputRecords"][1] == ["ASD", "SomeCompanyA", "7"]
    # The schema found is one AddApplicationReferenceDataSource takes as it is.
    name = unique_name("ka-disc")
    ka.create_application(ApplicationName=name)
    ka.add_application_reference_data_source(ApplicationName=name, CurrentApplicationVersionId=1, ReferenceDataSource={
        "TableName": "T", "ReferenceSchema": schema, "S3ReferenceDataSource": {
            "BucketARN": f"arn:aws:s3:::{bucket}", "FileKey": "TickerReference.csv", "ReferenceRoleARN": ROLE}})
    with pytest.raises(ClientError) as e:
        ka.discover_input_schema(S3Configuration={
            "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "FileKey": "missing.csv"})
    assert error_code(e.value) == "InvalidArgumentException", e.value.response
