package dev.agentid.issuer.binding;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.dpop.verifiers.DPoPIssuer;
import com.nimbusds.oauth2.sdk.dpop.verifiers.DPoPTokenRequestVerifier;
import com.nimbusds.openid.connect.sdk.Nonce;
import dev.agentid.issuer.store.ReplayStore;
import dev.agentid.verifier.binding.DpopProofVerifier;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cost of one DPoP proof verification at the token endpoint (docs/BENCHMARKS.md), single-threaded, proofs signed
 * before the clock starts, in CPU time of the verifying thread (wall-clock time on the shared 2-core machine
 * mostly measures the other processes): {@link TokenEndpointDpop} (verifier-lib's BouncyCastle verifier, what the issuer runs),
 * and for comparison the Nimbus OAuth SDK's {@code DPoPTokenRequestVerifier} on the JDK's EC code (what it ran
 * before). Not part of the default build (not a *Test); run with
 * {@code mvn -B -o test -pl issuer -am -Dtest=DpopProofBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 * Reports, never asserts timing: it asserts only that every proof was accepted.
 */
class DpopProofBenchmark {

    private static final URI ENDPOINT = URI.create("https://issuer.example/oauth2/token");
    private static final int PROOFS = Integer.getInteger("bench.proofs", 4000);
    private static final int RUNS = Integer.getInteger("bench.runs", 5);
    /** CPU time of the measuring thread: on a shared machine, time spent waiting for a core is not counted. */
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    @Test
    void perProofCost() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).generate();
        TokenEndpointDpop issuer = new TokenEndpointDpop(ENDPOINT, new InMemory(), Clock.systemUTC(),
                Duration.ofSeconds(60));
        DPoPTokenRequestVerifier sdk = new DPoPTokenRequestVerifier(Set.of(JWSAlgorithm.ES256), ENDPOINT, 60, 60,
                null);
        DpopProofVerifier library = DpopProofVerifier.builder().replayCache((id, expiresAt) -> true).build();
        double[] ours = new double[RUNS];
        double[] lib = new double[RUNS];
        double[] theirs = new double[RUNS];
        for (int run = -1; run < RUNS; run++) {          // run -1: warm-up
            List<String> proofs = proofs(key);
            long start = CPU.getCurrentThreadCpuTime();
            for (String proof : proofs) {
                assertTrue(issuer.verify(List.of(proof)).succeeded());
            }
            long elapsed = CPU.getCurrentThreadCpuTime() - start;
            List<String> other = proofs(key);
            long sdkStart = CPU.getCurrentThreadCpuTime();
            for (String proof : other) {
                sdk.verify(new DPoPIssuer("agent"), SignedJWT.parse(proof), (Nonce) null);
            }
            long sdkElapsed = CPU.getCurrentThreadCpuTime() - sdkStart;
            List<String> third = proofs(key);
            long libStart = CPU.getCurrentThreadCpuTime();
            for (String proof : third) {
                library.verify(proof, "POST", ENDPOINT, null);
            }
            long libElapsed = CPU.getCurrentThreadCpuTime() - libStart;
            if (run >= 0) {
                lib[run] = libElapsed / 1e6 / PROOFS;
                ours[run] = elapsed / 1e6 / PROOFS;
                theirs[run] = sdkElapsed / 1e6 / PROOFS;
            }
        }
        Arrays.sort(ours);
        Arrays.sort(theirs);
        Arrays.sort(lib);
        System.out.printf("[bench] DPoP proof at the token endpoint (TokenEndpointDpop: verifier-lib, BouncyCastle):"
                + " median %.3f ms CPU/proof (min %.3f, max %.3f), %d runs of %d proofs%n",
                ours[RUNS / 2], ours[0], ours[RUNS - 1], RUNS, PROOFS);
        System.out.printf("[bench] verifier-lib's DpopProofVerifier alone: median %.3f ms CPU/proof (min %.3f, max %.3f)%n",
                lib[RUNS / 2], lib[0], lib[RUNS - 1]);
        System.out.printf("[bench] for comparison, the Nimbus SDK's DPoPTokenRequestVerifier (JDK EC):"
                + " median %.3f ms CPU/proof (min %.3f, max %.3f)%n", theirs[RUNS / 2], theirs[0], theirs[RUNS - 1]);
    }

    private static List<String> proofs(ECKey key) {
        List<String> proofs = new ArrayList<>(PROOFS);
        for (int i = 0; i < PROOFS; i++) {
            proofs.add(Proofs.proof(key, ENDPOINT.toString()));
        }
        return proofs;
    }

    /** An in-memory replay cache answering at once (the cluster cache's cost is not the proof's). */
    private static final class InMemory implements ReplayStore {
        private final ConcurrentHashMap<String, Boolean> seen = new ConcurrentHashMap<>();

        @Override
        public Future<Boolean> firstUse(String key, Instant expiresAt) {
            return Future.succeededFuture(seen.putIfAbsent(key, Boolean.TRUE) == null);
        }
    }
}
