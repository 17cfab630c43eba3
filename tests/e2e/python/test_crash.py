"""Crash safety: SIGKILL the server while producers write, restart, and check durability.

An acknowledged record (HTTP 200 with a sequence number) must survive any number of
`kill -9`s with identical data, partition key, shard and sequence number. Records
whose request was in flight at the kill may be present or absent, but never twice.
Sequence numbers never repeat and strictly increase per shard, across restarts too.

Set SLUICE_CRASH_SEED to reproduce a particular schedule of kill moments.
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from conftest import read_shard, unique_name, wait_stream_active

CYCLES = 3
PRODUCERS = 4
SHARDS = 4
TOTAL_BUDGET_S = 60.0


@dataclass
class Ledger:
    """What the producers know. Keyed by the record's unique data payload."""
    acked: dict = field(default_factory=dict)      # data -> (shard, seq, pk)
    attempted: dict = field(default_factory=dict)  # data -> pk, every record ever sent
    errors: list = field(default_factory=list)     # (kind, detail) of failed requests, for the report
    crashes: list = field(default_factory=list)    # unexpected exceptions inside producer threads
    lock: threading.Lock = field(default_factory=threading.Lock)


def producer(client, stream: str, pid: int, cycle: int, stop: threading.Event, ledger: Ledger,
             rng: random.Random) -> None:
    try:
        _produce(client, stream, pid, cycle, stop, ledger, rng)
    except BaseException as exc:  # surfaced by the test after join()
        with ledger.lock:
            ledger.crashes.append(f"producer {pid}: {exc!r}")


def _produce(client, stream: str, pid: int, cycle: int, stop: threading.Event, ledger: Ledger,
             rng: random.Random) -> None:
    n = 0
    while not stop.is_set():
        batch = []
        size = 1 if rng.random() < 0.3 else rng.randint(2, 25)
        for _ in range(size):
            data = f"c{cycle}-p{pid}-n{n}-{rng.getrandbits(32):08x}".encode() + b"\x00\xff" * rng.randint(0, 40)
            pk = f"pk-{pid}-{rng.randint(0, 63)}"
            n += 1
            batch.append((data, pk))
        with ledger.lock:
            for data, pk in batch:
                ledger.attempted[data] = pk
        try:
            if size == 1:
                data, pk = batch[0]
                r = client.put_record(StreamName=stream, Data=data, PartitionKey=pk)
                acks = [(data, pk, r["ShardId"], r["SequenceNumber"])]
            else:
                r = client.put_records(StreamName=stream,
                                       Records=[{"Data": d, "PartitionKey": p} for d, p in batch])
                assert len(r["Records"]) == len(batch), r
                acks = [(d, p, e["ShardId"], e["SequenceNumber"])
                        for (d, p), e in zip(batch, r["Records"]) if "ErrorCode" not in e]
        except (BotoCoreError, ClientError) as exc:  # connection refused/reset, throttling...
            with ledger.lock:
                ledger.errors.append((type(exc).__name__, str(exc)[:200]))
            time.sleep(0.02)
            continue
        with ledger.lock:
            for d, p, shard, seq in acks:
                assert d not in ledger.acked
                ledger.acked[d] = (shard, seq, p)


