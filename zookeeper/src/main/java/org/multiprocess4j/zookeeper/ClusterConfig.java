package org.multiprocess4j.zookeeper;

import java.time.Duration;
import java.util.Objects;

/**
 * How to reach a ZooKeeper ensemble, and the rules of the client's session: an immutable value built by
 * {@link #builder(String)}.
 *
 * <p>Defaults: root path {@code /multiprocess4j}; session timeout 15 s (the server clamps it to between 2 and 20
 * of its ticks); connection timeout 5 s; operation bound 15 s (an operation is retried through connection loss
 * for this long, every 50 ms ({@link Builder#retryInterval}, which may not exceed it), then fails with
 * {@link ClusterLostException}: the bound is the retries', and the waits for the connection come on top, so
 * operations behind a proxy that refused every connection ended after 7-17 s with a bound of 5 s and a connection
 * timeout of 1-5 s); no
 * authentication and the open ACL ({@code world:anyone} with all permissions), as ZooKeeper's own default. With {@link Builder#digest digest} credentials, everything
 * the client creates gets the creator-only ACL ({@code auth} scheme, all permissions): only clients that
 * authenticate as the same user reach it.
 */
public final class ClusterConfig {
    /** The longest root: the paths of the objects add names of up to 200 characters to it. */
    static final int MAX_ROOT = 1000;

    private final String connectString;
    private final String root;
    private final Duration sessionTimeout;
    private final Duration connectionTimeout;
    private final Duration operationBound;
    private final Duration retryInterval;
    private final String scheme;
    private final byte[] credentials;

    private ClusterConfig(Builder b) {
        this.connectString = b.connectString;
        this.root = b.root;
        this.sessionTimeout = b.sessionTimeout;
        this.connectionTimeout = b.connectionTimeout;
        this.operationBound = b.operationBound;
        this.retryInterval = b.retryInterval;
        this.scheme = b.scheme;
        this.credentials = b.credentials;
    }

    /**
     * A builder for an ensemble's connect string, {@code host:port[,host:port...]}.
     *
     * @throws IllegalArgumentException when the connect string is empty or not of that form
     */
    public static Builder builder(String connectString) {
        return new Builder(connectString);
    }

    /** The ensemble's connect string. */
    public String connectString() {
        return connectString;
    }

    /** The path under which every named object lives. */
    public String root() {
        return root;
    }

    /** The session timeout asked of the ensemble. */
    public Duration sessionTimeout() {
        return sessionTimeout;
    }

    /** How long connecting may take. */
    public Duration connectionTimeout() {
        return connectionTimeout;
    }

    /** How long one operation is retried through connection loss before it fails. */
    public Duration operationBound() {
        return operationBound;
    }

    /** How long a retry waits after a connection loss, before trying again within the operation bound. */
    public Duration retryInterval() {
        return retryInterval;
    }

    String authScheme() {
        return scheme;
    }

    byte[] authCredentials() {
        return credentials == null ? null : credentials.clone();
    }

    @Override
    public String toString() {
        return "ClusterConfig[" + connectString + root + ", session " + sessionTimeout.toMillis() + " ms"
                + (scheme == null ? "" : ", auth " + scheme) + "]";
    }

    /** Builds a {@link ClusterConfig}. */
    public static final class Builder {
        private final String connectString;
        private String root = "/multiprocess4j";
        private Duration sessionTimeout = Duration.ofSeconds(15);
        private Duration connectionTimeout = Duration.ofSeconds(5);
        private Duration operationBound = Duration.ofSeconds(15);
        private Duration retryInterval = Duration.ofMillis(50);
        private String scheme;
        private byte[] credentials;

        private Builder(String connectString) {
            Objects.requireNonNull(connectString, "connectString");
            if (!connectString.matches("[^,/\\s:]+:\\d{1,5}(,[^,/\\s:]+:\\d{1,5})*")) {
                throw new IllegalArgumentException("connectString must be host:port[,host:port...]: connectString=\""
                        + connectString + "\"");
            }
            for (String member : connectString.split(",")) {
                int port = Integer.parseInt(member.substring(member.lastIndexOf(':') + 1));
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("connectString's ports must be within 1..65535: port=" + port
                            + " in connectString=\"" + connectString + "\"");
                }
            }
            this.connectString = connectString;
        }

