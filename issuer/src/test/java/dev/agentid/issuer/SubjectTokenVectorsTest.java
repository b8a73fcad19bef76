package dev.agentid.issuer;

import com.nimbusds.jose.jwk.JWKSet;
import dev.agentid.issuer.token.KeyService;
import dev.agentid.issuer.service.TokenService;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The profile's verification vectors (spec/vectors) as subject tokens: the issuer's own-token
 * verifier accepts what they call valid and refuses the rest with the description of the refusal
 * table row (spec/refusals/token-endpoint.json) that names the vector's reason code.
 */
class SubjectTokenVectorsTest {

    static final Path VECTORS = Path.of(System.getProperty("user.dir")).resolveSibling("spec").resolve("vectors");
    /** A subject token's audience is the resource it was minted for; the issuer does not check it. */
    static final Reason NOT_CHECKED_FOR_SUBJECT_TOKENS = Reason.AUDIENCE_MISMATCH;

    /** Reason code → the description of the refusal-table row whose rule lists it. */
    static Map<Reason, String> descriptionsByReason() throws IOException {
        JsonArray rows = new JsonObject(Files.readString(RefusalTable.FILE)).getJsonArray("rows");
        Map<Reason, String> byReason = new HashMap<>();
        Pattern code = Pattern.compile("\\b[A-Z][A-Z_]{3,}\\b");
        for (int i = 0; i < rows.size(); i++) {
            JsonObject row = rows.getJsonObject(i);
            Matcher m = code.matcher(row.getString("rule"));
            while (m.find()) {
                for (Reason r : Reason.values()) {
                    if (r.name().equals(m.group())) {
                        byReason.put(r, row.getString("error_description"));
                    }
                }
            }
        }
        return byReason;
    }

    @TestFactory
    Stream<DynamicTest> everyVectorAsASubjectToken() throws IOException {
        Map<Reason, String> descriptions = descriptionsByReason();
        List<Path> files;
        try (Stream<Path> list = Files.list(VECTORS)) {
            files = list.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertEquals(true, files.size() >= 30, "the profile has at least 30 vectors");
        return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
            JsonObject v = new JsonObject(Files.readString(file));
            JsonObject verifierConfig = v.getJsonObject("verifier");
            Clock at = Clock.fixed(Instant.ofEpochSecond(v.getLong("verification_time")), ZoneOffset.UTC);
            AgentTokenVerifier verifier = KeyService.subjectTokenVerifier(v.getString("issuer"),
                    JWKSet.parse(v.getJsonObject("jwks").encode()), at,
                    Duration.ofSeconds(verifierConfig.getInteger("clock_skew_seconds", 60)),
                    verifierConfig.getInteger("max_chain_depth", 10));
            JsonObject expected = v.getJsonObject("expected");
            boolean derivedCheck = v.getValue("parent") != null;
            Reason reason = expected.getBoolean("valid") ? null : Reason.valueOf(expected.getString("reason"));
            if (reason == null || derivedCheck || reason == NOT_CHECKED_FOR_SUBJECT_TOKENS) {
                assertDoesNotThrow(() -> verifier.verify(v.getString("token")), v.getString("title"));
                return;
            }
            TokenVerificationException e = assertThrows(TokenVerificationException.class,
                    () -> verifier.verify(v.getString("token")), v.getString("title"));
            assertEquals(reason, e.reason(), v.getString("title"));
            String description = descriptions.get(reason);
            assertNotNull(description, "the refusal table names reason " + reason);
            assertEquals(description, TokenService.subjectTokenRefusal(reason));
        }));
    }
}
