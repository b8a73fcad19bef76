package dev.agentid.issuer.monitor;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A replayable traffic generator with labelled scenarios: the same seed gives the same observations. Each agent has
 * a behaviour that emits, for every simulated second, the decisions the issuer would record for it; malicious
 * behaviours act normally until their attack starts. Scenarios put one attacker among benign agents.
 */
final class TrafficGenerator {

    /** An agent's behaviour: the observations of one simulated second. */
    interface Behaviour {
        void second(long s, Random rnd, List<Observation> out);
    }

    /**
     * One agent in a scenario, with its label.
     *
     * @param attack when the misuse starts (null for a benign agent)
     * @param severe whether the misuse must be contained by suspension
     */
    record Actor(String agent, String label, Instant attack, boolean severe, Behaviour behaviour) {
        boolean malicious() {
            return attack != null;
        }
    }

    static final List<String> SCOPES = List.of("tickets:read", "tickets:write", "kb:read");
    static final List<String> AUDIENCES = List.of("https://tickets.example", "https://kb.example");

    /** Poisson-distributed count with mean {@code lambda} (Knuth; lambda is small here). */
    static int poisson(Random rnd, double lambda) {
        if (lambda <= 0) {
            return 0;
        }
        if (lambda > 30) {
            return (int) Math.max(0, Math.round(lambda + Math.sqrt(lambda) * rnd.nextGaussian()));
        }
        double l = Math.exp(-lambda);
        int k = 0;
        double p = 1;
        do {
            k++;
            p *= rnd.nextDouble();
        } while (p > l);
        return k - 1;
    }

    static Instant at(long s, Random rnd) {
        return Instant.ofEpochSecond(s, rnd.nextInt(900_000_000));
    }

    /** One normal token request of an agent: some of its usual scopes, one of its audiences, its workload. */
    static Observation normal(String agent, long s, Random rnd) {
        List<String> scopes = new ArrayList<>();
        for (String scope : SCOPES) {
            if (rnd.nextInt(3) > 0) {
                scopes.add(scope);
            }
        }
        if (scopes.isEmpty()) {
            scopes.add(SCOPES.get(0));
        }
        return Observation.issued(at(s, rnd), agent, scopes, List.of(AUDIENCES.get(rnd.nextInt(AUDIENCES.size()))))
                .withAttestation("sha256:" + agent + "-workload").withBinding(agent + "-dpop-key");
    }

    /** A steady agent: Poisson arrivals at {@code perMinute}. */
    static Behaviour steady(String agent, double perMinute) {
        return (s, rnd, out) -> {
            for (int i = poisson(rnd, perMinute / 60); i > 0; i--) {
                out.add(normal(agent, s, rnd));
            }
        };
    }

    /**
     * A daily cycle: quiet at night ({@code 5%} of the peak), busy by day, a smooth ramp in between; and an hourly
     * batch job that asks for {@code batch} tokens within a second.
     */
    static Behaviour daily(String agent, double peakPerMinute, int batch, long start) {
        return (s, rnd, out) -> {
            double phase = 2 * Math.PI * ((s - start) % 86_400) / 86_400.0;
            double rate = peakPerMinute * (0.05 + 0.95 * (0.5 - 0.5 * Math.cos(phase)));
            int n = poisson(rnd, rate / 60) + ((s - start) % 3600 == 1800 ? batch : 0);
            for (int i = 0; i < n; i++) {
                out.add(normal(agent, s, rnd));
            }
        };
    }

    /** An orchestrator that delegates its tokens to a few helpers (each exchange is the helper's issuance). */
    static Behaviour orchestrator(String agent, List<String> helpers, double perMinute) {
        return (s, rnd, out) -> {
            for (int i = poisson(rnd, perMinute / 60); i > 0; i--) {
                out.add(normal(agent, s, rnd));
                String helper = helpers.get(rnd.nextInt(helpers.size()));
                out.add(normal(helper, s, rnd).withDelegator(agent, 2));
            }
        };
    }

    /** Normal behaviour until {@code attack}, then {@code misuse} on top of it. */
    static Behaviour until(Behaviour normal, Instant attack, Behaviour misuse) {
        long from = attack.getEpochSecond();
        return (s, rnd, out) -> {
            normal.second(s, rnd, out);
            if (s >= from) {
                misuse.second(s, rnd, out);
            }
        };
    }

    // ---- misuse ----

    /** A runaway loop: the agent asks for a token {@code perSecond} times a second. */
    static Behaviour runaway(String agent, int perSecond) {
        return (s, rnd, out) -> {
            for (int i = 0; i < perSecond; i++) {
                out.add(normal(agent, s, rnd));
            }
        };
    }

    /** A stolen key used from another workload: another attestation digest, another DPoP key, a normal pace. */
    static Behaviour stolenKeyElsewhere(String agent) {
        return (s, rnd, out) -> {
            if (rnd.nextInt(3) == 0) {
                out.add(normal(agent, s, rnd).withAttestation("sha256:attacker-laptop").withBinding("attacker-key"));
            }
        };
    }

    /** Scope creep: every other second, a request for a scope beyond the registration (refused: invalid_scope). */
    static Behaviour scopeCreep(String agent) {
        return (s, rnd, out) -> {
            if (s % 2 == 0) {
                out.add(Observation.refused(at(s, rnd), agent, "invalid_scope", true));
            }
        };
    }

    /**
     * Low and slow: at the agent's normal pace, now and then a token for an audience it is registered for but never
     * used (data it has no business reading); the rate does not change.
     */
    static Behaviour lowAndSlow(String agent) {
        return (s, rnd, out) -> {
            if (rnd.nextInt(4) == 0) {
                out.add(Observation.issued(at(s, rnd), agent, List.of("tickets:read"), List.of("https://payroll.example"))
                        .withAttestation("sha256:" + agent + "-workload").withBinding(agent + "-dpop-key"));
            }
        };
    }

    /** Someone holding the agent's stolen key replays its old subject tokens: authenticated refusals, 5 a second. */
    static Behaviour refusalStorm(String agent) {
        return (s, rnd, out) -> {
            for (int i = 0; i < 5; i++) {
                out.add(Observation.refused(at(s, rnd), agent, "invalid_request", true));
            }
        };
    }

    /** A hijacked orchestrator delegating to two new helpers a second. */
    static Behaviour fanOut(String agent) {
        return (s, rnd, out) -> {
            for (int i = 0; i < 2; i++) {
                String helper = agent + "-spawn-" + (s % 10_000) + "-" + i;
                out.add(normal(helper, s, rnd).withDelegator(agent, 2));
            }
        };
    }
}
