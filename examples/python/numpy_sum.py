# The Python half of NumpySumExample: numpy reduces a Java-made array in place (no copy) and reports its sum.
import time


def reduce(data, result, seconds):
    view = data.as_numpy()           # a numpy array over the very same shared memory
    started = time.perf_counter()
    result.value = float(view.sum())
    seconds.value = time.perf_counter() - started
