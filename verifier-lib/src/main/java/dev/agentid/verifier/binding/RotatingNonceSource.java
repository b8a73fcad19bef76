package dev.agentid.verifier.binding;

import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A {@link NonceSource} for one process: a random 128-bit nonce that changes every period; the current
 * and the previous nonce are accepted, so a client that just received a nonce is not refused at the
 * turn of a period. Thread-safe.
 */
public final class RotatingNonceSource implements NonceSource {

    /** Default period after which a new nonce is issued. */
    public static final Duration DEFAULT_PERIOD = Duration.ofMinutes(5);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Clock clock;
    private final Duration period;
    private String current;
    private String previous;
    private Instant rotatesAt;

    public RotatingNonceSource(Clock clock) {
        this(clock, DEFAULT_PERIOD);
    }

    public RotatingNonceSource(Clock clock, Duration period) {
        this.clock = Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(period, "period");
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("the nonce period must be positive: " + period);
        }
        this.period = period;
    }

    @Override
    public synchronized String currentNonce() {
        rotate();
        return current;
    }

    @Override
    public synchronized boolean isValid(String nonce) {
        if (nonce == null) {
            return false;
        }
        rotate();
        return equal(nonce, current) || (previous != null && equal(nonce, previous));
    }

    private void rotate() {
        Instant now = clock.instant();
        if (current == null) {
            current = newNonce();
            rotatesAt = now.plus(period);
            return;
        }
        if (!now.isBefore(rotatesAt)) {
            // more than one period passed: the old nonce is too old to accept
            previous = now.isBefore(rotatesAt.plus(period)) ? current : null;
            current = newNonce();
            rotatesAt = now.plus(period);
        }
    }

    private static String newNonce() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return Base64URL.encode(bytes).toString();
    }

    private static boolean equal(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
