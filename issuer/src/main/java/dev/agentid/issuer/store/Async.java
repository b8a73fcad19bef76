package dev.agentid.issuer.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** Bridges Infinispan's completion stages to Vert.x futures on the caller's context. */
final class Async {

    private Async() {
    }

    /**
     * Runs a non-blocking Infinispan call; the future completes on the caller's Vert.x context if there is one. A call
     * that throws instead of returning a stage (null key, stopped cache) becomes a failed future.
     */
    static <T> Future<T> call(Supplier<? extends CompletionStage<T>> operation) {
        Context context = Vertx.currentContext();
        CompletionStage<T> stage;
        try {
            stage = operation.get();
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        return context == null ? Future.fromCompletionStage(stage) : Future.fromCompletionStage(stage, context);
    }

    /**
     * Runs work that blocks (a scan of a cache) off the event loop: on the caller's context's worker pool when called
     * from Vert.x, else on the common fork-join pool.
     */
    static <T> Future<T> blocking(Callable<T> work) {
        Context context = Vertx.currentContext();
        if (context != null) {
            return context.executeBlocking(work, false);
        }
        return Future.fromCompletionStage(CompletableFuture.supplyAsync(() -> {
            try {
                return work.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }));
    }
}
