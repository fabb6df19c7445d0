package org.multiprocess4j.zookeeper;

import org.apache.zookeeper.server.quorum.QuorumPeerMain;

/**
 * A {@link LocalEnsemble} member's main: ZooKeeper's own, in a JVM that ends when the process that started it
 * ends, however it ends (a test JVM killed with SIGKILL leaves no member behind).
 */
final class EnsembleMember {
    private EnsembleMember() {
    }

    /** Arguments: the pid of the process that started this member, then ZooKeeper's configuration file. */
    public static void main(String[] args) {
        ProcessHandle.of(Long.parseLong(args[0])).filter(ProcessHandle::isAlive).ifPresentOrElse(
                starter -> starter.onExit().thenRun(() -> Runtime.getRuntime().halt(0)),
                () -> Runtime.getRuntime().halt(0)); // it ended before this member began
        QuorumPeerMain.main(new String[] {args[1]});
    }
}
