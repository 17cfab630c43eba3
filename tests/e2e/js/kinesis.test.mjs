// End-to-end tests of Sluice with the AWS SDK for JavaScript v3.
//
// Starts `sluice serve` (SLUICE_BIN, default target/debug/sluice at the repo root) on a
// free port with a fresh data dir, then drives it with KinesisClient:
//   * over HTTP/2 cleartext (h2c, prior knowledge) with an explicit NodeHttp2Handler,
//   * with the client's default request handler (for Kinesis that is also NodeHttp2Handler),
//   * over HTTP/1.1 with an explicit NodeHttpHandler.
// and exercises enhanced fan-out (consumers, SubscribeToShard event streams) over h2c and HTTP/1.1,
// server-side encryption (StartStreamEncryption / StopStreamEncryption with --kms-key), tags on
// consumers, the TLS listener (--tls-cert/--tls-key, HTTP/2 and HTTP/1.1 by ALPN, with a throwaway
// self-signed certificate made by the openssl command) and resource policies (PutResourcePolicy,
// with --principal mapping an access key to another account's principal), ON_DEMAND streams (their
// automatic doubling under load with a short --on-demand-window-ms) and the account's minimum
// throughput billing commitment with warm throughput (DescribeAccountSettings,
// UpdateAccountSettings, UpdateStreamWarmThroughput).
//
// Run: node --test tests/e2e/js/

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { accessSync, constants, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

import {
  CreateStreamCommand,
  DeleteResourcePolicyCommand,
  DeleteStreamCommand,
  DeregisterStreamConsumerCommand,
  DescribeAccountSettingsCommand,
  DescribeStreamCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetResourcePolicyCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  ListStreamConsumersCommand,
  ListStreamsCommand,
  ListTagsForResourceCommand,
  ListTagsForStreamCommand,
  MergeShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  PutResourcePolicyCommand,
  RegisterStreamConsumerCommand,
  SplitShardCommand,
  StartStreamEncryptionCommand,
  StopStreamEncryptionCommand,
  SubscribeToShardCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAccountSettingsCommand,
  UpdateShardCountCommand,
  UpdateStreamWarmThroughputCommand,
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
    // With --tls-cert the server speaks HTTPS only: the health check trusts that certificate.
    const certAt = this.extraArgs.indexOf("--tls-cert");
    this.ca = certAt >= 0 ? readFileSync(this.extraArgs[certAt + 1]) : undefined;
    this.endpoint = `${this.ca ? "https" : "http"}://127.0.0.1:${this.port}`;
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    let last = "";
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`sluice exited early (${JSON.stringify(this.exited)}):\n${this.logTail()}`);
      try {
        const status = await this.healthStatus();
        if (status === 200) return;
        last = `HTTP ${status}`;
      } catch (err) {
        last = String(err);
      }
      await sleep(50);
    }
    throw new Error(`sluice not healthy after ${HEALTH_TIMEOUT_MS} ms (${last}):\n${this.logTail()}`);
  }

  // GET /health: its status code.
  async healthStatus() {
    if (!this.ca) {
      const res = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status;
    }
    return new Promise((resolve, reject) => {
      const req = https.get(`${this.endpoint}/health`, { ca: this.ca, agent: false, timeout: 2000 }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error("health check timed out")));
      req.on("error", reject);
    });
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

// ---------------------------------------------------------------------------------------------
// Enhanced fan-out: consumers and SubscribeToShard.
//
// SubscribeToShard answers with an AWS event stream; the SDK hides the `initial-response` event
// and yields `{ SubscribeToShardEvent }` objects from `out.EventStream`. Two SDK behaviours the
// helpers below account for:
//   * leaving a `for await` loop early (break/return) does not close the HTTP request, so every
//     subscription is opened with an AbortController and aborted when the test is done (else the
//     server keeps it for its whole lifetime and client.destroy() waits for it);
//   * aborting ends the loop quietly over h2c but throws "aborted" over HTTP/1.1.
// The SDK accepts event streams over HTTP/1.1 (NodeHttpHandler) too, so that is tested as well.

const SHARD0 = "shardId-000000000000";

async function createEfoStream(client, name, shardCount = 1) {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  const summary = await waitActive(client, name);
  assert.equal(summary.StreamARN, `arn:aws:kinesis:${REGION}:000000000000:stream/${name}`);
  return summary.StreamARN;
}

async function consumerCount(client, name) {
  const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
  return out.StreamDescriptionSummary.ConsumerCount;
}

async function waitConsumerActive(client, consumerARN, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    const out = await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerARN }));
    last = out.ConsumerDescription.ConsumerStatus;
    if (last === "ACTIVE") return out.ConsumerDescription;
    assert.equal(last, "CREATING");
    await sleep(50);
  }
  throw new Error(`consumer ${consumerARN} not ACTIVE after ${timeoutMs} ms (last: ${last})`);
}

// Puts one record per payload (in order, one partition key so one shard); returns their
// sequence numbers.
async function putEach(client, name, payloads, partitionKey = "pk") {
  const seqs = [];
  for (const data of payloads) {
    const out = await client.send(new PutRecordCommand({ StreamName: name, Data: data, PartitionKey: partitionKey }));
    seqs.push(out.SequenceNumber);
  }
  return seqs;
}

const payload = (label, i) => new TextEncoder().encode(`${label}-${i}-\u00e9\u2713`);

// Opens a subscription; `subs` collects it so the test's finally can abort it.
async function subscribe(client, subs, consumerARN, shardId, startingPosition) {
  const abort = new AbortController();
  const out = await client.send(
    new SubscribeToShardCommand({ ConsumerARN: consumerARN, ShardId: shardId, StartingPosition: startingPosition }),
    { abortSignal: abort.signal },
  );
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.ok(out.EventStream, "SubscribeToShard output has no EventStream");
  const sub = { out, abort };
  subs.push(sub);
  return sub;
}

function abortAll(subs) {
  for (const s of subs) s.abort.abort();
}

const eventSummary = (e) => ({
  records: e.Records.map((r) => r.SequenceNumber),
  cont: e.ContinuationSequenceNumber,
  behind: e.MillisBehindLatest,
  children: e.ChildShards?.map((c) => c.ShardId),
});

// Iterates the subscription's event stream with `for await`, calling `onEvent` for each event,
// until `until` is true (returns ended: false) or the stream ends by itself (ended: true).
// Fails (and aborts the subscription) after `timeoutMs`.
async function collect(sub, { until = () => false, onEvent = async () => {}, timeoutMs = 10_000, what = "subscription" } = {}) {
  const events = [];
  const records = [];
  const loop = (async () => {
    for await (const ev of sub.out.EventStream) {
      assert.deepEqual(Object.keys(ev), ["SubscribeToShardEvent"], `unexpected event ${JSON.stringify(ev)}`);
      const e = ev.SubscribeToShardEvent;
      assert.ok(Array.isArray(e.Records), `event without Records: ${JSON.stringify(eventSummary(e))}`);
      assert.equal(typeof e.MillisBehindLatest, "number");
      events.push(e);
      records.push(...e.Records);
      await onEvent(e, { events, records });
      if (until({ events, records })) return false;
    }
    return true;
  })();
  let timer;
  const timedOut = new Promise((_, reject) => {
    timer = setTimeout(() => {
      sub.abort.abort();
      reject(new Error(`${what}: no end after ${timeoutMs} ms; events so far: ${JSON.stringify(events.map(eventSummary))}`));
    }, timeoutMs);
  });
  loop.catch(() => {}); // after a timeout, the aborted loop's own rejection is not the story
  try {
    const ended = await Promise.race([loop, timedOut]);
    return { events, records, ended };
  } finally {
    clearTimeout(timer);
  }
}

function assertRecords(got, wantData, wantSeqs, what) {
  assert.equal(got.length, wantData.length, `${what}: ${got.length} records, want ${wantData.length}`);
  got.forEach((rec, i) => {
    assert.ok(rec.Data instanceof Uint8Array, "Data must be a Uint8Array");
    assert.deepEqual(Buffer.from(rec.Data), Buffer.from(wantData[i]), `${what}: data of record ${i}`);
    assert.equal(rec.SequenceNumber, wantSeqs[i], `${what}: sequence number of record ${i}`);
    assert.equal(rec.PartitionKey, "pk");
    assert.ok(rec.ApproximateArrivalTimestamp instanceof Date);
    assert.ok(Math.abs(rec.ApproximateArrivalTimestamp.getTime() - Date.now()) < 60_000);
  });
}

// Records before subscribing, then one pushed while the subscription is live.
async function subscribeAndPush(client, label) {
  const name = uniqueName(`js-efo-${label}`);
  const streamARN = await createEfoStream(client, name);
  const subs = [];
  try {
    const { Consumer } = await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "reader" }));
    assert.equal(Consumer.ConsumerStatus, "ACTIVE");
    const data = Array.from({ length: 5 }, (_, i) => payload(label, i));
    data[2] = new Uint8Array(256).map((_, i) => i); // every byte value
    const seqs = await putEach(client, name, data);

    const sub = await subscribe(client, subs, Consumer.ConsumerARN, SHARD0, { Type: "TRIM_HORIZON" });
    const pushedData = payload(`${label}-pushed`, 5);
    let pushedSeq;
    let continuationAtFive;
    const { events, records, ended } = await collect(sub, {
      what: `${label} subscription`,
      until: ({ records }) => records.length >= 6,
      onEvent: async (e, { records }) => {
        if (records.length >= 5 && pushedSeq === undefined) {
          // All five earlier records are in; now a new one must be pushed to the open stream.
          continuationAtFive = e.ContinuationSequenceNumber;
          [pushedSeq] = await putEach(client, name, [pushedData]);
        }
      },
    });
    assert.equal(ended, false);
    assertRecords(records, [...data, pushedData], [...seqs, pushedSeq], label);
    for (let i = 1; i < records.length; i++) {
      assert.ok(BigInt(records[i].SequenceNumber) > BigInt(records[i - 1].SequenceNumber));
    }
    assert.equal(continuationAtFive, seqs[4], "ContinuationSequenceNumber after the first five records");
    const last = events.at(-1);
    assert.equal(last.Records.at(-1).SequenceNumber, pushedSeq, "the pushed record comes in its own event");
    assert.equal(last.ContinuationSequenceNumber, pushedSeq);
    for (const e of events) assert.equal(e.ChildShards, undefined, "an open shard has no ChildShards");
  } finally {
    abortAll(subs);
    await client.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
  }
}

