package org.multiprocess4j.zookeeper;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.multiprocess4j.coordination.Backend;
import org.multiprocess4j.coordination.BackendProvider;
import org.multiprocess4j.coordination.LongVariable;
import org.multiprocess4j.coordination.RobustLock;
import org.multiprocess4j.sharedctypes.CType;

/**
 * The ZooKeeper {@link Backend}: {@code zookeeper://host:port[,host:port...]/root[?options]}, with options
 * {@code sessionTimeoutMs}, {@code connectionTimeoutMs} and {@code operationBoundMs} (defaults as
 * {@link ClusterConfig}). Its locks are {@link ClusterLock}s and its values {@code c_long} {@link ClusterValue}s.
 * Credentials are not carried in addresses: a program that needs them uses {@link Cluster} directly.
 */
public final class ZooKeeperBackend implements Backend {
    private final Cluster cluster;
    private final String address;
    private final java.util.Map<String, String> kinds = new java.util.concurrent.ConcurrentHashMap<>();

    private ZooKeeperBackend(Cluster cluster, String address) {
        this.cluster = cluster;
        this.address = address;
    }

    /**
     * Connects to the ensemble {@code address} names.
     *
     * @throws IllegalArgumentException when the address is malformed
     * @throws ClusterLostException when the ensemble cannot be reached
     */
    public static ZooKeeperBackend open(String address) {
        String prefix = "zookeeper://";
        if (address == null || !address.startsWith(prefix)) {
            throw new IllegalArgumentException("address must start with " + prefix + ": address=" + address);
        }
        String rest = address.substring(prefix.length());
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        int slash = rest.indexOf('/');
        ClusterConfig.Builder b = ClusterConfig.builder(slash < 0 ? rest : rest.substring(0, slash));
        if (slash >= 0) {
            b.root(rest.substring(slash));
        }
        for (String option : query.isEmpty() ? new String[0] : query.split("&")) {
            int eq = option.indexOf('=');
            String key = eq < 0 ? option : option.substring(0, eq);
            String value;
            try {
                value = eq < 0 ? "" : URLDecoder.decode(option.substring(eq + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("option " + key + " is not URL-encoded text: " + option
                        + " in address=" + address, e);
            }
            Duration d;
            try {
                d = Duration.ofMillis(Long.parseLong(value));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("option " + key + " must be a number of milliseconds: "
                        + key + "=" + value + " in address=" + address);
            }
            switch (key) {
                case "sessionTimeoutMs" -> b.sessionTimeout(d);
                case "connectionTimeoutMs" -> b.connectionTimeout(d);
                case "operationBoundMs" -> b.operationBound(d);
                default -> throw new IllegalArgumentException("option must be sessionTimeoutMs, connectionTimeoutMs"
                        + " or operationBoundMs: option=" + key + " in address=" + address);
            }
        }
        return new ZooKeeperBackend(Cluster.connect(b.build()), address);
    }

    /** The connection this backend works through. */
    public Cluster cluster() {
        return cluster;
    }

    @Override
    public RobustLock lock(String name) {
        return cluster.lock(kindChecked(name, "/locks/"));
    }

    @Override
    public RobustLock rlock(String name) {
        return cluster.rlock(kindChecked(name, "/rlocks/"));
    }

    @Override
    public LongVariable longValue(String name) {
        return cluster.value(kindChecked(name, "/values/"), CType.c_long);
    }

    /**
     * The name, once no object of another kind has it: a name names one object, as in shared memory. The first
     * opener of a name records its kind in {@code /kinds/<name>} (a create, so two openers cannot both win).
     */
    private String kindChecked(String name, String kind) {
        Cluster.checkedName(name);
        String known = kinds.computeIfAbsent(name, n -> cluster.call("open '" + n + "'", () -> {
            var client = cluster.client();
            String path = "/kinds/" + n;
            try {
                client.create().creatingParentsIfNeeded().forPath(path, kind.getBytes(StandardCharsets.US_ASCII));
                return kind;
            } catch (org.apache.zookeeper.KeeperException.NodeExistsException e) {
                byte[] found = client.getData().forPath(path);
                String text = Nodes.text(found);
                return text != null && KINDS.contains(text) ? text : "?" + Nodes.shown(found); // another client's record
            }
        }));
        if (known.startsWith("?")) {
            kinds.remove(name); // read again next time: it may be mended
            throw new IllegalStateException("name \"" + name + "\" has a kind record, /kinds/" + name + ", that "
                    + "this library never writes: " + known.substring(1) + " (one of " + KINDS + " is)");
        }
        if (!known.equals(kind)) {
            throw new IllegalArgumentException("name \"" + name + "\" names a " + describe(known) + ", not a "
                    + describe(kind));
        }
        return name;
    }

    /** The kind records this library writes. */
    private static final java.util.Set<String> KINDS = java.util.Set.of("/locks/", "/rlocks/", "/values/");

    private static String describe(String kind) {
        return switch (kind) {
            case "/locks/" -> "lock";
            case "/rlocks/" -> "re-entrant lock";
            default -> "long value";
        };
    }

    @Override
    public String address() {
        return address;
    }

    @Override
    public void close() {
        cluster.close();
    }

    @Override
    public String toString() {
        return "Backend[" + address + "]";
    }

    /** Provides the {@code zookeeper} scheme to {@link Backend#open(String)}. */
    public static final class Provider implements BackendProvider {
        /** A provider, for {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String scheme() {
            return "zookeeper";
        }

        @Override
        public Backend open(String address) {
            return ZooKeeperBackend.open(address);
        }
    }
}