        /**
         * The path under which named objects live: absolute, without a trailing slash, outside {@code /zookeeper},
         * at most 1,000 characters.
         *
         * @throws IllegalArgumentException when it is not such a path
         */
        public Builder root(String root) {
            if (root == null || !root.matches("(/[A-Za-z0-9_.\\-]+)+") || root.matches(".*/\\.{1,2}(/.*)?")) {
                throw new IllegalArgumentException("root must be an absolute path of names made of letters, digits,"
                        + " '_', '.' and '-' (not '.' or '..'), without a trailing slash: root=\"" + root + "\"");
            }
            if (root.length() > MAX_ROOT) { // every path of the cluster's objects starts with it
                throw new IllegalArgumentException("root must be at most " + MAX_ROOT + " characters long, is "
                        + root.length() + ": root=\"" + root.substring(0, 60) + "...\"");
            }
            if (root.equals("/zookeeper") || root.startsWith("/zookeeper/")) {
                throw new IllegalArgumentException("root must not be in /zookeeper, ZooKeeper's own subtree (quotas "
                        + "and configuration): root=\"" + root + "\"");
            }
            this.root = root;
            return this;
        }

        /**
         * The session timeout: a holder silent this long loses its locks, so a dead holder's lock passes on after
         * about this long. It must also outlast a member's death: when the leader dies, every client is cut off
         * until the others elect a new one and the client reconnects (0.5 to 2 s on an idle 3-member ensemble
         * on loopback, more under load), and a client cut off for a whole session timeout takes its session as
         * expired (its locks lost, a write cut then "may have been applied, or not"). So not less than about 5 s;
         * the server clamps it to between 2 and 20 of its ticks.
         */
        public Builder sessionTimeout(Duration timeout) {
            this.sessionTimeout = positive("sessionTimeout", timeout);
            return this;
        }

        /** How long connecting may take. */
        public Builder connectionTimeout(Duration timeout) {
            this.connectionTimeout = positive("connectionTimeout", timeout);
            return this;
        }

        /** How long an operation is retried through connection loss before {@link ClusterLostException}. */
        public Builder operationBound(Duration bound) {
            this.operationBound = positive("operationBound", bound);
            return this;
        }

        /** How long a retry waits after a connection loss before trying again (the retry policy's step). */
        public Builder retryInterval(Duration interval) {
            this.retryInterval = positive("retryInterval", interval);
            return this;
        }

        /**
         * Authenticates with ZooKeeper's digest scheme as {@code user} and gives what this client creates the
         * creator-only ACL.
         *
         * @throws IllegalArgumentException when the user is empty or holds ':'
         */
        public Builder digest(String user, String password) {
            if (user == null || user.isEmpty() || user.contains(":")) {
                throw new IllegalArgumentException("user must be non-empty and without ':': user=\"" + user + "\"");
            }
            Objects.requireNonNull(password, "password");
            this.scheme = "digest";
            this.credentials = (user + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            return this;
        }

        /**
         * Authenticates with the SASL scheme the JVM's JAAS configuration sets up ({@code Client} section), and
         * gives what this client creates the creator-only ACL.
         */
        public Builder sasl() {
            this.scheme = "sasl";
            this.credentials = null;
            return this;
        }

        /** The configuration. */
        public ClusterConfig build() {
            if (retryInterval.compareTo(operationBound) > 0) {
                throw new IllegalArgumentException("retryInterval must not exceed operationBound, within which the "
                        + "retries are made: retryInterval=" + retryInterval + ", operationBound=" + operationBound);
            }
            return new ClusterConfig(this);
        }

        private static Duration positive(String name, Duration d) {
            // Compared as durations: toMillis() overflows past 292 million years, either way.
            if (d == null || d.compareTo(Duration.ofMillis(1)) < 0 || d.compareTo(Duration.ofMillis(Integer.MAX_VALUE)) > 0) {
                throw new IllegalArgumentException(name + " must be within 1.." + Integer.MAX_VALUE + " ms: "
                        + name + "=" + d);
            }
            return d;
        }
    }
}
