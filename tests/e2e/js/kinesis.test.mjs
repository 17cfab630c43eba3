// End-to-end tests of Sluice with the AWS SDK for JavaScript v3.
//
// Starts `sluice serve` (SLUICE_BIN, default target/debug/sluice at the repo root) on a
// free port with a fresh data dir, then drives it with KinesisClient:
//   * over HTTP/2 cleartext (h2c, prior knowledge) with an explicit NodeHttp2Handler,
//   * with the client's default request handler (for Kinesis that is also NodeHttp2Handler),
//   * over HTTP/1.1 with an explicit NodeHttpHandler.
//
// Run: node --test tests/e2e/js/

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { accessSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  ListStreamsCommand,
  MergeShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  SplitShardCommand,
  UpdateShardCountCommand,
} from "@aws-sdk/client-kinesis";
import { NodeHttp2Handler, NodeHttpHandler } from "@smithy/node-http-handler";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const REGION = "us-east-1";
const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const HEALTH_TIMEOUT_MS = 30_000;

function resolveBinary() {
  const raw = process.env.SLUICE_BIN || "target/debug/sluice";
  const candidates = path.isAbsolute(raw) ? [raw] : [path.resolve(process.cwd(), raw), path.resolve(REPO_ROOT, raw)];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  throw new Error(`Sluice binary not found (SLUICE_BIN=${raw}; looked at ${candidates.join(", ")})`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Server {
  constructor(extraArgs = []) {
    this.extraArgs = extraArgs;
  }

  async start() {
    this.bin = resolveBinary();
    this.port = await freePort();
    this.tmp = mkdtempSync(path.join(os.tmpdir(), "sluice-e2e-js-"));
    this.dataDir = path.join(this.tmp, "data");
    this.logPath = path.join(this.tmp, "sluice.log");
    const log = openSync(this.logPath, "a");
    this.exited = null;
    this.proc = spawn(
      this.bin,
      ["serve", "--port", String(this.port), "--bind", "127.0.0.1", "--data-dir", this.dataDir, ...this.extraArgs],
      { stdio: ["ignore", log, log], env: { RUST_BACKTRACE: "1", ...process.env } },
    );
    this.proc.on("exit", (code, signal) => {
      this.exited = { code, signal };
    });
    this.endpoint = `http://127.0.0.1:${this.port}`;
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    let last = "";
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`sluice exited early (${JSON.stringify(this.exited)}):\n${this.logTail()}`);
      try {
        const res = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = String(err);
      }
      await sleep(50);
    }
    throw new Error(`sluice not healthy after ${HEALTH_TIMEOUT_MS} ms (${last}):\n${this.logTail()}`);
  }

  logTail(n = 40) {
    try {
      return readFileSync(this.logPath, "utf8").split("\n").slice(-n).join("\n");
    } catch {
      return "<no log>";
    }
  }

  async stop() {
    if (this.proc && !this.exited) {
      const gone = new Promise((r) => this.proc.once("exit", r));
      this.proc.kill("SIGTERM");
      const timer = setTimeout(() => this.proc.kill("SIGKILL"), 10_000);
      await gone;
      clearTimeout(timer);
    }
    if (this.tmp && !process.env.SLUICE_KEEP_DATA) rmSync(this.tmp, { recursive: true, force: true });
  }
}

function makeClient(endpoint, requestHandler) {
  const config = { endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 };
  if (requestHandler) config.requestHandler = requestHandler;
  return new KinesisClient(config);
}

function uniqueName(prefix) {
  return `${prefix}-${randomBytes(6).toString("hex")}`;
}

async function waitActive(client, name, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      last = out.StreamDescriptionSummary.StreamStatus;
      if (last === "ACTIVE") return out.StreamDescriptionSummary;
    } catch (err) {
      if (err.name !== "ResourceNotFoundException") throw err;
      last = err.name;
    }
    await sleep(50);
  }
  throw new Error(`stream ${name} not ACTIVE after ${timeoutMs} ms (last: ${last})`);
}

async function waitGone(client, name, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      assert.equal(out.StreamDescriptionSummary.StreamStatus, "DELETING");
    } catch (err) {
      assert.equal(err.name, "ResourceNotFoundException", String(err));
      assert.equal(err.$metadata.httpStatusCode, 400);
      return;
    }
    await sleep(50);
  }
  throw new Error(`stream ${name} still present ${timeoutMs} ms after DeleteStream`);
}

function md5HashKey(pk) {
  return BigInt("0x" + createHash("md5").update(pk, "utf8").digest("hex"));
}

