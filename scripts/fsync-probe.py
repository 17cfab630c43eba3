#!/usr/bin/env python3
"""How long `fdatasync` takes on this disk, with no server running: the floor under Sluice's
write latency (BENCHMARKS.md). Writes 16 KB and syncs, in a loop, into a zero-filled 64 MiB file
(so each sync writes data only), for SECONDS (default 15), in DIR (default: the current directory).

    python3 scripts/fsync-probe.py [SECONDS] [DIR]
"""

import os
import sys
import time


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 15.0
    directory = sys.argv[2] if len(sys.argv) > 2 else "."
    path = os.path.join(directory, f"fsync-probe-{os.getpid()}.tmp")
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY)
    try:
        os.write(fd, b"\0" * (64 << 20))
        os.fsync(fd)
        os.lseek(fd, 0, 0)
        buf = b"x" * 16000
        lat = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t = time.perf_counter()
            os.write(fd, buf)
            os.fdatasync(fd)
            lat.append(time.perf_counter() - t)
            if os.lseek(fd, 0, os.SEEK_CUR) > (60 << 20):
                os.lseek(fd, 0, 0)
    finally:
        os.close(fd)
        os.unlink(path)
    lat.sort()
    n = len(lat)
    print(
        f"{n} syncs: p50 {lat[n // 2] * 1e3:.2f} ms, p99 {lat[int(n * 0.99)] * 1e3:.2f} ms, "
        f"p99.9 {lat[int(n * 0.999)] * 1e3:.2f} ms, max {lat[-1] * 1e3:.1f} ms; "
        f"over 10 ms: {sum(x > 0.01 for x in lat)}, over 100 ms: {sum(x > 0.1 for x in lat)}"
    )


if __name__ == "__main__":
    main()
