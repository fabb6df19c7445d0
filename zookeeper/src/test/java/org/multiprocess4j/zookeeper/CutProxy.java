package org.multiprocess4j.zookeeper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy in front of one ZooKeeper member that can hold back the server's answers (requests still reach the
 * server and are applied) and cut every connection: a connection loss after the server applied a request.
 */
final class CutProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean holdResponses;
    private volatile boolean refuse;
    private volatile boolean delayResponses;
    private final java.util.Map<OutputStream, java.io.ByteArrayOutputStream> delayed = new java.util.HashMap<>();
    private final Thread acceptor;
    /** A permit for each answer held back or delayed: proof that the server has handled a request. */
    private final java.util.concurrent.Semaphore answersHeld = new java.util.concurrent.Semaphore(0);

    CutProxy(int targetPort) throws IOException {
        this.target = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofPlatform().daemon().start(this::accept);
    }

    String connectString() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Answers from the server are dropped (not delivered) until the next {@link #cutAll()}. */
    void holdResponses() {
        answersHeld.drainPermits();
        holdResponses = true;
    }

    /** Waits until the server has answered a request whose answer is held back or delayed. */
    void awaitHeldAnswer(java.time.Duration bound) throws InterruptedException {
        if (!answersHeld.tryAcquire(bound.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)) {
            throw new AssertionError("the server answered nothing within " + bound);
        }
    }

    /** Closes every connection; answers are delivered again on new connections. */
    void cutAll() {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException e) {
                // closing
            }
        }
        sockets.clear();
        holdResponses = false;
    }

    /** Answers from the server are kept back, in order, until {@link #deliver()}. */
    synchronized void delayResponses() {
        answersHeld.drainPermits();
        delayResponses = true;
    }

    /** Delivers the answers kept back, and later ones at once. */
    synchronized void deliver() throws IOException {
        for (var e : delayed.entrySet()) {
            e.getKey().write(e.getValue().toByteArray());
            e.getKey().flush();
        }
        delayed.clear();
        delayResponses = false;
    }

    /** New connections are closed at once while set. */
    void refuse(boolean refuse) {
        this.refuse = refuse;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (refuse) {
                    client.close();
                    continue;
                }
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                sockets.add(client);
                sockets.add(upstream);
                Thread.ofPlatform().daemon().start(() -> pump(client, upstream, false));
                Thread.ofPlatform().daemon().start(() -> pump(upstream, client, true));
            } catch (IOException e) {
                // closed, or one connection failed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean responses) {
        byte[] buf = new byte[65536];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (responses && holdResponses) {
                    answersHeld.release();
                    continue; // dropped
                }
                synchronized (this) {
                    if (responses && delayResponses) {
                        delayed.computeIfAbsent(out, k -> new java.io.ByteArrayOutputStream()).write(buf, 0, n);
                        answersHeld.release();
                        continue;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // connection closed
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException e) {
                // closing
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        cutAll();
        try {
            acceptor.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
