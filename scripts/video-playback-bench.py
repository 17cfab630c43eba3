#!/usr/bin/env python3
# Usage: scripts/video-playback-bench.py ENDPOINT SERVER_PID [IDLE_STREAMS]
"""Video Streams playback figures against a running server:

1. GetClip of a 60 s range (60 fragments of 1280x720 H.264 at 2 Mbit/s): wall time of each call,
   20 calls, and the clip's size; ffprobe checks the clip is a 60 s MP4.
2. Live HLS latency: a producer sends 20 s of media in real time; for each fragment, the time
   from reading its PERSISTED acknowledgement to its first appearance in a LIVE session's media
   playlist, polled every 5 ms.
3. Memory per idle stream: the server's RSS (from /proc/SERVER_PID) before and after creating
   IDLE_STREAMS (default 1000) streams that never receive media."""
import json, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.parse, uuid
import boto3, requests

EP, PID = sys.argv[1], int(sys.argv[2])
IDLE = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
u = urllib.parse.urlparse(EP)
kw = dict(endpoint_url=EP, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
kv = boto3.client("kinesisvideo", **kw)
am = boto3.client("kinesis-video-archived-media", **kw)


def rss_kib():
    for line in open(f"/proc/{PID}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


def make(seconds, path):
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
                    "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "2000k",
                    "-minrate", "2000k", "-maxrate", "2000k", "-bufsize", "1000k", "-g", "25",
                    "-keyint_min", "25", "-sc_threshold", "0", "-bf", "0", "-f", "matroska", path], check=True)
    return open(path, "rb").read()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def put(name, media, rate=None, on_ack=None):
    """PutMedia over one socket; `rate` bytes/s paces the body (None: as fast as possible)."""
    s = socket.create_connection((u.hostname, u.port))
    s.sendall((f"POST /putMedia HTTP/1.1\r\nHost: {u.netloc}\r\nTransfer-Encoding: chunked\r\n"
               f"x-amzn-stream-name: {name}\r\nx-amzn-fragment-timecode-type: RELATIVE\r\n"
               f"x-amzn-producer-start-timestamp: {time.time():.3f}\r\n\r\n").encode())

    def reader():
        buf = b""
        while True:
            data = s.recv(65536)
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                line = line.strip()
                if line.startswith(b"{") and on_ack:
                    on_ack(json.loads(line), time.monotonic())
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    t0 = time.monotonic()
    for i in range(0, len(media), 16384):
        piece = media[i:i + 16384]
        if rate:
            wait = t0 + (i + len(piece)) / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        s.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
    s.sendall(b"0\r\n\r\n")
    return s, t


with tempfile.TemporaryDirectory() as d:
    clip_media = make(60, f"{d}/60.mkv")
    live_media = make(20, f"{d}/20.mkv")

# 1. GetClip of 60 s.
name = f"clip-{uuid.uuid4().hex[:8]}"
kv.create_stream(StreamName=name, DataRetentionInHours=1)
acks = []
s, t = put(name, clip_media, on_ack=lambda a, _: acks.append(a))
deadline = time.monotonic() + 60
while sum(a["EventType"] == "PERSISTED" for a in acks) < 60 and time.monotonic() < deadline:
    time.sleep(0.05)
s.close()
frags = sorted(am.list_fragments(StreamName=name)["Fragments"], key=lambda f: f["FragmentNumber"])
start = frags[0]["ProducerTimestamp"].timestamp()
end = frags[-1]["ProducerTimestamp"].timestamp()
times, size = [], 0
for _ in range(20):
    t0 = time.perf_counter()
    r = am.get_clip(StreamName=name, ClipFragmentSelector={
        "FragmentSelectorType": "PRODUCER_TIMESTAMP",
        "TimestampRange": {"StartTimestamp": start, "EndTimestamp": end + 0.001}})
    body = r["Payload"].read()
    times.append((time.perf_counter() - t0) * 1000)
    size = len(body)
with tempfile.NamedTemporaryFile(suffix=".mp4") as f:
    f.write(body)
    f.flush()
    dur = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                          f.name], capture_output=True, text=True).stdout.strip()
print(f"GetClip: {len(frags)} fragments, {size / 1e6:.1f} MB, {float(dur):.2f} s of media; "
      f"20 calls: p50 {pct(times, 50):.1f} ms, p90 {pct(times, 90):.1f} ms, max {max(times):.1f} ms, "
      f"min {min(times):.1f} ms", flush=True)

# 2. Live HLS latency: PERSISTED -> in the LIVE media playlist.
name = f"hls-{uuid.uuid4().hex[:8]}"
kv.create_stream(StreamName=name, DataRetentionInHours=1)
persisted = {}
first = threading.Event()


def on_ack(a, at):
    if a["EventType"] == "PERSISTED":
        persisted[a["FragmentNumber"]] = at
        first.set()


s, producer = None, None
box = {}
runner = threading.Thread(target=lambda: box.update(sock=put(name, live_media, len(live_media) / 20, on_ack)))
runner.start()
first.wait(30)
url = am.get_hls_streaming_session_url(StreamName=name, PlaybackMode="LIVE",
                                       MaxMediaPlaylistFragmentResults=5)["HLSStreamingSessionURL"]
master = requests.get(url, timeout=10).text
media_url = url.rsplit("/", 1)[0] + "/" + master.strip().splitlines()[-1]
seen = {}
http = requests.Session()
deadline = time.monotonic() + 40
while time.monotonic() < deadline and len(seen) < 19:
    text = http.get(media_url, timeout=10).text
    now = time.monotonic()
    for line in text.splitlines():
        if "FragmentNumber=" in line:
            n = line.split("FragmentNumber=")[1].split("&")[0]
            seen.setdefault(n, now)
    time.sleep(0.005)
runner.join()
lat = [(seen[n] - persisted[n]) * 1000 for n in seen if n in persisted]
print(f"live HLS: {len(lat)} fragments (1 s each); PERSISTED -> playlist: p50 {pct(lat, 50):.1f} ms, "
      f"p90 {pct(lat, 90):.1f} ms, max {max(lat):.1f} ms", flush=True)

# 3. Memory per idle stream.
before = rss_kib()
for i in range(IDLE):
    kv.create_stream(StreamName=f"idle-{uuid.uuid4().hex[:8]}-{i}", DataRetentionInHours=24)
time.sleep(1)
after = rss_kib()
print(f"idle streams: {IDLE} created; server RSS {before / 1024:.1f} MB -> {after / 1024:.1f} MB, "
      f"{(after - before) * 1024 / IDLE / 1024:.1f} KiB per stream", flush=True)
