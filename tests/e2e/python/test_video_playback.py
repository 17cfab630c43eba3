"""Kinesis Video Streams playback end to end: HLS sessions (GetHLSStreamingSessionURL, then the
playlists and fMP4 fragments a player fetches) and GetClip, with boto3's
`kinesis-video-archived-media` client, and ffmpeg as the player that judges what plays."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import error_code, http_status, signature_headers, unique_name
from test_video import FFMPEG, client, data_endpoint, framemd5, kv, put_media  # noqa: F401

START = 1_767_225_600.0


def encode(out: Path, *extra: str, video: list[str] | None = None) -> Path:
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
         "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
         "-t", "6", *(video or ["-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
                                "-keyint_min", "25", "-sc_threshold", "0", "-pix_fmt", "yuv420p"]),
         *extra, "-c:a", "aac", "-b:a", "64k", "-f", "matroska", str(out)],
        check=True)
    return out


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    """6 s of H.264 + AAC with a key frame every second: without B-frames, and with them."""
    assert FFMPEG, "ffmpeg is required (scripts/test.sh installs it)"
    d = tmp_path_factory.mktemp("playback")
    return {
        "plain": encode(d / "plain.mkv", "-bf", "0"),
        "bframes": encode(d / "bframes.mkv", "-bf", "2"),
    }


def stream_with(kv, path: Path, prefix: str, fragments: int = 6) -> str:
    name = unique_name(prefix)
    kv.create_stream(StreamName=name, DataRetentionInHours=1)
    acks = put_media(data_endpoint(kv, name, "PUT_MEDIA"), name, path.read_bytes(), start=START)
    assert [a["EventType"] for a in acks].count("PERSISTED") == fragments, acks
    return name


def hls_url(kv, name: str, **kw) -> str:
    archived = client("kinesis-video-archived-media",
                      data_endpoint(kv, name, "GET_HLS_STREAMING_SESSION_URL"))
    return archived.get_hls_streaming_session_url(StreamName=name, **kw)["HLSStreamingSessionURL"]


def on_demand(start: float = START, end: float = START + 60) -> dict:
    return {"PlaybackMode": "ON_DEMAND", "HLSFragmentSelector": {
        "FragmentSelectorType": "PRODUCER_TIMESTAMP",
        "TimestampRange": {"StartTimestamp": start, "EndTimestamp": end}}}


def fetch(url: str) -> requests.Response:
    r = requests.get(url, timeout=30)
    assert r.status_code == 200, (url, r.status_code, r.text)
    return r


def relative(base: str, line: str) -> str:
    return base.rsplit("/", 1)[0] + "/" + line


def probe_format(url: str) -> str:
    """ffprobe's name for what a URL serves (it reads the playlist or manifest and its segments)."""
    return subprocess.run(
        [FFMPEG.replace("ffmpeg", "ffprobe"), "-v", "error", "-show_entries", "format=format_name",
         "-of", "csv=p=0", url], capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.parametrize("kind", ["plain", "bframes"])
def test_an_on_demand_hls_session_plays_frame_for_frame(kv, media, kind, tmp_path):
    source = media[kind]
    name = stream_with(kv, source, "vhls")
    url = hls_url(kv, name, **on_demand(), DisplayFragmentTimestamp="ALWAYS")
    assert "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" in url

    master = fetch(url)
    assert master.headers["content-type"].lower() == "application/x-mpegurl"
    # Browser players fetch from pages of any origin.
    assert master.headers["access-control-allow-origin"] == "*"
    text = master.text
    assert text.startswith("#EXTM3U")
    inf = re.search(r"#EXT-X-STREAM-INF:(.*)", text).group(1)
    assert re.search(r'CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"', inf), inf
    assert "RESOLUTION=320x240" in inf and 'AUDIO="audio"' in inf
    assert re.search(r'#EXT-X-MEDIA:TYPE=AUDIO,.*URI="getHLSMediaPlaylist\.m3u8\?TrackNumber=2&', text)
    video_playlist = [line for line in text.splitlines() if line.startswith("getHLSMediaPlaylist")][-1]

    playlist = fetch(relative(url, video_playlist)).text
    segments = [line for line in playlist.splitlines() if line.startswith("getMP4MediaFragment")]
    assert len(segments) == 6, playlist
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist and playlist.rstrip().endswith("#EXT-X-ENDLIST")
    assert re.search(r'#EXT-X-MAP:URI="getMP4InitFragment\.mp4\?TrackNumber=1&SessionToken=', playlist)
    durations = [float(d) for d in re.findall(r"#EXTINF:([0-9.]+),", playlist)]
    # With B-frames, a fragment's frames are shown up to two frames after the next one starts.
    assert all(0.9 <= d <= 1.12 for d in durations), durations
    # Producer timestamps, as DisplayFragmentTimestamp=ALWAYS asks.
    stamps = re.findall(r"#EXT-X-PROGRAM-DATE-TIME:(\S+)", playlist)
    assert stamps[0].startswith("2026-01-01T00:00:00"), stamps
    # PRODUCER_TIMESTAMP defaults to DiscontinuityMode NEVER.
    assert "#EXT-X-DISCONTINUITY\n" not in playlist

    init = fetch(relative(url, re.search(r'#EXT-X-MAP:URI="([^"]+)"', playlist).group(1)))
    assert init.headers["content-type"] == "video/mp4"
    assert init.content[4:8] == b"ftyp" and b"moov" in init.content and b"avcC" in init.content
    fragment = fetch(relative(url, segments[0])).content
    assert fragment[4:8] == b"moof" and b"mdat" in fragment

    # ffprobe reads every segment, each behind the initialization segment, as one video stream.
    for line in segments:
        probe = subprocess.run(
            [FFMPEG.replace("ffmpeg", "ffprobe"), "-v", "error", "-count_frames", "-show_entries",
             "stream=codec_name,nb_read_frames", "-of", "csv=p=0", "-"],
            input=init.content + fetch(relative(url, line)).content, capture_output=True, check=True)
        assert probe.stdout.decode().strip() == "h264,25", probe
    assert probe_format(url) == "hls"
    # ffmpeg, as an HLS player, decodes exactly the frames that went in.
    assert framemd5(url, "v:0") == framemd5(source, "v:0")
    assert len(framemd5(url, "v:0")) == 150
    # The audio rendition carries the AAC packets byte for byte.
    assert framemd5(url, "a:0", copy=True) == framemd5(source, "a:0", copy=True)


def test_an_mpeg_ts_hls_session_plays_frame_for_frame(kv, media):
    source = media["bframes"]
    name = stream_with(kv, source, "vhlsts")
    url = hls_url(kv, name, **on_demand(), ContainerFormat="MPEG_TS")
    master = fetch(url).text
    # One rendition: each TS segment carries every track.
    assert "#EXT-X-MEDIA" not in master and master.count("#EXT-X-STREAM-INF") == 1
    assert re.search(r'CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"', master), master
    playlist = fetch(relative(url, master.strip().splitlines()[-1])).text
    segments = [line for line in playlist.splitlines() if line.startswith("getTSFragment.ts?")]
    assert len(segments) == 6 and "#EXT-X-MAP" not in playlist, playlist
    seg = fetch(relative(url, segments[0]))
    assert seg.headers["content-type"] == "video/MP2T"
    assert len(seg.content) % 188 == 0 and seg.content[::188] == b"\x47" * (len(seg.content) // 188)
    streams = subprocess.run(
        [FFMPEG.replace("ffmpeg", "ffprobe"), "-v", "error", "-show_entries", "stream=codec_name",
         "-of", "csv=p=0", "-"], input=seg.content, capture_output=True, check=True).stdout.decode().split()
    assert sorted(set(streams)) == ["aac", "h264"], streams  # (listed per program too)
    assert probe_format(url) == "hls"
    assert framemd5(url, "v:0") == framemd5(source, "v:0")
    # The AAC frames arrive ADTS-framed; every one of them decodes.
    assert len(framemd5(url, "a:0")) == len(framemd5(source, "a:0"))


def test_a_dash_session_plays_frame_for_frame(kv, media):
    import xml.etree.ElementTree as ET

    source = media["bframes"]
    name = stream_with(kv, source, "vdash")
    archived = client("kinesis-video-archived-media",
                      data_endpoint(kv, name, "GET_DASH_STREAMING_SESSION_URL"))
    url = archived.get_dash_streaming_session_url(
        StreamName=name, PlaybackMode="ON_DEMAND", DisplayFragmentNumber="ALWAYS",
        DisplayFragmentTimestamp="ALWAYS",
        DASHFragmentSelector={"FragmentSelectorType": "PRODUCER_TIMESTAMP",
                              "TimestampRange": {"StartTimestamp": START, "EndTimestamp": START + 60}},
    )["DASHStreamingSessionURL"]
    assert "/dash/v1/getDASHManifest.mpd?SessionToken=" in url
    r = fetch(url)
    assert r.headers["content-type"] == "application/dash+xml"
    ns = {"d": "urn:mpeg:dash:schema:mpd:2011"}
    mpd = ET.fromstring(r.content)
    assert mpd.get("type") == "static"
    sets = mpd.findall("d:Period/d:AdaptationSet", ns)
    assert [a.get("contentType") for a in sets] == ["video", "audio"]
    codecs = [a.find("d:Representation", ns).get("codecs") for a in sets]
    assert codecs[0].startswith("avc1.") and codecs[1] == "mp4a.40.2"
    timeline = sets[0].findall(".//d:S", ns)
    assert len(timeline) == 6
    numbers = sorted(f["FragmentNumber"] for f in client(
        "kinesis-video-archived-media", data_endpoint(kv, name, "LIST_FRAGMENTS")
    ).list_fragments(StreamName=name)["Fragments"])
    kvs = "{https://kinesisvideo.amazonaws.com/dash}"
    assert [s.get(kvs + "fn") for s in timeline] == numbers
    assert timeline[0].get(kvs + "ts").startswith("2026-01-01T00:00:00")
    assert probe_format(url) == "dash"
    # ffmpeg, as a DASH player, decodes exactly the frames that went in.
    assert framemd5(url, "v:0") == framemd5(source, "v:0")
    assert framemd5(url, "a:0", copy=True) == framemd5(source, "a:0", copy=True)

    live = archived.get_dash_streaming_session_url(StreamName=name, PlaybackMode="LIVE",
                                                   MaxManifestFragmentResults=3)
    mpd = ET.fromstring(fetch(live["DASHStreamingSessionURL"]).content)
    assert mpd.get("type") == "dynamic"
    assert len(mpd.findall("d:Period/d:AdaptationSet", ns)[0].findall(".//d:S", ns)) == 3
    # An HLS session's token is not a DASH session's.
    hls = hls_url(kv, name, **on_demand()).split("SessionToken=")[1]
    assert requests.get(url.split("SessionToken=")[0] + "SessionToken=" + hls, timeout=10).status_code == 401


def test_hls_sessions_select_fragments_as_aws_documents(kv, media):
    name = stream_with(kv, media["plain"], "vhlsel")
    # ON_DEMAND over a time range: only fragments that start in it, at most the maximum.
    url = hls_url(kv, name, **on_demand(START + 1.5, START + 4.5))
    media_url = relative(url, fetch(url).text.strip().splitlines()[-1])
    assert len(re.findall("getMP4MediaFragment", fetch(media_url).text)) == 3
    url = hls_url(kv, name, **on_demand(), MaxMediaPlaylistFragmentResults=2)
    playlist = fetch(relative(url, fetch(url).text.strip().splitlines()[-1])).text
    assert len(re.findall("getMP4MediaFragment", playlist)) == 2

    # LIVE: the newest fragments (all were ingested just now), no end, no VOD type.
    url = hls_url(kv, name, PlaybackMode="LIVE", MaxMediaPlaylistFragmentResults=3)
    playlist = fetch(relative(url, fetch(url).text.strip().splitlines()[-1])).text
    assert len(re.findall("getMP4MediaFragment", playlist)) == 3
    assert "#EXT-X-ENDLIST" not in playlist and "#EXT-X-PLAYLIST-TYPE" not in playlist
    # SERVER_TIMESTAMP (LIVE's default) marks a discontinuity between every fragment.
    assert playlist.count("#EXT-X-DISCONTINUITY\n") == 2
    sequence = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", playlist).group(1))
    archived = client("kinesis-video-archived-media", data_endpoint(kv, name, "LIST_FRAGMENTS"))
    numbers = sorted(f["FragmentNumber"] for f in archived.list_fragments(StreamName=name)["Fragments"])
    assert re.findall(r"FragmentNumber=(\d+)", playlist) == numbers[3:]
    assert sequence == 3

    # A fragment of the stream that is not in the session is refused.
    outside = media_url.replace("getHLSMediaPlaylist.m3u8?", f"getMP4MediaFragment.mp4?FragmentNumber={numbers[0]}&")
    assert requests.get(outside, timeout=10).status_code == 400


def test_hls_errors_are_aws_shaped(kv, media, tmp_path):
    archived = lambda name: client(  # noqa: E731
        "kinesis-video-archived-media", data_endpoint(kv, name, "GET_HLS_STREAMING_SESSION_URL"))
    name = unique_name("vhlserr")
    kv.create_stream(StreamName=name, DataRetentionInHours=1)
    a = archived(name)
    # No fragments at all: nothing to play live, nothing in the range.
    with pytest.raises(ClientError) as e:
        a.get_hls_streaming_session_url(StreamName=name, PlaybackMode="LIVE")
    assert error_code(e.value) == "ResourceNotFoundException" and http_status(e.value) == 404
    with pytest.raises(ClientError) as e:
        a.get_hls_streaming_session_url(StreamName=name, **on_demand())
    assert error_code(e.value) == "ResourceNotFoundException"
    # Bad input, sent as it is (boto3 would check some of it itself).
    endpoint = data_endpoint(kv, name, "GET_HLS_STREAMING_SESSION_URL")
    for bad in [{"PlaybackMode": "ON_DEMAND"},
                {"PlaybackMode": "ON_DEMAND", "HLSFragmentSelector": {
                    "FragmentSelectorType": "PRODUCER_TIMESTAMP",
                    "TimestampRange": {"StartTimestamp": START}}},
                {**on_demand(START + 10, START)},
                {"PlaybackMode": "LIVE", "HLSFragmentSelector": {
                    "FragmentSelectorType": "SERVER_TIMESTAMP",
                    "TimestampRange": {"StartTimestamp": START}}},
                {"PlaybackMode": "LIVE", "ContainerFormat": "MPEG_PS"},
                {"PlaybackMode": "LIVE", "Expires": 100},
                {"PlaybackMode": "SOMETIMES"},
                {"PlaybackMode": "LIVE", "MaxMediaPlaylistFragmentResults": 5001}]:
        r = requests.post(f"{endpoint}/getHLSStreamingSessionURL", json={"StreamName": name, **bad},
                          headers=signature_headers("kinesisvideo"), timeout=10)
        assert r.status_code == 400 and r.headers["x-amzn-errortype"] == "InvalidArgumentException", (
            bad, r.status_code, r.text)
    with pytest.raises(ClientError) as e:
        a.get_hls_streaming_session_url(StreamName=unique_name("nosuch"), PlaybackMode="LIVE")
    assert error_code(e.value) == "ResourceNotFoundException"

    # GetImages would need a video decoder: it says so.
    with pytest.raises(ClientError) as e:
        client("kinesis-video-archived-media", data_endpoint(kv, name, "GET_IMAGES")).get_images(
            StreamName=name, ImageSelectorType="PRODUCER_TIMESTAMP", StartTimestamp=START,
            EndTimestamp=START + 5, SamplingInterval=1000, Format="JPEG")
    assert error_code(e.value) == "InvalidArgumentException" and "not supported" in str(e.value)

    # A stream without retention cannot be played through HLS.
    bare = unique_name("vhlsnr")
    kv.create_stream(StreamName=bare, DataRetentionInHours=0)
    with pytest.raises(ClientError) as e:
        archived(bare).get_hls_streaming_session_url(StreamName=bare, PlaybackMode="LIVE")
    assert error_code(e.value) == "NoDataRetentionException"

    # Motion JPEG has no HLS packaging. (Every frame is a key frame: a fragment each.)
    mjpeg = encode(tmp_path / "mjpeg.mkv", video=["-c:v", "mjpeg"])
    other = stream_with(kv, mjpeg, "vhlsmj", fragments=150)
    with pytest.raises(ClientError) as e:
        archived(other).get_hls_streaming_session_url(StreamName=other, **on_demand())
    assert error_code(e.value) == "UnsupportedStreamMediaTypeException"

    # A forged or altered token is refused by every HLS resource.
    good = stream_with(kv, media["plain"], "vhlstok")
    url = hls_url(kv, good, **on_demand())
    assert requests.get(url, timeout=10).status_code == 200
    token = url.split("SessionToken=")[1]
    forged = url.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    r = requests.get(forged, timeout=10)
    assert r.status_code == 401 and r.headers["x-amzn-errortype"] == "NotAuthorizedException", r.text
    # A session ends with its stream.
    kv.delete_stream(StreamARN=kv.describe_stream(StreamName=good)["StreamInfo"]["StreamARN"])
    assert requests.get(url, timeout=10).status_code in (401, 404)


def test_get_clip_returns_a_playable_mp4_of_the_range(kv, media, tmp_path):
    source = media["bframes"]
    name = stream_with(kv, source, "vclip")
    clips = client("kinesis-video-archived-media", data_endpoint(kv, name, "GET_CLIP"))
    got = clips.get_clip(StreamName=name, ClipFragmentSelector={
        "FragmentSelectorType": "PRODUCER_TIMESTAMP",
        "TimestampRange": {"StartTimestamp": START + 0.5, "EndTimestamp": START + 3.5}})
    assert got["ContentType"] == "video/mp4"
    out = tmp_path / "clip.mp4"
    out.write_bytes(got["Payload"].read())
    probe = subprocess.run(
        [FFMPEG.replace("ffmpeg", "ffprobe"), "-v", "error", "-show_entries", "format=format_name,duration",
         "-of", "default=nw=1", str(out)], check=True, capture_output=True, text=True).stdout
    assert "format_name=mov,mp4" in probe, probe
    # Fragments 1, 2 and 3 start in the range: frames 25 to 99 of the source.
    assert framemd5(out, "v:0") == framemd5(source, "v:0")[25:100]
    assert len(framemd5(out, "a:0", copy=True)) > 100

    with pytest.raises(ClientError) as e:
        clips.get_clip(StreamName=name, ClipFragmentSelector={
            "FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": START + 100, "EndTimestamp": START + 200}})
    assert error_code(e.value) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        clips.get_clip(StreamName=name, ClipFragmentSelector={
            "FragmentSelectorType": "SERVER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": time.time(), "EndTimestamp": time.time() - 10}})
    assert error_code(e.value) == "InvalidArgumentException"


