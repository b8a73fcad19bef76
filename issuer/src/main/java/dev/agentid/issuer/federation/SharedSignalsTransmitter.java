package dev.agentid.issuer.federation;

import com.nimbusds.jwt.JWTClaimsSet;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The transmitting side of the OpenID Shared Signals Framework: what behavioural monitoring concludes about one of our
 * agents goes, as a Security Event Token (RFC 8417) signed with the issuer's key, to every partner subscribed in the
 * trust file ({@link SignalReceiver}) where the agent's tokens travel (an agent registered with one of the receiver's
 * {@code agent_audiences}), by push delivery (RFC 8935). A suspension is CAEP {@code session-revoked} (every token of
 * the agent is dead: drop what you cached); any other alert is CAEP {@code risk-level-change} with the alert's severity
 * as the level. The subject is {@code sub_id} {@code iss_sub}: our issuer and the agent id, the pair in our tokens'
 * {@code act}. Partners verify the SET with our published JWKS.
 *
 * <p>Delivery is asynchronous and never blocks the caller: one attempt with a 5 s deadline, failures counted and
 * logged (a receiver that misses a suspension still sees it in our status lists within their published bound).
 * Receivers over plain http are refused unless loopback http is allowed (development), as for every outbound call.
 */
public final class SharedSignalsTransmitter {

    public static final String SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
    public static final String RISK_LEVEL_CHANGE =
            "https://schemas.openid.net/secevent/caep/event-type/risk-level-change";

    private static final Logger LOG = Logger.getLogger(SharedSignalsTransmitter.class.getName());
    private static final Duration DEADLINE = Duration.ofSeconds(5);

    private final String issuer;
    private final Supplier<List<SignalReceiver>> receivers;
    private final OutboundFetcher fetcher;
    private final BiFunction<JWTClaimsSet, Instant, String> signer;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(DEADLINE)
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    /**
     * @param receivers the subscribed receivers now (the trust file is reloaded while running)
     * @param fetcher the outbound policy (https only; loopback http in development)
     * @param signer signs the SET's claims as a {@code secevent+jwt} with the issuer's active key
     */
    public SharedSignalsTransmitter(String issuer, Supplier<List<SignalReceiver>> receivers, OutboundFetcher fetcher,
                                    BiFunction<JWTClaimsSet, Instant, String> signer, Clock clock) {
        this.issuer = issuer;
        this.receivers = receivers;
        this.fetcher = fetcher;
        this.signer = signer;
        this.clock = clock;
    }

    /**
     * Tells the receivers concerned by an agent registered with {@code agentAudiences} about a monitoring alert:
     * {@code suspended} (the kill switch) as session-revoked, otherwise as a risk-level change to {@code severity}.
     */
    public void monitorAlert(String agentId, Collection<String> agentAudiences, String detector, String severity,
                             String explanation, boolean suspended) {
        Map<String, Object> payload = new LinkedHashMap<>();
        Instant now = clock.instant();
        payload.put("event_timestamp", now.getEpochSecond());
        payload.put("initiating_entity", "policy");
        payload.put("reason_admin", Map.of("en", detector + ": " + explanation));
        if (suspended) {
            send(agentId, agentAudiences, SESSION_REVOKED, payload, now);
        } else {
            payload.put("principal", "USER");   // CAEP: a robotic user; the subject names the agent
            payload.put("current_level", level(severity));
            payload.put("risk_reason", detector);
            send(agentId, agentAudiences, RISK_LEVEL_CHANGE, payload, now);
        }
    }

    /** SETs handed to receivers that answered 2xx. */
    public long sent() {
        return sent.get();
    }

    /** SETs not delivered (refused URL, no answer, or a non-2xx answer). */
    public long failed() {
        return failed.get();
    }

    private void send(String agentId, Collection<String> agentAudiences, String type, Map<String, Object> payload,
                      Instant now) {
        for (SignalReceiver receiver : receivers.get()) {
            if (!receiver.concerns(agentAudiences)) {
                continue;
            }
            try {
                fetcher.requireAllowed(receiver.endpoint());
            } catch (IOException e) {
                failed.incrementAndGet();
                LOG.warning("shared signals: receiver " + receiver.endpoint() + " refused: " + e.getMessage());
                continue;
            }
            JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).audience(receiver.audience())
                    .issueTime(java.util.Date.from(now)).jwtID(UUID.randomUUID().toString())
                    .claim("sub_id", Map.of("format", "iss_sub", "iss", issuer, "sub", agentId))
                    .claim("events", Map.of(type, payload)).build();
            push(receiver.endpoint(), signer.apply(claims, now), agentId, type);
        }
    }

    private void push(URI endpoint, String set, String agentId, String type) {
        HttpRequest request = HttpRequest.newBuilder(endpoint).timeout(DEADLINE)
                .header("Content-Type", "application/secevent+jwt").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(set)).build();
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, t) -> {
            if (t == null && response.statusCode() / 100 == 2) {
                sent.incrementAndGet();
                return;
            }
            failed.incrementAndGet();
            LOG.warning("shared signals: " + type.substring(type.lastIndexOf('/') + 1) + " for agent " + agentId
                    + " not delivered to " + endpoint.getHost() + ": "
                    + (t != null ? t.toString() : "HTTP " + response.statusCode()));
        });
    }

    private static String level(String severity) {
        return switch (severity) {
            case "low" -> "LOW";
            case "medium" -> "MEDIUM";
            default -> "HIGH";   // high, critical
        };
    }
}
