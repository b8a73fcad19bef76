package dev.agentid.verifier;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The ordered actors of a token, current actor first. This is the only place that knows the wire
 * shape of the nested {@code act} claim: the issuer mints with {@link #toActClaim()} and verifiers
 * read with {@link #fromActClaim(Object, int)}.
 *
 * <pre>
 * "act": {"sub": "agent-c", "iss": "https://a.example",        &lt;- current actor (outermost)
 *         "act": {"sub": "agent-b", "iss": "https://a.example",
 *                 "act": {"sub": "agent-a", "iss": "https://a.example"}}}   &lt;- first actor
 * </pre>
 *
 * A level may carry the attestation summary of its actor, {@code "att": {"iss": <attester>, "dig":
 * <digest>, "iat": <attestation time>}} (see {@link Attestation}), and the human approval of its request,
 * {@code "apv": {"id": ..., "approver": ..., "iat": ...}} (see {@link Approval}); other members are ignored.
 *
 * Immutable and thread-safe.
 */
public final class DelegationChain {

    public static final String ACT = "act";
    public static final String SUB = "sub";
    public static final String ISS = "iss";
    public static final String ATT = "att";
    /** Members of an {@code att} object. */
    public static final String ATT_DIGEST = "dig";
    public static final String ATT_TIME = "iat";
    /** A level's human approval (profile section 6.13): {"id", "approver", "iat"}. */
    public static final String APV = "apv";
    public static final String APV_ID = "id";
    public static final String APV_APPROVER = "approver";
    public static final String APV_TIME = "iat";

    private final List<Actor> actors;

    private DelegationChain(List<Actor> actors) {
        this.actors = actors;
    }

    /** A chain of exactly one actor: a token obtained with the agent's own credentials. */
    public static DelegationChain of(Actor first) {
        return new DelegationChain(List.of(Objects.requireNonNull(first, "first")));
    }

    /**
     * A chain from actors listed current first. Refuses an empty list and a repeated agent.
     *
     * @throws IllegalArgumentException if the list is empty or names an agent twice
     */
    public static DelegationChain ofCurrentFirst(List<Actor> currentFirst) {
        if (currentFirst.isEmpty()) {
            throw new IllegalArgumentException("a delegation chain has at least one actor");
        }
        List<Actor> copy = List.copyOf(currentFirst);
        if (new HashSet<>(copy).size() != copy.size()) {
            throw new IllegalArgumentException("an agent appears twice in the chain");
        }
        return new DelegationChain(copy);
    }

    /**
     * Parses and validates an {@code act} claim value as produced by a JSON parser (nested
     * {@code Map<String, Object>}). Checks the shape and types of every level, the depth bound (before
     * descending further, so a hostile deep nesting costs at most {@code maxDepth + 1} steps) and
     * cycles.
     */
    public static DelegationChain fromActClaim(Object act, int maxDepth) throws TokenVerificationException {
        if (act == null) {
            throw new TokenVerificationException(Reason.MISSING_CLAIM, "the act claim is missing");
        }
        List<Actor> actors = new ArrayList<>(4);
        Set<Actor> seen = new HashSet<>();
        Object level = act;
        while (level != null) {
            if (actors.size() == maxDepth) {
                throw new TokenVerificationException(Reason.CHAIN_TOO_DEEP,
                        "the delegation chain is deeper than " + maxDepth);
            }
            if (!(level instanceof Map)) {
                throw new TokenVerificationException(Reason.CHAIN_MALFORMED,
                        "act level " + actors.size() + " is not a JSON object");
            }
            Map<?, ?> map = (Map<?, ?>) level;
            String sub = requireString(map, SUB, actors.size());
            String iss = requireString(map, ISS, actors.size());
            Actor actor = new Actor(sub, iss, attestation(map, actors.size()), approval(map, actors.size()));
            if (!seen.add(actor)) {
                throw new TokenVerificationException(Reason.CHAIN_CYCLE,
                        "agent " + sub + " of " + iss + " appears twice in the delegation chain");
            }
            actors.add(actor);
            level = map.get(ACT);
            if (level == null && map.containsKey(ACT)) {
                throw new TokenVerificationException(Reason.CHAIN_MALFORMED,
                        "act level " + actors.size() + " is null");
            }
        }
        return new DelegationChain(Collections.unmodifiableList(actors));
    }

    /** The level's {@code att} summary, null when absent; any other shape is malformed. */
    private static Attestation attestation(Map<?, ?> level, int index) throws TokenVerificationException {
        Object att = level.get(ATT);
        if (att == null) {
            if (level.containsKey(ATT)) {
                throw new TokenVerificationException(Reason.CHAIN_MALFORMED, "act level " + index + " has a null att");
            }
            return null;
        }
        if (!(att instanceof Map)) {
            throw new TokenVerificationException(Reason.CHAIN_MALFORMED,
                    "act level " + index + " has an att that is not a JSON object");
        }
        Map<?, ?> map = (Map<?, ?>) att;
        Object iss = map.get(ISS);
        Object dig = map.get(ATT_DIGEST);
        Object iat = map.get(ATT_TIME);
        if (!(iss instanceof String) || ((String) iss).isEmpty()) {
            throw attMalformed(index, "no non-empty string 'iss'");
        }
        if (!(dig instanceof String) || !Attestation.DIGEST.matcher((String) dig).matches()) {
            throw attMalformed(index, "no 'dig' of the form sha256:<64 lowercase hex digits>");
        }
        if (!(iat instanceof Number) || !integral((Number) iat)) {
            throw attMalformed(index, "no integer 'iat'");
        }
        long seconds = ((Number) iat).longValue();
        if (seconds < 0 || seconds > Attestation.MAX_EPOCH_SECOND) {
            throw attMalformed(index, "an 'iat' out of range");
        }
        return new Attestation((String) iss, (String) dig, Instant.ofEpochSecond(seconds));
    }

    /** The level's {@code apv} approval, null when absent; any other shape is malformed. */
    private static Approval approval(Map<?, ?> level, int index) throws TokenVerificationException {
        Object apv = level.get(APV);
        if (apv == null) {
            if (level.containsKey(APV)) {
                throw new TokenVerificationException(Reason.CHAIN_MALFORMED, "act level " + index + " has a null apv");
            }
            return null;
        }
        if (!(apv instanceof Map)) {
            throw new TokenVerificationException(Reason.CHAIN_MALFORMED,
                    "act level " + index + " has an apv that is not a JSON object");
        }
        Map<?, ?> map = (Map<?, ?>) apv;
        Object id = map.get(APV_ID);
        Object approver = map.get(APV_APPROVER);
        Object iat = map.get(APV_TIME);
        if (!(id instanceof String) || !(approver instanceof String) || !(iat instanceof Number)
                || !integral((Number) iat)) {
            throw new TokenVerificationException(Reason.CHAIN_MALFORMED, "the apv of act level " + index
                    + " needs string 'id' and 'approver' and an integer 'iat'");
        }
        try {
            return new Approval((String) id, (String) approver, Instant.ofEpochSecond(((Number) iat).longValue()));
        } catch (IllegalArgumentException | java.time.DateTimeException e) {
            throw new TokenVerificationException(Reason.CHAIN_MALFORMED,
                    "the apv of act level " + index + " is out of range");
        }
    }

    private static boolean integral(Number n) {
        if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte) {
            return true;
        }
        if (n instanceof BigInteger) {
            return ((BigInteger) n).bitLength() < 63;
        }
        double d = n.doubleValue();
        return !Double.isNaN(d) && !Double.isInfinite(d) && d == Math.rint(d) && Math.abs(d) < 1e15;
    }

    private static TokenVerificationException attMalformed(int index, String what) {
        return new TokenVerificationException(Reason.CHAIN_MALFORMED, "the att of act level " + index + " has " + what);
    }

    private static String requireString(Map<?, ?> level, String member, int index)
            throws TokenVerificationException {
        Object value = level.get(member);
        if (!(value instanceof String) || ((String) value).isEmpty()) {
            throw new TokenVerificationException(Reason.CHAIN_MALFORMED,
                    "act level " + index + " has no non-empty string '" + member + "'");
        }
        return (String) value;
    }

    /**
     * The chain after {@code newCurrent} takes over: it becomes the current actor and this chain
     * nests beneath it.
     *
     * @throws IllegalArgumentException if {@code newCurrent} is already in the chain
     */
    public DelegationChain extendedBy(Actor newCurrent) {
        if (contains(newCurrent)) {
            throw new IllegalArgumentException("agent " + newCurrent.subject() + " is already in the chain");
        }
        List<Actor> next = new ArrayList<>(actors.size() + 1);
        next.add(newCurrent);
        next.addAll(actors);
        return new DelegationChain(Collections.unmodifiableList(next));
    }

    /**
     * The {@code act} claim value: nested JSON objects, current actor outermost; each level is
     * {@code sub}, {@code iss}, then {@code att} if the actor is attested, {@code apv} if it was approved, then the
     * nested {@code act}.
     */
    public Map<String, Object> toActClaim() {
        Map<String, Object> nested = null;
        for (int i = actors.size() - 1; i >= 0; i--) {
            Map<String, Object> level = new LinkedHashMap<>(4);
            level.put(SUB, actors.get(i).subject());
            level.put(ISS, actors.get(i).issuer());
            Attestation att = actors.get(i).attestation();
            if (att != null) {
                Map<String, Object> summary = new LinkedHashMap<>(4);
                summary.put(ISS, att.attester());
                summary.put(ATT_DIGEST, att.digest());
                summary.put(ATT_TIME, att.attestedAt().getEpochSecond());
                level.put(ATT, summary);
            }
            Approval apv = actors.get(i).approval();
            if (apv != null) {
                Map<String, Object> approval = new LinkedHashMap<>(4);
                approval.put(APV_ID, apv.id());
                approval.put(APV_APPROVER, apv.approver());
                approval.put(APV_TIME, apv.approvedAt().getEpochSecond());
                level.put(APV, approval);
            }
            if (nested != null) {
                level.put(ACT, nested);
            }
            nested = level;
        }
        return nested;
    }

    /** The actor that holds the token now. */
    public Actor current() {
        return actors.get(0);
    }

    /** The actor that started the chain with its own credentials. */
    public Actor first() {
        return actors.get(actors.size() - 1);
    }

    /** Actors, current first. */
    public List<Actor> actors() {
        return actors;
    }

    /** The number of actors. */
    public int depth() {
        return actors.size();
    }

    public boolean contains(Actor actor) {
        return actors.contains(actor);
    }

    /** True when any actor has this agent id at this issuer. */
    public boolean containsAgent(String agentId, String issuer) {
        return contains(new Actor(agentId, issuer));
    }

    /** The chain without its current actor, or null for a chain of one. */
    public DelegationChain parent() {
        return actors.size() == 1 ? null : new DelegationChain(actors.subList(1, actors.size()));
    }

    /** Same actors in the same order, each with the same attestation summary and approval (or none). */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DelegationChain) || !((DelegationChain) o).actors.equals(actors)) {
            return false;
        }
        List<Actor> other = ((DelegationChain) o).actors;
        for (int i = 0; i < actors.size(); i++) {
            if (!Objects.equals(actors.get(i).attestation(), other.get(i).attestation())
                    || !Objects.equals(actors.get(i).approval(), other.get(i).approval())) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return actors.hashCode();
    }

    @Override
    public String toString() {
        return actors.toString();
    }
}