def test_the_cli_streams_reads_back_and_plays(sluice, sluice_binary, media, tmp_path):
    """`sluice video put` from ffmpeg's pipe, `sluice video get` and `sluice video hls`."""
    source = media["plain"]
    env = {**os.environ, "SLUICE_ENDPOINT": sluice.endpoint, "RUST_BACKTRACE": "0"}
    cli = lambda *args, **kw: subprocess.run(  # noqa: E731
        [str(sluice_binary), "video", *args], env=env, capture_output=True, text=True, check=True, **kw)
    name = unique_name("vcli")
    assert cli("create", name, "--retention-hours", "1").stdout.startswith("arn:aws:kinesisvideo:")
    assert name in cli("list").stdout
    producer = subprocess.Popen(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-i", str(source), "-c", "copy", "-f", "matroska", "-"],
        stdout=subprocess.PIPE)
    put = subprocess.run([str(sluice_binary), "video", "put", name], stdin=producer.stdout, env=env,
                         capture_output=True, text=True, timeout=120)
    producer.wait()
    assert put.returncode == 0, put.stderr
    acks = [json.loads(line) for line in put.stdout.splitlines()]
    assert [a["EventType"] for a in acks].count("PERSISTED") >= 6 and "ERROR" not in str(acks)

    out = tmp_path / "back.mkv"
    cli("get", name, "-o", str(out))
    assert framemd5(out, "v:0") == framemd5(source, "v:0")
    # One Matroska document (one EBML header), which ffmpeg reads without a warning.
    back = out.read_bytes()
    assert back.count(b"\x1a\x45\xdf\xa3") == 1
    check = subprocess.run([FFMPEG, "-hide_banner", "-v", "warning", "-i", str(out), "-f", "null", "-"],
                           capture_output=True, text=True, check=True)
    assert check.stderr.strip() == "", check.stderr

    url = cli("hls", name, "--mode", "on-demand").stdout.strip()
    assert framemd5(url, "v:0") == framemd5(source, "v:0")
    live = cli("hls", name).stdout.strip()
    assert requests.get(live, timeout=10).status_code == 200
    assert '"Status": "ACTIVE"' in cli("describe", name).stdout
    cli("delete", name)
    assert name not in cli("list").stdout


