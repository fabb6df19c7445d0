"""CPython's multiprocessing.Pool (spawn) on this machine: a pool of 2 ready (made, first result back), a no-op
apply round trip, and map of a tiny function over 1,000,000 items with a chunk size (the median of five maps after
two, and again once maps have run for 3 s: the steady state). Prints name, value, unit."""
import multiprocessing as mp
import time


def noop():
    return None


def tiny(x):
    return x + 1


def steady_map_rate(pool, items, maps_began):
    """The steady state, as the Java side measures it: maps until 3 s after the first began, then the median of five."""
    while time.perf_counter() - maps_began < 3:
        pool.map(tiny, items, chunksize=10_000)
    rates = []
    for _ in range(5):
        started = time.perf_counter()
        pool.map(tiny, items, chunksize=10_000)
        rates.append(1_000_000 / (time.perf_counter() - started))
    return sorted(rates)[2]


def main():
    mp.set_start_method("spawn")
    started = time.perf_counter()
    pool = mp.Pool(2)
    pool.apply(noop)
    print("pool2_ready", (time.perf_counter() - started) * 1e3, "ms", sep="\t")
    for _ in range(50):
        pool.apply(noop)
    n = 2000
    started = time.perf_counter()
    for _ in range(n):
        pool.apply(noop)
    print("pool_apply_round_trip", (time.perf_counter() - started) / n * 1e6, "us", sep="\t")
    items = range(1_000_000)
    rates = []
    maps_began = time.perf_counter()
    for i in range(7):  # as the Java side: two maps first, then the median of five
        started = time.perf_counter()
        pool.map(tiny, items, chunksize=10_000)
        if i >= 2:
            rates.append(1_000_000 / (time.perf_counter() - started))
    print("pool_map_items_per_second", sorted(rates)[2], "items/s", sep="\t")
    print("pool_map_steady_items_per_second", steady_map_rate(pool, items, maps_began), "items/s", sep="\t")
    pool.close()
    pool.join()


if __name__ == "__main__":
    main()
