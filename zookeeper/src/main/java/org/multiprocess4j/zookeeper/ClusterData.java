package org.multiprocess4j.zookeeper;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * C-layout bytes in one ZooKeeper node, updated whole by versioned writes: what {@link ClusterArray} and
 * {@link ClusterStruct} share. Larger data than {@link #MAX_BYTES} is refused when the object is made.
 */
public abstract sealed class ClusterData permits ClusterArray, ClusterStruct {
    /**
     * The most bytes an array or structure may hold: ZooKeeper refuses a request larger than its
     * {@code jute.maxbuffer} (1 MiB by default), and a write carries its checks and marker besides the data.
     */
    public static final int MAX_BYTES = 1_000_000;

    final Cluster cluster;
    final String path;
    final String name;
    final int size;

    ClusterData(Cluster cluster, String path, String name, int size) {
        this.cluster = cluster;
        this.path = path;
        this.name = name;
        this.size = size;
    }

    /** Creates the node with {@code size} zero bytes and its signature, or checks the signature it has. */
    static void open(Cluster cluster, String path, String what, long size, String signature) {
        if (size > MAX_BYTES) {
            throw new IllegalArgumentException(what + " would hold " + size + " bytes, more than a ZooKeeper node"
                    + " holds here (" + MAX_BYTES + " bytes, under the default 1 MiB jute.maxbuffer)");
        }
        CuratorFramework client = cluster.client();
        cluster.call("open " + what, () -> {
            Nodes.ensureParent(client, path);
            try {
                client.transaction().forOperations(
                        client.transactionOp().create().forPath(path, new byte[(int) size]),
                        client.transactionOp().create().forPath(path + "/type",
                                signature.getBytes(StandardCharsets.UTF_8)));
            } catch (KeeperException.NodeExistsException e) {
                byte[] found = client.getData().forPath(path + "/type");
                if (found == null || !new String(found, StandardCharsets.UTF_8).equals(signature)) {
                    throw new IllegalArgumentException(what + " exists as " + Nodes.shown(found) + ", not "
                            + signature);
                }
            }
            return null;
        });
    }

    /** The node's bytes now: a copy the caller may keep. */
    public byte[] bytes() {
        return read().clone();
    }

    /**
     * Applies {@code change} to a copy of the bytes (a little-endian buffer over them) and writes the result if no
     * other write came between, retrying otherwise: an atomic update of the whole array or structure. The change
     * may run more than once and must depend only on the bytes it is given.
     */
    public void update(Consumer<ByteBuffer> change) {
        change("update", bytes -> change.accept(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)));
    }

    /** The node's bytes, read now. */
    final byte[] read() {
        return read(new Stat());
    }

    private byte[] read(Stat stat) {
        byte[] data = cluster.call("read " + describe(),
                () -> cluster.client().getData().storingStatIn(stat).forPath(path));
        if (data == null || data.length != size) {
            throw new IllegalStateException(describe() + " holds " + (data == null ? 0 : data.length)
                    + " bytes, not its " + size);
        }
        return data;
    }

    /** A versioned read-modify-write of the bytes; {@code change} edits a copy in place. */
    final void change(String what, Consumer<byte[]> change) {
        Stat stat = new Stat();
        byte[] seen = read(stat);
        while (true) {
            byte[] next = seen.clone();
            change.accept(next);
            if (cluster.versionedWrite(what + " " + describe(), path, next, stat.getVersion()) != Cluster.STALE) {
                return;
            }
            seen = read(stat);
        }
    }

    abstract String describe();
}
