"""How long a writer waits for SQLite's write lock when N threads contend, as Tally's to_thread workers do.

Each thread loops: BEGIN IMMEDIATE, hold the lock for --hold ms (the write transaction's work), COMMIT.
`busy_timeout` mode is what Tally does (SQLite's busy handler sleeps 1, 2, 5, 10 ... 100 ms between
tries, so a long waiter polls rarely and newcomers overtake it); `queue` mode takes a threading.Lock
first (waiters are woken as soon as the lock is free). Prints the wait's p50/p99/max.

    .venv/bin/python bench/sqlite_lock_wait.py [--threads 6] [--hold 5] [--seconds 5]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import threading
import time
from pathlib import Path


def run(mode: str, threads: int, hold: float, seconds: float, path: Path) -> list[float]:
    waits: list[float] = []
    gate = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker() -> None:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=30000")
        while time.perf_counter() < stop:
            started = time.perf_counter()
            if mode == "queue":
                gate.acquire()
            conn.execute("BEGIN IMMEDIATE")
            waits.append((time.perf_counter() - started) * 1000)
            conn.execute("INSERT INTO t VALUES (1)")
            time.sleep(hold / 1000)
            conn.execute("COMMIT")
            if mode == "queue":
                gate.release()
        conn.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sorted(waits)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--hold", type=float, default=5.0, help="ms each transaction holds the write lock")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lock.db"
        setup = sqlite3.connect(path, isolation_level=None)
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (x)")
        setup.close()
        for mode in ("busy_timeout", "queue"):
            w = run(mode, args.threads, args.hold, args.seconds, path)
            n = len(w)
            print(
                f"{mode:>12}: {n} transactions ({n / args.seconds:.0f}/s), wait for the lock "
                f"p50 {w[n // 2]:.1f} ms  p99 {w[int(0.99 * (n - 1))]:.1f} ms  max {w[-1]:.1f} ms"
            )


if __name__ == "__main__":
    main()