def test_the_aws_cli_gets_a_clip_and_session_urls(aws_cli, kv, media, tmp_path):
    name = stream_with(kv, media["plain"], "vawscli")
    out = tmp_path / "clip.mp4"
    r = aws_cli("kinesis-video-archived-media", "get-clip", "--stream-name", name,
                "--clip-fragment-selector",
                f"FragmentSelectorType=PRODUCER_TIMESTAMP,TimestampRange={{StartTimestamp={START},"
                f"EndTimestamp={START + 10}}}", str(out))
    assert r.json["ContentType"] == "video/mp4", r
    assert framemd5(out, "v:0") == framemd5(media["plain"], "v:0")
    r = aws_cli("kinesis-video-archived-media", "get-hls-streaming-session-url", "--stream-name", name,
                "--playback-mode", "LIVE")
    assert fetch(r.json["HLSStreamingSessionURL"]).text.startswith("#EXTM3U")
    r = aws_cli("kinesis-video-archived-media", "get-dash-streaming-session-url", "--stream-name", name,
                "--playback-mode", "LIVE")
    assert b"<MPD" in fetch(r.json["DASHStreamingSessionURL"]).content


def test_hls_follows_a_change_of_codec_private_data(kv, tmp_path):
    """Two PutMedia calls at different resolutions into one stream: the playlist gives the second
    run of fragments its own initialization segment, and every packet plays."""
    small = tmp_path / "small.mkv"
    large = tmp_path / "large.mkv"
    for out, size in [(small, "320x240"), (large, "640x360")]:
        subprocess.run(
            [FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=25",
             "-t", "3", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25",
             "-sc_threshold", "0", "-bf", "0", "-pix_fmt", "yuv420p", "-f", "matroska", str(out)], check=True)
    name = unique_name("vcpd")
    kv.create_stream(StreamName=name, DataRetentionInHours=1)
    endpoint = data_endpoint(kv, name, "PUT_MEDIA")
    for path, start in [(small, START), (large, START + 3)]:
        acks = put_media(endpoint, name, path.read_bytes(), start=start)
        assert [a["EventType"] for a in acks].count("PERSISTED") == 3, acks
    url = hls_url(kv, name, **on_demand())
    playlist = fetch(relative(url, fetch(url).text.strip().splitlines()[-1])).text
    maps = re.findall(r'#EXT-X-MAP:URI="([^"]+)"', playlist)
    assert len(maps) == 2 and "FragmentNumber=" in maps[1], playlist
    assert playlist.count("#EXT-X-DISCONTINUITY\n") == 1
    second = fetch(relative(url, maps[1])).content
    probe = subprocess.run(
        [FFMPEG.replace("ffmpeg", "ffprobe"), "-v", "error", "-show_entries", "stream=width,height",
         "-of", "csv=p=0", "-"], input=second, capture_output=True, check=True).stdout.decode().strip()
    assert probe == "640,360", probe
    assert framemd5(url, "v:0", copy=True) == framemd5(small, "v:0", copy=True) + framemd5(large, "v:0", copy=True)


@pytest.mark.parametrize("container", ["FRAGMENTED_MP4", "MPEG_TS"])
def test_h265_plays_frame_for_frame(kv, tmp_path, container):
    source = tmp_path / "h265.mkv"
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
         "-t", "3", "-c:v", "libx265", "-preset", "ultrafast",
         "-x265-params", "keyint=25:min-keyint=25:scenecut=0:log-level=error", "-f", "matroska", str(source)],
        check=True)
    name = stream_with(kv, source, "vhevc", fragments=3)
    url = hls_url(kv, name, **on_demand(), ContainerFormat=container)
    assert re.search(r'CODECS="hvc1\.[0-9A-C]?\d+\.[0-9A-F]+\.[LH]\d+', fetch(url).text)
    assert framemd5(url, "v:0") == framemd5(source, "v:0")
