package dev.agentid.issuer.domain;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.service.TokenLiveness;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** spec/vectors/lineage: the lineage claims as {@link Lineage} reads them, and the liveness rule over them. */
class LineageVectorsTest {

    static final Path VECTORS = Path.of(System.getProperty("user.dir")).resolveSibling("spec").resolve("vectors")
            .resolve("lineage");
    static final String ISSUER = "https://issuer.example";

    @TestFactory
    Stream<DynamicTest> everyLineageVector() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(VECTORS)) {
            files = list.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertEquals(15, files.size(), "vectors in " + VECTORS);
        return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> check(file)));
    }

    private static void check(Path file) throws Exception {
        JsonObject vector = new JsonObject(Files.readString(file));
        JWTClaimsSet claims = JWTClaimsSet.parse(vector.getJsonObject("claims").encode());
        JsonObject expected = vector.getJsonObject("lineage");
        if (!expected.getBoolean("valid")) {
            assertThrows(IllegalArgumentException.class, () -> Lineage.of(claims), vector.getString("description"));
            return;
        }
        Lineage lineage = Lineage.of(claims);
        assertEquals(expected.getJsonArray("ancestors").getList(), lineage.ancestors());
        assertEquals(expected.getString("root"), lineage.root());
        assertEquals(expected.getLong("minted_at_ms"), lineage.mintedAt().toEpochMilli());
        assertEquals(expected.getJsonArray("external").getList(), lineage.external());
        JsonArray cases = vector.getJsonArray("liveness", new JsonArray());
        for (int i = 0; i < cases.size(); i++) {
            JsonObject c = cases.getJsonObject(i);
            Set<String> revoked = new HashSet<>(c.getJsonArray("revoked").getList());
            revoked.retainAll(lineage.selfAndAncestors());   // what the batched lookup of the token's lineage finds
            TokenLiveness.Verdict verdict = TokenLiveness.decide(lineage, revoked,
                    chainAgents(claims, c.getJsonObject("killed")), claims.getExpirationTime().toInstant(),
                    (refs, iat, exp) -> TokenLiveness.State.ACTIVE);
            assertEquals(c.getString("state"), verdict.state().name(), file.getFileName() + " case " + i);
            assertEquals(c.getString("agent"), verdict.agent(), file.getFileName() + " case " + i);
        }
    }

    /** This issuer's agents of the token's act chain, current first, with the vector's kill states. */
    private static Map<String, AgentRecord> chainAgents(JWTClaimsSet claims, JsonObject killed) throws Exception {
        Map<String, AgentRecord> agents = new LinkedHashMap<>();
        Map<String, Object> level = claims.getJSONObjectClaim("act");
        String jwks = "{\"keys\":[" + TestAgent.newKey().toPublicJWK().toJSONString() + "]}";
        Instant created = Instant.parse("2025-01-01T00:00:00Z");
        while (level != null) {
            String id = (String) level.get("sub");
            if (ISSUER.equals(level.get("iss"))) {
                JsonObject kill = killed.getJsonObject(id);
                AgentRecord agent = kill == null
                        ? new AgentRecord(id, "user:alice", jwks, List.of("read"), List.of(), List.of(), 5, 300,
                                AgentStatus.ACTIVE, created, created)
                        : new AgentRecord(id, "user:alice", jwks, List.of("read"), List.of(), List.of(), 5, 300,
                                AgentStatus.valueOf(kill.getString("status")), created,
                                Instant.ofEpochMilli(kill.getLong("last_killed_at_ms")),
                                Instant.ofEpochMilli(kill.getLong("last_killed_at_ms")));
                agents.put(id, agent);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> next = (Map<String, Object>) level.get("act");
            level = next;
        }
        return agents;
    }
}
