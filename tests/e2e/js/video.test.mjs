// End-to-end test of Sluice's Kinesis Video Streams with the AWS SDK for JavaScript v3:
// @aws-sdk/client-kinesis-video (control plane), @aws-sdk/client-kinesis-video-media (GetMedia) and
// @aws-sdk/client-kinesis-video-archived-media (ListFragments, HLS and DASH sessions, GetClip).
// PutMedia has no JS client; it is a chunked fetch() of Matroska made by ffmpeg, as AWS documents.
// Starts `sluice serve` (SLUICE_BIN, default target/debug/sluice at the repo root; support.mjs).
//
// Run: node --test tests/e2e/js/video.test.mjs

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";

import * as kv from "@aws-sdk/client-kinesis-video";
import * as media from "@aws-sdk/client-kinesis-video-media";
import * as archived from "@aws-sdk/client-kinesis-video-archived-media";

import { CREDENTIALS, REGION, signatureHeaders, startSluice } from "./support.mjs";

const START = 1_767_225_600;
const uniqueName = (prefix) => `${prefix}-${randomBytes(6).toString("hex")}`;

describe("Kinesis Video Streams with the JS SDK", { timeout: 120_000 }, () => {
  let sluice, tmp, endpoint, control, clip;

  before(async () => {
    sluice = await startSluice();
    ({ endpoint, tmp } = sluice);
    control = new kv.KinesisVideoClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    // 3 s of H.264 with a key frame every second: three fragments.
    clip = path.join(tmp, "in.mkv");
    execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25",
      "-t", "3", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
      "-bf", "0", "-pix_fmt", "yuv420p", "-f", "matroska", clip]);
  });

  after(async () => {
    control?.destroy();
    await sluice?.stop();
  });

  test("create, describe, list, tag, update and delete", async () => {
    const name = uniqueName("jsv");
    const { StreamARN } = await control.send(new kv.CreateStreamCommand({
      StreamName: name, DataRetentionInHours: 2, MediaType: "video/h264", Tags: { team: "js" } }));
    assert.match(StreamARN, /^arn:aws:kinesisvideo:us-east-1:\d{12}:stream\/jsv-[0-9a-f]+\/\d+$/);
    const { StreamInfo } = await control.send(new kv.DescribeStreamCommand({ StreamName: name }));
    assert.equal(StreamInfo.Status, "ACTIVE");
    assert.equal(StreamInfo.DataRetentionInHours, 2);
    assert.ok(StreamInfo.CreationTime instanceof Date);
    const listed = await control.send(new kv.ListStreamsCommand({
      StreamNameCondition: { ComparisonOperator: "BEGINS_WITH", ComparisonValue: name } }));
    assert.deepEqual(listed.StreamInfoList.map((s) => s.StreamName), [name]);
    const tags = await control.send(new kv.ListTagsForStreamCommand({ StreamARN }));
    assert.deepEqual(tags.Tags, { team: "js" });
    await control.send(new kv.UpdateStreamCommand({ StreamName: name, CurrentVersion: StreamInfo.Version, DeviceName: "cam" }));
    await assert.rejects(
      control.send(new kv.UpdateStreamCommand({ StreamName: name, CurrentVersion: StreamInfo.Version, DeviceName: "x" })),
      (e) => e.name === "VersionMismatchException");
    const ep = await control.send(new kv.GetDataEndpointCommand({ StreamName: name, APIName: "GET_HLS_STREAMING_SESSION_URL" }));
    assert.equal(ep.DataEndpoint, endpoint);
    await control.send(new kv.DeleteStreamCommand({ StreamARN }));
    await assert.rejects(control.send(new kv.DescribeStreamCommand({ StreamName: name })),
      (e) => e.name === "ResourceNotFoundException" && e.$metadata.httpStatusCode === 404);
  });

  test("PutMedia, then GetMedia, ListFragments, HLS, DASH and GetClip", async () => {
    const name = uniqueName("jsvp");
    await control.send(new kv.CreateStreamCommand({ StreamName: name, DataRetentionInHours: 1 }));
    const put = await fetch(`${endpoint}/putMedia`, {
      method: "POST", body: readFileSync(clip), headers: {
        "x-amzn-stream-name": name, "x-amzn-fragment-timecode-type": "RELATIVE",
        "x-amzn-producer-start-timestamp": String(START), ...signatureHeaders("kinesisvideo") } });
    assert.equal(put.status, 200);
    const acks = (await put.text()).split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
    const persisted = acks.filter((a) => a.EventType === "PERSISTED").map((a) => a.FragmentNumber);
    assert.equal(persisted.length, 3, JSON.stringify(acks));

    const am = new archived.KinesisVideoArchivedMediaClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    try {
      const { Fragments } = await am.send(new archived.ListFragmentsCommand({ StreamName: name }));
      assert.deepEqual(Fragments.map((f) => f.FragmentNumber).sort(), persisted);
      assert.ok(Fragments.every((f) => f.ProducerTimestamp instanceof Date && f.FragmentLengthInMilliseconds >= 950));

      const { HLSStreamingSessionURL } = await am.send(new archived.GetHLSStreamingSessionURLCommand({
        StreamName: name, PlaybackMode: "ON_DEMAND", HLSFragmentSelector: {
          FragmentSelectorType: "PRODUCER_TIMESTAMP",
          TimestampRange: { StartTimestamp: new Date(START * 1000), EndTimestamp: new Date((START + 60) * 1000) } } }));
      const master = await (await fetch(HLSStreamingSessionURL)).text();
      assert.match(master, /^#EXTM3U/);
      const playlistUrl = new URL(master.trim().split("\n").pop(), HLSStreamingSessionURL);
      const playlist = await (await fetch(playlistUrl)).text();
      assert.equal((playlist.match(/getMP4MediaFragment/g) || []).length, 3);
      assert.match(playlist, /#EXT-X-ENDLIST/);

      const { DASHStreamingSessionURL } = await am.send(new archived.GetDASHStreamingSessionURLCommand({
        StreamName: name, PlaybackMode: "LIVE" }));
      const mpd = await (await fetch(DASHStreamingSessionURL)).text();
      assert.match(mpd, /<MPD [^>]*type="dynamic"/);

      const got = await am.send(new archived.GetClipCommand({ StreamName: name, ClipFragmentSelector: {
        FragmentSelectorType: "PRODUCER_TIMESTAMP",
        TimestampRange: { StartTimestamp: new Date(START * 1000), EndTimestamp: new Date((START + 60) * 1000) } } }));
      assert.equal(got.ContentType, "video/mp4");
      const mp4 = Buffer.from(await got.Payload.transformToByteArray());
      assert.equal(mp4.subarray(4, 8).toString(), "ftyp");
      const frames = execFileSync("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
        "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", "-"], { input: mp4 }).toString().trim();
      assert.equal(frames, "75");

      await assert.rejects(am.send(new archived.GetImagesCommand({ StreamName: name, ImageSelectorType: "PRODUCER_TIMESTAMP",
        StartTimestamp: new Date(START * 1000), EndTimestamp: new Date((START + 2) * 1000), SamplingInterval: 1000, Format: "JPEG" })),
      (e) => e.name === "InvalidArgumentException");
    } finally {
      am.destroy();
    }

    const gm = new media.KinesisVideoMediaClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    try {
      const out = await gm.send(new media.GetMediaCommand({ StreamName: name, StartSelector: { StartSelectorType: "EARLIEST" } }));
      assert.equal(out.ContentType, "video/webm");
      // GetMedia follows the live edge and never ends by itself: read the three fragments.
      let seen = Buffer.alloc(0);
      for await (const chunk of out.Payload) {
        seen = Buffer.concat([seen, chunk]);
        if (seen.toString("latin1").split("AWS_KINESISVIDEO_CONTINUATION_TOKEN").length - 1 >= 3) break;
      }
      for (const n of persisted) assert.ok(seen.includes(Buffer.from(n)), n);
      out.Payload.destroy?.();
    } finally {
      gm.destroy();
    }
  });
});
