package org.multiprocess4j.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.retry.RetryUntilElapsed;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.zookeeper.Cluster;
import org.multiprocess4j.zookeeper.ClusterConfig;
import org.multiprocess4j.zookeeper.ClusterCounter;
import org.multiprocess4j.zookeeper.ClusterLock;
import org.multiprocess4j.zookeeper.ClusterValue;
import org.multiprocess4j.zookeeper.LocalEnsemble;

/**
 * The cluster objects against Curator's own recipes doing the same work on the same ensemble, in one run: each
 * client thread has a connection (a session) of its own, as separate processes would; ours and Curator's run
 * alternately, twice each, for a fixed time per round.
 */
final class ClusterMeasurements {
    static final int[] CLIENTS = {1, 4, 16};
    private static final long ROUND_NANOS = Duration.ofMillis(1500).toNanos();

    private ClusterMeasurements() {
    }

    /** Throughput and latency of one measure at one client count. */
    record Figure(double opsPerSecond, double p50Millis, double p99Millis) {
        double millisPerOp() {
            return 1000.0 / opsPerSecond;
        }
    }

    /** An operation a client thread repeats; made per thread, with the thread's own connection. */
    interface Client extends AutoCloseable {
        void run() throws Exception;

        @Override
        void close();
    }

    interface ClientFactory {
        Client open(String connect, String root) throws Exception;
    }

    static Client oursLocked(String connect, String root) {
        Cluster cluster = connectOurs(connect, root);
        ClusterLock lock = cluster.lock("lock");
        ClusterValue value = cluster.value("locked", CType.c_long);
        return client(cluster, () -> {
            try (var _ = lock.hold()) {
                value.set(value.get() + 1);
            }
        });
    }

    static Client oursAtomic(String connect, String root) {
        Cluster cluster = connectOurs(connect, root);
        ClusterValue value = cluster.value("atomic", CType.c_long);
        return client(cluster, value::incrementAndGet);
    }

    static Client oursStriped(String connect, String root) {
        Cluster cluster = connectOurs(connect, root);
        ClusterCounter counter = cluster.counter("striped", 16);
        return client(cluster, counter::increment);
    }

    static Client curatorLocked(String connect, String root) throws Exception {
        CuratorFramework c = connectCurator(connect, root);
        InterProcessMutex mutex = new InterProcessMutex(c, "/lock");
        DistributedAtomicLong value = new DistributedAtomicLong(c, "/locked", new RetryNTimes(1000, 0));
        return curatorClient(c, () -> {
            mutex.acquire();
            try {
                increment(value);
            } finally {
                mutex.release();
            }
        });
    }

    static Client curatorAtomic(String connect, String root) throws Exception {
        CuratorFramework c = connectCurator(connect, root);
        DistributedAtomicLong value = new DistributedAtomicLong(c, "/atomic", new RetryNTimes(1000, 0));
        return curatorClient(c, () -> increment(value));
    }

    private static void increment(DistributedAtomicLong value) throws Exception {
        AtomicValue<Long> result = value.increment();
        while (!result.succeeded()) {
            result = value.increment();
        }
    }

    /**
     * Runs every measure at 1, 4 and 16 clients on a fresh 3-member loopback ensemble and prints them.
     *
     * @return [measure][clients index] figures: 0 ours locked, 1 Curator locked, 2 ours atomic, 3 Curator
     *         atomic, 4 ours striped counter, 5 ours single-node value (the atomic one again)
     */
    static Figure[][] run() throws Exception {
        System.out.println("== ZooKeeper: a 3-member loopback ensemble (3 JVMs, forceSync=no); ours beside Curator "
                + "5.9.0's InterProcessMutex and DistributedAtomicLong, each client thread its own session");
        Figure[][] figures = new Figure[6][CLIENTS.length];
        try (LocalEnsemble zk = LocalEnsemble.start(3)) {
            String connect = zk.connectString();
            measure("warm-up", connect, 4, ClusterMeasurements::oursLocked, ClusterMeasurements::curatorLocked);
            for (int i = 0; i < CLIENTS.length; i++) {
                int n = CLIENTS[i];
                Figure[] locked = measure("lock+increment", connect, n, ClusterMeasurements::oursLocked,
                        ClusterMeasurements::curatorLocked);
                Figure[] atomic = measure("atomic increment", connect, n, ClusterMeasurements::oursAtomic,
                        ClusterMeasurements::curatorAtomic);
                Figure[] striped = measure("counter, 16 stripes vs 1 node", connect, n,
                        ClusterMeasurements::oursStriped, ClusterMeasurements::oursAtomic);
                figures[0][i] = locked[0];
                figures[1][i] = locked[1];
                figures[2][i] = atomic[0];
                figures[3][i] = atomic[1];
                figures[4][i] = striped[0];
                figures[5][i] = striped[1];
            }
        }
        return figures;
    }

