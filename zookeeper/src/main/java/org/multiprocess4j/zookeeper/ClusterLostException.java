package org.multiprocess4j.zookeeper;

/**
 * An operation on a {@link Cluster} could not be done: the exception says which ensemble and why
 * ({@link #state()}). A read or a lock's acquisition that threw this did nothing. A write whose answer was lost
 * (the connection or the quorum lost past the operation bound, or the session expired meanwhile) may have been
 * applied: its message says so ("may have been applied, or not"), since no client can know. A write refused for a
 * lost lock ({@code LOCK_LOST}) was not applied. A release that could not be confirmed is finished in the
 * background once the ensemble answers.
 */
public final class ClusterLostException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** Why the cluster could not do an operation. */
    public enum State {
        /** No member of the ensemble could be reached within the operation bound. */
        CONNECTION_LOST,
        /** Members answer but none serves: fewer than a majority run, so the ensemble has no quorum. */
        QUORUM_LOST,
        /** The client's session expired: its ephemeral nodes, the locks it held among them, are gone. */
        SESSION_EXPIRED,
        /**
         * A cluster lock the thread held was lost (its session expired, for example during a long pause), so a
         * write conditioned on it was refused: another holder may have the lock now. A semaphore permit returned
         * after it was lost the same way says so too: another client may have held it meanwhile.
         */
        LOCK_LOST
    }

    private final String ensemble;
    private final State state;

    ClusterLostException(String ensemble, State state, String message, Throwable cause) {
        super(message + " (ensemble " + ensemble + ", state " + state + ")", cause);
        this.ensemble = ensemble;
        this.state = state;
    }

    /** The connect string of the ensemble. */
    public String ensemble() {
        return ensemble;
    }

    /** Why the operation could not be done. */
    public State state() {
        return state;
    }
}
