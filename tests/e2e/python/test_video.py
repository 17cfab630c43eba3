"""Kinesis Video Streams end to end: boto3's `kinesisvideo`, `kinesis-video-media` and
`kinesis-video-archived-media` clients, PutMedia as AWS documents it (a chunked Matroska body,
newline-separated acknowledgements), and ffmpeg as the producer and the judge of what plays."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import (ACCESS_KEY, REGION, SECRET_KEY, error_code, http_status, signature_headers,
                      unique_name)

FFMPEG = shutil.which("ffmpeg")


def client(service: str, endpoint: str):
    return boto3.session.Session().client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=30))


@pytest.fixture
def kv(sluice):
    return client("kinesisvideo", sluice.endpoint)


def data_endpoint(kv, name: str, api: str) -> str:
    return kv.get_data_endpoint(StreamName=name, APIName=api)["DataEndpoint"]


@pytest.fixture(scope="module")
def sample_mkv(tmp_path_factory) -> Path:
    """6 s of H.264 (25 fps, a key frame every 25 frames) and AAC, in Matroska."""
    assert FFMPEG, "ffmpeg is required (scripts/test.sh installs it)"
    out = tmp_path_factory.mktemp("video") / "sample.mkv"
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
         "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
         "-t", "6", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25",
         "-sc_threshold", "0", "-bf", "0", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
         "-f", "matroska", str(out)],
        check=True)
    return out


def framemd5(path: Path, stream: str = "v:0", copy: bool = False) -> list[str]:
    """The md5 of every decoded frame (or, with `copy`, every packet) of one stream, in order."""
    codec = ["-c", "copy"] if copy else []
    out = subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-i", str(path), "-map", f"0:{stream}",
         *codec, "-f", "framemd5", "-"], check=True, capture_output=True, text=True).stdout
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines()
            if line and not line.startswith("#")]


def put_media(endpoint: str, name: str, data: bytes, chunk: int = 4096,
              timecode_type: str = "RELATIVE", start: float | None = None) -> list[dict]:
    """PutMedia with a chunked body; returns the acknowledgements."""
    def body():
        for i in range(0, len(data), chunk):
            yield data[i:i + chunk]
    headers = {"x-amzn-stream-name": name, "x-amzn-fragment-timecode-type": timecode_type,
               **signature_headers("kinesisvideo")}
    if start is not None:
        headers["x-amzn-producer-start-timestamp"] = f"{start:.3f}"
    r = requests.post(f"{endpoint}/putMedia", data=body(), headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines() if line.strip()]


def split_chunks(payload: bytes) -> list[bytes]:
    """Splits GetMedia's payload into its Matroska documents by walking the EBML elements."""
    def vint(b: bytes, i: int, keep_marker: bool) -> tuple[int, int]:
        first = b[i]
        n = 1
        while n <= 8 and not first & (0x80 >> (n - 1)):
            n += 1
        v = first if keep_marker else first & (0xFF >> n)
        for k in range(1, n):
            v = (v << 8) | b[i + k]
        unknown = not keep_marker and v == (1 << (7 * n)) - 1
        return (-1 if unknown else v), n

    chunks, i, start = [], 0, None
    while i < len(payload):
        eid, n = vint(payload, i, True)
        size, m = vint(payload, i + n, False)
        if eid == 0x1A45DFA3:
            if start is not None:
                chunks.append(payload[start:i])
            start = i
        if eid == 0x18538067 and size == -1:
            i += n + m  # into the unknown-size Segment
            continue
        assert size >= 0, f"unknown size element {eid:#x} at {i}"
        i += n + m + size
    if start is not None:
        chunks.append(payload[start:])
    return chunks


def simple_tags(chunk: bytes) -> dict[str, str]:
    """The AWS_KINESISVIDEO_* tags of one chunk: each a TagName (0x45A3) then a TagString
    (0x4487), both with one-byte sizes."""
    tags = {}
    at = 0
    while True:
        at = chunk.find(b"\x45\xa3", at)
        if at < 0:
            return tags
        size = chunk[at + 2] & 0x7F
        name = chunk[at + 3:at + 3 + size]
        at += 3 + size
        if not name.startswith(b"AWS_KINESISVIDEO_"):
            continue
        assert chunk[at:at + 2] == b"\x44\x87", name
        vsize = chunk[at + 2] & 0x7F
        tags[name.decode()] = chunk[at + 3:at + 3 + vsize].decode()


