package dev.agentid.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConcurrentVerificationTest {

    @Test
    void oneVerifierGivesTheSameVerdictsFromManyThreads() throws Exception {
        AgentTokenVerifier verifier = TestTokens.verifier().build();
        List<String> tokens = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String principal = "user:" + i;
            if (i % 3 == 0) {
                tokens.add(TestTokens.sign(TestTokens.claims().subject(principal).audience("https://other.test").build()));
                expected.add(Reason.AUDIENCE_MISMATCH.name());
            } else if (i % 3 == 1) {
                tokens.add(TestTokens.sign(TestTokens.claims().subject(principal).build(), TestTokens.newKey(
                        TestTokens.KEY.getKeyID())));
                expected.add(Reason.BAD_SIGNATURE.name());
            } else {
                tokens.add(TestTokens.sign(TestTokens.claims().subject(principal).build()));
                expected.add(principal);
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<List<String>>> tasks = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int offset = t;
                tasks.add(() -> {
                    List<String> verdicts = new ArrayList<>();
                    for (int round = 0; round < 5; round++) {
                        for (int i = 0; i < tokens.size(); i++) {
                            int index = (i + offset * 7) % tokens.size();
                            verdicts.add(index + "=" + verdict(verifier, tokens.get(index)));
                        }
                    }
                    return verdicts;
                });
            }
            for (Future<List<String>> result : pool.invokeAll(tasks, 60, TimeUnit.SECONDS)) {
                List<String> verdicts = result.get();
                assertEquals(5 * tokens.size(), verdicts.size());
                for (String verdict : verdicts) {
                    int index = Integer.parseInt(verdict.substring(0, verdict.indexOf('=')));
                    assertEquals(index + "=" + expected.get(index), verdict);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static String verdict(AgentTokenVerifier verifier, String token) {
        try {
            return verifier.verify(token).principal();
        } catch (TokenVerificationException e) {
            return e.reason().name();
        }
    }
}
