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
                String found = new String(client.getData().forPath(path), StandardCharsets.US_ASCII);
                if (!found.equals(record)) {
                    throw new IllegalArgumentException(what + " exists with " + found + ", not " + record);
                }
            }
            return null;
        });
    }
}
