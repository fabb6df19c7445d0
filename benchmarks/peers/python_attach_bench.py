"""Python attached to Java-made objects, beside CPython's own, in one run on this machine.

Run by ./mp4j bench (SideBySide) with two handles: a synchronized c_int value and a c_double array filled by Java.
Prints one line per figure: name, value, unit.
"""
import multiprocessing as mp
import sys
import time

import multiprocess4j


def locked_increments(v, n):
    started = time.perf_counter()
    for _ in range(n):
        with v.get_lock():
            v.value += 1
    return (time.perf_counter() - started) / n * 1e9


def best_sum_ms(array, rounds=5):
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        array.sum()
        best = min(best, time.perf_counter() - started)
    return best * 1e3


def main(value_handle, array_handle):
    ours = multiprocess4j.attach(value_handle)
    theirs = mp.Value("i", 0)
    n = 200_000
    a, b = [], []
    for _ in range(3):  # interleaved, so that both see the same machine
        a.append(locked_increments(ours, n))
        b.append(locked_increments(theirs, n))
    print("python_locked_increment_java_value", min(a), "ns", sep="\t")
    print("python_locked_increment_cpython_value", min(b), "ns", sep="\t")
    try:
        import numpy
    except ImportError:
        return
    view = multiprocess4j.attach(array_handle).as_numpy()
    own = numpy.array(view)  # numpy's own memory, the same values
    print("numpy_sum_java_array", best_sum_ms(view), "ms", sep="\t")
    print("numpy_sum_own_array", best_sum_ms(own), "ms", sep="\t")
    print("numpy_sum_elements", view.size, "count", sep="\t")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
