#!/usr/bin/env python3
# Usage: scripts/video-bench.py ENDPOINT STREAMS SECONDS [KBIT_PER_S]
"""Concurrent PutMedia: STREAMS producers, each sending a recorded H.264 stream (1 s key-frame
interval) at KBIT_PER_S (default 2000) in real time, one HTTP/1.1 chunked connection each. For every
fragment, the latency from writing its last byte to reading its PERSISTED acknowledgement.
Prints the count, the percentiles, and how many fragments took more than 1 s.

The media is made once with ffmpeg (testsrc2 at the target bitrate). One thread per producer
writes the body as wall-clock time allows; acknowledgements are read on the same socket."""
import json, selectors, socket, subprocess, sys, tempfile, threading, time, urllib.parse, uuid
import boto3

EP = sys.argv[1]; N = int(sys.argv[2]); SECS = int(sys.argv[3])
KBPS = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
u = urllib.parse.urlparse(EP)
kv = boto3.client("kinesisvideo", endpoint_url=EP, region_name="us-east-1",
                  aws_access_key_id="x", aws_secret_access_key="x")

with tempfile.TemporaryDirectory() as d:
    path = f"{d}/m.mkv"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
                    "-t", str(SECS), "-c:v", "libx264", "-preset", "ultrafast", "-b:v", f"{KBPS}k",
                    "-minrate", f"{KBPS}k", "-maxrate", f"{KBPS}k", "-bufsize", f"{KBPS // 2}k",
                    "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-f", "matroska", path], check=True)
    media = open(path, "rb").read()

# Where each Cluster ends, and its timecode: a fragment's last byte is written just before the
# next key-frame Cluster begins (or the body ends).
def clusters(b):
    def vint(i, keep):
        f = b[i]; n = 1
        while not f & (0x80 >> (n - 1)): n += 1
        v = f if keep else f & (0xFF >> n)
        for k in range(1, n): v = (v << 8) | b[i + k]
        return v, n
    i, out = 0, []
    while i < len(b):
        eid, n = vint(i, True); size, m = vint(i + n, False)
        if eid == 0x18538067: i += n + m; continue
        if eid == 0x1F43B675: out.append(i)
        i += n + m + size
    return out
starts = clusters(media)
bitrate = len(media) * 8 / SECS / 1000
print(f"media: {len(media)} bytes, {len(starts)} clusters, {bitrate:.0f} kbit/s", flush=True)

names = [f"bench-{uuid.uuid4().hex[:8]}-{i}" for i in range(N)]
for n in names:
    kv.create_stream(StreamName=n, DataRetentionInHours=1)

lat, errors, lock = [], [], threading.Lock()
def produce(name):
    s = socket.create_connection((u.hostname, u.port))
    s.sendall((f"POST /putMedia HTTP/1.1\r\nHost: {u.netloc}\r\nTransfer-Encoding: chunked\r\n"
               f"x-amzn-stream-name: {name}\r\nx-amzn-fragment-timecode-type: RELATIVE\r\n"
               f"x-amzn-producer-start-timestamp: {time.time():.3f}\r\n\r\n").encode())
    sent_at = {}  # fragment index -> time its last byte was written
    rate = len(media) / SECS
    t0 = time.time(); pos = 0; frag = 0
    bounds = starts[1:] + [len(media)]
    buf = b""; persisted = 0
    s.setblocking(False)
    def read_acks():
        nonlocal buf, persisted
        try:
            while True:
                got = s.recv(65536)
                if not got: return
                buf += got
        except BlockingIOError:
            pass
        now = time.time()
        for line in buf.split(b"\n")[:-1]:
            if b"PERSISTED" in line:
                persisted += 1
                if persisted - 1 in sent_at:
                    with lock: lat.append(now - sent_at[persisted - 1])
            elif b"ERROR" in line:
                with lock: errors.append(line)
        buf = buf.split(b"\n")[-1]
    for end in bounds:
        due = t0 + end / rate
        piece = media[pos:end]; pos = end
        while time.time() < due:
            read_acks(); time.sleep(min(0.02, max(0, due - time.time())))
        s.setblocking(True)
        s.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
        s.setblocking(False)
        # A fragment is complete when the next key-frame Cluster starts: one per second here.
        sent_at[frag] = time.time(); frag += 1
    s.setblocking(True); s.sendall(b"0\r\n\r\n")
    # The rest of the acknowledgements, until the answer's last chunk or 10 s. (The socket's
    # timeout is set again after each read: setblocking(True) would clear it.)
    deadline = time.time() + 10
    seen = b""
    while time.time() < deadline:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            got = s.recv(65536)
        except socket.timeout:
            break
        if not got: break
        seen = (seen + got)[-16:]
        buf += got
        s.setblocking(False); read_acks()
        if seen.endswith(b"0\r\n\r\n"): break
    s.close()

threads = [threading.Thread(target=produce, args=(n,)) for n in names]
t = time.time()
for th in threads: th.start()
for th in threads: th.join()
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
print(f"streams {N} x {bitrate:.0f} kbit/s for {SECS} s: {len(lat)} fragments PERSISTED, "
      f"errors {len(errors)}; last byte → PERSISTED p50 {pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms, "
      f"max {pct(1.0):.1f} ms; over 1 s: {sum(1 for x in lat if x > 1)}; wall {time.time() - t:.1f} s",
      flush=True)
