package dev.agentid.issuer.lifecycle;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** A bounded poll for an asynchronous store write (the job's suspension). */
final class MonitoringPoll {

    private MonitoringPoll() {
    }

    static void eventually(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 10 s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
