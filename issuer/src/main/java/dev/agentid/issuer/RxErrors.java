package dev.agentid.issuer;

import io.reactivex.rxjava3.plugins.RxJavaPlugins;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * RxJava (which Infinispan uses inside) reports an error that no subscriber can receive any more, typically one raised
 * while Ctrl-C stops a starting cluster, through {@link RxJavaPlugins#onError}; without a handler it prints an
 * {@code UndeliverableException} of about a hundred lines to stderr. Nothing is left to act on at that point, so the
 * issuer logs it as one line at FINE (its stack trace too, for whoever turns FINE on).
 */
final class RxErrors {

    private static final Logger LOG = Logger.getLogger(RxErrors.class.getName());

    private RxErrors() {
    }

    /** Installs the handler; at the start of {@link Main}, before anything can start RxJava. */
    static void install() {
        RxJavaPlugins.setErrorHandler(RxErrors::undeliverable);
    }

    static void undeliverable(Throwable error) {
        Throwable cause = error.getCause() != null ? error.getCause() : error;
        if (LOG.isLoggable(Level.FINE)) {
            LOG.log(Level.FINE, "undeliverable error inside Infinispan (RxJava), ignored: " + cause, cause);
        }
    }
}
