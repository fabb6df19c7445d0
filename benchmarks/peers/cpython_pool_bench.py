"""CPython's multiprocessing.Pool (spawn) on this machine: a pool of 2 ready (made, first result back), a no-op
apply round trip, and map of a tiny function over 1,000,000 items with a chunk size (the median of five maps after
two). Prints name, value, unit."""
import multiprocessing as mp
import time


def noop():
    return None


def tiny(x):
    return x + 1


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
    for i in range(7):  # as the Java side: two maps first, then the median of five
        started = time.perf_counter()
        pool.map(tiny, items, chunksize=10_000)
        if i >= 2:
            rates.append(1_000_000 / (time.perf_counter() - started))
    print("pool_map_items_per_second", sorted(rates)[2], "items/s", sep="\t")
    pool.close()
    pool.join()


if __name__ == "__main__":
    main()