describe("enhanced fan-out with @aws-sdk/client-kinesis", () => {
  const server = new Server();
  // Short subscriptions, and consumers that stay CREATING (and DELETING) for a while.
  const short = new Server(["--subscription-lifetime-ms", "1500", "--consumer-delay-ms", "1000"]);
  const clients = [];
  const h2 = (srv) => {
    const c = makeClient(srv.endpoint, new NodeHttp2Handler({ requestTimeout: 30_000 }));
    clients.push(c);
    return c;
  };

  before(async () => {
    await Promise.all([server.start(), short.start()]);
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await Promise.all([server.stop(), short.stop()]);
  });

  test("consumer lifecycle over h2c: register, describe, list, deregister", { timeout: 20_000 }, async () => {
    const client = h2(server);
    const name = uniqueName("js-efo-life");
    const streamARN = await createEfoStream(client, name);
    try {
      assert.equal(await consumerCount(client, name), 0);
      const registered = {};
      for (const cname of ["alpha", "beta"]) {
        const t0 = Date.now();
        const out = await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: cname }));
        const c = out.Consumer;
        assert.equal(c.ConsumerName, cname);
        assert.equal(c.ConsumerStatus, "ACTIVE");
        const m = c.ConsumerARN.match(
          new RegExp(`^arn:aws:kinesis:${REGION}:000000000000:stream/${name}/consumer/${cname}:(\\d+)$`),
        );
        assert.ok(m, `ConsumerARN ${c.ConsumerARN}`);
        assert.ok(c.ConsumerCreationTimestamp instanceof Date);
        assert.ok(Math.abs(c.ConsumerCreationTimestamp.getTime() - t0) < 60_000);
        // The ARN ends with the creation time in epoch seconds.
        assert.equal(Number(m[1]), Math.floor(c.ConsumerCreationTimestamp.getTime() / 1000));
        registered[cname] = c;
      }
      assert.equal(await consumerCount(client, name), 2);

      // Describe by ARN and by StreamARN + ConsumerName: the same description.
      const byArn = (await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: registered.alpha.ConsumerARN })))
        .ConsumerDescription;
      assert.equal(byArn.ConsumerName, "alpha");
      assert.equal(byArn.ConsumerARN, registered.alpha.ConsumerARN);
      assert.equal(byArn.ConsumerStatus, "ACTIVE");
      assert.equal(byArn.StreamARN, streamARN);
      assert.equal(byArn.ConsumerCreationTimestamp.getTime(), registered.alpha.ConsumerCreationTimestamp.getTime());
      const byName = (
        await client.send(new DescribeStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "alpha" }))
      ).ConsumerDescription;
      assert.deepEqual(byName, byArn);
      const beta = (await client.send(new DescribeStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "beta" })))
        .ConsumerDescription;
      assert.equal(beta.ConsumerARN, registered.beta.ConsumerARN);

      // List: all at once, then one per page.
      const all = await client.send(new ListStreamConsumersCommand({ StreamARN: streamARN }));
      assert.equal(all.NextToken, undefined);
      assert.deepEqual(all.Consumers.map((c) => c.ConsumerARN).sort(), [registered.alpha.ConsumerARN, registered.beta.ConsumerARN].sort());
      const pages = [];
      let token;
      do {
        const page = await client.send(
          new ListStreamConsumersCommand({ StreamARN: streamARN, MaxResults: 1, ...(token ? { NextToken: token } : {}) }),
        );
        assert.equal(page.Consumers.length, 1, `page ${pages.length}`);
        pages.push(page.Consumers[0]);
        token = page.NextToken;
        assert.ok(pages.length <= 2, "NextToken after the last consumer");
      } while (token);
      assert.equal(pages.length, 2);
      assert.deepEqual(pages.map((c) => c.ConsumerName).sort(), ["alpha", "beta"]);
      for (const c of pages) {
        assert.equal(c.ConsumerARN, registered[c.ConsumerName].ConsumerARN);
        assert.equal(c.ConsumerStatus, "ACTIVE");
        assert.ok(c.ConsumerCreationTimestamp instanceof Date);
      }

      // The same name again is in use.
      await assert.rejects(
        client.send(new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "alpha" })),
        (err) => err.name === "ResourceInUseException" && err.$metadata.httpStatusCode === 400,
      );
      // A consumer of a stream that does not exist.
      await assert.rejects(
        client.send(new RegisterStreamConsumerCommand({ StreamARN: `${streamARN}-ghost`, ConsumerName: "alpha" })),
        (err) => err.name === "ResourceNotFoundException",
      );

      // Deregister alpha by ARN: gone from describe (both ways), list and the summary.
      await client.send(new DeregisterStreamConsumerCommand({ ConsumerARN: registered.alpha.ConsumerARN }));
      await assert.rejects(
        client.send(new DescribeStreamConsumerCommand({ ConsumerARN: registered.alpha.ConsumerARN })),
        (err) => err.name === "ResourceNotFoundException" && err.$metadata.httpStatusCode === 400,
      );
      await assert.rejects(
        client.send(new DescribeStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "alpha" })),
        (err) => err.name === "ResourceNotFoundException",
      );
      const left = await client.send(new ListStreamConsumersCommand({ StreamARN: streamARN }));
      assert.deepEqual(left.Consumers.map((c) => c.ConsumerName), ["beta"]);
      assert.equal(await consumerCount(client, name), 1);

      // Deregister beta by StreamARN + ConsumerName.
      await client.send(new DeregisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "beta" }));
      await assert.rejects(
        client.send(new DescribeStreamConsumerCommand({ ConsumerARN: registered.beta.ConsumerARN })),
        (err) => err.name === "ResourceNotFoundException",
      );
      assert.deepEqual((await client.send(new ListStreamConsumersCommand({ StreamARN: streamARN }))).Consumers, []);
      assert.equal(await consumerCount(client, name), 0);

      // The name is free again.
      const again = await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "alpha" }));
      assert.equal(again.Consumer.ConsumerStatus, "ACTIVE");
      assert.equal(await consumerCount(client, name), 1);

      // A stream with a registered consumer is deleted only with EnforceConsumerDeletion.
      await assert.rejects(
        client.send(new DeleteStreamCommand({ StreamName: name })),
        (err) => err.name === "ResourceInUseException" && err.$metadata.httpStatusCode === 400,
      );
    } finally {
      await client.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
    }
  });

  test("a new consumer is CREATING until ready, a deregistered one DELETING (--consumer-delay-ms)", { timeout: 20_000 }, async () => {
    const client = h2(short);
    const name = uniqueName("js-efo-delay");
    const streamARN = await createEfoStream(client, name);
    try {
      const { Consumer } = await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "slow" }));
      assert.equal(Consumer.ConsumerStatus, "CREATING");
      // SubscribeToShard needs an ACTIVE consumer.
      await assert.rejects(
        client.send(new SubscribeToShardCommand({ ConsumerARN: Consumer.ConsumerARN, ShardId: SHARD0, StartingPosition: { Type: "LATEST" } })),
        (err) => err.name === "ResourceInUseException" && err.$metadata.httpStatusCode === 400,
      );
      await waitConsumerActive(client, Consumer.ConsumerARN);
      await client.send(new DeregisterStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN }));
      const deleting = await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN }));
      assert.equal(deleting.ConsumerDescription.ConsumerStatus, "DELETING");
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          const out = await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN }));
          assert.equal(out.ConsumerDescription.ConsumerStatus, "DELETING");
        } catch (err) {
          assert.equal(err.name, "ResourceNotFoundException", String(err));
          break;
        }
        assert.ok(Date.now() < deadline, "consumer still DELETING after 10 s");
        await sleep(50);
      }
    } finally {
      await client.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
    }
  });

  test("SubscribeToShard over h2c: earlier records, then a pushed one", { timeout: 20_000 }, async () => {
    await subscribeAndPush(h2(server), "h2");
  });

  // The JS SDK does not insist on HTTP/2 for SubscribeToShard: the event stream works over
  // HTTP/1.1 (chunked) with NodeHttpHandler too.
  test("SubscribeToShard over HTTP/1.1 via NodeHttpHandler", { timeout: 20_000 }, async () => {
    const client = makeClient(server.endpoint, new NodeHttpHandler({ requestTimeout: 30_000 }));
    clients.push(client);
    await subscribeAndPush(client, "h1");
  });

  test("a second subscription of the same consumer to the same shard is refused while the first is live", { timeout: 20_000 }, async () => {
    const client = h2(server);
    const name = uniqueName("js-efo-twice");
    const streamARN = await createEfoStream(client, name, 2);
    const subs = [];
    try {
      const a = (await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "a" }))).Consumer;
      const b = (await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "b" }))).Consumer;
      const shards = (await client.send(new ListShardsCommand({ StreamName: name }))).Shards;
      assert.equal(shards.length, 2);
      // A partition key for each shard.
      const keyFor = (shard) => {
        for (let i = 0; ; i++) {
          const h = md5HashKey(`k${i}`);
          if (BigInt(shard.HashKeyRange.StartingHashKey) <= h && h <= BigInt(shard.HashKeyRange.EndingHashKey)) return `k${i}`;
        }
      };
      const [s0, s1] = shards;
      const first = await client.send(new PutRecordCommand({ StreamName: name, Data: payload("twice", 0), PartitionKey: keyFor(s0) }));
      assert.equal(first.ShardId, s0.ShardId);

      const live = await subscribe(client, subs, a.ConsumerARN, s0.ShardId, { Type: "TRIM_HORIZON" });
      const got = await collect(live, { what: "first subscription", until: ({ records }) => records.length >= 1 });
      assert.equal(got.records[0].SequenceNumber, first.SequenceNumber);

      await assert.rejects(
        client.send(new SubscribeToShardCommand({ ConsumerARN: a.ConsumerARN, ShardId: s0.ShardId, StartingPosition: { Type: "LATEST" } })),
        (err) => err.name === "ResourceInUseException" && err.$metadata.httpStatusCode === 400,
      );
      // Only that pair is taken: the same consumer on the other shard, and another consumer on
      // the same shard, may subscribe.
      const otherShard = await subscribe(client, subs, a.ConsumerARN, s1.ShardId, { Type: "TRIM_HORIZON" });
      const otherConsumer = await subscribe(client, subs, b.ConsumerARN, s0.ShardId, { Type: "TRIM_HORIZON" });
      const onS1 = await client.send(new PutRecordCommand({ StreamName: name, Data: payload("twice", 1), PartitionKey: keyFor(s1) }));
      assert.equal(onS1.ShardId, s1.ShardId);
      const g1 = await collect(otherShard, { what: "consumer a on the second shard", until: ({ records }) => records.length >= 1 });
      assert.deepEqual(g1.records.map((r) => r.SequenceNumber), [onS1.SequenceNumber]);
      const g2 = await collect(otherConsumer, { what: "consumer b", until: ({ records }) => records.length >= 1 });
      assert.deepEqual(g2.records.map((r) => r.SequenceNumber), [first.SequenceNumber]);

      // The refused attempt did not disturb the live subscription: it still gets new records.
      const second = await client.send(new PutRecordCommand({ StreamName: name, Data: payload("twice", 2), PartitionKey: keyFor(s0) }));
      const more = await collect(live, { what: "first subscription after the refusal", until: ({ records }) => records.length >= 1 });
      assert.deepEqual(more.records.map((r) => r.SequenceNumber), [second.SequenceNumber]);
    } finally {
      abortAll(subs);
      await client.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
    }
  });

  test("a subscription ends after its lifetime; resuming AFTER_SEQUENCE_NUMBER has no duplicates", { timeout: 20_000 }, async () => {
    const client = h2(short);
    const name = uniqueName("js-efo-life");
    const streamARN = await createEfoStream(client, name);
    const subs = [];
    try {
      const { Consumer } = await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "resumer" }));
      await waitConsumerActive(client, Consumer.ConsumerARN);
      const data = [0, 1, 2].map((i) => payload("life", i));
      const seqs = await putEach(client, name, data);

      // --subscription-lifetime-ms 1500: the loop must complete by itself.
      const first = await collect(await subscribe(client, subs, Consumer.ConsumerARN, SHARD0, { Type: "TRIM_HORIZON" }), {
        what: "first subscription",
      });
      assert.equal(first.ended, true);
      assertRecords(first.records, data, seqs, "first subscription");
      const continuation = first.events.at(-1).ContinuationSequenceNumber;
      assert.equal(continuation, seqs[2]);

      const later = [3, 4].map((i) => payload("life", i));
      const laterSeqs = await putEach(client, name, later);
      // The earlier subscription is over, so resubscribing at once is accepted.
      const second = await collect(
        await subscribe(client, subs, Consumer.ConsumerARN, SHARD0, { Type: "AFTER_SEQUENCE_NUMBER", SequenceNumber: continuation }),
        { what: "resumed subscription" },
      );
      assert.equal(second.ended, true);
      assertRecords(second.records, later, laterSeqs, "resumed subscription");
      assert.equal(second.events.at(-1).ContinuationSequenceNumber, laterSeqs[1]);
    } finally {
      abortAll(subs);
      await client.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
    }
  });

  test("shard end: a split ends the parent's subscription with ChildShards", { timeout: 20_000 }, async () => {
    const client = h2(server);
    const name = uniqueName("js-efo-split");
    const streamARN = await createEfoStream(client, name);
    const subs = [];
    try {
      const { Consumer } = await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "splitter" }));
      const data = [0, 1].map((i) => payload("split", i));
      const seqs = await putEach(client, name, data);
      const sub = await subscribe(client, subs, Consumer.ConsumerARN, SHARD0, { Type: "TRIM_HORIZON" });
      const splitAt = 1n << 127n;
      let split = false;
      let afterSplit;
      const got = await collect(sub, {
        what: "parent subscription",
        onEvent: async (_e, { records }) => {
          if (records.length >= 2 && !split) {
            split = true;
            await client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: SHARD0, NewStartingHashKey: splitAt.toString() }));
            await waitActive(client, name);
            // Goes to a child: the parent's subscription must not deliver it.
            [afterSplit] = await putEach(client, name, [payload("split", 2)]);
          }
        },
      });
      assert.ok(split, "the first two records never came");
      assert.equal(got.ended, true, "the event stream did not end after the ChildShards event");
      assertRecords(got.records, data, seqs, "parent subscription");

      const last = got.events.at(-1);
      assert.ok(last.ChildShards, `last event has no ChildShards: ${JSON.stringify(eventSummary(last))}`);
      assert.equal(last.ChildShards.length, 2);
      // At the shard's end there is nothing to continue from (the KCL takes a missing
      // ContinuationSequenceNumber as the shard's end).
      assert.equal(last.ContinuationSequenceNumber, undefined);
      for (const e of got.events.slice(0, -1)) assert.equal(e.ChildShards, undefined);
      const listed = (await client.send(new ListShardsCommand({ StreamName: name }))).Shards;
      const children = listed.filter((s) => s.ParentShardId === SHARD0);
      assert.deepEqual(last.ChildShards.map((c) => c.ShardId).sort(), children.map((s) => s.ShardId).sort());
      for (const c of last.ChildShards) {
        assert.deepEqual(c.ParentShards, [SHARD0]);
        const listedChild = children.find((s) => s.ShardId === c.ShardId);
        assert.deepEqual(c.HashKeyRange, listedChild.HashKeyRange);
      }
      const ranges = last.ChildShards.map((c) => c.HashKeyRange).sort((x, y) => (BigInt(x.StartingHashKey) < BigInt(y.StartingHashKey) ? -1 : 1));
      assert.deepEqual(ranges, [
        { StartingHashKey: "0", EndingHashKey: (splitAt - 1n).toString() },
        { StartingHashKey: splitAt.toString(), EndingHashKey: ((1n << 128n) - 1n).toString() },
      ]);

      // The record put after the split is on the child that owns its hash key.
      const h = md5HashKey("pk");
      const owner = last.ChildShards.find((c) => BigInt(c.HashKeyRange.StartingHashKey) <= h && h <= BigInt(c.HashKeyRange.EndingHashKey));
      const child = await collect(await subscribe(client, subs, Consumer.ConsumerARN, owner.ShardId, { Type: "TRIM_HORIZON" }), {
        what: "child subscription",
        until: ({ records }) => records.length >= 1,
      });
      assert.deepEqual(child.records.map((r) => r.SequenceNumber), [afterSplit]);
    } finally {
      abortAll(subs);
      await client.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Server-side encryption and tags on consumers.
//
// `--kms-key alias/orders=BASE64` gives the server a second key besides the service's own
// `alias/aws/kinesis`. The stream's encryption is reported by DescribeStream(Summary) and by each
// PutRecord(s) answer; each record read back carries the EncryptionType it was written with.

const ORDERS_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const ORDERS_ARN = `arn:aws:kms:${REGION}:000000000000:alias/orders`;

// Every record of a shard from TRIM_HORIZON, by GetRecords.
async function readShard(client, name, shardId = SHARD0) {
  const { ShardIterator } = await client.send(
    new GetShardIteratorCommand({ StreamName: name, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }),
  );
  const got = [];
  let it = ShardIterator;
  for (let i = 0; i < 50 && it; i++) {
    const page = await client.send(new GetRecordsCommand({ ShardIterator: it }));
    got.push(...page.Records);
    it = page.NextShardIterator;
    if (page.Records.length === 0) break;
  }
  return got;
}

async function encryptionOf(client, name) {
  const summary = (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary;
  const desc = (await client.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription;
  // Both describe calls report the same thing.
  assert.equal(desc.EncryptionType, summary.EncryptionType, "DescribeStream and DescribeStreamSummary disagree");
  assert.equal(desc.KeyId, summary.KeyId, "DescribeStream and DescribeStreamSummary disagree");
  return { EncryptionType: summary.EncryptionType, KeyId: summary.KeyId };
}

// Every file under `dir`, recursively.
function filesUnder(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

const sortTags = (tags) => [...tags].sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));

async function tagsOf(client, arn) {
  return sortTags((await client.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags);
}

describe("server-side encryption and consumer tags with @aws-sdk/client-kinesis", () => {
  const server = new Server(["--kms-key", `alias/orders=${ORDERS_KEY.toString("base64")}`]);
  const clients = [];
  const h2 = () => {
    const c = makeClient(server.endpoint, new NodeHttp2Handler({ requestTimeout: 30_000 }));
    clients.push(c);
    return c;
  };

  before(async () => {
    await server.start();
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await server.stop();
  });

  test("StartStreamEncryption / StopStreamEncryption over h2c: reported state, per-record EncryptionType, data intact", { timeout: 20_000 }, async () => {
    const client = h2();
    const name = uniqueName("js-sse");
    await createEfoStream(client, name);
    const written = []; // { seq, data, enc } in put order (one shard)
    const putOne = async (data, enc) => {
      const out = await client.send(new PutRecordCommand({ StreamName: name, Data: data, PartitionKey: "pk" }));
      assert.equal(out.EncryptionType, enc, `PutRecord EncryptionType for record ${written.length}`);
      written.push({ seq: out.SequenceNumber, data, enc });
    };
    const putMany = async (datas, enc) => {
      const out = await client.send(
        new PutRecordsCommand({ StreamName: name, Records: datas.map((Data) => ({ Data, PartitionKey: "pk" })) }),
      );
      assert.equal(out.FailedRecordCount ?? 0, 0);
      assert.equal(out.EncryptionType, enc, "PutRecords EncryptionType");
      out.Records.forEach((r, i) => written.push({ seq: r.SequenceNumber, data: datas[i], enc }));
    };
    const allBytes = new Uint8Array(256).map((_, i) => i);
    try {
      assert.deepEqual(await encryptionOf(client, name), { EncryptionType: "NONE", KeyId: undefined });
      await putOne(payload("sse-before", 0), "NONE");
      await putMany([payload("sse-before", 1), payload("sse-before", 2)], "NONE");

      // The service's own key.
      const started = await client.send(
        new StartStreamEncryptionCommand({ StreamName: name, EncryptionType: "KMS", KeyId: "alias/aws/kinesis" }),
      );
      assert.equal(started.$metadata.httpStatusCode, 200);
      await waitActive(client, name);
      assert.deepEqual(await encryptionOf(client, name), { EncryptionType: "KMS", KeyId: "alias/aws/kinesis" });
      await putOne(allBytes, "KMS");
      await putMany([payload("sse-aws", 0), payload("sse-aws", 1)], "KMS");

      // A key the server does not have: refused, the stream keeps its key.
      await assert.rejects(
        client.send(new StartStreamEncryptionCommand({ StreamName: name, EncryptionType: "KMS", KeyId: "alias/no-such-key" })),
        (err) => err.name === "KMSNotFoundException" && err.$metadata.httpStatusCode === 400,
      );
      assert.deepEqual(await encryptionOf(client, name), { EncryptionType: "KMS", KeyId: "alias/aws/kinesis" });

      // The --kms-key key, by alias and then by its ARN: KeyId is reported as given.
      await client.send(new StartStreamEncryptionCommand({ StreamName: name, EncryptionType: "KMS", KeyId: "alias/orders" }));
      await waitActive(client, name);
      assert.deepEqual(await encryptionOf(client, name), { EncryptionType: "KMS", KeyId: "alias/orders" });
      await putOne(payload("sse-orders", 0), "KMS");
      await client.send(new StartStreamEncryptionCommand({ StreamName: name, EncryptionType: "KMS", KeyId: ORDERS_ARN }));
      await waitActive(client, name);
      assert.deepEqual(await encryptionOf(client, name), { EncryptionType: "KMS", KeyId: ORDERS_ARN });
      await putMany([payload("sse-orders-arn", 0)], "KMS");

      // StopStreamEncryption must name the current key.
      await assert.rejects(
        client.send(new StopStreamEncryptionCommand({ StreamName: name, EncryptionType: "KMS", KeyId: "alias/aws/kinesis" })),
        (err) => err.name === "InvalidArgumentException" && err.$metadata.httpStatusCode === 400,
      );
      assert.deepEqual(await encryptionOf(client, name), { EncryptionType: "KMS", KeyId: ORDERS_ARN });
      await putOne(payload("sse-orders-arn", 1), "KMS");

      const stopped = await client.send(
        new StopStreamEncryptionCommand({ StreamName: name, EncryptionType: "KMS", KeyId: ORDERS_ARN }),
      );
      assert.equal(stopped.$metadata.httpStatusCode, 200);
      await waitActive(client, name);
      assert.deepEqual(await encryptionOf(client, name), { EncryptionType: "NONE", KeyId: undefined });
      await putOne(payload("sse-after", 0), "NONE");
      await putMany([payload("sse-after", 1)], "NONE");
      // Not encrypted any more: nothing to stop.
      await assert.rejects(
        client.send(new StopStreamEncryptionCommand({ StreamName: name, EncryptionType: "KMS", KeyId: ORDERS_ARN })),
        (err) => err.name === "InvalidArgumentException",
      );

      // Everything reads back intact, each record with the EncryptionType it was written with.
      const got = await readShard(client, name);
      assert.equal(got.length, written.length);
      got.forEach((rec, i) => {
        assert.equal(rec.SequenceNumber, written[i].seq, `sequence number of record ${i}`);
        assert.ok(rec.Data instanceof Uint8Array, "Data must be a Uint8Array");
        assert.deepEqual(Buffer.from(rec.Data), Buffer.from(written[i].data), `data of record ${i}`);
        assert.equal(rec.PartitionKey, "pk");
        assert.equal(rec.EncryptionType, written[i].enc, `EncryptionType of record ${i}`);
      });
      assert.deepEqual(
        got.map((r) => r.EncryptionType),
        ["NONE", "NONE", "NONE", "KMS", "KMS", "KMS", "KMS", "KMS", "KMS", "NONE", "NONE"],
      );
    } finally {
      await client.send(new DeleteStreamCommand({ StreamName: name }));
    }
  });

  test("an encrypted record's plaintext is nowhere under the data dir; an unencrypted one's is", { timeout: 20_000 }, async () => {
    const client = h2();
    const name = uniqueName("js-sse-disk");
    await createEfoStream(client, name);
    const marker = (what) => Buffer.from(`${what}-${randomBytes(12).toString("hex")}`);
    const clear = marker("clear");
    const secrets = [marker("secret-orders"), marker("secret-orders-batch"), marker("secret-aws")];
    try {
      assert.equal((await client.send(new PutRecordCommand({ StreamName: name, Data: clear, PartitionKey: "pk" }))).EncryptionType, "NONE");
      await client.send(new StartStreamEncryptionCommand({ StreamName: name, EncryptionType: "KMS", KeyId: "alias/orders" }));
      await waitActive(client, name);
      assert.equal((await client.send(new PutRecordCommand({ StreamName: name, Data: secrets[0], PartitionKey: "pk" }))).EncryptionType, "KMS");
      const batch = await client.send(
        new PutRecordsCommand({ StreamName: name, Records: [{ Data: secrets[1], PartitionKey: "pk" }] }),
      );
      assert.equal(batch.EncryptionType, "KMS");
      await client.send(new StartStreamEncryptionCommand({ StreamName: name, EncryptionType: "KMS", KeyId: "alias/aws/kinesis" }));
      await waitActive(client, name);
      assert.equal((await client.send(new PutRecordCommand({ StreamName: name, Data: secrets[2], PartitionKey: "pk" }))).EncryptionType, "KMS");

      // All four were stored (and are readable).
      const got = await readShard(client, name);
      assert.deepEqual(got.map((r) => Buffer.from(r.Data).toString()), [clear, ...secrets].map(String));
      assert.deepEqual(got.map((r) => r.EncryptionType), ["NONE", "KMS", "KMS", "KMS"]);

      // Acknowledged writes are on disk (the default durability syncs before answering).
      const files = filesUnder(server.dataDir);
      assert.ok(files.length > 0, `no files under ${server.dataDir}`);
      const contents = files.map((f) => ({ f, buf: readFileSync(f) }));
      const holding = (needle) => contents.filter(({ buf }) => buf.includes(needle)).map(({ f }) => path.relative(server.dataDir, f));
      assert.ok(holding(clear).length > 0, `the unencrypted record's data is in no file under ${server.dataDir}`);
      for (const s of secrets) assert.deepEqual(holding(s), [], `plaintext ${s} found on disk`);
      // The configured key itself is not stored either.
      assert.deepEqual(holding(ORDERS_KEY), [], "the --kms-key key bytes found on disk");
    } finally {
      await client.send(new DeleteStreamCommand({ StreamName: name }));
    }
  });

  test("tags on a consumer: RegisterStreamConsumer Tags, TagResource, UntagResource, ListTagsForResource by ConsumerARN", { timeout: 20_000 }, async () => {
    const client = h2();
    const name = uniqueName("js-ctags");
    const streamARN = await createEfoStream(client, name);
    try {
      await client.send(new TagResourceCommand({ ResourceARN: streamARN, Tags: { s: "stream" } }));
      const { Consumer } = await client.send(
        new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "tagged", Tags: { a: "1" } }),
      );
      const consumerARN = Consumer.ConsumerARN;
      assert.deepEqual(await tagsOf(client, consumerARN), [{ Key: "a", Value: "1" }]);
      assert.deepEqual(await tagsOf(client, streamARN), [{ Key: "s", Value: "stream" }]);

      // Add one, overwrite one.
      const tagged = await client.send(new TagResourceCommand({ ResourceARN: consumerARN, Tags: { b: "2", a: "one" } }));
      assert.equal(tagged.$metadata.httpStatusCode, 200);
      assert.deepEqual(await tagsOf(client, consumerARN), [{ Key: "a", Value: "one" }, { Key: "b", Value: "2" }]);

      // The stream's tags are its own: changing them leaves the consumer's alone, and back.
      await client.send(new TagResourceCommand({ ResourceARN: streamARN, Tags: { t: "3" } }));
      assert.deepEqual(await tagsOf(client, streamARN), [{ Key: "s", Value: "stream" }, { Key: "t", Value: "3" }]);
      assert.deepEqual(await tagsOf(client, consumerARN), [{ Key: "a", Value: "one" }, { Key: "b", Value: "2" }]);

      const untagged = await client.send(new UntagResourceCommand({ ResourceARN: consumerARN, TagKeys: ["a", "s"] }));
      assert.equal(untagged.$metadata.httpStatusCode, 200);
      assert.deepEqual(await tagsOf(client, consumerARN), [{ Key: "b", Value: "2" }]);
      assert.deepEqual(await tagsOf(client, streamARN), [{ Key: "s", Value: "stream" }, { Key: "t", Value: "3" }]);
      const byName = await client.send(new ListTagsForStreamCommand({ StreamName: name }));
      assert.deepEqual(sortTags(byName.Tags), [{ Key: "s", Value: "stream" }, { Key: "t", Value: "3" }]);

      await client.send(new UntagResourceCommand({ ResourceARN: streamARN, TagKeys: ["s", "b"] }));
      assert.deepEqual(await tagsOf(client, streamARN), [{ Key: "t", Value: "3" }]);
      assert.deepEqual(await tagsOf(client, consumerARN), [{ Key: "b", Value: "2" }]);

      // A consumer that does not exist has no tags to list.
      await assert.rejects(
        client.send(new ListTagsForResourceCommand({ ResourceARN: `${streamARN}/consumer/ghost:1` })),
        (err) => err.name === "ResourceNotFoundException" && err.$metadata.httpStatusCode === 400,
      );

      // Deregistered, the consumer's tags go with it: a new consumer of the same name starts
      // without any (even if its ARN happens to be the same, within the same second).
      await client.send(new DeregisterStreamConsumerCommand({ ConsumerARN: consumerARN }));
      await assert.rejects(
        client.send(new ListTagsForResourceCommand({ ResourceARN: consumerARN })),
        (err) => err.name === "ResourceNotFoundException",
      );
      const again = (await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "tagged" }))).Consumer;
      assert.deepEqual(await tagsOf(client, again.ConsumerARN), []);
      assert.deepEqual(await tagsOf(client, streamARN), [{ Key: "t", Value: "3" }]);
    } finally {
      await client.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
    }
  });

  test("SubscribeToShard over h2c delivers encrypted records in plaintext with EncryptionType KMS", { timeout: 20_000 }, async () => {
    const client = h2();
    const name = uniqueName("js-sse-efo");
    const streamARN = await createEfoStream(client, name);
    const subs = [];
    try {
      const [clearSeq] = await putEach(client, name, [payload("efo-clear", 0)]);
      await client.send(new StartStreamEncryptionCommand({ StreamName: name, EncryptionType: "KMS", KeyId: "alias/orders" }));
      await waitActive(client, name);
      const encData = [new Uint8Array(256).map((_, i) => 255 - i), payload("efo-kms", 1)];
      const encSeqs = await putEach(client, name, encData);
      const { Consumer } = await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "sse-reader" }));
      assert.equal(Consumer.ConsumerStatus, "ACTIVE");

      const sub = await subscribe(client, subs, Consumer.ConsumerARN, SHARD0, { Type: "TRIM_HORIZON" });
      const pushedData = payload("efo-kms-pushed", 2);
      let pushedSeq;
      const { records, ended } = await collect(sub, {
        what: "encrypted subscription",
        until: ({ records }) => records.length >= 4,
        onEvent: async (_e, { records }) => {
          if (records.length >= 3 && pushedSeq === undefined) {
            // An encrypted record pushed to the live subscription.
            const out = await client.send(new PutRecordCommand({ StreamName: name, Data: pushedData, PartitionKey: "pk" }));
            assert.equal(out.EncryptionType, "KMS");
            pushedSeq = out.SequenceNumber;
          }
        },
      });
      assert.equal(ended, false);
      assertRecords(records, [payload("efo-clear", 0), ...encData, pushedData], [clearSeq, ...encSeqs, pushedSeq], "encrypted subscription");
      assert.deepEqual(records.map((r) => r.EncryptionType), ["NONE", "KMS", "KMS", "KMS"]);
    } finally {
      abortAll(subs);
      await client.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The TLS listener: `--tls-cert FILE --tls-key FILE` serves HTTPS only, HTTP/2 and HTTP/1.1 by
// ALPN. The certificate is a throwaway self-signed one made with the openssl command; clients are
// told to trust it (NodeHttp2Handler: `nodeHttp2ConnectOptions: { ca }`, passed to
// http2.connect; NodeHttpHandler: an https.Agent with `ca`). NodeHttp2Handler offers only `h2`
// by ALPN, so its requests succeeding means the server negotiated HTTP/2.

const OPENSSL_MISSING =
  spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0
    ? false
    : "needs the openssl command to make a self-signed certificate (not found on PATH)";

// A self-signed certificate for 127.0.0.1 and localhost in `dir`: { cert, key } paths.
function selfSignedCert(dir, name = "") {
  const cert = path.join(dir, `${name}cert.pem`);
  const key = path.join(dir, `${name}key.pem`);
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", key, "-out", cert,
      "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
    { stdio: "pipe" },
  );
  return { cert, key };
}

