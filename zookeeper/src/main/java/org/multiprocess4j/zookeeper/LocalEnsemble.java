package org.multiprocess4j.zookeeper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A ZooKeeper ensemble on the loopback interface, each member a separate JVM: for examples, tests and trying the
 * cluster objects on one machine. Members can be killed (SIGKILL) and restarted, as operators' members fail.
 *
 * <p>Not for production: its data lives in a temporary folder deleted by {@link #close()}, and its transaction log
 * is not forced to disk ({@code forceSync=no}); the tick is 250 ms, so sessions may last 0.5 to 5 s. Members run
 * with the JVM and class path of the calling process, which must hold ZooKeeper's server classes (this module's
 * dependencies do), and end when that process ends, however it ends.
 *
 * {@snippet :
 * try (LocalEnsemble zk = LocalEnsemble.start(3);
 *      Cluster cluster = Cluster.connect(ClusterConfig.builder(zk.connectString()).build())) {
 *     zk.kill(0);                         // a member dies; the other two keep the quorum
 * }
 * }
 */
public final class LocalEnsemble implements AutoCloseable {
    private static final Duration START_BOUND = Duration.ofSeconds(60);

    private final Path dir;
    private final int[] clientPorts;
    private final Process[] members;

    private LocalEnsemble(Path dir, int[] clientPorts) {
        this.dir = dir;
        this.clientPorts = clientPorts;
        this.members = new Process[clientPorts.length];
    }

    /**
     * Starts an ensemble of {@code size} members and waits until it has a leader and every member serves.
     *
     * @throws IllegalArgumentException when size is not 1, 3, 5 or 7
     * @throws IllegalStateException when the ensemble does not form within 60 s
     */
    public static LocalEnsemble start(int size) {
        if (size < 1 || size > 7 || size % 2 == 0) {
            throw new IllegalArgumentException("size must be 1, 3, 5 or 7 (a majority must survive a loss): size="
                    + size);
        }
        try {
            int[] ports = freePorts(size * 3);
            Path dir = Files.createTempDirectory("multiprocess4j-zookeeper-");
            int[] clientPorts = new int[size];
            StringBuilder servers = new StringBuilder();
            for (int i = 0; i < size; i++) {
                clientPorts[i] = ports[i * 3];
                servers.append("server.").append(i + 1).append("=127.0.0.1:").append(ports[i * 3 + 1]).append(':')
                        .append(ports[i * 3 + 2]).append('\n');
            }
            for (int i = 0; i < size; i++) {
                Path member = Files.createDirectories(dir.resolve("member" + (i + 1)));
                Files.writeString(member.resolve("myid"), Integer.toString(i + 1));
                Files.writeString(member.resolve("zoo.cfg"), """
                        tickTime=250
                        maxSessionTimeout=60000
                        initLimit=40
                        syncLimit=8
                        dataDir=%s
                        clientPort=%d
                        clientPortAddress=127.0.0.1
                        forceSync=no
                        preAllocSize=1024
                        maxClientCnxns=0
                        admin.enableServer=false
                        4lw.commands.whitelist=srvr,ruok
                        %s""".formatted(member, clientPorts[i], size == 1 ? "" : servers));
            }
            LocalEnsemble ensemble = new LocalEnsemble(dir, clientPorts);
            try {
                for (int i = 0; i < size; i++) {
                    ensemble.launch(i);
                }
                for (int i = 0; i < size; i++) {
                    ensemble.awaitServing(i, START_BOUND);
                }
            } catch (RuntimeException e) {
                ensemble.close();
                throw e;
            }
            return ensemble;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a local ZooKeeper ensemble", e);
        }
    }

    /** The connect string of every member: {@code 127.0.0.1:port,...}. */
    public String connectString() {
        StringBuilder s = new StringBuilder();
        for (int port : clientPorts) {
            s.append(s.isEmpty() ? "" : ",").append("127.0.0.1:").append(port);
        }
        return s.toString();
    }

    /** The number of members. */
    public int size() {
        return clientPorts.length;
    }

    /** The pid of member {@code i} (from 0), or -1 when it is not running. */
    public long pid(int i) {
        Process p = members[checked(i)];
        return p != null && p.isAlive() ? p.pid() : -1;
    }

    /** Whether member {@code i} runs and serves clients (it is part of a quorum). */
    public boolean isServing(int i) {
        String mode = ask(clientPorts[checked(i)], "srvr");
        return mode.contains("Mode: leader") || mode.contains("Mode: follower") || mode.contains("Mode: standalone");
    }

    /** Kills member {@code i} with SIGKILL and waits until it is gone. */
    public void kill(int i) {
        Process p = members[checked(i)];
        if (p != null) {
            p.destroyForcibly();
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Starts member {@code i} again (after {@link #kill}) with its data, and waits until it serves when a quorum
     * can form.
     *
     * @throws IllegalStateException when it runs already, or does not serve within 60 s
     */
    public void restart(int i, boolean awaitServing) {
        if (pid(i) != -1) {
            throw new IllegalStateException("member " + i + " runs already (pid " + pid(i) + ")");
        }
        launch(i);
        if (awaitServing) {
            awaitServing(i, START_BOUND);
        }
    }

    /** Kills every member and deletes the ensemble's data. */
    @Override
    public void close() {
        for (int i = 0; i < members.length; i++) {
            kill(i);
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temporary folder
        }
    }

    @Override
    public String toString() {
        return "LocalEnsemble[" + connectString() + "]";
    }

    private void launch(int i) {
        Path member = dir.resolve("member" + (i + 1));
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dzookeeper.jmx.log4j.disable=true",
                "-cp", System.getProperty("java.class.path"),
                EnsembleMember.class.getName(), Long.toString(ProcessHandle.current().pid()),
                member.resolve("zoo.cfg").toString()));
        try {
            members[i] = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(member.resolve("member.log").toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start ZooKeeper member " + i, e);
        }
    }

    private void awaitServing(int i, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!isServing(i)) {
            if (members[i] == null || !members[i].isAlive()) {
                throw new IllegalStateException("ZooKeeper member " + i + " ended with "
                        + (members[i] == null ? "no process" : "exit code " + members[i].exitValue())
                        + "; its output ends:\n" + logTail(i));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("ZooKeeper member " + i + " does not serve after " + bound.toSeconds()
                        + " s; its output ends:\n" + logTail(i));
            }
            try {
                Thread.sleep(50); // polling a server's state: nothing to wait on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for ZooKeeper member " + i, e);
            }
        }
    }

    private String logTail(int i) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("member" + (i + 1)).resolve("member.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    /** Sends a four-letter command; the answer, or "" when the member does not answer. */
    private static String ask(int port, String command) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 250);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write(command.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return "";
        }
    }

    private int checked(int i) {
        if (i < 0 || i >= clientPorts.length) {
            throw new IndexOutOfBoundsException("member must be within 0.." + (clientPorts.length - 1)
                    + ": member=" + i);
        }
        return i;
    }

    private static int[] freePorts(int n) throws IOException {
        ServerSocket[] sockets = new ServerSocket[n];
        int[] ports = new int[n];
        try {
            for (int i = 0; i < n; i++) {
                sockets[i] = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                ports[i] = sockets[i].getLocalPort();
            }
        } finally {
            for (ServerSocket s : sockets) {
                if (s != null) {
                    s.close();
                }
            }
        }
        return ports;
    }
}
