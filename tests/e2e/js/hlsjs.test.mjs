// hls.js, in headless Chromium (Debian's, driven by playwright-core), plays Sluice's HLS sessions:
// an ON_DEMAND session of 4 s of H.264 + AAC (fMP4, video and an alternative audio rendition)
// plays to its end with every frame decoded, and a LIVE session starts playing.
// The page is served from another origin than Sluice, as a web application's would be.
// Starts `sluice serve` (SLUICE_BIN, default target/debug/sluice at the repo root; support.mjs). Needs /usr/bin/chromium (scripts/test.sh installs it) and ffmpeg.
//
// Run: node --test tests/e2e/js/hlsjs.test.mjs

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { createRequire } from "node:module";

import { chromium } from "playwright-core";
import * as kv from "@aws-sdk/client-kinesis-video";
import * as archived from "@aws-sdk/client-kinesis-video-archived-media";

import { CREDENTIALS, REGION, signatureHeaders, sleep, startSluice } from "./support.mjs";

const require = createRequire(import.meta.url);
const START = 1_767_225_600;
const uniqueName = (prefix) => `${prefix}-${randomBytes(6).toString("hex")}`;
const CHROMIUM = process.env.SLUICE_CHROMIUM || "/usr/bin/chromium";

// The player page: hls.js plays `?src=` into a muted <video>; the test reads `window.result`.
const PAGE = `<!doctype html><html><body><video id="v" muted playsinline></video>
<script src="/hls.js"></script><script>
const src = new URLSearchParams(location.search).get("src");
const v = document.getElementById("v");
window.result = { errors: [], ended: false };
const hls = new Hls({ enableWorker: false });
hls.on(Hls.Events.ERROR, (_, d) => { window.result.errors.push(d.type + ":" + d.details + (d.fatal ? ":fatal" : "")); });
hls.on(Hls.Events.MANIFEST_PARSED, (_, d) => { window.result.levels = d.levels.map((l) => l.codecSet || l.attrs.CODECS); v.play(); });
hls.on(Hls.Events.AUDIO_TRACKS_UPDATED, (_, d) => { window.result.audioTracks = d.audioTracks.length; });
v.addEventListener("ended", () => { window.result.ended = true; });
hls.loadSource(src);
hls.attachMedia(v);
setInterval(() => {
  window.result.time = v.currentTime;
  window.result.frames = v.getVideoPlaybackQuality().totalVideoFrames;
  window.result.width = v.videoWidth;
}, 100);
</script></body></html>`;

describe("hls.js plays Sluice's HLS sessions", { timeout: 120_000 }, () => {
  let sluice, tmp, endpoint, page_server, page_origin, browser, control, am;

  before(async () => {
    sluice = await startSluice();
    ({ endpoint, tmp } = sluice);
    control = new kv.KinesisVideoClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    am = new archived.KinesisVideoArchivedMediaClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });

    const hlsjs = readFileSync(require.resolve("hls.js/dist/hls.min.js"));
    page_server = http.createServer((req, res) => {
      if (req.url.startsWith("/hls.js")) {
        res.writeHead(200, { "content-type": "text/javascript" }).end(hlsjs);
      } else {
        res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
      }
    });
    await new Promise((r) => page_server.listen(0, "127.0.0.1", r));
    // "localhost" is another origin than Sluice's 127.0.0.1: the fetches are cross-origin.
    page_origin = `http://localhost:${page_server.address().port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
    });
  });

  after(async () => {
    await browser?.close();
    page_server?.close();
    control?.destroy();
    am?.destroy();
    await sluice?.stop();
  });

  async function streamWith(seconds) {
    const name = uniqueName("hlsjs");
    await control.send(new kv.CreateStreamCommand({ StreamName: name, DataRetentionInHours: 1 }));
    const file = path.join(tmp, `${name}.mkv`);
    execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
      "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", String(seconds), "-c:v", "libx264",
      "-preset", "ultrafast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
      "-c:a", "aac", "-b:a", "64k", "-f", "matroska", file]);
    const put = await fetch(`${endpoint}/putMedia`, {
      method: "POST", body: readFileSync(file), headers: {
        "x-amzn-stream-name": name, "x-amzn-fragment-timecode-type": "RELATIVE",
        "x-amzn-producer-start-timestamp": String(START), ...signatureHeaders("kinesisvideo") } });
    const acks = (await put.text()).split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
    assert.equal(acks.filter((a) => a.EventType === "PERSISTED").length, seconds, JSON.stringify(acks));
    return name;
  }

  async function play(url, done, ms = 30_000) {
    const page = await browser.newPage();
    try {
      await page.goto(`${page_origin}/?src=${encodeURIComponent(url)}`);
      const deadline = Date.now() + ms;
      let r;
      while (Date.now() < deadline) {
        r = await page.evaluate(() => window.result);
        if (r.errors.some((e) => e.endsWith(":fatal")) || done(r)) break;
        await sleep(200);
      }
      return r;
    } finally {
      await page.close();
    }
  }

  test("ON_DEMAND plays to the end, every frame decoded, with the audio rendition", async () => {
    const name = await streamWith(4);
    const { HLSStreamingSessionURL } = await am.send(new archived.GetHLSStreamingSessionURLCommand({
      StreamName: name, PlaybackMode: "ON_DEMAND", HLSFragmentSelector: {
        FragmentSelectorType: "PRODUCER_TIMESTAMP",
        TimestampRange: { StartTimestamp: new Date(START * 1000), EndTimestamp: new Date((START + 60) * 1000) } } }));
    const r = await play(HLSStreamingSessionURL, (r) => r.ended);
    assert.deepEqual(r.errors.filter((e) => e.endsWith(":fatal")), [], JSON.stringify(r));
    assert.ok(r.ended, JSON.stringify(r));
    assert.equal(r.width, 320);
    assert.equal(r.audioTracks, 1);
    assert.ok(r.time >= 3.9, JSON.stringify(r));
    assert.ok(r.frames >= 99, JSON.stringify(r));
  });

  test("LIVE starts playing", async () => {
    const name = await streamWith(3);
    const { HLSStreamingSessionURL } = await am.send(new archived.GetHLSStreamingSessionURLCommand({
      StreamName: name, PlaybackMode: "LIVE", HLSFragmentSelector: { FragmentSelectorType: "PRODUCER_TIMESTAMP" } }));
    const r = await play(HLSStreamingSessionURL, (r) => r.frames > 10);
    assert.deepEqual(r.errors.filter((e) => e.endsWith(":fatal")), [], JSON.stringify(r));
    assert.ok(r.frames > 10, JSON.stringify(r));
  });
});
