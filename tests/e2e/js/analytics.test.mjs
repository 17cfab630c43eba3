// End-to-end test of Sluice's Kinesis Data Analytics for SQL (KinesisAnalytics_20150814) with
// @aws-sdk/client-kinesis-analytics: an application reads one Kinesis stream, runs a pump over it
// and writes the result to another; then the modelled errors and the stop/delete lifecycle.
// Starts `sluice serve` (SLUICE_BIN, default target/debug/sluice at the repo root) the same way as
// kinesis.test.mjs.
//
// Run: node --test tests/e2e/js/analytics.test.mjs

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import * as k from "@aws-sdk/client-kinesis";
import * as ka from "@aws-sdk/client-kinesis-analytics";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const REGION = "us-east-1";
const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const uniqueName = (prefix) => `${prefix}-${randomBytes(6).toString("hex")}`;

function resolveBinary() {
  const raw = process.env.SLUICE_BIN || "target/debug/sluice";
  const candidates = path.isAbsolute(raw) ? [raw] : [path.resolve(process.cwd(), raw), path.resolve(REPO_ROOT, raw)];
  for (const c of candidates) {
    try { accessSync(c, constants.X_OK); return c; } catch { /* try the next one */ }
  }
  throw new Error(`Sluice binary not found (SLUICE_BIN=${raw}; looked at ${candidates.join(", ")})`);
}

const freePort = () => new Promise((resolve, reject) => {
  const srv = net.createServer().unref().on("error", reject);
  srv.listen(0, "127.0.0.1", () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});

// Polls `fn` until it returns a truthy value; fails with `what` and the last value after `ms`.
async function until(what, fn, ms = 15_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    if ((last = await fn())) return last;
    await sleep(100);
  }
  throw new Error(`${what} not reached after ${ms} ms`);
}

