package dev.agentid.issuer.console;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The console's sessions and pending sign-ins, in this node's memory: a session ends after {@code idle} without a
 * request and at {@code absolute} after it started, whichever comes first; a restart ends them all, and behind a load
 * balancer a user needs affinity to one node (docs/CONSOLE.md). Ids and CSRF tokens are 256 random bits. Thread-safe.
 */
public final class ConsoleSessions {

    /** How long a started sign-in (state, nonce, PKCE verifier) waits for the identity provider's callback. */
    static final Duration SIGN_IN_LIFETIME = Duration.ofMinutes(10);
    /** Bounds memory against a flood of started sign-ins. */
    static final int MAX_PENDING_SIGN_INS = 10_000;

    private final Clock clock;
    private final Duration idle;
    private final Duration absolute;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Entry> sessions = new ConcurrentHashMap<>();
    private final Map<String, SignIn> signIns = new ConcurrentHashMap<>();

    private static final class Entry {
        final ConsoleSession session;
        volatile Instant lastSeen;

        Entry(ConsoleSession session) {
            this.session = session;
            this.lastSeen = session.createdAt();
        }
    }

    /**
     * A sign-in between the redirect to the identity provider and its callback.
     *
     * @param browser a random value also set in a cookie of the browser that started it: a callback from another
     *     browser (login CSRF) is refused
     */
    record SignIn(String state, String nonce, String codeVerifier, String browser, Instant startedAt) {
    }

    public ConsoleSessions(Clock clock, Duration idle, Duration absolute) {
        this.clock = clock;
        this.idle = idle;
        this.absolute = absolute;
    }

    public Duration idle() {
        return idle;
    }

    public Duration absolute() {
        return absolute;
    }

    String random() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public ConsoleSession create(String actor, List<String> groups, Set<Role> roles, boolean breakGlass) {
        purge();
        ConsoleSession session = new ConsoleSession(random(), actor, groups, roles, breakGlass, random(),
                clock.instant());
        sessions.put(session.id(), new Entry(session));
        return session;
    }

    /** The live session with this id (its idle timer restarts), or null: unknown, idle too long, or too old. */
    public ConsoleSession find(String id) {
        if (id == null) {
            return null;
        }
        Entry entry = sessions.get(id);
        if (entry == null) {
            return null;
        }
        Instant now = clock.instant();
        if (expired(entry, now)) {
            sessions.remove(id, entry);
            return null;
        }
        entry.lastSeen = now;
        return entry.session;
    }

    /** When the session ends if no request comes: the earlier of its idle and its absolute expiry. */
    public Instant expiresAt(ConsoleSession session) {
        Entry entry = sessions.get(session.id());
        Instant lastSeen = entry == null ? session.createdAt() : entry.lastSeen;
        Instant byIdle = lastSeen.plus(idle);
        Instant byAge = session.createdAt().plus(absolute);
        return byIdle.isBefore(byAge) ? byIdle : byAge;
    }

    public void remove(String id) {
        if (id != null) {
            sessions.remove(id);
        }
    }

    public int size() {
        return sessions.size();
    }

    private boolean expired(Entry entry, Instant now) {
        return !now.isBefore(entry.lastSeen.plus(idle)) || !now.isBefore(entry.session.createdAt().plus(absolute));
    }

    SignIn startSignIn(String codeVerifier) {
        purge();
        if (signIns.size() >= MAX_PENDING_SIGN_INS) {
            throw new IllegalStateException("too many sign-ins in progress");
        }
        SignIn signIn = new SignIn(random(), random(), codeVerifier, random(), clock.instant());
        signIns.put(signIn.state(), signIn);
        return signIn;
    }

    /** The pending sign-in of this state, removed (a state is used once), or null if unknown or too old. */
    SignIn takeSignIn(String state) {
        if (state == null) {
            return null;
        }
        SignIn signIn = signIns.remove(state);
        if (signIn == null || !clock.instant().isBefore(signIn.startedAt().plus(SIGN_IN_LIFETIME))) {
            return null;
        }
        return signIn;
    }

    /** Drops expired sessions and sign-ins. */
    void purge() {
        Instant now = clock.instant();
        sessions.values().removeIf(e -> expired(e, now));
        signIns.values().removeIf(s -> !now.isBefore(s.startedAt().plus(SIGN_IN_LIFETIME)));
    }
}
