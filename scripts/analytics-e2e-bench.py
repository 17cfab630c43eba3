#!/usr/bin/env python3
# Usage: scripts/analytics-e2e-bench.py ENDPOINT RECORDS SLUICE_BINARY [SHARDS]
"""End-to-end Analytics throughput: N JSON bids already in a Sluice stream, an application reading
them from TRIM_HORIZON through a projection (or filter) into an output stream; time from
StartApplication to the last output record."""
import json, subprocess, sys, time, boto3

EP = sys.argv[1]; N = int(sys.argv[2]); SLUICE = sys.argv[3]; SHARDS = int(sys.argv[4]) if len(sys.argv) > 4 else 2
kw = dict(endpoint_url=EP, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
k = boto3.client("kinesis", **kw); ka = boto3.client("kinesisanalytics", **kw)
tag = str(int(time.time()))
src, dst = f"bids-{tag}", f"out-{tag}"
for s in (src, dst):
    k.create_stream(StreamName=s, ShardCount=SHARDS); k.get_waiter("stream_exists").wait(StreamName=s, WaiterConfig={"Delay": 1})
lines = "\n".join(json.dumps({"auction": 1000 + i % 997, "bidder": i % 5003, "price": i % 10007, "channel": "channel-%d" % (i % 7)}) for i in range(N)) + "\n"
t = time.time()
subprocess.run([SLUICE, "put", src, "--endpoint", EP], input=lines.encode(), check=True, capture_output=True)
print(f"put {N} records in {time.time() - t:.1f} s", flush=True)
arn = lambda s: f"arn:aws:kinesis:us-east-1:000000000000:stream/{s}"
role = "arn:aws:iam::000000000000:role/x"
ka.create_application(ApplicationName=f"e2e-{tag}", ApplicationCode='''
CREATE STREAM "OUT" (auction BIGINT, bidder BIGINT, price DOUBLE);
CREATE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM "auction", "bidder", 0.908 * "price" FROM "SOURCE_SQL_STREAM_001";''',
    Inputs=[{"NamePrefix": "SOURCE_SQL_STREAM", "KinesisStreamsInput": {"ResourceARN": arn(src), "RoleARN": role},
             "InputSchema": {"RecordFormat": {"RecordFormatType": "JSON", "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"}}},
                             "RecordColumns": [{"Name": "auction", "Mapping": "$.auction", "SqlType": "BIGINT"},
                                               {"Name": "bidder", "Mapping": "$.bidder", "SqlType": "BIGINT"},
                                               {"Name": "price", "Mapping": "$.price", "SqlType": "BIGINT"},
                                               {"Name": "channel", "Mapping": "$.channel", "SqlType": "VARCHAR(16)"}]}}],
    Outputs=[{"Name": "OUT", "KinesisStreamsOutput": {"ResourceARN": arn(dst), "RoleARN": role}, "DestinationSchema": {"RecordFormatType": "JSON"}}])
t0 = time.time()
ka.start_application(ApplicationName=f"e2e-{tag}", InputConfigurations=[{"Id": "1.1", "InputStartingPositionConfiguration": {"InputStartingPosition": "TRIM_HORIZON"}}])
shards = [s["ShardId"] for s in k.list_shards(StreamName=dst)["Shards"]]
its = {s: k.get_shard_iterator(StreamName=dst, ShardId=s, ShardIteratorType="TRIM_HORIZON")["ShardIterator"] for s in shards}
count, last = 0, t0
while count < N and time.time() - last < 30:
    got = 0
    for s in shards:
        r = k.get_records(ShardIterator=its[s], Limit=10000); its[s] = r["NextShardIterator"]
        if r["Records"]:
            got += len(r["Records"])
            last = max(last, max(x["ApproximateArrivalTimestamp"].timestamp() for x in r["Records"]))
    count += got
    if not got: time.sleep(0.05)
secs = last - t0
print(f"{count} of {N} output records; last written {secs:.2f} s after StartApplication: {count / secs:.0f} records/s end to end")