// A TLS handshake offering `protocols` by ALPN: what was negotiated.
function tlsHandshake(port, ca, protocols) {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: "127.0.0.1", port, ca, ALPNProtocols: protocols }, () => {
      const out = { alpn: sock.alpnProtocol, authorized: sock.authorized, cn: sock.getPeerCertificate().subject?.CN };
      sock.end();
      resolve(out);
    });
    sock.setTimeout(5000, () => sock.destroy(new Error("TLS handshake timed out")));
    sock.on("error", reject);
  });
}

// GET /health over HTTP/2 with node:http2: { status, alpn }.
function h2Health(authority, options) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(authority, options);
    session.setTimeout(5000, () => session.destroy(new Error("HTTP/2 session timed out")));
    session.on("error", reject);
    // A session that fails may just close the stream (with NGHTTP2_CANCEL), without an error.
    session.on("close", () => reject(new Error("HTTP/2 session closed without a response")));
    const req = session.request({ ":path": "/health" });
    req.on("error", reject);
    req.on("close", () => reject(new Error(`HTTP/2 stream closed without a response (code ${req.rstCode})`)));
    req.on("response", (headers) => {
      req.resume();
      req.on("end", () => {
        const out = { status: headers[":status"], alpn: session.alpnProtocol };
        session.close();
        resolve(out);
      });
    });
    req.end();
  });
}

