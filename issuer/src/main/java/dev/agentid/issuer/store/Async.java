package dev.agentid.issuer.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.infinispan.commons.TimeoutException;
import org.infinispan.partitionhandling.AvailabilityException;
import org.infinispan.topology.MissingMembersException;

/** Bridges Infinispan's completion stages to Vert.x futures on the caller's context. */
final class Async {

    private Async() {
    }

    /**
     * Runs a non-blocking Infinispan call; the future completes on the caller's Vert.x context if there is one. A call
     * that throws instead of returning a stage (null key, stopped cache) becomes a failed future.
     */
    static <T> Future<T> call(Readiness readiness, Supplier<? extends CompletionStage<T>> operation) {
        StoreUnavailableException unavailable = readiness.check();
        return unavailable != null ? Future.failedFuture(unavailable) : call(operation);
    }

    /** As {@link #blocking(Callable)}, refused at once when {@code readiness} says this node may not answer. */
    static <T> Future<T> blocking(Readiness readiness, Callable<T> work) {
        StoreUnavailableException unavailable = readiness.check();
        return unavailable != null ? Future.failedFuture(unavailable) : blocking(work);
    }

    static <T> Future<T> call(Supplier<? extends CompletionStage<T>> operation) {
        Context context = Vertx.currentContext();
        CompletionStage<T> stage;
        try {
            stage = operation.get();
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        Future<T> future = context == null ? Future.fromCompletionStage(stage)
                : Future.fromCompletionStage(stage, context);
        return future.recover(Async::translate);
    }

    /**
     * Runs work that blocks (a scan of a cache) off the event loop: on the caller's context's worker pool when called
     * from Vert.x, else on the common fork-join pool.
     */
    static <T> Future<T> blocking(Callable<T> work) {
        Context context = Vertx.currentContext();
        if (context != null) {
            return context.<T>executeBlocking(work, false).recover(Async::translate);
        }
        return Future.fromCompletionStage(CompletableFuture.supplyAsync(() -> {
            try {
                return work.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        })).recover(Async::translate);
    }

    /**
     * Failures that mean "the cluster cannot answer right now" become {@link StoreUnavailableException} (HTTP 503);
     * everything else passes unchanged.
     */
    static <T> Future<T> translate(Throwable failure) {
        StoreUnavailableException unavailable = unavailable(failure);
        return Future.failedFuture(unavailable != null ? unavailable : failure);
    }

    /** The {@link StoreUnavailableException} that {@code failure} (or one of its causes) means, or null. */
    static StoreUnavailableException unavailable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof StoreUnavailableException e) {
                return e;
            }
            if (t instanceof AvailabilityException) {
                return new StoreUnavailableException(StoreUnavailableException.NO_MAJORITY, t);
            }
            if (t instanceof MissingMembersException) {
                return new StoreUnavailableException(StoreUnavailableException.RESTARTING, t);
            }
            if (t instanceof TimeoutException) {
                return new StoreUnavailableException(StoreUnavailableException.NOT_ACKNOWLEDGED, t);
            }
        }
        return null;
    }
}
