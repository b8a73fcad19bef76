package dev.agentid.issuer.store;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/** Waits for futures in tests, with a bound. */
public final class Await {

    private Await() {
    }

    public static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("future failed", e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("future did not complete", e);
        }
    }

    /** Polls {@code condition} every 50 ms until it holds or {@code bound} passes; returns whether it held. */
    public static boolean eventually(Duration bound, Supplier<Boolean> condition) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.get()) {
                return true;
            }
            try {
                TimeUnit.MILLISECONDS.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return condition.get();
    }
}