// GET /health over HTTPS/1.1 with node:https (ALPN http/1.1): { status, httpVersion, alpn }.
function h1Health(url, ca) {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, agent: false, ALPNProtocols: ["http/1.1"], timeout: 5000 }, (res) => {
      const out = { status: res.statusCode, httpVersion: res.httpVersion, alpn: res.socket.alpnProtocol };
      res.resume();
      res.on("end", () => resolve(out));
    });
    req.on("timeout", () => req.destroy(new Error("HTTPS request timed out")));
    req.on("error", reject);
  });
}

// TLS verification failures as Node reports them.
const TLS_TRUST_ERRORS = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
]);

// CreateStream, PutRecord (binary and text), GetRecords: everything comes back as written.
async function tlsRoundTrip(client, label) {
  const name = uniqueName(`js-tls-${label}`);
  await createEfoStream(client, name);
  try {
    const data = [new Uint8Array(256).map((_, i) => 255 - i), payload(`tls-${label}`, 1)];
    const seqs = await putEach(client, name, data);
    const got = await readShard(client, name);
    assertRecords(got, data, seqs, `${label} over TLS`);
  } finally {
    await client.send(new DeleteStreamCommand({ StreamName: name }));
  }
  await waitGone(client, name);
}

describe("sluice --tls-cert/--tls-key with @aws-sdk/client-kinesis", { skip: OPENSSL_MISSING, timeout: 30_000 }, () => {
  let certDir;
  let ca;
  let server;
  const clients = [];
  const keep = (c) => {
    clients.push(c);
    return c;
  };
  const h2 = (options = { ca }) =>
    keep(makeClient(server.endpoint, new NodeHttp2Handler({ requestTimeout: 10_000, nodeHttp2ConnectOptions: options })));
  const h1 = (agentOptions = { ca }) =>
    keep(makeClient(server.endpoint, new NodeHttpHandler({ requestTimeout: 10_000, httpsAgent: new https.Agent(agentOptions) })));

  before(async () => {
    certDir = mkdtempSync(path.join(os.tmpdir(), "sluice-e2e-js-tls-"));
    const { cert, key } = selfSignedCert(certDir);
    ca = readFileSync(cert);
    server = new Server(["--tls-cert", cert, "--tls-key", key]);
    await server.start();
    assert.equal(server.endpoint, `https://127.0.0.1:${server.port}`);
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await server?.stop();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  test("ALPN offers h2 and http/1.1; /health over both; cleartext HTTP and h2c are refused", async () => {
    assert.deepEqual(await tlsHandshake(server.port, ca, ["h2", "http/1.1"]), { alpn: "h2", authorized: true, cn: "localhost" });
    assert.deepEqual(await tlsHandshake(server.port, ca, ["http/1.1", "h2"]), { alpn: "h2", authorized: true, cn: "localhost" });
    assert.deepEqual(await tlsHandshake(server.port, ca, ["http/1.1"]), { alpn: "http/1.1", authorized: true, cn: "localhost" });
    assert.deepEqual(await h2Health(server.endpoint, { ca }), { status: 200, alpn: "h2" });
    assert.deepEqual(await h1Health(`${server.endpoint}/health`, ca), { status: 200, httpVersion: "1.1", alpn: "http/1.1" });

    // HTTPS only: the same port does not answer cleartext HTTP/1.1 or h2c.
    await assert.rejects(fetch(`http://127.0.0.1:${server.port}/health`, { signal: AbortSignal.timeout(5000) }), TypeError);
    await assert.rejects(h2Health(`http://127.0.0.1:${server.port}`, {}));
  });

  test("HTTP/2 over TLS via NodeHttp2Handler: CreateStream, PutRecord, GetRecords", async () => {
    const client = h2();
    await tlsRoundTrip(client, "h2");
    const listed = await client.send(new ListStreamsCommand({}));
    assert.equal(listed.$metadata.httpStatusCode, 200);
  });

  test("HTTP/1.1 over TLS via NodeHttpHandler with an https.Agent: CreateStream, PutRecord, GetRecords", async () => {
    await tlsRoundTrip(h1(), "h1");
  });

  test("enhanced fan-out over HTTP/2 TLS: RegisterStreamConsumer, SubscribeToShard gets old and pushed records", { timeout: 20_000 }, async () => {
    const client = h2();
    const name = uniqueName("js-tls-efo");
    const streamARN = await createEfoStream(client, name);
    const subs = [];
    try {
      const { Consumer } = await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: "tls-reader" }));
      assert.equal(Consumer.ConsumerStatus, "ACTIVE");
      assert.equal(Consumer.ConsumerARN.startsWith(`${streamARN}/consumer/tls-reader:`), true, Consumer.ConsumerARN);
      const earlier = [payload("tls-efo", 0), new Uint8Array(256).map((_, i) => i)];
      const seqs = await putEach(client, name, earlier);
      const sub = await subscribe(client, subs, Consumer.ConsumerARN, SHARD0, { Type: "TRIM_HORIZON" });
      const pushed = payload("tls-efo-pushed", 2);
      let pushedSeq;
      const { records, ended } = await collect(sub, {
        what: "subscription over TLS",
        until: ({ records }) => records.length >= 3,
        onEvent: async (_e, { records }) => {
          if (records.length >= 2 && pushedSeq === undefined) [pushedSeq] = await putEach(client, name, [pushed]);
        },
      });
      assert.equal(ended, false);
      assertRecords(records, [...earlier, pushed], [...seqs, pushedSeq], "subscription over TLS");
    } finally {
      abortAll(subs);
      await client.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
    }
  });

  test("a client that does not trust the certificate fails the TLS handshake", async () => {
    // Over HTTP/2 the request fails with ERR_HTTP2_STREAM_CANCEL caused by the TLS error.
    const isTrustError = (what) => (err) => {
      const code = TLS_TRUST_ERRORS.has(err.code) ? err.code : err.cause?.code;
      assert.ok(TLS_TRUST_ERRORS.has(code), `${what}: expected a certificate verification error, got ${err.code} (cause ${err.cause?.code}): ${err}`);
      return true;
    };
    // The system's roots only.
    await assert.rejects(h2({}).send(new ListStreamsCommand({})), isTrustError("NodeHttp2Handler, system roots"));
    await assert.rejects(h1({}).send(new ListStreamsCommand({})), isTrustError("NodeHttpHandler, system roots"));
    // Another self-signed certificate with the same subject is no substitute.
    const other = readFileSync(selfSignedCert(certDir, "other-").cert);
    assert.notDeepEqual(other, ca);
    await assert.rejects(h2({ ca: other }).send(new ListStreamsCommand({})), isTrustError("NodeHttp2Handler, another CA"));
    await assert.rejects(h1({ ca: other }).send(new ListStreamsCommand({})), isTrustError("NodeHttpHandler, another CA"));
    await assert.rejects(tlsHandshake(server.port, other, ["h2"]), isTrustError("tls.connect, another CA"));
    // The refused handshakes did not disturb the server.
    assert.equal((await h2().send(new ListStreamsCommand({}))).$metadata.httpStatusCode, 200);
  });
});

