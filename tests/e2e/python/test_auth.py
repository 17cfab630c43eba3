"""`--auth sigv4`: requests signed by boto3 with a configured key pass; wrong secrets, unknown keys,
missing signatures, wrong session tokens, stale dates and wrong scopes get AWS's errors."""

from __future__ import annotations

import base64
import datetime
import http.client
import json
import urllib.parse

import boto3
import cbor2
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import (REGION, error_code, error_message, signature_headers, unique_name,
                      wait_stream_active)

KEY, SECRET = "AKIDSLUICETEST", "sluice-test-secret/with+chars"
TEMP_KEY, TEMP_SECRET, TOKEN = "ASIATEMPKEY", "temp-secret", "session-token-value"


@pytest.fixture(scope="module")
def auth_server(sluice_factory):
    return sluice_factory("auth", extra_args=[
        "--auth", "sigv4",
        "--credential", f"{KEY}:{SECRET}",
        "--credential", f"{TEMP_KEY}:{TEMP_SECRET}:{TOKEN}",
    ])


def client(endpoint: str, key: str, secret: str, token: str | None = None, region: str = REGION):
    return boto3.session.Session().client(
        "kinesis", endpoint_url=endpoint, region_name=region, aws_access_key_id=key,
        aws_secret_access_key=secret, aws_session_token=token,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def raw_post(endpoint: str, body: bytes, headers: dict, path: str = "/") -> tuple[int, dict]:
    u = urllib.parse.urlparse(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("POST", path, body=body, headers=headers)
    resp = conn.getresponse()
    data = json.loads(resp.read() or b"{}")
    conn.close()
    return resp.status, data


def signed_headers(endpoint: str, body: bytes, key: str, secret: str, when=None,
                   region: str = REGION, service: str = "kinesis") -> dict:
    """A ListStreams request's headers, signed by botocore (at `when`, if given)."""
    return sign(endpoint, body, {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "Kinesis_20131202.ListStreams",
    }, service=service, when=when, key=key, secret=secret, region=region)


def test_a_correctly_signed_client_works(auth_server):
    c = client(auth_server.endpoint, KEY, SECRET)
    name = unique_name("auth")
    c.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(c, name)
    c.put_record(StreamName=name, PartitionKey="k", Data=b"signed")
    assert name in c.list_streams()["StreamNames"]


def test_a_session_token_must_match(auth_server):
    ok = client(auth_server.endpoint, TEMP_KEY, TEMP_SECRET, TOKEN)
    ok.list_streams()
    for token in (None, "another-token"):
        with pytest.raises(ClientError) as e:
            client(auth_server.endpoint, TEMP_KEY, TEMP_SECRET, token).list_streams()
        assert error_code(e.value) == "UnrecognizedClientException"
    # A token on a key that has none is wrong too.
    with pytest.raises(ClientError) as e:
        client(auth_server.endpoint, KEY, SECRET, "unexpected").list_streams()
    assert error_code(e.value) == "UnrecognizedClientException"


def test_wrong_secret_unknown_key_and_wrong_scope(auth_server):
    with pytest.raises(ClientError) as e:
        client(auth_server.endpoint, KEY, "not-the-secret").list_streams()
    assert error_code(e.value) == "InvalidSignatureException"
    assert error_message(e.value).startswith("The request signature we calculated does not match")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    with pytest.raises(ClientError) as e:
        client(auth_server.endpoint, "AKIDUNKNOWN", SECRET).list_streams()
    assert error_code(e.value) == "UnrecognizedClientException"
    assert error_message(e.value) == "The security token included in the request is invalid."

    with pytest.raises(ClientError) as e:
        client(auth_server.endpoint, KEY, SECRET, region="eu-west-1").list_streams()
    assert error_code(e.value) == "InvalidSignatureException"
    assert "valid region" in error_message(e.value)


def test_unsigned_and_tampered_requests(auth_server):
    body = b"{}"
    base = {"Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Kinesis_20131202.ListStreams"}
    status, out = raw_post(auth_server.endpoint, body, base)
    assert status == 400 and out["__type"].endswith("MissingAuthenticationTokenException")
    assert out["message"] == "Missing Authentication Token"

    status, out = raw_post(auth_server.endpoint, body,
                           {**base, "Authorization": "AWS4-HMAC-SHA256 Credential=x"})
    assert status == 400 and out["__type"].endswith("IncompleteSignatureException")

    headers = signed_headers(auth_server.endpoint, body, KEY, SECRET)
    status, out = raw_post(auth_server.endpoint, body, headers)
    assert status == 200, out
    # The same signature over another body does not verify.
    status, out = raw_post(auth_server.endpoint, b'{"Limit": 1}', headers)
    assert status == 400 and out["__type"].endswith("InvalidSignatureException")


def test_a_stale_signature_is_refused(auth_server):
    body = b"{}"
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=16)
    headers = signed_headers(auth_server.endpoint, body, KEY, SECRET, when=old)
    status, out = raw_post(auth_server.endpoint, body, headers)
    assert status == 400 and out["__type"].endswith("InvalidSignatureException"), out
    assert out["message"].startswith("Signature expired:")


class BodyQueryAuth(SigV4QueryAuth):
    """botocore's query signer, keeping the JSON body (botocore's own drops it and signs an empty
    payload, which AWS answers with SerializationException: a Kinesis request needs a body)."""

    def _modify_request_before_signing(self, request):
        data = request.data
        super()._modify_request_before_signing(request)
        request.data = data


def test_query_string_signatures(auth_server):
    body = b"{}"
    req = AWSRequest(method="POST", url=auth_server.endpoint + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "Kinesis_20131202.ListStreams",
    })
    BodyQueryAuth(Credentials(KEY, SECRET), "kinesis", REGION, expires=300).add_auth(req)
    body = req.body or b""
    assert body == b"{}"
    u = urllib.parse.urlparse(req.url)
    headers = {k: v for k, v in req.headers.items()}
    status, out = raw_post(auth_server.endpoint, body, headers, path=f"{u.path}?{u.query}")
    assert status == 200, out
    assert "StreamNames" in out
    tampered = u.query.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    status, out = raw_post(auth_server.endpoint, body, headers, path=f"{u.path}?{tampered}")
    assert status == 400 and out["__type"].endswith("InvalidSignatureException")