def read_media(endpoint: str, name: str, selector: dict, fragments: int,
               timeout: float = 20.0) -> bytes:
    """GetMedia until `fragments` chunks have arrived (the answer never ends by itself)."""
    media = client("kinesis-video-media", endpoint)
    resp = media.get_media(StreamName=name, StartSelector=selector)
    assert resp["ContentType"] == "video/webm"
    body = resp["Payload"]
    got = b""
    deadline = time.monotonic() + timeout
    while got.count(b"AWS_KINESISVIDEO_CONTINUATION_TOKEN") < fragments:
        assert time.monotonic() < deadline, f"{got.count(b'AWS_KINESISVIDEO_CONTINUATION_TOKEN')} chunks"
        # read1: what has arrived, without waiting for a full buffer.
        piece = body._raw_stream.read1(65536)
        if not piece:
            break
        got += piece
    body.close()
    return got


def test_control_plane_follows_the_api(kv):
    name = unique_name("video")
    arn = kv.create_stream(StreamName=name, DataRetentionInHours=24, MediaType="video/h264",
                           DeviceName="camera-1", Tags={"team": "media"})["StreamARN"]
    assert arn.startswith(f"arn:aws:kinesisvideo:{REGION}:") and f":stream/{name}/" in arn
    info = kv.describe_stream(StreamName=name)["StreamInfo"]
    assert info["StreamARN"] == arn and info["Status"] == "ACTIVE"
    assert info["DataRetentionInHours"] == 24 and info["MediaType"] == "video/h264"
    assert info["DeviceName"] == "camera-1"
    assert info["KmsKeyId"].endswith(":alias/aws/kinesisvideo")
    assert kv.describe_stream(StreamARN=arn)["StreamInfo"]["StreamName"] == name

    with pytest.raises(ClientError) as e:
        kv.create_stream(StreamName=name)
    assert error_code(e.value) == "ResourceInUseException"
    with pytest.raises(ClientError) as e:
        kv.describe_stream(StreamName=name + "-missing")
    assert error_code(e.value) == "ResourceNotFoundException" and http_status(e.value) == 404

    version = info["Version"]
    with pytest.raises(ClientError) as e:
        kv.update_stream(StreamName=name, CurrentVersion="stale", MediaType="video/h265")
    assert error_code(e.value) == "VersionMismatchException"
    kv.update_stream(StreamName=name, CurrentVersion=version, MediaType="video/h264,audio/aac")
    info = kv.describe_stream(StreamName=name)["StreamInfo"]
    assert info["MediaType"] == "video/h264,audio/aac" and info["Version"] != version

    kv.update_data_retention(StreamName=name, CurrentVersion=info["Version"],
                             Operation="INCREASE_DATA_RETENTION", DataRetentionChangeInHours=24)
    info = kv.describe_stream(StreamName=name)["StreamInfo"]
    assert info["DataRetentionInHours"] == 48
    with pytest.raises(ClientError) as e:
        kv.update_data_retention(StreamName=name, CurrentVersion=info["Version"],
                                 Operation="DECREASE_DATA_RETENTION", DataRetentionChangeInHours=49)
    assert error_code(e.value) == "InvalidArgumentException"

    kv.tag_stream(StreamName=name, Tags={"env": "test"})
    assert kv.list_tags_for_stream(StreamName=name)["Tags"] == {"team": "media", "env": "test"}
    kv.untag_stream(StreamARN=arn, TagKeyList=["team"])
    kv.tag_resource(ResourceARN=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert kv.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"env": "test", "k": "v"}
    with pytest.raises(ClientError) as e:
        kv.tag_stream(StreamName=name, Tags={f"t{i}": "x" for i in range(49)})
    assert error_code(e.value) == "TagsPerResourceExceededLimitException"

    endpoint = kv.get_data_endpoint(StreamName=name, APIName="PUT_MEDIA")["DataEndpoint"]
    assert endpoint.startswith("http://127.0.0.1:")

    names = [s["StreamName"] for s in kv.list_streams(
        StreamNameCondition={"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": name})["StreamInfoList"]]
    assert names == [name]

    with pytest.raises(ClientError) as e:
        kv.delete_stream(StreamARN=arn, CurrentVersion="stale")
    assert error_code(e.value) == "VersionMismatchException"
    kv.delete_stream(StreamARN=arn)
    with pytest.raises(ClientError) as e:
        kv.describe_stream(StreamName=name)
    assert error_code(e.value) == "ResourceNotFoundException"