// ---------------------------------------------------------------------------------------------
// Resource policies (PutResourcePolicy on a stream or a consumer ARN), with --auth sigv4 and
// --principal mapping an access key to a principal of another account. The owner's key has no
// --principal, so it acts as the root of the server's account (000000000000); bob is
// arn:aws:iam::222222222222:user/bob. Bob needs an Allow in the resource's policy; an explicit
// Deny refuses anyone, the owner included. SubscribeToShard is decided by the consumer's policy.

const OWNER = { accessKeyId: "AKIDOWNER", secretAccessKey: "owner-secret" };
const BOB = { accessKeyId: "AKIDBOB", secretAccessKey: "bob-secret" };
const BOB_ARN = "arn:aws:iam::222222222222:user/bob";
const OWNER_ROOT_ARN = "arn:aws:iam::000000000000:root";

const policyDoc = (...statements) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const statement = (effect, principalArn, actions, resource) => ({
  Effect: effect,
  Principal: { AWS: principalArn },
  Action: actions,
  Resource: resource,
});

// AccessDeniedException naming the principal, the action and the resource.
const accessDenied = (principalArn, action, resource) => (err) => {
  assert.equal(err.name, "AccessDeniedException", `expected AccessDeniedException, got ${err.name}: ${err.message}`);
  assert.equal(err.$metadata.httpStatusCode, 400);
  for (const part of [principalArn, action, resource]) {
    assert.ok(err.message.includes(part), `message lacks ${part}: ${err.message}`);
  }
  return true;
};

