package org.multiprocess4j.zookeeper;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.apache.curator.RetryLoop;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.data.Stat;

/**
 * A count named in a ZooKeeper ensemble whose increments are spread over several nodes, the cluster form of
 * {@link java.util.concurrent.atomic.LongAdder}: for counts that many clients add to often, past the write rate
 * one node sustains under contention.
 *
 * <p>Each stripe is a node holding a C {@code int64_t}. {@link #add} makes one versioned write to the stripe the
 * calling thread last used; when another client wrote that stripe meanwhile, it moves the thread to another
 * stripe, so clients spread themselves over the stripes. {@link #sum} reads every stripe in one read-only
 * multi-operation: a consistent cut of one server's state, which includes every add this client has made. Adds
 * are fenced by the cluster locks the calling thread holds, as every write of a {@link Cluster}.
 *
 * <p>Where each fits: a {@link ClusterValue} is one node, so concurrent updaters retry on each other's writes
 * and the count's rate is bounded by one version's rate; it offers compare-and-set and exact "value before" results.
 * A counter scales with the stripes but only adds and sums.
 */
public final class ClusterCounter {
    private final Cluster cluster;
    private final String path;
    private final String name;
    private final int stripes;
    /** The value and version last seen of each stripe. */
    private final AtomicReferenceArray<long[]> seen;
    private final ThreadLocal<int[]> stripeOfThread;

    private ClusterCounter(Cluster cluster, String path, String name, int stripes) {
        this.cluster = cluster;
        this.path = path;
        this.name = name;
        this.stripes = stripes;
        this.seen = new AtomicReferenceArray<>(stripes);
        this.stripeOfThread = ThreadLocal.withInitial(() -> new int[] {ThreadLocalRandom.current().nextInt(stripes)});
    }

    static ClusterCounter open(Cluster cluster, String path, String name, int stripes) {
        if (stripes < 1 || stripes > 256) {
            throw new IllegalArgumentException("stripes must be within 1..256: stripes=" + stripes);
        }
        CuratorFramework client = cluster.client();
        cluster.call("open counter '" + name + "'", () -> {
            Nodes.ensureParent(client, path);
            List<CuratorOp> ops = new ArrayList<>();
            ops.add(client.transactionOp().create().forPath(path,
                    ("stripes=" + stripes).getBytes(StandardCharsets.US_ASCII)));
            for (int i = 0; i < stripes; i++) {
                ops.add(client.transactionOp().create().forPath(path + "/s" + i, new byte[8]));
            }
            try {
                client.transaction().forOperations(ops);
            } catch (KeeperException.NodeExistsException e) {
                byte[] found = client.getData().forPath(path);
                if (!("stripes=" + stripes).equals(Nodes.text(found))) {
                    throw new IllegalArgumentException("counter '" + name + "' exists with " + Nodes.shown(found)
                            + ", not stripes=" + stripes);
                }
            }
            return null;
        });
        return new ClusterCounter(cluster, path, name, stripes);
    }

    /** The counter's name. */
    public String name() {
        return name;
    }

    /** The number of stripes. */
    public int stripes() {
        return stripes;
    }

    /** Adds {@code delta}. */
    public void add(long delta) {
        int[] mine = stripeOfThread.get();
        String what = "add to counter '" + name + "'";
        while (true) {
            int i = mine[0];
            long[] cached = seen.get(i);
            long[] s = cached == null ? readStripe(i) : cached;
            int version = cluster.versionedWrite(what, path + "/s" + i, encode(s[0] + delta), (int) s[1]);
            if (version >= 0) {
                seen.set(i, new long[] {s[0] + delta, version});
                return;
            }
            seen.set(i, null);
            if (version == Cluster.APPLIED) {
                return;
            }
            if (stripes > 1) { // contended: move this thread elsewhere, as LongAdder rehashes
                mine[0] = (i + 1 + ThreadLocalRandom.current().nextInt(stripes - 1)) % stripes;
            }
        }
    }

    /** Adds one. */
    public void increment() {
        add(1);
    }

    /** The sum of the stripes, read in one multi-operation. */
    public long sum() {
        String root = cluster.config().root();
        List<Op> reads = new ArrayList<>(stripes);
        for (int i = 0; i < stripes; i++) {
            reads.add(Op.getData(root + path + "/s" + i));
        }
        List<OpResult> results = cluster.call("sum counter '" + name + "'",
                () -> RetryLoop.callWithRetry(cluster.client().getZookeeperClient(),
                        () -> cluster.client().getZookeeperClient().getZooKeeper().multi(reads)));
        long sum = 0;
        for (int i = 0; i < stripes; i++) {
            if (!(results.get(i) instanceof OpResult.GetDataResult r)) {
                int err = results.get(i) instanceof OpResult.ErrorResult e ? e.getErr() : 0;
                throw cluster.translated("sum counter '" + name + "' (stripe " + i + ")",
                        KeeperException.create(KeeperException.Code.get(err), root + path + "/s" + i));
            }
            long v = decode(r.getData(), i);
            seen.set(i, new long[] {v, r.getStat().getVersion()});
            sum += v;
        }
        return sum;
    }

    @Override
    public String toString() {
        return "ClusterCounter[" + name + ", " + stripes + " stripes]";
    }

    private long[] readStripe(int i) {
        Stat stat = new Stat();
        byte[] data = cluster.call("read counter '" + name + "'",
                () -> cluster.client().getData().storingStatIn(stat).forPath(path + "/s" + i));
        long[] s = {decode(data, i), stat.getVersion()};
        seen.set(i, s);
        return s;
    }

    private long decode(byte[] data, int stripe) {
        if (data == null || data.length != 8) {
            throw new IllegalStateException("counter '" + name + "' stripe " + stripe + " holds "
                    + (data == null ? "nothing" : data.length + " bytes") + ", not an int64_t's 8");
        }
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static byte[] encode(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }
}