LIST = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Kinesis_20131202.ListStreams"}


def test_default_auth_accepts_any_key_but_checks_the_signature_form(sluice):
    # The session server runs with the default `--auth any-key`.
    client(sluice.endpoint, "whatever", "wrong").list_streams()
    status, out = raw_post(sluice.endpoint, b"{}", {**LIST, **signature_headers()})
    assert status == 200 and "StreamNames" in out

    # What AWS refuses before it looks at a key.
    status, out = raw_post(sluice.endpoint, b"{}", LIST)
    assert (status, out) == (400, {"__type": "MissingAuthenticationTokenException",
                                   "message": "Missing Authentication Token"})
    status, out = raw_post(sluice.endpoint, b"{}", {**LIST, "Authorization": "a"})
    assert status == 400 and out == {"__type": "IncompleteSignatureException", "message": (
        "Authorization header requires 'Credential' parameter. Authorization header requires "
        "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=a")}
    status, out = raw_post(sluice.endpoint, b"{}", LIST, path="/?X-Amz-Algorithm")
    assert status == 400 and out["__type"] == "IncompleteSignatureException"
    assert out["message"].startswith("AWS query-string parameters must include 'X-Amz-Algorithm'.")
    status, out = raw_post(sluice.endpoint, b"{}", {**LIST, **signature_headers()},
                           path="/?X-Amz-Algorithm=AWS4-HMAC-SHA256")
    assert status == 400 and out["__type"] == "InvalidSignatureException"
    # Unsigned, the body is still checked first, as AWS does.
    status, out = raw_post(sluice.endpoint, b"hello", LIST)
    assert (status, out) == (400, {"__type": "SerializationException"})