    /** Ours and the peer alternately, two rounds each; the better round of each. */
    private static Figure[] measure(String name, String connect, int clients, ClientFactory ours,
                                    ClientFactory peer) throws Exception {
        Figure a = null;
        Figure b = null;
        for (int round = 0; round < 2; round++) {
            Figure x = round(connect, clients, ours);
            Figure y = round(connect, clients, peer);
            a = a == null || x.opsPerSecond > a.opsPerSecond ? x : a;
            b = b == null || y.opsPerSecond > b.opsPerSecond ? y : b;
        }
        System.out.printf(Locale.ROOT, "%-32s %2d clients: ours %8.0f ops/s (p50 %6.2f ms, p99 %6.2f ms)"
                        + "   peer %8.0f ops/s (p50 %6.2f ms, p99 %6.2f ms)%n", name, clients, a.opsPerSecond,
                a.p50Millis, a.p99Millis, b.opsPerSecond, b.p50Millis, b.p99Millis);
        return new Figure[] {a, b};
    }

    /** Every client repeats its operation for the round's time; ops/s over all, latency percentiles. */
    private static Figure round(String connect, int clients, ClientFactory factory) throws Exception {
        String root = "/bench-" + UUID.randomUUID();
        List<Client> opened = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                opened.add(factory.open(connect, root));
            }
            opened.getFirst().run(); // creates the nodes before the clock starts
            CountDownLatch start = new CountDownLatch(1);
            long[][] latencies = new long[clients][];
            int[] counts = new int[clients];
            Exception[] failure = new Exception[1];
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < clients; t++) {
                int me = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    long[] mine = new long[1 << 16];
                    try {
                        start.await();
                        long end = System.nanoTime() + ROUND_NANOS;
                        int n = 0;
                        for (long now = System.nanoTime(); now < end && n < mine.length; ) {
                            opened.get(me).run();
                            long after = System.nanoTime();
                            mine[n++] = after - now;
                            now = after;
                        }
                        counts[me] = n;
                        latencies[me] = mine;
                    } catch (Exception e) {
                        failure[0] = e;
                    }
                }));
            }
            long began = System.nanoTime();
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            double seconds = (System.nanoTime() - began) / 1e9;
            if (failure[0] != null) {
                throw failure[0];
            }
            int total = Arrays.stream(counts).sum();
            long[] all = new long[total];
            int k = 0;
            for (int t = 0; t < clients; t++) {
                System.arraycopy(latencies[t], 0, all, k, counts[t]);
                k += counts[t];
            }
            Arrays.sort(all);
            return new Figure(total / seconds, all[total / 2] / 1e6, all[Math.min(total - 1, total * 99 / 100)] / 1e6);
        } finally {
            opened.forEach(Client::close);
        }
    }

    private static Cluster connectOurs(String connect, String root) {
        return Cluster.connect(ClusterConfig.builder(connect).root(root).sessionTimeout(Duration.ofSeconds(10))
                .operationBound(Duration.ofSeconds(30)).build());
    }

    private static CuratorFramework connectCurator(String connect, String root) throws InterruptedException {
        CuratorFramework c = CuratorFrameworkFactory.builder().connectString(connect).namespace(root.substring(1))
                .sessionTimeoutMs(10_000).connectionTimeoutMs(5_000).retryPolicy(new RetryUntilElapsed(30_000, 50))
                .build();
        c.start();
        if (!c.blockUntilConnected(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("Curator cannot connect to " + connect);
        }
        return c;
    }

    private interface Body {
        void run() throws Exception;
    }

    private static Client client(Cluster cluster, Body body) {
        return client(cluster::close, body);
    }

    private static Client curatorClient(CuratorFramework c, Body body) {
        return client(c::close, body);
    }

    private static Client client(Runnable closer, Body body) {
        return new Client() {
            @Override
            public void run() throws Exception {
                body.run();
            }

            @Override
            public void close() {
                closer.run();
            }
        };
    }

    /** Runs the cluster measures alone: {@code java -cp benchmarks.jar ...ClusterMeasurements}. */
    public static void main(String[] args) throws Exception {
        run();
    }
}
