package dev.agentid.issuer.monitor;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** What monitoring knows of one agent's normal behaviour (monitor thread only). */
final class AgentProfile {

    /** First-time-seen sets stop growing here (and stop alerting: an agent with this many is not one to model). */
    static final int MAX_SEEN = 1000;

    final String agent;
    final Instant firstSeen;
    String owner;
    final RateBaseline issued = new RateBaseline();
    final RateBaseline refusals = new RateBaseline();
    final RateBaseline fanOut = new RateBaseline();
    /** The last minute (epoch minute) folded into the baselines. */
    long closedMinute;
    final Set<String> scopes = new LinkedHashSet<>();
    final Set<String> audiences = new LinkedHashSet<>();
    final Set<String> attestations = new LinkedHashSet<>();
    final Set<String> bindings = new LinkedHashSet<>();
    final Set<String> partners = new LinkedHashSet<>();
    int maxDepth;
    /** Delegates of this agent's tokens and the last second each was seen (fan-out). */
    final Map<String, Long> recentDelegates = new HashMap<>();
    /** Counts before this second are not held against the agent (it was restored then). */
    long countFrom = Long.MIN_VALUE;
    /** Per detector, the second of its last alert (one alert per detector per cooldown). */
    final Map<String, Long> lastAlert = new HashMap<>();
    boolean suspended;

    AgentProfile(String agent, Instant firstSeen) {
        this.agent = agent;
        this.firstSeen = firstSeen;
        this.closedMinute = Math.floorDiv(firstSeen.getEpochSecond(), 60) - 1;
    }

    boolean learning(Instant now, java.time.Duration period) {
        return now.isBefore(firstSeen.plus(period));
    }

    /** Adds {@code item} to {@code set}; true if it was new (and the set not full). */
    static boolean firstTime(Set<String> set, String item) {
        if (item == null || set.contains(item) || set.size() >= MAX_SEEN) {
            return false;
        }
        set.add(item);
        return true;
    }
}
