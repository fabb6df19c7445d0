/**
 * The library's JDK Flight Recorder events, at the floor of the layering (they depend on nothing of the library),
 * and {@link org.multiprocess4j.internal.events.Events}, which the layers above fire them through. Their names
 * start with {@code org.multiprocess4j.}; {@code multiprocess4j.jfc} beside the classes in the jar enables them
 * all with the thresholds an investigation wants.
 */
package org.multiprocess4j.internal.events;