def test_list_streams_pages(kv):
    prefix = unique_name("vpage")
    for i in range(5):
        kv.create_stream(StreamName=f"{prefix}-{i}", DataRetentionInHours=1)
    seen = []
    for page in kv.get_paginator("list_streams").paginate(
            StreamNameCondition={"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": prefix},
            PaginationConfig={"PageSize": 2}):
        assert len(page["StreamInfoList"]) <= 2
        seen += [s["StreamName"] for s in page["StreamInfoList"]]
    assert seen == [f"{prefix}-{i}" for i in range(5)]


def test_signaling_channels_answer_that_they_are_out_of_scope(kv):
    with pytest.raises(ClientError) as e:
        kv.create_signaling_channel(ChannelName="c")
    assert error_code(e.value) == "InvalidArgumentException"
    assert "signaling" in e.value.response["Error"]["Message"]


def test_configurations_are_kept(kv):
    name = unique_name("vconf")
    kv.create_stream(StreamName=name, DataRetentionInHours=1)
    assert "NotificationConfiguration" not in kv.describe_notification_configuration(StreamName=name)
    config = {"Status": "ENABLED", "DestinationConfig": {"Uri": "http://127.0.0.1:9/hook"}}
    kv.update_notification_configuration(StreamName=name, NotificationConfiguration=config)
    assert kv.describe_notification_configuration(StreamName=name)["NotificationConfiguration"] == config
    image = {"Status": "ENABLED", "ImageSelectorType": "SERVER_TIMESTAMP",
             "DestinationConfig": {"Uri": "s3://bucket/images", "DestinationRegion": "us-east-1"},
             "SamplingInterval": 3000, "Format": "JPEG", "WidthPixels": 320}
    kv.update_image_generation_configuration(StreamName=name, ImageGenerationConfiguration=image)
    got = kv.describe_image_generation_configuration(StreamName=name)["ImageGenerationConfiguration"]
    assert got == image


