"""The TLS listener (--tls-cert/--tls-key) with boto3 and the aws CLI: HTTPS with a certificate
the client is told to trust; a client that does not trust it fails the handshake."""

from __future__ import annotations

import shutil
import ssl
import socket
import subprocess

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import SSLError

from conftest import ACCESS_KEY, REGION, SECRET_KEY, aws_cli_command, unique_name, wait_stream_active

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"),
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True)
    return d / "cert.pem", d / "key.pem"


@pytest.fixture(scope="module")
def tls_server(sluice_factory, cert):
    return sluice_factory("tls", extra_args=["--tls-cert", str(cert[0]), "--tls-key", str(cert[1])])


def https_client(srv, verify):
    return boto3.client("kinesis", endpoint_url=f"https://127.0.0.1:{srv.port}", region_name=REGION,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, verify=verify,
                        config=Config(retries={"max_attempts": 1}))


def test_boto3_over_https(tls_server, cert):
    k = https_client(tls_server, str(cert[0]))
    name = unique_name("tls")
    k.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(k, name)
    ack = k.put_record(StreamName=name, PartitionKey="pk", Data=b"over tls")
    it = k.get_shard_iterator(StreamName=name, ShardId=ack["ShardId"],
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["Data"] for r in k.get_records(ShardIterator=it)["Records"]] == [b"over tls"]


def test_an_untrusted_certificate_fails_the_handshake(tls_server):
    k = https_client(tls_server, True)
    with pytest.raises(SSLError):
        k.list_streams()


def test_alpn_offers_h2_and_http11(tls_server, cert):
    for proto in ("h2", "http/1.1"):
        ctx = ssl.create_default_context(cafile=str(cert[0]))
        ctx.set_alpn_protocols([proto])
        with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                assert s.selected_alpn_protocol() == proto


def test_cleartext_to_the_tls_port_is_refused(tls_server):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", tls_server.port, timeout=5)
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        conn.request("GET", "/health")
        conn.getresponse().read()


def test_aws_cli_over_https(tls_server, cert, tmp_path):
    env = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
           "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(aws_cli_command() + [
        "kinesis", "list-streams", "--endpoint-url", f"https://127.0.0.1:{tls_server.port}",
        "--ca-bundle", str(cert[0]), "--output", "json"], env=env, capture_output=True, text=True,
        timeout=60)
    assert out.returncode == 0, out.stderr
    assert "StreamNames" in out.stdout


def test_a_bad_certificate_stops_the_start(sluice_factory, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    srv = sluice_factory("tls-bad", start=False, extra_args=["--tls-cert", str(bad), "--tls-key", str(bad)])
    with pytest.raises(RuntimeError, match="exited"):
        srv.start(timeout=10)
    assert "TLS certificate" in srv.log_path.read_text(errors="replace")


def test_subscribe_to_shard_over_https(tls_server, cert):
    k = https_client(tls_server, str(cert[0]))
    name = unique_name("tlsefo")
    k.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(k, name)
    arn = k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    consumer = k.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"]["ConsumerARN"]
    k.put_record(StreamName=name, PartitionKey="pk", Data=b"pushed over tls")
    sub = k.subscribe_to_shard(ConsumerARN=consumer, ShardId="shardId-000000000000",
                               StartingPosition={"Type": "TRIM_HORIZON"})
    for event in sub["EventStream"]:
        records = event["SubscribeToShardEvent"]["Records"]
        if records:
            assert [r["Data"] for r in records] == [b"pushed over tls"]
            break
    sub["EventStream"].close()