describe("Kinesis Analytics (SQL) with @aws-sdk/client-kinesis-analytics", { timeout: 90_000 }, () => {
  let proc, tmp, exited, kinesis, analytics;
  const logTail = () => { try { return readFileSync(path.join(tmp, "sluice.log"), "utf8").split("\n").slice(-40).join("\n"); } catch { return "<no log>"; } };

  before(async () => {
    const port = await freePort();
    tmp = mkdtempSync(path.join(os.tmpdir(), "sluice-e2e-js-"));
    const log = openSync(path.join(tmp, "sluice.log"), "a");
    proc = spawn(resolveBinary(), ["serve", "--port", String(port), "--bind", "127.0.0.1", "--data-dir", path.join(tmp, "data")],
      { stdio: ["ignore", log, log], env: { RUST_BACKTRACE: "1", ...process.env } });
    proc.on("exit", (code, signal) => { exited = { code, signal }; });
    const endpoint = `http://127.0.0.1:${port}`;
    await until("GET /health 200", async () => {
      if (exited) throw new Error(`sluice exited early (${JSON.stringify(exited)}):\n${logTail()}`);
      try { const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(2000) }); await res.arrayBuffer(); return res.status === 200; } catch { return false; }
    }, 30_000);
    const config = { endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 };
    kinesis = new k.KinesisClient(config);
    analytics = new ka.KinesisAnalyticsClient(config);
  });

  after(async () => {
    kinesis?.destroy();
    analytics?.destroy();
    if (proc && !exited) {
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await gone;
      clearTimeout(timer);
    }
    if (tmp && !process.env.SLUICE_KEEP_DATA) rmSync(tmp, { recursive: true, force: true });
  });

  test("application lifecycle: create, start, pump a filtered record to the output stream, errors, stop, delete", async () => {
    const [inName, outName, app] = [uniqueName("js-ka-in"), uniqueName("js-ka-out"), uniqueName("js-ka-app")];
    const arnOf = {};
    for (const name of [inName, outName]) {
      await kinesis.send(new k.CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      arnOf[name] = (await until(`${name} ACTIVE`, async () => {
        const s = (await kinesis.send(new k.DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary;
        return s.StreamStatus === "ACTIVE" && s;
      })).StreamARN;
      assert.equal(arnOf[name], `arn:aws:kinesis:${REGION}:000000000000:stream/${name}`);
    }
    const role = "arn:aws:iam::000000000000:role/x";
    const inputs = [{
      NamePrefix: "SOURCE_SQL_STREAM",
      KinesisStreamsInput: { ResourceARN: arnOf[inName], RoleARN: role },
      InputSchema: {
        RecordFormat: { RecordFormatType: "JSON", MappingParameters: { JSONMappingParameters: { RecordRowPath: "$" } } },
        RecordEncoding: "UTF-8",
        RecordColumns: [
          { Name: "ticker", SqlType: "VARCHAR(4)", Mapping: "$.ticker" },
          { Name: "price", SqlType: "DOUBLE", Mapping: "$.price" },
        ],
      },
    }];
    const outputs = [{
      Name: "DESTINATION_SQL_STREAM",
      KinesisStreamsOutput: { ResourceARN: arnOf[outName], RoleARN: role },
      DestinationSchema: { RecordFormatType: "JSON" },
    }];
    const code = (select) => `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker VARCHAR(4), price DOUBLE);\n` +
      `CREATE OR REPLACE PUMP "P" AS INSERT INTO "DESTINATION_SQL_STREAM" ${select} FROM "SOURCE_SQL_STREAM_001" WHERE "price" > 10;\n`;
    const create = (ApplicationName, ApplicationCode) =>
      analytics.send(new ka.CreateApplicationCommand({ ApplicationName, ApplicationCode, Inputs: inputs, Outputs: outputs }));
    const describe = async () => (await analytics.send(new ka.DescribeApplicationCommand({ ApplicationName: app }))).ApplicationDetail;
    const rejectsWith = (promise, name, check = () => {}) => assert.rejects(promise, (err) => {
      assert.equal(err.name, name, `${err.name}: ${err.message}`);
      assert.equal(err.$metadata.httpStatusCode, 400);
      check(err);
      return true;
    });

    try {
      const created = await create(app, code(`SELECT STREAM UPPER("ticker"), "price"`));
      assert.equal(created.ApplicationSummary.ApplicationName, app);

      const d = await describe();
      assert.equal(d.ApplicationStatus, "READY");
      assert.equal(d.ApplicationVersionId, 1);
      assert.equal(d.InputDescriptions[0].InputId, "1.1");
      assert.deepEqual(d.InputDescriptions[0].InAppStreamNames, ["SOURCE_SQL_STREAM_001"]);
      const listed = await analytics.send(new ka.ListApplicationsCommand({}));
      assert.ok(listed.ApplicationSummaries.some((a) => a.ApplicationName === app), JSON.stringify(listed.ApplicationSummaries));

      const enc = (o) => new TextEncoder().encode(JSON.stringify(o));
      const put = await kinesis.send(new k.PutRecordsCommand({ StreamName: inName, Records: [
        { Data: enc({ ticker: "amzn", price: 150.5 }), PartitionKey: "a" },
        { Data: enc({ ticker: "ibm", price: 5 }), PartitionKey: "b" },
      ] }));
      assert.equal(put.FailedRecordCount ?? 0, 0);
      await analytics.send(new ka.StartApplicationCommand({ ApplicationName: app, InputConfigurations: [
        { Id: "1.1", InputStartingPositionConfiguration: { InputStartingPosition: "TRIM_HORIZON" } },
      ] }));
      await until("RUNNING", async () => (await describe()).ApplicationStatus === "RUNNING");

      let { ShardIterator: it } = await kinesis.send(new k.GetShardIteratorCommand({
        StreamName: outName, ShardId: "shardId-000000000000", ShardIteratorType: "TRIM_HORIZON" }));
      const got = [];
      const deadline = Date.now() + 15_000;
      while (got.length === 0 && Date.now() < deadline) {
        const page = await kinesis.send(new k.GetRecordsCommand({ ShardIterator: it }));
        got.push(...page.Records);
        it = page.NextShardIterator;
        if (got.length === 0) await sleep(250);
      }
      assert.equal(got.length, 1, "no record on the output stream after 15 s");
      assert.deepEqual(JSON.parse(new TextDecoder().decode(got[0].Data)), { TICKER: "AMZN", PRICE: 150.5 });

      await rejectsWith(create(app, code(`SELECT STREAM UPPER("ticker"), "price"`)), "ResourceInUseException");
      await rejectsWith(analytics.send(new ka.UpdateApplicationCommand({ ApplicationName: app, CurrentApplicationVersionId: 99,
        ApplicationUpdate: { ApplicationCodeUpdate: code(`SELECT STREAM "ticker", "price"`) } })), "ConcurrentModificationException");
      await rejectsWith(create(uniqueName("js-ka-bad"), code(`SELECT STREAM nope, "price"`)), "CodeValidationException",
        (err) => assert.match(err.message, /line/));

      await analytics.send(new ka.StopApplicationCommand({ ApplicationName: app }));
      const stopped = await until("READY after StopApplication", async () => { const s = await describe(); return s.ApplicationStatus === "READY" && s; });
      await analytics.send(new ka.DeleteApplicationCommand({ ApplicationName: app, CreateTimestamp: stopped.CreateTimestamp }));
      await rejectsWith(describe(), "ResourceNotFoundException");
    } finally {
      for (const name of [inName, outName]) await kinesis.send(new k.DeleteStreamCommand({ StreamName: name }));
    }
  });
});
