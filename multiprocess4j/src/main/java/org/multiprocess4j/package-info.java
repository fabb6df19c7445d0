/**
 * Processes and process-safe synchronization: {@link org.multiprocess4j.ChildProcess} runs a function in a new
 * JVM; {@link org.multiprocess4j.ProcessLock}, {@link org.multiprocess4j.ProcessRLock} and
 * {@link org.multiprocess4j.ProcessCondition} synchronize threads of every process that attaches to them, and
 * recover when a holder is killed. Every shared object has a {@link org.multiprocess4j.Handle}, from which another
 * JVM of the same user attaches to it.
 *
 * {@snippet :
 * ProcessRLock lock = ProcessRLock.create();
 * LongValue counter = SharedCTypes.value(CType.c_long, 0L, lock);
 * ChildProcess p = new ChildProcess(Example::addOne, counter);   // static void addOne(LongValue c)
 * p.start();
 * try (var held = lock.hold()) {
 *     counter.set(counter.get() + 1);
 * }
 * p.join();
 * }
 */
package org.multiprocess4j;
