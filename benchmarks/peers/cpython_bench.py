"""Anchor figures for CPython multiprocessing.sharedctypes on this machine.

Prints one line per figure: name, value, unit. Run: python3 cpython_bench.py [procs]
"""
import ctypes, os, sys, time
import multiprocessing as mp
from multiprocessing.sharedctypes import Value, RawValue, Array, RawArray

def per_op(fn, n):
    t = time.perf_counter(); fn(n); return (time.perf_counter() - t) / n

def lock_loop(n, lock=None):
    lock = lock or mp.Lock()
    for _ in range(n):
        lock.acquire(); lock.release()

def rlock_loop(n):
    lock = mp.RLock()
    for _ in range(n):
        lock.acquire(); lock.release()

def locked_incr(v, n):
    for _ in range(n):
        with v.get_lock():
            v.value += 1

def raw_incr(v, n):
    for _ in range(n):
        v.value += 1

def noop():
    pass

def main():
    procs = int(sys.argv[1]) if len(sys.argv) > 1 else os.cpu_count()
    N = 200_000
    out = []
    out.append(("lock_acquire_release_uncontended", per_op(lock_loop, N) * 1e9, "ns"))
    out.append(("rlock_acquire_release_uncontended", per_op(rlock_loop, N) * 1e9, "ns"))
    v = Value('q', 0)
    out.append(("value_locked_increment_1proc", per_op(lambda n: locked_incr(v, n), N) * 1e9, "ns"))
    r = RawValue('q', 0)
    out.append(("rawvalue_increment_1proc", per_op(lambda n: raw_incr(r, n), N) * 1e9, "ns"))

    # N processes x M locked increments: aggregate rate and exactness
    M = 100_000
    v = Value('q', 0)
    ps = [mp.Process(target=locked_incr, args=(v, M)) for _ in range(procs)]
    t = time.perf_counter()
    for p in ps: p.start()
    for p in ps: p.join()
    dt = time.perf_counter() - t
    out.append((f"value_locked_increment_{procs}proc_total_ok", int(v.value == procs * M), "bool"))
    out.append((f"value_locked_increment_{procs}proc", dt / (procs * M) * 1e9, "ns/op aggregate (incl. start)"))
    r = RawValue('q', 0)
    ps = [mp.Process(target=raw_incr, args=(r, M)) for _ in range(procs)]
    for p in ps: p.start()
    for p in ps: p.join()
    out.append((f"rawvalue_increment_{procs}proc_lost_updates", procs * M - r.value, "count"))

    # arrays
    L = 1_000_000
    a = RawArray('d', L)
    t = time.perf_counter()
    for i in range(L): a[i] = i
    out.append(("rawarray_d_element_set", (time.perf_counter() - t) / L * 1e9, "ns"))
    t = time.perf_counter(); s = sum(a); out.append(("rawarray_d_sum_builtin", (time.perf_counter() - t) / L * 1e9, "ns/elem"))
    sa = Array('d', L)
    t = time.perf_counter()
    for i in range(L // 10): sa[i] = i
    out.append(("array_d_locked_element_set", (time.perf_counter() - t) / (L // 10) * 1e9, "ns"))
    try:
        import numpy as np
        big = RawArray('d', 32 * 1024 * 1024 // 8 * 8)  # 256 MiB
        arr = np.frombuffer(big, dtype=np.float64)
        arr[:] = 1.0
        t = time.perf_counter(); arr.sum(); dt = time.perf_counter() - t
        out.append(("rawarray_numpy_sum_bandwidth", arr.nbytes / dt / 1e9, "GB/s"))
        src = np.ones_like(arr)
        t = time.perf_counter(); arr[:] = src; dt = time.perf_counter() - t
        out.append(("rawarray_numpy_copy_in_bandwidth", arr.nbytes / dt / 1e9, "GB/s"))
    except ImportError:
        pass

    # process start+join
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        K = 10 if method != "fork" else 50
        p = ctx.Process(target=noop); p.start(); p.join()
        t = time.perf_counter()
        for _ in range(K):
            p = ctx.Process(target=noop); p.start(); p.join()
        out.append((f"process_start_join_{method}", (time.perf_counter() - t) / K * 1e3, "ms"))

    for name, val, unit in out:
        print(f"{name}\t{val:.3f}\t{unit}" if isinstance(val, float) else f"{name}\t{val}\t{unit}")

if __name__ == "__main__":
    main()