def test_auth_unsigned_accepts_unsigned_requests(sluice_factory):
    srv = sluice_factory("unsigned", extra_args=["--auth", "unsigned"])
    status, out = raw_post(srv.endpoint, b"{}", LIST)
    assert status == 200 and "StreamNames" in out


def test_the_envelope_answers_as_aws_does(sluice):
    import urllib.request
    # Not a POST: AccessDeniedException, in AWS's XML-ish form.
    for method in ("GET", "PUT", "DELETE"):
        req = urllib.request.Request(sluice.endpoint + "/", method=method)
        try:
            urllib.request.urlopen(req, timeout=5)
            raise AssertionError("expected 403")
        except urllib.error.HTTPError as e:
            assert e.code == 403
            assert e.read().decode() == ("<AccessDeniedException>\n  <Message>Unable to determine "
                                         "service/operation name to be authorized</Message>\n"
                                         "</AccessDeniedException>\n")
            assert len(base64.b64decode(e.headers["x-amz-id-2"])) == 72
    # CORS preflight.
    req = urllib.request.Request(sluice.endpoint + "/", method="OPTIONS", headers={
        "Origin": "x", "Access-Control-Request-Headers": "a, b", "Access-Control-Request-Method": "POST"})
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200 and r.read() == b""
        assert r.headers["access-control-allow-origin"] == "*"
        assert r.headers["access-control-allow-headers"] == "a, b"
        assert r.headers["access-control-max-age"] == "172800"
    # No body: CBOR unless JSON was asked for; Serialization for a known operation.
    u = urllib.parse.urlparse(sluice.endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("POST", "/", body=b"", headers={"X-Amz-Target": "Kinesis_20131202.ListStreams"})
    resp = conn.getresponse()
    assert resp.status == 400 and resp.getheader("Content-Type") == "application/x-amz-cbor-1.1"
    assert cbor2.loads(resp.read()) == {"__type": "SerializationException"}
    conn.close()
    # application/json: AWS's old wrapper.
    status, out = raw_post(sluice.endpoint, b"{}", {**LIST, "Content-Type": "application/json"})
    assert (status, out) == (404, {"Output": {
        "__type": "com.amazon.coral.service#UnknownOperationException"}, "Version": "1.0"})


def sign(endpoint: str, body: bytes, headers: dict, exclude: tuple = (), service="kinesis",
         when=None, key: str = KEY, secret: str = SECRET, region: str = REGION) -> dict:
    """botocore's SigV4 over `headers`; headers named in `exclude` are added after signing, so
    the signature does not cover them."""
    signed_part = {k: v for k, v in headers.items() if k.lower() not in exclude}
    req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers=signed_part)
    auth = SigV4Auth(Credentials(key, secret), service, region)
    if when is None:
        auth.add_auth(req)
    else:
        import botocore.auth
        real = botocore.auth.get_current_datetime
        botocore.auth.get_current_datetime = lambda: when.replace(tzinfo=None)
        try:
            auth.add_auth(req)
        finally:
            botocore.auth.get_current_datetime = real
    out = dict(req.headers.items())
    out.update({k: v for k, v in headers.items() if k.lower() in exclude})
    return out