def test_sigkill_during_writes_loses_no_acknowledged_record(sluice_factory):
    t_start = time.monotonic()
    seed = int(os.environ.get("SLUICE_CRASH_SEED", "20260101"))
    rng = random.Random(seed)
    srv = sluice_factory("crash")
    try:
        admin = srv.client()
        stream = unique_name("crash")
        admin.create_stream(StreamName=stream, ShardCount=SHARDS, StreamModeDetails={"StreamMode": "PROVISIONED"})
        wait_stream_active(admin, stream)
        ledger = Ledger()
        acked_per_cycle = []

        for cycle in range(CYCLES):
            stop = threading.Event()
            clients = [srv.client(connect_timeout=2, read_timeout=5) for _ in range(PRODUCERS)]
            threads = [threading.Thread(target=producer, name=f"producer-{i}",
                                        args=(clients[i], stream, i, cycle, stop, ledger,
                                              random.Random(rng.getrandbits(64))), daemon=True)
                       for i in range(PRODUCERS)]
            before = len(ledger.acked)
            for t in threads:
                t.start()
            time.sleep(rng.uniform(1.0, 3.0))  # the random moment
            srv.kill()                         # SIGKILL while requests are in flight
            time.sleep(0.2)                    # let producers see the dead server
            stop.set()
            for t in threads:
                t.join(timeout=15)
                assert not t.is_alive(), f"{t.name} hung after the kill"
            assert not ledger.crashes, ledger.crashes
            acked_per_cycle.append(len(ledger.acked) - before)
            srv.start()
            # The stream survives the crash.
            summary = wait_stream_active(admin, stream, timeout=10)
            assert summary["OpenShardCount"] == SHARDS
            assert time.monotonic() - t_start < TOTAL_BUDGET_S, "crash test exceeded its time budget"

        assert all(n > 0 for n in acked_per_cycle), (
            f"a cycle acknowledged no record: {acked_per_cycle}; errors: {ledger.errors[:5]}")

        # Read everything back from a fresh process view.
        found: dict[bytes, tuple] = {}
        seen_seqs: set[tuple[str, str]] = set()
        shards = admin.list_shards(StreamName=stream)["Shards"]
        assert len(shards) == SHARDS
        for s in shards:
            recs = read_shard(admin, stream, s["ShardId"], timeout=30)
            nums = [int(r["SequenceNumber"]) for r in recs]
            for a, b in zip(nums, nums[1:]):
                assert a < b, f"{s['ShardId']}: sequence numbers not strictly increasing ({a} then {b})"
            for r in recs:
                key = (s["ShardId"], r["SequenceNumber"])
                assert key not in seen_seqs, f"sequence number {key} appears twice"
                seen_seqs.add(key)
                assert r["Data"] not in found, f"record {r['Data'][:40]!r} is stored twice"
                found[r["Data"]] = (s["ShardId"], r["SequenceNumber"], r["PartitionKey"])

        missing = [d for d in ledger.acked if d not in found]
        assert not missing, (f"{len(missing)} of {len(ledger.acked)} acknowledged records lost after SIGKILL, "
                             f"e.g. {missing[:3]} (seed {seed})")
        wrong = [(d, ledger.acked[d], found[d]) for d in ledger.acked if found[d] != ledger.acked[d]]
        assert not wrong, f"{len(wrong)} acknowledged records changed: {wrong[:3]} (seed {seed})"
        phantom = [d for d in found if d not in ledger.attempted]
        assert not phantom, f"records nobody sent: {phantom[:3]}"
        pk_mismatch = [d for d in found if found[d][2] != ledger.attempted[d]]
        assert not pk_mismatch, f"partition keys changed: {pk_mismatch[:3]}"

        # Writes still work after all the crashes, and continue the sequence.
        last = max(int(seq) for shard, seq in seen_seqs if shard == "shardId-000000000000") \
            if any(shard == "shardId-000000000000" for shard, _ in seen_seqs) else -1
        r = admin.put_record(StreamName=stream, Data=b"after-crashes", PartitionKey="final",
                             ExplicitHashKey="0")
        assert r["ShardId"] == "shardId-000000000000"
        assert int(r["SequenceNumber"]) > last
        print(f"crash test: seed={seed} acked={len(ledger.acked)} per-cycle={acked_per_cycle} "
              f"stored={len(found)} attempted={len(ledger.attempted)} errors={len(ledger.errors)}")
        assert time.monotonic() - t_start < TOTAL_BUDGET_S + 15, "crash test far exceeded its time budget"
    finally:
        srv.stop()
