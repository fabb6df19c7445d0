package org.multiprocess4j.zookeeper;

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
}