// The full scenario, run once per request handler.
async function roundTrip(client, label) {
  const name = uniqueName(`js-${label}`);
  const created = await client.send(
    new CreateStreamCommand({ StreamName: name, ShardCount: 2, StreamModeDetails: { StreamMode: "PROVISIONED" } }),
  );
  assert.equal(created.$metadata.httpStatusCode, 200);
  try {
    const summary = await waitActive(client, name);
    assert.equal(summary.StreamName, name);
    assert.equal(summary.StreamARN, `arn:aws:kinesis:${REGION}:000000000000:stream/${name}`);
    assert.equal(summary.OpenShardCount, 2);

    const desc = (await client.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription;
    const shards = desc.Shards;
    assert.equal(shards.length, 2);
    const shardFor = (pk) => {
      const h = md5HashKey(pk);
      return shards.find(
        (s) => BigInt(s.HashKeyRange.StartingHashKey) <= h && h <= BigInt(s.HashKeyRange.EndingHashKey),
      ).ShardId;
    };

    // PutRecord with binary data
    const single = new Uint8Array(300).map((_, i) => (i * 7) % 256);
    const put = await client.send(new PutRecordCommand({ StreamName: name, Data: single, PartitionKey: "single" }));
    assert.equal(put.ShardId, shardFor("single"));
    assert.match(put.SequenceNumber, /^\d+$/);

    // PutRecords
    const batch = Array.from({ length: 50 }, (_, i) => ({
      Data: new TextEncoder().encode(`batch-${label}-${i}-✓`),
      PartitionKey: `pk-${i}`,
    }));
    const putMany = await client.send(new PutRecordsCommand({ StreamName: name, Records: batch }));
    assert.equal(putMany.FailedRecordCount ?? 0, 0);
    assert.equal(putMany.Records.length, 50);
    putMany.Records.forEach((r, i) => {
      assert.equal(r.ErrorCode, undefined, JSON.stringify(r));
      assert.equal(r.ShardId, shardFor(`pk-${i}`), `record ${i}`);
    });

    // Expected contents per shard, in put order
    const expected = new Map(shards.map((s) => [s.ShardId, []]));
    expected.get(put.ShardId).push({ seq: put.SequenceNumber, data: single, pk: "single" });
    putMany.Records.forEach((r, i) =>
      expected.get(r.ShardId).push({ seq: r.SequenceNumber, data: batch[i].Data, pk: batch[i].PartitionKey }),
    );

    const t0 = Date.now();
    for (const shard of shards) {
      const { ShardIterator } = await client.send(
        new GetShardIteratorCommand({ StreamName: name, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON" }),
      );
      assert.ok(ShardIterator);
      const got = [];
      let it = ShardIterator;
      for (let i = 0; i < 50; i++) {
        const page = await client.send(new GetRecordsCommand({ ShardIterator: it }));
        assert.equal(typeof page.MillisBehindLatest, "number");
        got.push(...page.Records);
        it = page.NextShardIterator;
        if (page.Records.length === 0) break;
      }
      const want = expected.get(shard.ShardId);
      assert.equal(got.length, want.length, `shard ${shard.ShardId}`);
      got.forEach((rec, i) => {
        assert.ok(rec.Data instanceof Uint8Array, "Data must be a Uint8Array");
        assert.deepEqual(Buffer.from(rec.Data), Buffer.from(want[i].data));
        assert.equal(rec.PartitionKey, want[i].pk);
        assert.equal(rec.SequenceNumber, want[i].seq);
        assert.ok(rec.ApproximateArrivalTimestamp instanceof Date);
        assert.ok(Math.abs(rec.ApproximateArrivalTimestamp.getTime() - t0) < 60_000);
        if (i > 0) assert.ok(BigInt(rec.SequenceNumber) > BigInt(got[i - 1].SequenceNumber));
      });
    }

    // ListStreams
    const listed = await client.send(new ListStreamsCommand({}));
    assert.ok(listed.StreamNames.includes(name), `ListStreams lacks ${name}`);
    assert.equal(typeof listed.HasMoreStreams, "boolean");

    // Errors are modelled exceptions
    await assert.rejects(
      client.send(new DescribeStreamSummaryCommand({ StreamName: uniqueName("js-ghost") })),
      (err) => err.name === "ResourceNotFoundException" && err.$metadata.httpStatusCode === 400,
    );
  } finally {
    await client.send(new DeleteStreamCommand({ StreamName: name }));
  }
  await waitGone(client, name);
  const listedAfter = await client.send(new ListStreamsCommand({}));
  assert.ok(!listedAfter.StreamNames.includes(name));
}

describe("sluice with @aws-sdk/client-kinesis", () => {
  const server = new Server();
  const clients = [];

  before(async () => {
    await server.start();
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await server.stop();
  });

  test("HTTP/2 cleartext (h2c) via explicit NodeHttp2Handler", async () => {
    const client = makeClient(server.endpoint, new NodeHttp2Handler({ requestTimeout: 30_000 }));
    clients.push(client);
    await roundTrip(client, "h2");
  });

  test("default request handler", async () => {
    const client = makeClient(server.endpoint);
    clients.push(client);
    await roundTrip(client, "default");
  });

  test("HTTP/1.1 via explicit NodeHttpHandler", async () => {
    const client = makeClient(server.endpoint, new NodeHttpHandler({ requestTimeout: 30_000 }));
    clients.push(client);
    await roundTrip(client, "h1");
  });

  test("resharding over h2c: split, merge, update shard count, lineage", async () => {
    const client = makeClient(server.endpoint, new NodeHttp2Handler({ requestTimeout: 30_000 }));
    clients.push(client);
    const name = uniqueName("js-reshard");
    await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
    await waitActive(client, name);
    try {
      await client.send(new PutRecordCommand({ StreamName: name, Data: new Uint8Array([1]), PartitionKey: "a" }));
      await client.send(
        new SplitShardCommand({
          StreamName: name,
          ShardToSplit: "shardId-000000000000",
          NewStartingHashKey: (1n << 126n).toString(),
        }),
      );
      await waitActive(client, name);
      await client.send(
        new MergeShardsCommand({
          StreamName: name,
          ShardToMerge: "shardId-000000000002",
          AdjacentShardToMerge: "shardId-000000000003",
        }),
      );
      await waitActive(client, name);
      const merged = (await client.send(new ListShardsCommand({ StreamName: name }))).Shards.find(
        (s) => s.ShardId === "shardId-000000000004",
      );
      assert.equal(merged.ParentShardId, "shardId-000000000002");
      assert.equal(merged.AdjacentParentShardId, "shardId-000000000003");
      assert.equal(merged.HashKeyRange.StartingHashKey, "0");

      const out = await client.send(
        new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 4, ScalingType: "UNIFORM_SCALING" }),
      );
      assert.equal(out.CurrentShardCount, 2);
      assert.equal(out.TargetShardCount, 4);
      await waitActive(client, name);
      const open = (
        await client.send(new ListShardsCommand({ StreamName: name, ShardFilter: { Type: "AT_LATEST" } }))
      ).Shards;
      assert.equal(open.length, 4);
      await assert.rejects(
        client.send(new MergeShardsCommand({
          StreamName: name, ShardToMerge: "shardId-000000000000", AdjacentShardToMerge: "shardId-000000000001",
        })),
        (err) => err.name === "InvalidArgumentException",
      );
    } finally {
      await client.send(new DeleteStreamCommand({ StreamName: name }));
    }
  });
});

describe("sluice --auth sigv4 with @aws-sdk/client-kinesis", () => {
  const server = new Server([
    "--auth", "sigv4",
    "--credential", `${CREDENTIALS.accessKeyId}:${CREDENTIALS.secretAccessKey}`,
  ]);
  const clients = [];

  before(async () => {
    await server.start();
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await server.stop();
  });

  for (const [label, handler] of [
    ["h2c (host from :authority)", () => new NodeHttp2Handler({ requestTimeout: 30_000 })],
    ["HTTP/1.1", () => new NodeHttpHandler({ requestTimeout: 30_000 })],
  ]) {
    test(`signed requests pass over ${label}; a wrong secret does not`, async () => {
      const good = makeClient(server.endpoint, handler());
      clients.push(good);
      await roundTrip(good, `auth-${label.slice(0, 3)}`);
      const bad = new KinesisClient({
        endpoint: server.endpoint,
        region: REGION,
        maxAttempts: 1,
        credentials: { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: "wrong" },
        requestHandler: handler(),
      });
      clients.push(bad);
      await assert.rejects(
        bad.send(new ListStreamsCommand({})),
        (err) => err.name === "InvalidSignatureException" && err.$metadata.httpStatusCode === 400,
      );
      const stranger = new KinesisClient({
        endpoint: server.endpoint,
        region: REGION,
        maxAttempts: 1,
        credentials: { accessKeyId: "AKIDNOBODY", secretAccessKey: "x" },
        requestHandler: handler(),
      });
      clients.push(stranger);
      await assert.rejects(
        stranger.send(new ListStreamsCommand({})),
        (err) => err.name === "UnrecognizedClientException",
      );
    });
  }
});
