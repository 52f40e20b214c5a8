"""Python's multiprocessing.Pool, measured as bench/pool.mjs measures the others.

Usage: python3 bench/pool.py <start method> <burst counts comma-separated> <round trips>
       <map items> <imap items> <MB sizes comma-separated>
Prints one JSON object.
"""
import json
import multiprocessing as mp
import resource
import statistics
import sys
import time


def increment(x):
    return x + 1


def make_bytes(n):
    return b"\x01" * n


def byte_length(b):
    return len(b)


def median_of(repeats, once):
    return statistics.median(once() for _ in range(repeats))


def burst(pool, count):
    def once():
        start = time.perf_counter()
        pool.map(increment, range(count), chunksize=1)
        return (time.perf_counter() - start) * 1e6 / count

    return median_of(3, once)


def round_trip(pool, count):
    def once():
        start = time.perf_counter()
        for i in range(count):
            pool.apply(increment, (i,))
        return (time.perf_counter() - start) * 1e6 / count

    return median_of(3, once)


def mapped(pool, count):
    def once():
        start = time.perf_counter()
        pool.map(increment, range(count))
        return (time.perf_counter() - start) * 1e6 / count

    return median_of(3, once)


def streamed(pool, count):
    start = time.perf_counter()
    for _ in pool.imap(increment, range(count), chunksize=100):
        pass
    micros = (time.perf_counter() - start) * 1e6 / count
    return {"microsPerItem": micros, "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def moved(pool, megabytes):
    rows = []
    for mb in megabytes:
        n = mb * 1024 * 1024
        data = b"\x01" * n
        repeats = 1 if mb >= 100 else 3
        out = median_of(repeats, lambda: timed(lambda: pool.apply(byte_length, (data,))))
        back = median_of(repeats, lambda: timed(lambda: pool.apply(make_bytes, (n,))))
        rows.append({"bytes": n, "outMs": out, "backMs": back})
    return rows


def timed(call):
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1e3


def main():
    method, bursts, trips, map_items, imap_items, megabytes = sys.argv[1:7]
    ctx = mp.get_context(method)
    with ctx.Pool(2) as pool:
        pool.map(increment, range(4))
        result = {
            "stream": streamed(pool, int(imap_items)),
            "burst": {c: burst(pool, int(c)) for c in bursts.split(",")},
            "roundTrip": round_trip(pool, int(trips)),
            "map": mapped(pool, int(map_items)),
            "move": moved(pool, [int(m) for m in megabytes.split(",") if m]),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