describe("resource policies with --auth sigv4 --principal and @aws-sdk/client-kinesis", { timeout: 30_000 }, () => {
  const server = new Server([
    "--auth", "sigv4",
    "--credential", `${OWNER.accessKeyId}:${OWNER.secretAccessKey}`,
    "--credential", `${BOB.accessKeyId}:${BOB.secretAccessKey}`,
    "--principal", `${BOB.accessKeyId}=${BOB_ARN}`,
  ]);
  const clients = [];
  const as = (credentials) => {
    const c = new KinesisClient({
      endpoint: server.endpoint,
      region: REGION,
      credentials,
      maxAttempts: 1,
      requestHandler: new NodeHttp2Handler({ requestTimeout: 10_000 }),
    });
    clients.push(c);
    return c;
  };
  let owner;
  let bob;

  before(async () => {
    await server.start();
    owner = as(OWNER);
    bob = as(BOB);
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await server.stop();
  });

  const policyOf = async (arn) => JSON.parse((await owner.send(new GetResourcePolicyCommand({ ResourceARN: arn }))).Policy);

  test("bob needs an Allow, and it covers only the actions and the resource it names", async () => {
    const name = uniqueName("js-pol-allow");
    const arn = await createEfoStream(owner, name);
    const put = (client, data) => client.send(new PutRecordCommand({ StreamName: name, Data: data, PartitionKey: "pk" }));
    // Across accounts AWS names the stream by ARN (a name would be one of bob's own account).
    const putByArn = (client, data) => client.send(new PutRecordCommand({ StreamARN: arn, Data: data, PartitionKey: "pk" }));
    try {
      // No policy: another account's principal is refused, the owner is not.
      await assert.rejects(put(bob, payload("bob", 0)), accessDenied(BOB_ARN, "kinesis:PutRecord", arn));
      await assert.rejects(putByArn(bob, payload("bob", 0)), accessDenied(BOB_ARN, "kinesis:PutRecord", arn));
      await assert.rejects(
        bob.send(new DescribeStreamSummaryCommand({ StreamARN: arn })),
        accessDenied(BOB_ARN, "kinesis:DescribeStreamSummary", arn),
      );
      // Bob cannot grant himself access either.
      await assert.rejects(
        bob.send(new PutResourcePolicyCommand({
          ResourceARN: arn, Policy: policyDoc(statement("Allow", BOB_ARN, ["kinesis:*"], arn)),
        })),
        accessDenied(BOB_ARN, "kinesis:PutResourcePolicy", arn),
      );
      const ownerFirst = await put(owner, payload("owner", 0));
      assert.equal(ownerFirst.ShardId, SHARD0);
      assert.deepEqual(await policyOf(arn), {});

      // Allow bob kinesis:PutRecord on this stream.
      const allowPut = policyDoc(statement("Allow", BOB_ARN, ["kinesis:PutRecord"], arn));
      const stored = await owner.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: allowPut }));
      assert.equal(stored.$metadata.httpStatusCode, 200);
      assert.deepEqual(await policyOf(arn), JSON.parse(allowPut));
      const bobPut = await putByArn(bob, payload("bob", 1));
      assert.equal(bobPut.ShardId, SHARD0);
      assert.ok(BigInt(bobPut.SequenceNumber) > BigInt(ownerFirst.SequenceNumber));
      const bobPutByName = await put(bob, payload("bob", 2));
      assert.ok(BigInt(bobPutByName.SequenceNumber) > BigInt(bobPut.SequenceNumber));
      // Only that action: not PutRecords, GetShardIterator or DescribeStreamSummary.
      await assert.rejects(
        bob.send(new PutRecordsCommand({ StreamARN: arn, Records: [{ Data: payload("bob", 9), PartitionKey: "pk" }] })),
        accessDenied(BOB_ARN, "kinesis:PutRecords", arn),
      );
      await assert.rejects(
        bob.send(new GetShardIteratorCommand({ StreamARN: arn, ShardId: SHARD0, ShardIteratorType: "TRIM_HORIZON" })),
        accessDenied(BOB_ARN, "kinesis:GetShardIterator", arn),
      );
      await assert.rejects(
        bob.send(new DescribeStreamSummaryCommand({ StreamName: name })),
        accessDenied(BOB_ARN, "kinesis:DescribeStreamSummary", arn),
      );
      // Bob's record is really in the stream, after the owner's.
      assertRecords(
        await readShard(owner, name),
        [payload("owner", 0), payload("bob", 1), payload("bob", 2)],
        [ownerFirst.SequenceNumber, bobPut.SequenceNumber, bobPutByName.SequenceNumber],
        "after bob's puts",
      );

      // A wildcard action: kinesis:Get* lets bob read (GetShardIterator, then GetRecords by the
      // iterator's stream) but no longer put: the new policy replaced the old one.
      await owner.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: policyDoc(statement("Allow", BOB_ARN, "kinesis:Get*", arn)) }));
      const { ShardIterator } = await bob.send(
        new GetShardIteratorCommand({ StreamARN: arn, ShardId: SHARD0, ShardIteratorType: "TRIM_HORIZON" }),
      );
      const page = await bob.send(new GetRecordsCommand({ ShardIterator, StreamARN: arn }));
      assert.deepEqual(page.Records.map((r) => r.SequenceNumber), [ownerFirst.SequenceNumber, bobPut.SequenceNumber, bobPutByName.SequenceNumber]);
      assert.deepEqual(Buffer.from(page.Records[1].Data), Buffer.from(payload("bob", 1)));
      await assert.rejects(putByArn(bob, payload("bob", 3)), accessDenied(BOB_ARN, "kinesis:PutRecord", arn));

      // An Allow for another resource does not apply to this stream.
      const otherArn = `arn:aws:kinesis:${REGION}:000000000000:stream/${name}-other`;
      await owner.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: policyDoc(statement("Allow", BOB_ARN, "kinesis:*", otherArn)) }));
      await assert.rejects(putByArn(bob, payload("bob", 4)), accessDenied(BOB_ARN, "kinesis:PutRecord", arn));

      // kinesis:* on this stream, then the policy deleted: refused again.
      await owner.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: policyDoc(statement("Allow", BOB_ARN, "kinesis:*", arn)) }));
      const summary = (await bob.send(new DescribeStreamSummaryCommand({ StreamARN: arn }))).StreamDescriptionSummary;
      assert.equal(summary.StreamARN, arn);
      await putByArn(bob, payload("bob", 5));
      const deleted = await owner.send(new DeleteResourcePolicyCommand({ ResourceARN: arn }));
      assert.equal(deleted.$metadata.httpStatusCode, 200);
      assert.deepEqual(await policyOf(arn), {});
      await assert.rejects(putByArn(bob, payload("bob", 6)), accessDenied(BOB_ARN, "kinesis:PutRecord", arn));
    } finally {
      await owner.send(new DeleteStreamCommand({ StreamName: name }));
    }
  });

  test("an explicit Deny on DeleteStream refuses the owner; other actions stay allowed", async () => {
    const name = uniqueName("js-pol-deny");
    const arn = await createEfoStream(owner, name);
    let denied = true;
    try {
      await owner.send(new PutResourcePolicyCommand({
        ResourceARN: arn,
        Policy: policyDoc(statement("Deny", OWNER_ROOT_ARN, ["kinesis:DeleteStream"], arn)),
      }));
      await assert.rejects(
        owner.send(new DeleteStreamCommand({ StreamName: name })),
        (err) => accessDenied(OWNER_ROOT_ARN, "kinesis:DeleteStream", arn)(err) && /explicit deny/i.test(err.message),
      );
      // Still there and usable.
      assert.equal((await owner.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary.StreamStatus, "ACTIVE");
      const ack = await owner.send(new PutRecordCommand({ StreamName: name, Data: payload("deny", 0), PartitionKey: "pk" }));
      assertRecords(await readShard(owner, name), [payload("deny", 0)], [ack.SequenceNumber], "after the refused delete");

      // A Deny beats an Allow in the same policy, for bob too.
      await owner.send(new PutResourcePolicyCommand({
        ResourceARN: arn,
        Policy: policyDoc(
          statement("Allow", BOB_ARN, "kinesis:*", arn),
          statement("Deny", "*", ["kinesis:DeleteStream", "kinesis:PutRecord"], arn),
        ),
      }));
      await assert.rejects(
        bob.send(new PutRecordCommand({ StreamName: name, Data: payload("deny", 1), PartitionKey: "pk" })),
        accessDenied(BOB_ARN, "kinesis:PutRecord", arn),
      );
      await assert.rejects(
        owner.send(new PutRecordCommand({ StreamName: name, Data: payload("deny", 2), PartitionKey: "pk" })),
        accessDenied(OWNER_ROOT_ARN, "kinesis:PutRecord", arn),
      );
      assert.equal((await bob.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary.StreamARN, arn);
      await assert.rejects(owner.send(new DeleteStreamCommand({ StreamName: name })), (err) => err.name === "AccessDeniedException");

      // Without the Deny the owner may delete.
      await owner.send(new DeleteResourcePolicyCommand({ ResourceARN: arn }));
      await owner.send(new DeleteStreamCommand({ StreamName: name }));
      denied = false;
      await waitGone(owner, name);
    } finally {
      if (denied) {
        await owner.send(new DeleteResourcePolicyCommand({ ResourceARN: arn })).catch(() => {});
        await owner.send(new DeleteStreamCommand({ StreamName: name })).catch(() => {});
      }
    }
  });

  test("SubscribeToShard is decided by the consumer's own policy, not the stream's", { timeout: 20_000 }, async () => {
    const name = uniqueName("js-pol-efo");
    const arn = await createEfoStream(owner, name);
    const subs = [];
    try {
      const { Consumer } = await owner.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: "shared" }));
      const consumerARN = Consumer.ConsumerARN;
      const seqs = await putEach(owner, name, [payload("pol-efo", 0)]);
      const subscribeAsBob = () =>
        bob.send(new SubscribeToShardCommand({ ConsumerARN: consumerARN, ShardId: SHARD0, StartingPosition: { Type: "TRIM_HORIZON" } }));

      // No policy anywhere.
      await assert.rejects(subscribeAsBob(), accessDenied(BOB_ARN, "kinesis:SubscribeToShard", consumerARN));
      // The stream's policy allows everything, on the stream and its consumers: it does not decide
      // for the consumer.
      await owner.send(new PutResourcePolicyCommand({
        ResourceARN: arn,
        Policy: policyDoc(statement("Allow", BOB_ARN, "kinesis:*", [arn, `${arn}/consumer/*`])),
      }));
      await assert.rejects(subscribeAsBob(), accessDenied(BOB_ARN, "kinesis:SubscribeToShard", consumerARN));

      // The consumer's policy: bob may subscribe (and nothing else on the consumer).
      await owner.send(new PutResourcePolicyCommand({
        ResourceARN: consumerARN,
        Policy: policyDoc(statement("Allow", BOB_ARN, ["kinesis:SubscribeToShard"], consumerARN)),
      }));
      assert.deepEqual((await policyOf(consumerARN)).Statement[0].Action, ["kinesis:SubscribeToShard"]);
      assert.equal((await policyOf(arn)).Statement[0].Action, "kinesis:*", "the stream keeps its own policy");
      await assert.rejects(
        bob.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerARN })),
        accessDenied(BOB_ARN, "kinesis:DescribeStreamConsumer", consumerARN),
      );
      const sub = await subscribe(bob, subs, consumerARN, SHARD0, { Type: "TRIM_HORIZON" });
      const { records, ended } = await collect(sub, { what: "bob's subscription", until: ({ records }) => records.length >= 1 });
      assert.equal(ended, false);
      assertRecords(records, [payload("pol-efo", 0)], seqs, "bob's subscription");
      abortAll(subs);

      // A Deny in the consumer's policy refuses the owner's subscription too.
      await owner.send(new PutResourcePolicyCommand({
        ResourceARN: consumerARN,
        Policy: policyDoc(statement("Deny", OWNER_ROOT_ARN, "kinesis:Subscribe*", consumerARN)),
      }));
      await assert.rejects(
        owner.send(new SubscribeToShardCommand({ ConsumerARN: consumerARN, ShardId: SHARD0, StartingPosition: { Type: "LATEST" } })),
        accessDenied(OWNER_ROOT_ARN, "kinesis:SubscribeToShard", consumerARN),
      );
    } finally {
      abortAll(subs);
      await owner.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
    }
  });

  test("a malformed policy document is refused with InvalidArgumentException; the stored one stays", async () => {
    const name = uniqueName("js-pol-bad");
    const arn = await createEfoStream(owner, name);
    try {
      const good = policyDoc(statement("Allow", BOB_ARN, ["kinesis:PutRecord"], arn));
      await owner.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: good }));
      for (const [what, bad] of [
        ["not JSON", "{\"Statement\": [ {\"Effect\": \"Allow\""],
        ["no Statement", JSON.stringify({ Version: "2012-10-17" })],
        ["an empty Statement list", JSON.stringify({ Statement: [] })],
        ["an Effect that is neither Allow nor Deny", policyDoc({ Effect: "Maybe", Principal: { AWS: BOB_ARN }, Action: "kinesis:*" })],
        ["a statement without a Principal", policyDoc({ Effect: "Allow", Action: "kinesis:*", Resource: arn })],
        ["a statement without an Action", policyDoc({ Effect: "Allow", Principal: { AWS: BOB_ARN }, Resource: arn })],
      ]) {
        await assert.rejects(
          owner.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: bad })),
          (err) => {
            assert.equal(err.name, "InvalidArgumentException", `${what}: got ${err.name}: ${err.message}`);
            assert.equal(err.$metadata.httpStatusCode, 400, what);
            return true;
          },
        );
      }
      assert.deepEqual(await policyOf(arn), JSON.parse(good), "a refused policy replaced the stored one");
      // ... which still decides.
      const ack = await bob.send(new PutRecordCommand({ StreamName: name, Data: payload("bad", 0), PartitionKey: "pk" }));
      assert.equal(ack.ShardId, SHARD0);
      // A policy for a stream that does not exist.
      await assert.rejects(
        owner.send(new PutResourcePolicyCommand({ ResourceARN: `${arn}-ghost`, Policy: good })),
        (err) => err.name === "ResourceNotFoundException" && err.$metadata.httpStatusCode === 400,
      );
    } finally {
      await owner.send(new DeleteStreamCommand({ StreamName: name }));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// ON_DEMAND streams and their automatic scaling
// ---------------------------------------------------------------------------------------------

const HASH_KEY_MAX = (1n << 128n) - 1n;

// The open shards (ListShards AT_LATEST); asserts that their hash key ranges tile the key space.
async function openShardsTiling(client, name) {
  const shards = [];
  let NextToken;
  do {
    const page = await client.send(
      NextToken
        ? new ListShardsCommand({ NextToken })
        : new ListShardsCommand({ StreamName: name, ShardFilter: { Type: "AT_LATEST" } }),
    );
    shards.push(...page.Shards);
    NextToken = page.NextToken;
  } while (NextToken);
  const ranges = shards
    .map((s) => [BigInt(s.HashKeyRange.StartingHashKey), BigInt(s.HashKeyRange.EndingHashKey)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let next = 0n;
  for (const [start, end] of ranges) {
    assert.equal(start, next, `open shards of ${name} leave a gap or overlap at ${next}`);
    assert.ok(end >= start);
    next = end + 1n;
  }
  assert.equal(next, HASH_KEY_MAX + 1n, `open shards of ${name} do not reach the top of the key space`);
  return shards;
}

async function summaryOf(client, name) {
  return (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary;
}

// Writes PutRecords batches of `perCall` records of `recordBytes` bytes each from `concurrency`
// loops, until `stop()` holds (checked before each call) or `maxMs` pass; `onAck` sees each
// answer. Returns what the server accepted, and the rate.
async function writeLoad(client, name, { stop = () => false, onAck = () => {}, maxMs, perCall = 500, recordBytes = 1024, concurrency = 2, pauseMs = 0 }) {
  const data = new Uint8Array(recordBytes).map((_, i) => i % 251);
  const records = Array.from({ length: perCall }, (_, i) => ({ Data: data, PartitionKey: `pk-${i}` }));
  const t0 = Date.now();
  let accepted = 0;
  let failed = 0;
  let calls = 0;
  const worker = async () => {
    while (!stop() && Date.now() - t0 < maxMs) {
      const out = await client.send(new PutRecordsCommand({ StreamName: name, Records: records }));
      calls++;
      failed += out.FailedRecordCount ?? 0;
      accepted += out.Records.filter((r) => !r.ErrorCode).length;
      onAck(out);
      if (pauseMs) await sleep(pauseMs);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = Date.now() - t0;
  return { calls, accepted, failed, ms, recordsPerS: (accepted * 1000) / ms, bytesPerS: (accepted * recordBytes * 1000) / ms };
}

describe("ON_DEMAND auto-scaling with --on-demand-window-ms and @aws-sdk/client-kinesis", { timeout: 60_000 }, () => {
  // A one-second measurement window, so that a few seconds of load decide.
  const server = new Server(["--on-demand-window-ms", "1000"]);
  let client;
  // Half of 4 shards' write capacity: 2 MiB/s or 2,000 records/s.
  const HALF_OF_4 = { bytesPerS: 2 * 1024 * 1024, recordsPerS: 2000 };

  before(async () => {
    await server.start();
    client = makeClient(server.endpoint, new NodeHttp2Handler({ requestTimeout: 30_000 }));
  });

  after(async () => {
    client?.destroy();
    await server.stop();
  });

  test("an ON_DEMAND stream starts with 4 shards, keeps them under light load, doubles them to 8 under half their capacity", { timeout: 40_000 }, async () => {
    const name = uniqueName("js-od-scale");
    await client.send(new CreateStreamCommand({ StreamName: name, StreamModeDetails: { StreamMode: "ON_DEMAND" } }));
    try {
      const created = await waitActive(client, name);
      assert.equal(created.StreamModeDetails.StreamMode, "ON_DEMAND");
      assert.equal(created.OpenShardCount, 4);
      const firstShards = new Set((await openShardsTiling(client, name)).map((s) => s.ShardId));
      assert.equal(firstShards.size, 4);

      // Light load, well under half the capacity (about 100 KiB/s and 100 records/s), for twice the window.
      const light = await writeLoad(client, name, { maxMs: 2_000, perCall: 50, recordBytes: 1024, concurrency: 1, pauseMs: 400 });
      assert.equal(light.failed, 0);
      assert.ok(light.recordsPerS < HALF_OF_4.recordsPerS / 4, `light load too heavy: ${JSON.stringify(light)}`);
      await sleep(600); // one more scaling pass (the server samples every 500 ms)
      assert.equal((await summaryOf(client, name)).OpenShardCount, 4, "an ON_DEMAND stream scaled under light load");

      // Heavy load: 500 records of 1 KiB per call, until the open shard count changes or 15 s pass.
      // The load stops as soon as DescribeStreamSummary shows another shard count or a record
      // lands on a shard other than the first 4 (so that it does not go on to scale the 8 shards).
      let scaled = false;
      const t0 = Date.now();
      const poll = (async () => {
        while (!scaled && Date.now() - t0 < 15_000) {
          if ((await summaryOf(client, name)).OpenShardCount !== 4) scaled = true;
          else await sleep(100);
        }
      })();
      const heavy = await writeLoad(client, name, {
        stop: () => scaled,
        onAck: (out) => {
          if (out.Records.some((r) => r.ShardId && !firstShards.has(r.ShardId))) scaled = true;
        },
        maxMs: 15_000,
      });
      await poll;
      const scaledAfterMs = Date.now() - t0;
      assert.equal(heavy.failed, 0, `PutRecords refused records during scaling: ${JSON.stringify(heavy)}`);
      const after = await waitActive(client, name);
      assert.equal(
        after.OpenShardCount,
        8,
        `OpenShardCount after ${scaledAfterMs} ms of load (${Math.round(heavy.bytesPerS / 1024)} KiB/s, ` +
          `${Math.round(heavy.recordsPerS)} records/s over ${heavy.ms} ms)`,
      );
      assert.equal(after.StreamModeDetails.StreamMode, "ON_DEMAND", "scaling changed the stream mode");
      const open = await openShardsTiling(client, name);
      assert.equal(open.length, 8);
      // The first shards are closed now, not gone.
      const all = (await client.send(new ListShardsCommand({ StreamName: name }))).Shards;
      for (const id of firstShards) {
        const shard = all.find((s) => s.ShardId === id);
        assert.ok(shard, `${id} is gone`);
        assert.ok(shard.SequenceNumberRange.EndingSequenceNumber, `${id} is still open`);
      }
      assert.ok(open.every((s) => !firstShards.has(s.ShardId)));
    } finally {
      await client.send(new DeleteStreamCommand({ StreamName: name }));
    }
  });

  test("a PROVISIONED stream under the same load keeps its 4 shards", { timeout: 30_000 }, async () => {
    const name = uniqueName("js-od-prov");
    await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 4, StreamModeDetails: { StreamMode: "PROVISIONED" } }));
    try {
      await waitActive(client, name);
      const load = await writeLoad(client, name, { maxMs: 2_500 });
      await sleep(600); // one more scaling pass
      assert.equal(load.failed, 0);
      // The load must have been enough to scale an ON_DEMAND stream, or this proves nothing.
      assert.ok(
        load.bytesPerS >= HALF_OF_4.bytesPerS || load.recordsPerS >= HALF_OF_4.recordsPerS,
        `load too light to mean anything: ${JSON.stringify(load)}`,
      );
      const summary = await summaryOf(client, name);
      assert.equal(summary.StreamStatus, "ACTIVE");
      assert.equal(summary.OpenShardCount, 4);
      assert.equal(summary.StreamModeDetails.StreamMode, "PROVISIONED");
      assert.equal((await openShardsTiling(client, name)).length, 4);
    } finally {
      await client.send(new DeleteStreamCommand({ StreamName: name }));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Account settings (minimum throughput billing commitment) and warm throughput
// ---------------------------------------------------------------------------------------------

const DAY_MS = 24 * 60 * 60 * 1000;

// The commitment is server-wide: this suite has its own server, and its tests run in order (the
// first sees the fresh server's DISABLED commitment and leaves it ENABLED_UNTIL_EARLIEST_ALLOWED_END).
describe("account settings and warm throughput with @aws-sdk/client-kinesis", { timeout: 60_000 }, () => {
  const server = new Server();
  let client;

  before(async () => {
    await server.start();
    client = makeClient(server.endpoint, new NodeHttp2Handler({ requestTimeout: 30_000 }));
  });

  after(async () => {
    client?.destroy();
    await server.stop();
  });

  const describeCommitment = async () =>
    (await client.send(new DescribeAccountSettingsCommand({}))).MinimumThroughputBillingCommitment;
  const setCommitment = async (Status) =>
    (await client.send(new UpdateAccountSettingsCommand({ MinimumThroughputBillingCommitment: { Status } })))
      .MinimumThroughputBillingCommitment;

  test("MinimumThroughputBillingCommitment: DISABLED, then ENABLED for at least 24 h, then ENABLED_UNTIL_EARLIEST_ALLOWED_END", async () => {
    const fresh = await describeCommitment();
    assert.equal(fresh.Status, "DISABLED");
    assert.equal(fresh.StartedAt, undefined);
    assert.equal(fresh.EndedAt, undefined);

    const before = Date.now();
    const enabled = await setCommitment("ENABLED");
    const afterEnable = Date.now();
    assert.equal(enabled.Status, "ENABLED");
    assert.ok(enabled.StartedAt instanceof Date, `StartedAt: ${enabled.StartedAt}`);
    assert.ok(
      enabled.StartedAt.getTime() >= before - 2_000 && enabled.StartedAt.getTime() <= afterEnable + 2_000,
      `StartedAt ${enabled.StartedAt.toISOString()} is not now`,
    );
    assert.ok(enabled.EarliestAllowedEndAt instanceof Date);
    assert.equal(enabled.EarliestAllowedEndAt.getTime() - enabled.StartedAt.getTime(), DAY_MS);
    assert.equal(enabled.EndedAt, undefined);
    const described = await describeCommitment();
    assert.equal(described.Status, "ENABLED");
    assert.equal(described.StartedAt.getTime(), enabled.StartedAt.getTime());
    assert.equal(described.EarliestAllowedEndAt.getTime(), enabled.EarliestAllowedEndAt.getTime());

    // Disabling within the first 24 hours ends the commitment only at their end.
    const disabling = await setCommitment("DISABLED");
    assert.equal(disabling.Status, "ENABLED_UNTIL_EARLIEST_ALLOWED_END");
    assert.equal(disabling.StartedAt.getTime(), enabled.StartedAt.getTime());
    assert.equal(disabling.EarliestAllowedEndAt.getTime(), enabled.EarliestAllowedEndAt.getTime());
    assert.ok(disabling.EndedAt instanceof Date, `EndedAt: ${disabling.EndedAt}`);
    assert.equal(disabling.EndedAt.getTime(), disabling.EarliestAllowedEndAt.getTime());
    const describedAfter = await describeCommitment();
    assert.equal(describedAfter.Status, "ENABLED_UNTIL_EARLIEST_ALLOWED_END");
    assert.equal(describedAfter.EndedAt.getTime(), disabling.EarliestAllowedEndAt.getTime());

    // A Status that is neither ENABLED nor DISABLED is refused (the SDK does not check enums).
    await assert.rejects(setCommitment("MAYBE"), (err) => {
      assert.ok(["InvalidArgumentException", "ValidationException"].includes(err.name), `${err.name}: ${err.message}`);
      assert.equal(err.$metadata.httpStatusCode, 400);
      return true;
    });
  });

  test("UpdateStreamWarmThroughput: an ON_DEMAND stream scales to the target; a PROVISIONED one is refused", { timeout: 30_000 }, async () => {
    // Whatever the previous test left, the commitment is in force from here on.
    const enabled = await setCommitment("ENABLED");
    assert.equal(enabled.Status, "ENABLED");
    assert.equal(enabled.EndedAt, undefined);

    const od = uniqueName("js-warm-od");
    const prov = uniqueName("js-warm-prov");
    await client.send(new CreateStreamCommand({ StreamName: od, StreamModeDetails: { StreamMode: "ON_DEMAND" } }));
    await client.send(new CreateStreamCommand({ StreamName: prov, ShardCount: 2, StreamModeDetails: { StreamMode: "PROVISIONED" } }));
    try {
      assert.equal((await waitActive(client, od)).OpenShardCount, 4);
      const provSummary = await waitActive(client, prov);
      assert.equal(provSummary.WarmThroughput, undefined, `PROVISIONED summary: ${JSON.stringify(provSummary.WarmThroughput)}`);

      const out = await client.send(new UpdateStreamWarmThroughputCommand({ StreamName: od, WarmThroughputMiBps: 12 }));
      assert.equal(out.StreamName, od);
      assert.equal(out.StreamARN, `arn:aws:kinesis:${REGION}:000000000000:stream/${od}`);
      assert.deepEqual(out.WarmThroughput, { TargetMiBps: 12, CurrentMiBps: 12 });

      const summary = await waitActive(client, od);
      assert.equal(summary.OpenShardCount, 12);
      assert.equal(summary.StreamModeDetails.StreamMode, "ON_DEMAND");
      assert.deepEqual(summary.WarmThroughput, { TargetMiBps: 12, CurrentMiBps: 12 });
      assert.equal((await openShardsTiling(client, od)).length, 12);

      await assert.rejects(
        client.send(new UpdateStreamWarmThroughputCommand({ StreamName: prov, WarmThroughputMiBps: 12 })),
        (err) => {
          assert.equal(err.name, "InvalidArgumentException", `${err.name}: ${err.message}`);
          assert.equal(err.$metadata.httpStatusCode, 400);
          return true;
        },
      );
      const provAfter = await summaryOf(client, prov);
      assert.equal(provAfter.OpenShardCount, 2);
      assert.equal(provAfter.WarmThroughput, undefined);
    } finally {
      await client.send(new DeleteStreamCommand({ StreamName: od }));
      await client.send(new DeleteStreamCommand({ StreamName: prov }));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Firehose with @aws-sdk/client-firehose (JSON 1.1 on the same port), over h2c and HTTP/1.1.

const firehoseSdk = await import("@aws-sdk/client-firehose");

describe("Firehose with the JS SDK", () => {
  const server = new Server();
  before(() => server.start());
  after(() => server.stop());

  for (const [label, handler] of [
    ["h2c", () => new NodeHttp2Handler()],
    ["HTTP/1.1", () => undefined],
  ]) {
    test(`delivery stream lifecycle and delivered object (${label})`, async () => {
      const config = { endpoint: server.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 };
      const h = handler();
      if (h) config.requestHandler = h;
      const fh = new firehoseSdk.FirehoseClient(config);
      const name = uniqueName("jsfh");
      const bucket = uniqueName("jsbucket");
      const created = await fh.send(new firehoseSdk.CreateDeliveryStreamCommand({
        DeliveryStreamName: name,
        ExtendedS3DestinationConfiguration: {
          RoleARN: "arn:aws:iam::000000000000:role/firehose",
          BucketARN: `arn:aws:s3:::${bucket}`,
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
          CompressionFormat: "GZIP",
        },
        Tags: [{ Key: "sdk", Value: "js" }],
      }));
      assert.match(created.DeliveryStreamARN, new RegExp(`:deliverystream/${name}$`));
      const d = (await fh.send(new firehoseSdk.DescribeDeliveryStreamCommand({ DeliveryStreamName: name })))
        .DeliveryStreamDescription;
      assert.equal(d.DeliveryStreamStatus, "ACTIVE");
      assert.ok(d.CreateTimestamp instanceof Date);
      assert.equal(d.Destinations[0].ExtendedS3DestinationDescription.CompressionFormat, "GZIP");
      const tags = await fh.send(new firehoseSdk.ListTagsForDeliveryStreamCommand({ DeliveryStreamName: name }));
      assert.deepEqual(tags.Tags, [{ Key: "sdk", Value: "js" }]);
      const enc = new TextEncoder();
      const one = await fh.send(new firehoseSdk.PutRecordCommand({
        DeliveryStreamName: name, Record: { Data: enc.encode("a,") } }));
      assert.ok(one.RecordId);
      const batch = await fh.send(new firehoseSdk.PutRecordBatchCommand({
        DeliveryStreamName: name, Records: [{ Data: enc.encode("b,") }, { Data: enc.encode("c") }] }));
      assert.equal(batch.FailedPutCount, 0);
      assert.equal(batch.RequestResponses.length, 2);
      const root = path.join(server.dataDir, "s3", bucket);
      const deadline = Date.now() + 20_000;
      let data = "";
      while (Date.now() < deadline && data !== "a,b,c") {
        const files = [];
        const walk = (dir) => {
          let entries = [];
          try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
          for (const e of entries) {
            if (e.name.startsWith(".")) continue;
            const p = path.join(dir, e.name);
            if (e.isDirectory()) walk(p); else files.push(p);
          }
        };
        walk(root);
        data = files.sort().map((f) => zlib.gunzipSync(readFileSync(f)).toString()).join("");
        if (data !== "a,b,c") await sleep(100);
      }
      assert.equal(data, "a,b,c");
      await assert.rejects(
        fh.send(new firehoseSdk.PutRecordCommand({ DeliveryStreamName: "missing-" + name, Record: { Data: enc.encode("x") } })),
        (err) => err.name === "ResourceNotFoundException" && err.$metadata.httpStatusCode === 400,
      );
      await fh.send(new firehoseSdk.DeleteDeliveryStreamCommand({ DeliveryStreamName: name }));
      const listed = await fh.send(new firehoseSdk.ListDeliveryStreamsCommand({}));
      assert.ok(!listed.DeliveryStreamNames.includes(name));
      fh.destroy();
    });
  }
});
