package dev.agentid.issuer.store;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.AgentStatus;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Measurement, not a test: heap per registered agent, for docs/SCALE.md. Builds {@code N} agent records as a
 * registration makes them (own P-256 key, 2 scopes, 1 audience, 1 delegate; the parsed key set is kept with the
 * record) in a map, and reports the heap used after a full GC, per agent. The replicated {@code agents} cache adds its
 * entry overhead on top (about 100 bytes). Run:
 * {@code java -Xmx2g -cp issuer/target/test-classes:issuer/target/classes:$(cat cp.txt)
 * dev.agentid.issuer.store.AgentFootprintReport 100000}.
 */
public final class AgentFootprintReport {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        Instant now = Instant.now();
        // a few hundred distinct keys, reused: key generation is not what is measured, and each record parses its own
        List<String> keys = new java.util.ArrayList<>();
        for (int i = 0; i < 256; i++) {
            keys.add("{\"keys\":[" + new ECKeyGenerator(Curve.P_256).keyID("k" + i).generate().toPublicJWK()
                    .toJSONString() + "]}");
        }
        long before = usedAfterGc();
        Map<String, AgentRecord> agents = new HashMap<>();
        for (int i = 0; i < n; i++) {
            String id = String.format("agent-%08d", i);
            agents.put(id, new AgentRecord(id, "team-" + (i % 1000), keys.get(i % keys.size()),
                    List.of("files:read", "files:write"), List.of("https://api.example"),
                    List.of(String.format("agent-%08d", (i + 1) % n)), 4, 3600, AgentStatus.ACTIVE, now, now));
        }
        long after = usedAfterGc();
        System.out.printf("%,d agents: %,d bytes of heap, %,.0f bytes per agent%n", agents.size(), after - before,
                (after - before) / (double) agents.size());
    }

    private static long usedAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }
}
