package dev.agentid.interop.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * Request bodies made on background threads while the load runs, for loads too long to sign before the clock starts
 * (a client assertion lives 60 s): {@code threads} daemon threads call {@code maker} with 0, 1, 2, ... and keep a
 * bounded queue full. The queue holds a few seconds of requests at most, so every assertion is fresh when sent; a
 * sender that finds it empty waits, and {@link TimedLoad} reports that wait (the signers did not keep up).
 */
final class SigningQueue implements AutoCloseable {

    private final BlockingQueue<String> queue;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong sequence = new AtomicLong();
    private volatile boolean closed;

    SigningQueue(LongFunction<String> maker, int threadCount, int capacity) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        for (int i = 0; i < threadCount; i++) {
            Thread t = new Thread(() -> {
                try {
                    while (!closed) {
                        queue.put(maker.apply(sequence.getAndIncrement()));
                    }
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                }
            }, "assertion-signer-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
    }

    /** The next body, or null if none is ready now. */
    String poll() {
        return queue.poll();
    }

    /** The next body, waiting for a signer. */
    String take() {
        try {
            return queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a signed body", e);
        }
    }

    /** Bodies signed so far (sent, queued, or being signed). */
    long made() {
        return sequence.get();
    }

    @Override
    public void close() {
        closed = true;
        threads.forEach(Thread::interrupt);
        queue.clear();
    }
}
