// What the Video Streams JS suites share: the sluice binary, a free port, polling, and a
// `sluice serve` started on loopback with its own data directory and stopped with SIGTERM.

import { spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const REGION = "us-east-1";
export const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };

// The headers of a complete SigV4 signature (any key, a placeholder signature) for raw fetch()
// calls: Sluice's default `--auth any-key` checks a signature's form, as AWS does, not the
// signature itself.
export function signatureHeaders(service) {
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  return {
    "x-amz-date": amzDate,
    "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
    authorization: `AWS4-HMAC-SHA256 Credential=AKID/${amzDate.slice(0, 8)}/us-east-1/${service}/aws4_request, ` +
      "SignedHeaders=host;x-amz-date, Signature=00",
  };
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function resolveBinary() {
  const raw = process.env.SLUICE_BIN || "target/debug/sluice";
  const candidates = path.isAbsolute(raw) ? [raw] : [path.resolve(process.cwd(), raw), path.resolve(REPO_ROOT, raw)];
  for (const c of candidates) {
    try { accessSync(c, constants.X_OK); return c; } catch { /* try the next one */ }
  }
  throw new Error(`Sluice binary not found (SLUICE_BIN=${raw}; looked at ${candidates.join(", ")})`);
}

export const freePort = () => new Promise((resolve, reject) => {
  const srv = net.createServer().unref().on("error", reject);
  srv.listen(0, "127.0.0.1", () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});

// Polls `fn` until it returns a truthy value; fails with `what` after `ms`.
export async function until(what, fn, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await sleep(100);
  }
  throw new Error(`${what} not reached after ${ms} ms`);
}

// Starts `sluice serve` and waits for /health. Returns { endpoint, tmp, stop }.
export async function startSluice() {
  const port = await freePort();
  const tmp = mkdtempSync(path.join(os.tmpdir(), "sluice-e2e-js-"));
  const log = openSync(path.join(tmp, "sluice.log"), "a");
  const proc = spawn(resolveBinary(), ["serve", "--port", String(port), "--bind", "127.0.0.1", "--data-dir", path.join(tmp, "data")],
    { stdio: ["ignore", log, log], env: { RUST_BACKTRACE: "1", ...process.env } });
  let exited;
  proc.on("exit", (code, signal) => { exited = { code, signal }; });
  const logTail = () => { try { return readFileSync(path.join(tmp, "sluice.log"), "utf8").split("\n").slice(-40).join("\n"); } catch { return "<no log>"; } };
  const endpoint = `http://127.0.0.1:${port}`;
  await until("GET /health 200", async () => {
    if (exited) throw new Error(`sluice exited early (${JSON.stringify(exited)}):\n${logTail()}`);
    try { const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(2000) }); await res.arrayBuffer(); return res.status === 200; } catch { return false; }
  }, 30_000);
  const stop = async () => {
    if (!exited) {
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(tmp, { recursive: true, force: true });
  };
  return { endpoint, tmp, stop };
}
