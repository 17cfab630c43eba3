"""The `Lambda` processor with AWS's Firehose transformation format, run by a real HTTP endpoint
(`--lambda NAME=URL`) and by a local command (`--lambda NAME=cmd:...`): Ok records are delivered
with the answered data, Dropped ones are not, ProcessingFailed ones (and all of an invocation that
keeps failing) go to the `processing-failed` error output.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from conftest import make_firehose, wait_bucket_objects, ACCESS_KEY, REGION, SECRET_KEY, unique_name

ROLE_ARN = "arn:aws:iam::000000000000:role/firehose"

TRANSFORM = r'''
import base64, json, sys
event = json.load(sys.stdin)
out = []
for r in event["records"]:
    data = base64.b64decode(r["data"])
    if b"drop" in data:
        out.append({"recordId": r["recordId"], "result": "Dropped", "data": r["data"]})
    elif b"fail" in data:
        out.append({"recordId": r["recordId"], "result": "ProcessingFailed", "data": r["data"]})
    else:
        out.append({"recordId": r["recordId"], "result": "Ok",
                    "data": base64.b64encode(data.upper() + b"\n").decode()})
json.dump({"records": out}, sys.stdout)
'''


class Function:
    """An HTTP endpoint running TRANSFORM; it records every invocation event."""

    def __init__(self, broken: bool = False):
        self.events: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.events.append(event)
                if broken:
                    self.send_response(500)
                    self.end_headers()
                    return
                ns: dict = {}
                import io
                stdin, stdout = sys.stdin, sys.stdout
                sys.stdin, sys.stdout = io.StringIO(json.dumps(event)), io.StringIO()
                try:
                    exec(TRANSFORM, ns)
                    body = sys.stdout.getvalue().encode()
                finally:
                    sys.stdin, sys.stdout = stdin, stdout
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/invoke"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def env(sluice_factory, tmp_path_factory):
    fn, broken = Function(), Function(broken=True)
    script = tmp_path_factory.mktemp("fn") / "transform.py"
    script.write_text(TRANSFORM)
    srv = sluice_factory("firehose-lambda", extra_args=[
        "--lambda", f"upper-http={fn.url}", "--lambda", f"broken={broken.url}",
        "--lambda", f"upper-cmd=cmd:{sys.executable} {script}"])
    fh = make_firehose(srv.endpoint)
    yield srv, fh, fn, broken
    fn.server.shutdown()
    broken.server.shutdown()


def create(fh, bucket: str, function: str, retries: str = "1") -> str:
    name = unique_name("fhfn")
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE_ARN, "BucketARN": f"arn:aws:s3:::{bucket}",
        "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
            {"ParameterName": "LambdaArn",
             "ParameterValue": f"arn:aws:lambda:us-east-1:000000000000:function:{function}:$LATEST"},
            {"ParameterName": "NumberOfRetries", "ParameterValue": retries}]}]}})
    return name


def objects(srv, bucket: str, n: int = 1, timeout: float = 20.0) -> dict[str, bytes]:
    return wait_bucket_objects(srv.data_dir / "s3" / bucket, n, timeout)


@pytest.mark.parametrize("function", ["upper-http", "upper-cmd"])
def test_ok_dropped_and_failed_results(env, function):
    srv, fh, fn, _ = env
    bucket = f"fn-{function}"
    name = create(fh, bucket, function)
    fh.put_record_batch(DeliveryStreamName=name, Records=[
        {"Data": b"alpha"}, {"Data": b"please drop me"}, {"Data": b"fail this one"}, {"Data": b"beta"}])
    found = objects(srv, bucket, n=2)
    delivered = [v for k, v in found.items() if not k.startswith("errors/")]
    failed = [v for k, v in found.items() if k.startswith("errors/processing-failed/")]
    assert delivered == [b"ALPHA\nBETA\n"], found
    (line,) = [json.loads(x) for x in failed[0].splitlines()]
    assert base64.b64decode(line["rawData"]) == b"fail this one"
    assert line["errorCode"] == "Lambda.ProcessingFailed", line
    if function == "upper-http":
        ev = fn.events[-1]
        assert ev["deliveryStreamArn"].endswith(f":deliverystream/{name}") and ev["region"] == REGION
        assert ev["invocationId"] and len(ev["records"]) == 4
        assert all(r["recordId"] and r["approximateArrivalTimestamp"] > 0 for r in ev["records"])


def test_a_failing_function_sends_everything_to_the_error_output(env):
    srv, fh, _, broken = env
    name = create(fh, "fn-broken", "broken", retries="2")
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"kept anyway"})
    found = objects(srv, "fn-broken", n=1)
    (key,) = found
    assert key.startswith("errors/processing-failed/"), key
    (line,) = [json.loads(x) for x in found[key].splitlines()]
    assert line["errorCode"] == "Lambda.InvokeFailed" and base64.b64decode(line["rawData"]) == b"kept anyway"
    assert len(broken.events) == 3, "NumberOfRetries 2: three invocations"


def test_an_unmapped_function_is_refused(env):
    _, fh, _, _ = env
    with pytest.raises(fh.exceptions.InvalidArgumentException):
        create(fh, "b", "nobody-mapped-this")
