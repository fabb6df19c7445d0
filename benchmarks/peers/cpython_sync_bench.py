"""CPython's multiprocessing synchronization between two processes, on this machine: an Event ping-pong, a
Semaphore ping-pong and a Barrier(2) round, each a round trip in microseconds. Prints name, value, unit lines."""
import multiprocessing as mp
import sys
import time


def event_peer(a, b, rounds):
    for _ in range(rounds):
        a.wait()
        a.clear()
        b.set()


def semaphore_peer(a, b, rounds):
    for _ in range(rounds):
        a.acquire()
        b.release()


def barrier_peer(barrier, rounds):
    for _ in range(rounds):
        barrier.wait()


def queue_producer(q, n):
    for i in range(n):
        q.put(i)


def queue_echo(a, b, rounds):
    for _ in range(rounds):
        b.put(a.get())


def queue_throughput(first, then):
    """Messages per second over the first messages from a fresh child, and over the ones after them."""
    q = mp.Queue(1000)
    p = mp.Process(target=queue_producer, args=(q, first + then))
    p.start()
    q.get()
    started = time.perf_counter()
    for _ in range(first - 1):
        q.get()
    warm = time.perf_counter()
    for _ in range(then):
        q.get()
    ended = time.perf_counter()
    p.join()
    return (first - 1) / (warm - started), then / (ended - warm)


def timed(target, args, parent_round, rounds):
    p = mp.Process(target=target, args=args + (rounds,))
    p.start()
    parent_round()  # one round to let the child start
    started = time.perf_counter()
    for _ in range(rounds - 1):
        parent_round()
    elapsed = time.perf_counter() - started
    p.join()
    return elapsed / (rounds - 1) * 1e6


def main(rounds):
    mp.set_start_method("spawn")
    a, b = mp.Event(), mp.Event()

    def event_round():
        a.set()
        b.wait()
        b.clear()

    print("event_pingpong_round_trip", timed(event_peer, (a, b), event_round, rounds), "us", sep="\t")
    s, t = mp.Semaphore(0), mp.Semaphore(0)

    def semaphore_round():
        s.release()
        t.acquire()

    print("semaphore_pingpong_round_trip", timed(semaphore_peer, (s, t), semaphore_round, rounds), "us", sep="\t")
    barrier = mp.Barrier(2)
    print("barrier2_round", timed(barrier_peer, (barrier,), barrier.wait, rounds), "us", sep="\t")
    first, then = queue_throughput(100 * rounds, 500_000)
    print("queue_small_messages_first_per_second", first, "msg/s", sep="\t")
    print("queue_small_messages_per_second", then, "msg/s", sep="\t")
    qa, qb = mp.Queue(), mp.Queue()

    def queue_round():
        qa.put(1)
        qb.get()

    print("queue_pingpong_round_trip", timed(queue_echo, (qa, qb), queue_round, rounds), "us", sep="\t")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
