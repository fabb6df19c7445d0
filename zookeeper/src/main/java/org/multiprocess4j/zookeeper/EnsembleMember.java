package org.multiprocess4j.zookeeper;

import org.apache.zookeeper.server.quorum.QuorumPeerMain;

/**
 * A {@link LocalEnsemble} member's main: ZooKeeper's own, in a JVM that ends when the process that started it
 * ends, however it ends (a test JVM killed with SIGKILL leaves no member behind).
 */
final class EnsembleMember {
    private EnsembleMember() {
    }

    public static void main(String[] args) {
        ProcessHandle.current().parent().ifPresentOrElse(
                parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(0)),
                () -> Runtime.getRuntime().halt(0));
        QuorumPeerMain.main(args);
    }
}
