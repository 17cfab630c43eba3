"""Shared fixtures for the Sluice end-to-end tests.

The server binary is ``target/debug/sluice`` at the repository root unless the
``SLUICE_BIN`` environment variable names another one (a relative path is taken
relative to the current directory first, then to the repository root).

Fixtures:

* ``sluice`` (session): one server on a free port with a fresh data directory,
  shared by every test that does not need its own process.
* ``sluice_factory``: starts extra, independent servers (own port and data dir)
  for tests that kill or restart the process; all are stopped at teardown.
* ``kinesis``: the session server's boto3 client.
* ``stream_factory``: creates uniquely named streams, waits until ACTIVE and
  deletes them at teardown.
* ``aws_cli``: runs the aws CLI (``python -m awscli``) against the session
  server and returns the parsed JSON output.
"""

from __future__ import annotations

import http.client
import ssl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REPO_ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"
ACCOUNT_ID = "000000000000"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
HEALTH_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


# --------------------------------------------------------------------------
# helpers usable from test modules (import from conftest)
# --------------------------------------------------------------------------


def signature_headers(service: str = "kinesis") -> dict[str, str]:
    """Headers of a complete SigV4 signature (any key, a placeholder signature), for raw
    requests: Sluice's default `--auth any-key` checks the signature's form, as AWS does, but
    not the signature itself."""
    import datetime as dt
    amz_date = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return {
        "X-Amz-Date": amz_date,
        "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD",
        "Authorization": (
            f"AWS4-HMAC-SHA256 Credential=AKID/{amz_date[:8]}/us-east-1/{service}/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=00"
        ),
    }


def unique_name(prefix: str = "e2e") -> str:
    """A stream name that no other test (or earlier run) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def stream_arn(name: str) -> str:
    return f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{name}"


def error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def error_message(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Message", "")


def http_status(exc: ClientError) -> int:
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)


def wait_stream_active(client, name: str, timeout: float = 30.0) -> dict:
    """Poll DescribeStreamSummary until the stream is ACTIVE; return the summary."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
            if last["StreamStatus"] == "ACTIVE":
                return last
        except ClientError as exc:  # CREATING may briefly be invisible on some servers
            if error_code(exc) != "ResourceNotFoundException":
                raise
            last = f"ResourceNotFoundException: {error_message(exc)}"
        time.sleep(0.05)
    raise AssertionError(f"stream {name} not ACTIVE after {timeout}s; last seen: {last!r}")


