package org.multiprocess4j.zookeeper;

import java.nio.charset.StandardCharsets;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/** Small helpers on ZooKeeper paths. */
final class Nodes {
    private Nodes() {
    }

    /** Creates the persistent parents of {@code path} that do not exist yet. */
    static void ensureParent(CuratorFramework client, String path) throws Exception {
        String parent = path.substring(0, path.lastIndexOf('/'));
        if (parent.isEmpty() || client.checkExists().forPath(parent) != null) {
            return;
        }
        try {
            client.create().creatingParentsIfNeeded().forPath(parent);
        } catch (KeeperException.NodeExistsException e) {
            // made by another client meanwhile
        }
    }

    /**
     * Creates {@code path} holding {@code record}, or checks that the node there holds it: how objects whose
     * clients must agree on a number (permits, parties) record it.
     *
     * @throws IllegalArgumentException when the node holds another record
     */
    static void createOrCheck(Cluster cluster, String path, String record, String what) {
        CuratorFramework client = cluster.client();
        cluster.call("open " + what, () -> {
            ensureParent(client, path);
            try {
                client.create().forPath(path, record.getBytes(StandardCharsets.US_ASCII));
            } catch (KeeperException.NodeExistsException e) {
                byte[] found = client.getData().forPath(path);
                if (!record.equals(text(found))) {
                    throw new IllegalArgumentException(what + " exists with " + shown(found) + ", not " + record);
                }
            }
            return null;
        });
    }

    /** The most characters of a node's data that a message shows: another client may have written anything. */
    static final int SHOWN = 200;

    /** A node's data as ASCII text, or null when it has none (a node created with null data). */
    static String text(byte[] data) {
        return data == null ? null : new String(data, StandardCharsets.US_ASCII);
    }

    /**
     * A node's data for a message: quoted, at most {@link #SHOWN} characters, control and non-ASCII bytes escaped,
     * and its length when cut; "no data" for none. Another client may have written it: it is shown, not trusted.
     */
    static String shown(byte[] data) {
        if (data == null) {
            return "no data";
        }
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < data.length && out.length() < SHOWN; i++) {
            int b = data[i] & 0xFF;
            out.append(b >= 0x20 && b < 0x7F && b != '"' && b != '\\' ? String.valueOf((char) b)
                    : String.format("\\x%02x", b));
        }
        out.append('"');
        return data.length > SHOWN || out.length() > SHOWN + 2 ? out + " (" + data.length + " bytes, cut)" : out.toString();
    }

    /**
     * Waits, at most the operation bound, until the member {@code cluster}'s client reads from has applied every
     * write the ensemble had made when this was called (ZooKeeper's sync): reads after it see other sessions' writes
     * too, not only this session's. An interrupt is kept for the caller, not acted on.
     *
     * @return whether the member caught up within the bound
     */
    static boolean sync(Cluster cluster, String path) throws Exception {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        cluster.client().sync().inBackground((client, event) -> done.countDown()).forPath(path);
        boolean interrupted = false;
        boolean synced;
        long deadline = System.nanoTime() + cluster.config().operationBound().toNanos();
        while (true) {
            try {
                synced = done.await(Math.max(0, deadline - System.nanoTime()),
                        java.util.concurrent.TimeUnit.NANOSECONDS);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return synced;
    }
}