def test_a_replayed_signature_with_another_body_and_the_old_hash_is_refused(auth_server):
    import hashlib
    c = client(auth_server.endpoint, KEY, SECRET)
    name = unique_name("replay")
    c.create_stream(StreamName=name, ShardCount=1)
    wait_stream_active(c, name)
    good = json.dumps({"StreamName": name, "PartitionKey": "k", "Data": "b3JpZ2luYWw="}).encode()
    headers = sign(auth_server.endpoint, good, {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "Kinesis_20131202.PutRecord",
        "X-Amz-Content-SHA256": hashlib.sha256(good).hexdigest(),
    })
    evil = json.dumps({"StreamName": name, "PartitionKey": "k", "Data": "Y2hhbmdlZA=="}).encode()
    status, out = raw_post(auth_server.endpoint, evil, headers)
    assert status == 400 and out["__type"].endswith("InvalidSignatureException"), out
    assert "x-amz-content-sha256" in out["message"], out
    status, out = raw_post(auth_server.endpoint, good, headers)
    assert status == 200, out
    # Only the original record is stored.
    shard = c.list_shards(StreamName=name)["Shards"][0]["ShardId"]
    it = c.get_shard_iterator(StreamName=name, ShardId=shard,
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["Data"] for r in c.get_records(ShardIterator=it)["Records"]] == [b"original"]

    # UNSIGNED-PAYLOAD is for streamed bodies (PutMedia), not for JSON operations.
    headers = sign(auth_server.endpoint, good, {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "Kinesis_20131202.PutRecord",
        "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD",
    })
    status, out = raw_post(auth_server.endpoint, good, headers)
    assert status == 400 and out["__type"].endswith("InvalidSignatureException"), out


def test_headers_that_change_the_request_must_be_signed(auth_server):
    base = {"Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Kinesis_20131202.ListStreams"}
    for unsigned in ("x-amz-target", "content-type"):
        headers = sign(auth_server.endpoint, b"{}", base, exclude=(unsigned,))
        status, out = raw_post(auth_server.endpoint, b"{}", headers)
        assert status == 400 and out["__type"].endswith("IncompleteSignatureException"), out
        assert unsigned in out["message"], out


def presigned(endpoint: str, expires: int, when=None) -> tuple[bytes, dict, str]:
    req = AWSRequest(method="POST", url=endpoint + "/", data=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "Kinesis_20131202.ListStreams",
    })
    auth = BodyQueryAuth(Credentials(KEY, SECRET), "kinesis", REGION, expires=expires)
    import botocore.auth
    real = botocore.auth.get_current_datetime
    if when is not None:
        botocore.auth.get_current_datetime = lambda: when.replace(tzinfo=None)
    try:
        auth.add_auth(req)
    finally:
        botocore.auth.get_current_datetime = real
    u = urllib.parse.urlparse(req.url)
    return req.body or b"", dict(req.headers.items()), f"{u.path}?{u.query}"


def test_presigned_requests_are_bounded_in_time(auth_server):
    now = datetime.datetime.now(datetime.timezone.utc)
    body, headers, path = presigned(auth_server.endpoint, 1_000_000_000,
                                    when=now - datetime.timedelta(days=2))
    status, out = raw_post(auth_server.endpoint, body, headers, path=path)
    assert status == 400 and "X-Amz-Expires" in out["message"], out
    body, headers, path = presigned(auth_server.endpoint, 300,
                                    when=now + datetime.timedelta(days=365))
    status, out = raw_post(auth_server.endpoint, body, headers, path=path)
    assert status == 400 and out["message"].startswith("Signature not yet current"), out
    body, headers, path = presigned(auth_server.endpoint, 604800,
                                    when=now - datetime.timedelta(days=6))
    status, out = raw_post(auth_server.endpoint, body, headers, path=path)
    assert status == 200, out


def test_an_unknown_key_is_refused_before_a_large_body_is_read(auth_server):
    import socket
    s = socket.create_connection(("127.0.0.1", auth_server.port))
    headers = sign(auth_server.endpoint, b"{}", {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "Kinesis_20131202.ListStreams"})
    headers["Authorization"] = headers["Authorization"].replace(KEY, "AKIDNOBODY")
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    s.sendall(f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}Content-Length: 15000000\r\n\r\n"
              .encode())
    s.settimeout(5)
    answer = s.recv(65536)
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert b"UnrecognizedClientException" in answer
    s.close()