def test_put_media_acknowledges_every_fragment_and_get_media_plays_it_back(kv, sample_mkv):
    name = unique_name("vput")
    kv.create_stream(StreamName=name, DataRetentionInHours=1, MediaType="video/h264,audio/aac")
    endpoint = data_endpoint(kv, name, "PUT_MEDIA")
    start = 1_767_225_600.0
    acks = put_media(endpoint, name, sample_mkv.read_bytes(), start=start)
    kinds = [a["EventType"] for a in acks]
    assert "ERROR" not in kinds, acks
    persisted = [a for a in acks if a["EventType"] == "PERSISTED"]
    # One fragment per key frame: 6 s with a key frame every second.
    assert len(persisted) == 6, acks
    assert kinds.count("BUFFERING") == 6 and kinds.count("RECEIVED") == 6
    numbers = [a["FragmentNumber"] for a in persisted]
    assert numbers == sorted(numbers) and len(set(numbers)) == 6
    assert all(len(n) == 47 and n.isdigit() for n in numbers)
    # A Cluster's timecode is its first block's: the key frame, or audio a few ms either side.
    timecodes = [a["FragmentTimecode"] for a in persisted]
    assert all(abs(t - 1000 * i) < 50 for i, t in enumerate(timecodes)), timecodes
    # Each fragment's acknowledgements come in order: BUFFERING, RECEIVED, PERSISTED.
    for n in numbers:
        assert [a["EventType"] for a in acks if a.get("FragmentNumber") == n] == [
            "BUFFERING", "RECEIVED", "PERSISTED"]

    archived = client("kinesis-video-archived-media", data_endpoint(kv, name, "LIST_FRAGMENTS"))
    fragments = archived.list_fragments(StreamName=name)["Fragments"]
    fragments.sort(key=lambda f: f["FragmentNumber"])
    assert [f["FragmentNumber"] for f in fragments] == numbers
    assert [round(f["ProducerTimestamp"].timestamp() - start, 3) for f in fragments] == [
        t / 1000 for t in timecodes]
    assert all(950 <= f["FragmentLengthInMilliseconds"] <= 1050 for f in fragments), fragments
    assert all(f["FragmentSizeInBytes"] > 0 for f in fragments)
    page = archived.list_fragments(
        StreamName=name, FragmentSelector={
            "FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": start + 1.5, "EndTimestamp": start + 4.5}})
    assert sorted(f["FragmentNumber"] for f in page["Fragments"]) == numbers[2:5]

    payload = read_media(data_endpoint(kv, name, "GET_MEDIA"), name,
                         {"StartSelectorType": "EARLIEST"}, 6)
    chunks = split_chunks(payload)
    assert len(chunks) == 6
    tags = [simple_tags(c) for c in chunks]
    assert [t["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] for t in tags] == numbers
    assert [t["AWS_KINESISVIDEO_PRODUCER_TIMESTAMP"] for t in tags] == [
        f"{start + t / 1000:.3f}" for t in timecodes]
    assert all(t["AWS_KINESISVIDEO_CONTINUATION_TOKEN"] == n for t, n in zip(tags, numbers))

    # Frame for frame, what went in is what comes out.
    work = sample_mkv.parent
    video_md5 = []
    audio_md5 = []
    for i, c in enumerate(chunks):
        p = work / f"{name}-{i}.mkv"
        p.write_bytes(c)
        video_md5 += framemd5(p, "v:0")
        audio_md5 += framemd5(p, "a:0", copy=True)
    assert video_md5 == framemd5(sample_mkv, "v:0")
    assert len(video_md5) == 150
    # AAC frames depend on the one before, so audio is compared packet for packet.
    assert audio_md5 == framemd5(sample_mkv, "a:0", copy=True)

    # After a fragment: the ones after it.
    later = read_media(data_endpoint(kv, name, "GET_MEDIA"), name,
                       {"StartSelectorType": "FRAGMENT_NUMBER", "AfterFragmentNumber": numbers[3]}, 2)
    assert [simple_tags(c)["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] for c in split_chunks(later)] == numbers[4:]
    by_time = read_media(data_endpoint(kv, name, "GET_MEDIA"), name,
                         {"StartSelectorType": "PRODUCER_TIMESTAMP", "StartTimestamp": start + 4.5}, 1)
    assert simple_tags(split_chunks(by_time)[0])["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] == numbers[5]

    listed = client("kinesis-video-archived-media", data_endpoint(kv, name, "GET_MEDIA_FOR_FRAGMENT_LIST"))
    got = listed.get_media_for_fragment_list(StreamName=name, Fragments=[numbers[1], numbers[0]])
    assert [simple_tags(c)["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] for c in split_chunks(got["Payload"].read())] == [
        numbers[1], numbers[0]]


def test_a_piped_ffmpeg_stream_is_cut_at_key_frames(kv, sample_mkv):
    """ffmpeg writing to a pipe starts Clusters every second or 32 KiB, not at key frames;
    Sluice still forms fragments that start at key frames."""
    name = unique_name("vpipe")
    kv.create_stream(StreamName=name, DataRetentionInHours=1)
    piped = subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-i", str(sample_mkv), "-c", "copy",
         "-cluster_size_limit", "20000", "-f", "matroska", "-"], check=True, capture_output=True).stdout
    acks = put_media(data_endpoint(kv, name, "PUT_MEDIA"), name, piped, chunk=1000, start=1_767_225_600.0)
    persisted = [a for a in acks if a["EventType"] == "PERSISTED"]
    assert "ERROR" not in [a["EventType"] for a in acks], acks
    timecodes = [a["FragmentTimecode"] for a in persisted]
    assert len(timecodes) == 6 and all(abs(t - 1000 * i) < 50 for i, t in enumerate(timecodes)), acks
    payload = read_media(data_endpoint(kv, name, "GET_MEDIA"), name, {"StartSelectorType": "EARLIEST"}, 6)
    video = []
    for i, c in enumerate(split_chunks(payload)):
        p = sample_mkv.parent / f"{name}-{i}.mkv"
        p.write_bytes(c)
        video += framemd5(p, "v:0")
    assert video == framemd5(sample_mkv, "v:0")


def test_live_get_media_follows_new_fragments(kv, sample_mkv):
    name = unique_name("vlive")
    kv.create_stream(StreamName=name, DataRetentionInHours=1)
    media = client("kinesis-video-media", data_endpoint(kv, name, "GET_MEDIA"))
    # GetMedia's answer begins (its start is fixed) before anything is put.
    resp = media.get_media(StreamName=name, StartSelector={"StartSelectorType": "NOW"})
    producer = threading.Thread(target=lambda: put_media(
        data_endpoint(kv, name, "PUT_MEDIA"), name, sample_mkv.read_bytes(), start=1_767_225_600.0))
    producer.start()
    body = resp["Payload"]
    got = b""
    deadline = time.monotonic() + 30
    while got.count(b"AWS_KINESISVIDEO_CONTINUATION_TOKEN") < 6:
        assert time.monotonic() < deadline, got.count(b"AWS_KINESISVIDEO_CONTINUATION_TOKEN")
        piece = body._raw_stream.read1(65536)
        assert piece, "GetMedia ended"
        got += piece
    body.close()
    producer.join(30)
    assert len(split_chunks(got)) == 6


def test_bad_media_gets_error_acknowledgements_and_harms_nothing_before(kv, sample_mkv):
    name = unique_name("vbad")
    kv.create_stream(StreamName=name, DataRetentionInHours=1)
    endpoint = data_endpoint(kv, name, "PUT_MEDIA")
    acks = put_media(endpoint, name, b"this is not matroska at all" * 10)
    assert acks[-1]["EventType"] == "ERROR" and acks[-1]["ErrorId"] == 4006, acks
    assert acks[-1]["ErrorCode"] == "INVALID_MKV_DATA"

    # Good fragments, then garbage: the fragments before the garbage stay.
    data = sample_mkv.read_bytes()
    acks = put_media(endpoint, name, data + b"\x00garbage" * 100, start=1_767_225_600.0)
    assert [a["EventType"] for a in acks].count("PERSISTED") >= 5, acks
    assert acks[-1]["EventType"] == "ERROR" and acks[-1]["ErrorId"] == 4006, acks
    archived = client("kinesis-video-archived-media", endpoint)
    fragments = archived.list_fragments(StreamName=name)["Fragments"]
    assert len(fragments) == [a["EventType"] for a in acks].count("PERSISTED")

    # The same media twice in one PutMedia: the second's timecodes go back in time.
    acks = put_media(endpoint, name, data + data, timecode_type="ABSOLUTE")
    assert [a["EventType"] for a in acks].count("PERSISTED") == 6, acks
    assert acks[-1]["EventType"] == "ERROR" and acks[-1]["ErrorId"] == 4004, acks

    r = requests.post(f"{endpoint}/putMedia", data=data[:100],
                      headers={"x-amzn-stream-name": "no-such-stream",
                               "x-amzn-fragment-timecode-type": "ABSOLUTE",
                               **signature_headers("kinesisvideo")})
    assert r.status_code == 404 and r.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"


def test_fragments_survive_a_hard_kill(sluice_factory, sample_mkv):
    srv = sluice_factory("video-crash")
    kv = client("kinesisvideo", srv.endpoint)
    name = unique_name("vcrash")
    kv.create_stream(StreamName=name, DataRetentionInHours=1)
    acks = put_media(srv.endpoint, name, sample_mkv.read_bytes(), start=1_767_225_600.0)
    numbers = [a["FragmentNumber"] for a in acks if a["EventType"] == "PERSISTED"]
    before = read_media(srv.endpoint, name, {"StartSelectorType": "EARLIEST"}, 6)
    srv.restart(hard=True)
    after = read_media(srv.endpoint, name, {"StartSelectorType": "EARLIEST"}, 6)
    assert [simple_tags(c)["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] for c in split_chunks(after)] == numbers
    strip = lambda p: [c.split(b"AWS_KINESISVIDEO_MILLIS_BEHIND_NOW")[0] for c in split_chunks(p)]
    assert strip(after) == strip(before)
    archived = client("kinesis-video-archived-media", srv.endpoint)
    assert len(archived.list_fragments(StreamName=name)["Fragments"]) == 6


def test_several_producers_killed_mid_stream_lose_nothing_acknowledged(sluice_factory, sample_mkv):
    """kill -9 while three PutMedia bodies are still arriving: after the restart every fragment
    acknowledged PERSISTED is listed and plays frame for frame, and every fragment that is listed
    is whole (a torn one is never served)."""
    import socket
    import urllib.parse

    srv = sluice_factory("video-crash-multi")
    kv = client("kinesisvideo", srv.endpoint)
    u = urllib.parse.urlparse(srv.endpoint)
    data = sample_mkv.read_bytes()
    start = 1_767_225_600.0
    names = [unique_name(f"vkill{i}") for i in range(3)]
    for n in names:
        kv.create_stream(StreamName=n, DataRetentionInHours=1)
    acked: dict[str, list[str]] = {n: [] for n in names}

    def produce(name):
        s = socket.create_connection((u.hostname, u.port))
        signed = "".join(f"{k}: {v}\r\n" for k, v in signature_headers("kinesisvideo").items())
        s.sendall((f"POST /putMedia HTTP/1.1\r\nHost: {u.netloc}\r\nTransfer-Encoding: chunked\r\n"
                   f"x-amzn-stream-name: {name}\r\nx-amzn-fragment-timecode-type: RELATIVE\r\n"
                   f"x-amzn-producer-start-timestamp: {start:.3f}\r\n{signed}\r\n").encode())

        def read():
            buf = b""
            try:
                while got := s.recv(65536):
                    buf += got
                    *lines, buf = buf.split(b"\n")
                    for line in lines:
                        if b'"PERSISTED"' in line:
                            acked[name].append(json.loads(line[line.index(b"{"):])["FragmentNumber"])
            except OSError:
                pass
        reader = threading.Thread(target=read)
        reader.start()
        try:
            for i in range(0, len(data), 2048):
                piece = data[i:i + 2048]
                s.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                time.sleep(0.02)
        except OSError:
            pass
        reader.join(10)
        s.close()

    producers = [threading.Thread(target=produce, args=(n,)) for n in names]
    for p in producers:
        p.start()
    deadline = time.monotonic() + 20
    while sum(map(len, acked.values())) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    srv.restart(hard=True)
    for p in producers:
        p.join(30)
    assert sum(map(len, acked.values())) >= 4, acked
    assert any(len(v) < 6 for v in acked.values()), "the kill came after every fragment"

    source = framemd5(sample_mkv, "v:0")
    archived = client("kinesis-video-archived-media", srv.endpoint)
    for n in names:
        listed = archived.list_fragments(StreamName=n)["Fragments"]
        numbers = {f["FragmentNumber"] for f in listed}
        assert set(acked[n]) <= numbers, (n, acked[n], numbers)
        for f in listed:
            got = archived.get_media_for_fragment_list(StreamName=n, Fragments=[f["FragmentNumber"]])
            chunk = sample_mkv.parent / f"{n}-{f['FragmentNumber']}.mkv"
            chunk.write_bytes(got["Payload"].read())
            i = round(f["ProducerTimestamp"].timestamp() - start)
            assert framemd5(chunk, "v:0") == source[25 * i:25 * i + 25], (n, i)


def ebml(eid: bytes, data: bytes) -> bytes:
    """An EBML element with an 8-byte size."""
    return eid + bytes([0x01]) + len(data).to_bytes(7, "big") + data


def with_notification_before(data: bytes, cluster: int, payload: dict[str, str]) -> bytes:
    """`data` (one Matroska document with a Segment of known size) with a Tags element asking
    for a notification inserted before its `cluster`-th Cluster."""
    def vint(i: int, keep: bool) -> tuple[int, int]:
        first = data[i]
        n = 1
        while not first & (0x80 >> (n - 1)):
            n += 1
        v = first if keep else first & (0xFF >> n)
        for k in range(1, n):
            v = (v << 8) | data[i + k]
        return v, n
    simple = [ebml(b"\x67\xc8", ebml(b"\x45\xa3", b"AWS_KINESISVIDEO_NOTIFICATION") + ebml(b"\x44\x87", b""))]
    simple += [ebml(b"\x67\xc8", ebml(b"\x45\xa3", k.encode()) + ebml(b"\x44\x87", v.encode()))
               for k, v in payload.items()]
    tags = ebml(b"\x12\x54\xc3\x67", ebml(b"\x73\x73", b"".join(simple)))
    i, seen, seg_size_at = 0, 0, None
    while i < len(data):
        eid, n = vint(i, True)
        size, m = vint(i + n, False)
        if eid == 0x18538067:
            seg_size_at = (i + n, m, size)
            i += n + m
            continue
        if eid == 0x1F43B675:
            if seen == cluster:
                break
            seen += 1
        i += n + m + size
    at, m, size = seg_size_at
    new_size = (size + len(tags)) | (1 << (7 * m))  # keep the size's length and marker
    return data[:at] + new_size.to_bytes(m, "big") + data[at + m:i] + tags + data[i:]


def test_a_tagged_fragment_is_announced_to_the_http_destination(kv, sample_mkv):
    """A fragment tagged AWS_KINESISVIDEO_NOTIFICATION on a stream with an ENABLED notification
    configuration whose Uri is an HTTP URL: the URL gets an SNS-shaped POST once it is PERSISTED."""
    import http.server
    import socketserver

    got: list[tuple[dict, dict]] = []
    arrived = threading.Event()

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            got.append((dict(self.headers), json.loads(body)))
            self.send_response(200)
            self.end_headers()
            arrived.set()

        def log_message(self, *args):
            pass

    hook = socketserver.TCPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        name = unique_name("vnote")
        kv.create_stream(StreamName=name, DataRetentionInHours=1)
        url = f"http://127.0.0.1:{hook.server_address[1]}/kvs"
        kv.update_notification_configuration(StreamName=name, NotificationConfiguration={
            "Status": "ENABLED", "DestinationConfig": {"Uri": url}})
        media = with_notification_before(sample_mkv.read_bytes(), 2, {"CUSTOM_KEY_1": "motion"})
        start = 1_767_225_600.0
        acks = put_media(data_endpoint(kv, name, "PUT_MEDIA"), name, media, start=start)
        persisted = [a["FragmentNumber"] for a in acks if a["EventType"] == "PERSISTED"]
        assert len(persisted) == 6, acks
        assert arrived.wait(10), "no notification arrived"
        time.sleep(0.5)
        assert len(got) == 1, got
        headers, envelope = got[0]
        assert headers["x-amz-sns-message-type"] == "Notification"
        assert envelope["Type"] == "Notification"
        assert envelope["Subject"] == "Kinesis Video Streams Notification"
        message = json.loads(envelope["Message"])
        arn = kv.describe_stream(StreamName=name)["StreamInfo"]["StreamARN"]
        assert message["StreamArn"] == arn
        assert message["FragmentNumber"] == persisted[2]
        assert message["NotificationType"] == "PERSISTED"
        assert message["NotificationPayload"] == {"CUSTOM_KEY_1": "motion"}
        assert abs(message["FragmentStartProducerTimestamp"] - (start + 2) * 1000) < 50

        # Disabled: nothing more is sent.
        kv.update_notification_configuration(StreamName=name, NotificationConfiguration={
            "Status": "DISABLED", "DestinationConfig": {"Uri": url}})
        arrived.clear()
        put_media(data_endpoint(kv, name, "PUT_MEDIA"), name, media, start=start + 100)
        assert not arrived.wait(2) and len(got) == 1
    finally:
        hook.shutdown()
        hook.server_close()
