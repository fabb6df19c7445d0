package org.multiprocess4j.examples;

import static org.multiprocess4j.sharedctypes.CType.c_long;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;

import org.multiprocess4j.ChildProcess;
import org.multiprocess4j.zookeeper.Cluster;
import org.multiprocess4j.zookeeper.ClusterConfig;
import org.multiprocess4j.zookeeper.ClusterLock;
import org.multiprocess4j.zookeeper.ClusterValue;
import org.multiprocess4j.zookeeper.LocalEnsemble;

/**
 * Worker JVMs count under a cluster lock on ZooKeeper while a ZooKeeper member and a lock holder are killed.
 *
 * <p>{@code ./mp4j example ClusterCounterExample} starts a 3-member ensemble on loopback (three JVMs);
 * {@code ./mp4j example ClusterCounterExample zk1:2181,zk2:2181,zk3:2181} uses a real one instead (then no
 * member is killed). Three workers add to a cluster value under a cluster lock; the first, after its share, takes
 * the lock and is killed holding it, and one ZooKeeper member is killed at the same moment. The worker that
 * gets the lock next is told its previous owner died; the total stays exact.
 */
public final class ClusterCounterExample {
    private static final int WORKERS = 3;
    private static final int INCREMENTS = 100;
    private static final int VICTIM_INCREMENTS = 40;

    private ClusterCounterExample() {
    }

    private static Cluster connect(String ensemble, String root) {
        // A session short enough that the dead holder's lock is free within seconds, and long enough that the others
        // keep theirs while the members left elect a new leader (the killed member may have been the leader).
        return Cluster.connect(ClusterConfig.builder(ensemble).root(root).sessionTimeout(Duration.ofSeconds(5))
                .operationBound(Duration.ofSeconds(30)).build());
    }

    /** A worker: adds one to "total" under "counter", {@code increments} times. */
    static void worker(String ensemble, String root, Integer id, Integer increments) {
        try (Cluster cluster = connect(ensemble, root)) {
            ClusterLock lock = cluster.lock("counter");
            ClusterValue total = cluster.value("total", c_long);
            for (int i = 0; i < increments; i++) {
                try (var held = lock.hold()) {
                    if (held.previousOwnerDied()) {
                        cluster.value("took-over", c_long).set(id);
                        cluster.value("took-over-token", c_long).set(held.fencingToken());
                    }
                    total.set(total.get() + 1);
                }
            }
        }
    }

    /** The worker that dies: its share, then it takes the lock, says so, and waits to be killed holding it. */
    static void victim(String ensemble, String root, Integer id, Integer increments) {
        worker(ensemble, root, id, increments);
        Cluster cluster = connect(ensemble, root);
        cluster.lock("counter").lock();
        cluster.value("holder-pid", c_long).set(ProcessHandle.current().pid());
        while (true) {
            LockSupport.park();
        }
    }

    public static void main(String[] args) throws Exception {
        LocalEnsemble local = args.length == 0 ? LocalEnsemble.start(3) : null;
        String ensemble = local != null ? local.connectString() : args[0];
        String root = "/multiprocess4j-examples/counter-" + UUID.randomUUID();
        try (Cluster cluster = connect(ensemble, root)) {
            System.out.println(local != null ? "ZooKeeper: 3 members on loopback, each its own JVM"
                    : "ZooKeeper: " + ensemble);
            ClusterValue holderPid = cluster.value("holder-pid", c_long);
            List<ChildProcess> workers = new ArrayList<>();
            ChildProcess victim = new ChildProcess(ClusterCounterExample::victim, ensemble, root, 0, VICTIM_INCREMENTS);
            victim.start();
            for (int id = 1; id < WORKERS; id++) {
                ChildProcess w = new ChildProcess(ClusterCounterExample::worker, ensemble, root, id, INCREMENTS);
                w.start();
                workers.add(w);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (holderPid.get() == 0) { // a ZooKeeper read: nothing to wait on in this process
                if (System.nanoTime() > deadline || !victim.isAlive()) {
                    throw new IllegalStateException("the victim never held the lock: " + victim);
                }
                Thread.sleep(20);
            }
            if (local != null) {
                long memberPid = local.pid(1);
                local.kill(1);
                System.out.println("killed ZooKeeper member 1 (pid " + memberPid + ")");
            }
            victim.kill();
            victim.join();
            System.out.println("killed worker 0 (pid " + victim.pid() + ") while it held the lock");
            for (ChildProcess w : workers) {
                w.join();
                if (w.exitCode() != 0) {
                    throw new IllegalStateException("worker failed: " + w.exception());
                }
            }
            long tookOver = cluster.value("took-over", c_long).get();
            System.out.println("worker " + tookOver + " took over from the dead holder (fencing token "
                    + cluster.value("took-over-token", c_long).get() + ")");
            System.out.println("expected total: " + (VICTIM_INCREMENTS + (WORKERS - 1) * INCREMENTS));
            System.out.println("total reached:  " + cluster.value("total", c_long).get());
        } finally {
            if (local != null) {
                local.close();
            }
        }
    }
}