def wait_stream_gone(client, name: str, timeout: float = 30.0) -> None:
    """Poll until DescribeStreamSummary answers ResourceNotFoundException."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
            assert last["StreamStatus"] == "DELETING", f"deleted stream {name} has status {last['StreamStatus']}"
        except ClientError as exc:
            assert error_code(exc) == "ResourceNotFoundException", exc.response
            return
        time.sleep(0.05)
    raise AssertionError(f"stream {name} still present {timeout}s after DeleteStream: {last!r}")


def make_client(endpoint: str, **config_overrides: Any):
    """A boto3 Kinesis client with static credentials and no retries."""
    cfg = dict(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
        parameter_validation=True,
    )
    cfg.update(config_overrides)
    return boto3.session.Session().client(
        "kinesis",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(**cfg),
    )


def make_firehose(endpoint: str, **config_overrides: Any):
    """A boto3 Firehose client with static credentials and no retries."""
    cfg = dict(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5,
               read_timeout=30)
    cfg.update(config_overrides)
    return boto3.session.Session().client(
        "firehose", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, config=Config(**cfg))


def make_analytics(endpoint: str, **config_overrides: Any):
    """A boto3 Kinesis Analytics (v1, SQL applications) client with static credentials and no
    retries."""
    cfg = dict(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5,
               read_timeout=30)
    cfg.update(config_overrides)
    return boto3.session.Session().client(
        "kinesisanalytics", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, config=Config(**cfg))


def wait_bucket_objects(root: Path, n: int = 1, timeout: float = 20.0) -> dict[str, bytes]:
    """The objects of an embedded-store bucket directory (key -> bytes, temporary files left
    out), once there are at least `n` or `timeout` has passed."""
    deadline = time.monotonic() + timeout
    while True:
        found = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
                 if p.is_file() and not p.name.startswith(".")} if root.exists() else {}
        if len(found) >= n or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def read_shard(client, stream: str, shard_id: str, iterator_type: str = "TRIM_HORIZON",
               max_calls: int = 1000, timeout: float = 30.0, **iter_kwargs) -> list:
    """Read a shard until caught up (empty page with MillisBehindLatest == 0)."""
    it = client.get_shard_iterator(StreamName=stream, ShardId=shard_id,
                                   ShardIteratorType=iterator_type, **iter_kwargs)["ShardIterator"]
    out = []
    empty_pages = 0
    deadline = time.monotonic() + timeout
    for _ in range(max_calls):
        assert time.monotonic() < deadline, f"reading {stream}/{shard_id} took longer than {timeout}s"
        resp = client.get_records(ShardIterator=it)
        out.extend(resp["Records"])
        empty_pages = 0 if resp["Records"] else empty_pages + 1
        # Caught up: an empty page at the tip (or a few empty pages in a row, so that a
        # wrong MillisBehindLatest is reported by its own test rather than hanging here).
        if empty_pages and (resp.get("MillisBehindLatest", 0) == 0 or empty_pages >= 3):
            return out
        it = resp.get("NextShardIterator")
        if not it:  # closed shard fully read
            return out
    raise AssertionError(f"shard {shard_id} of {stream} not drained after {max_calls} GetRecords calls")


# --------------------------------------------------------------------------
# the server process
# --------------------------------------------------------------------------


def find_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resolve_binary() -> Path:
    raw = os.environ.get("SLUICE_BIN", "target/debug/sluice")
    p = Path(raw)
    candidates = [p] if p.is_absolute() else [Path.cwd() / p, REPO_ROOT / p]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c.resolve()
    pytest.fail(
        f"Sluice binary not found (SLUICE_BIN={raw!r}; looked at {[str(c) for c in candidates]}). "
        "Build it with `cargo build --bin sluice`.",
        pytrace=False,
    )


class SluiceServer:
    """One `sluice serve` process bound to 127.0.0.1 with its own data dir."""

    def __init__(self, binary: Path, data_dir: Path, log_dir: Path, port: Optional[int] = None,
                 extra_args: Optional[list[str]] = None):
        self.binary = binary
        self.extra_args = list(extra_args or [])
        self.data_dir = Path(data_dir)
        self.log_dir = Path(log_dir)
        self.port = port or find_free_port()
        self.proc: Optional[subprocess.Popen] = None
        self.starts = 0
        self._kinesis = None
        self._log_file = None

    # -- properties ---------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def kinesis(self):
        if self._kinesis is None:
            self._kinesis = make_client(self.endpoint)
        return self._kinesis

    def client(self, **config_overrides):
        """A fresh boto3 client (e.g. one per thread)."""
        return make_client(self.endpoint, **config_overrides)

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"sluice-{self.port}.log"

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "<no log>"
        return "\n".join(lines[-n:])

    def is_running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- lifecycle ----------------------------------------------------------
    def start(self, timeout: float = HEALTH_TIMEOUT_S) -> None:
        assert not self.is_running(), "server already running"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        self._log_file = open(self.log_path, "ab")
        self._log_file.write(f"\n===== start #{self.starts} port {self.port} =====\n".encode())
        self._log_file.flush()
        cmd = [str(self.binary), "serve", "--port", str(self.port), "--bind", "127.0.0.1",
               "--data-dir", str(self.data_dir), *self.extra_args]
        env = dict(os.environ)
        env.setdefault("RUST_BACKTRACE", "1")
        self.proc = subprocess.Popen(cmd, stdout=self._log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, cwd=str(self.log_dir))
        self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        last_err = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"sluice exited with code {self.proc.returncode} before becoming healthy; log:\n{self.log_tail()}")
            try:
                if "--tls-cert" in self.extra_args:
                    conn = http.client.HTTPSConnection(
                        "127.0.0.1", self.port, timeout=2, context=ssl._create_unverified_context())
                else:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health")
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status == 200:
                    return
                last_err = f"HTTP {resp.status}"
            except OSError as exc:
                last_err = repr(exc)
            time.sleep(0.05)
        raise RuntimeError(f"sluice not healthy on port {self.port} after {timeout}s ({last_err}); log:\n{self.log_tail()}")

    def _close_log(self):
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> Optional[int]:
        """SIGTERM, wait up to `timeout`, then SIGKILL. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        rc = self.proc.returncode
        self._close_log()
        return rc

    def kill(self) -> None:
        """SIGKILL (kill -9) and reap."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=STOP_TIMEOUT_S)
        self._close_log()

    def restart(self, hard: bool = False, timeout: float = HEALTH_TIMEOUT_S) -> None:
        """Stop (SIGTERM, or SIGKILL when hard=True) and start again on the same port and data dir."""
        if hard:
            self.kill()
        else:
            self.stop()
        self.start(timeout)


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sluice_binary() -> Path:
    return resolve_binary()


@pytest.fixture(scope="session")
def _e2e_tmp():
    root = Path(tempfile.mkdtemp(prefix="sluice-e2e-"))
    yield root
    if not os.environ.get("SLUICE_KEEP_DATA"):
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def sluice_factory(sluice_binary, _e2e_tmp):
    """Returns `make(name) -> SluiceServer` (started). Every server is stopped at session end."""
    servers: list[SluiceServer] = []

    def make(name: str = "extra", start: bool = True,
             extra_args: Optional[list[str]] = None) -> SluiceServer:
        base = _e2e_tmp / f"{name}-{uuid.uuid4().hex[:6]}"
        srv = SluiceServer(sluice_binary, base / "data", base / "logs", extra_args=extra_args)
        servers.append(srv)
        if start:
            srv.start()
        return srv

    yield make
    for srv in servers:
        try:
            srv.stop()
        except Exception:  # pragma: no cover - best effort cleanup
            pass


@pytest.fixture(scope="session")
def sluice(sluice_factory) -> SluiceServer:
    srv = sluice_factory("session")
    yield srv
    rc = srv.stop()
    # A clean shutdown on SIGTERM is part of the contract.
    assert rc in (0, -signal.SIGTERM, 128 + signal.SIGTERM), (
        f"sluice exited with {rc} on SIGTERM; log:\n{srv.log_tail()}")


@pytest.fixture
def kinesis(sluice):
    if not sluice.is_running():
        pytest.fail(f"session server is not running; log:\n{sluice.log_tail()}", pytrace=False)
    return sluice.kinesis


@pytest.fixture
def stream_factory(kinesis):
    """`create(shards=1, prefix='e2e', **extra) -> name`; created ACTIVE, deleted at teardown."""
    created: list[str] = []

    def create(shards: int = 1, prefix: str = "e2e", wait: bool = True, **extra) -> str:
        name = unique_name(prefix)
        params = dict(StreamName=name, ShardCount=shards,
                      StreamModeDetails={"StreamMode": "PROVISIONED"})
        params.update(extra)
        kinesis.create_stream(**params)
        created.append(name)
        if wait:
            wait_stream_active(kinesis, name)
        return name

    yield create
    for name in created:
        try:
            kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
        except Exception:
            pass


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str
    json: Any

    def __str__(self):
        return f"rc={self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def aws_cli_command() -> list[str]:
    """The aws CLI of the running interpreter's environment (i.e. the venv).

    `SLUICE_AWS_CLI` may name another `aws` executable (e.g. a CLI v2 install)."""
    override = os.environ.get("SLUICE_AWS_CLI")
    if override:
        return [override]
    return [sys.executable, "-m", "awscli"]


_CLI_MAJOR: Optional[int] = None


def aws_cli_major_version() -> int:
    """1 for the PyPI `awscli` package, 2 for AWS CLI v2."""
    global _CLI_MAJOR
    if _CLI_MAJOR is None:
        out = subprocess.run(aws_cli_command() + ["--version"], capture_output=True, text=True, timeout=60)
        text = (out.stdout + out.stderr).strip()
        assert text.startswith("aws-cli/"), f"unexpected `aws --version` output: {text!r}"
        _CLI_MAJOR = int(text.split("/", 1)[1].split(".", 1)[0])
    return _CLI_MAJOR


@pytest.fixture
def aws_cli(sluice, tmp_path) -> Callable[..., CliResult]:
    """Run `aws <args> --endpoint-url ... --region ... --output json`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    config_file = tmp_path / "aws-config"
    # Honoured by CLI v2 (blob args are raw text, output base64); CLI v1 behaves so by default.
    config_file.write_text("[default]\ncli_binary_format = raw-in-base64-out\n")
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(config_file),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials-absent"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_MAX_ATTEMPTS="1",
        AWS_RETRY_MODE="standard",
        AWS_PAGER="",
    )

    def run(*args: str, check: bool = True, timeout: float = 60) -> CliResult:
        cmd = aws_cli_command() + list(args) + [
            "--endpoint-url", sluice.endpoint, "--region", REGION, "--output", "json"]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        parsed = None
        if proc.stdout.strip():
            try:
                parsed = json.loads(proc.stdout)
            except ValueError:
                parsed = None
        res = CliResult(proc.returncode, proc.stdout, proc.stderr, parsed)
        if check:
            assert proc.returncode == 0, f"aws {' '.join(args)} failed:\n{res}"
        return res

    return run


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    """moto's S3-compatible server on a free loopback port."""
    port = find_free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    exe = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("moto_server did not start")
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def s3_client(url: str):
    return boto3.session.Session().client(
        "s3", endpoint_url=url, region_name=REGION, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, config=Config(s3={"addressing_style": "path"}))
