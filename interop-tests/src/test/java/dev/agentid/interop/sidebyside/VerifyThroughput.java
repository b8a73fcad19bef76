package dev.agentid.interop.sidebyside;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.crypto.impl.ECDSA;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.agentid.verifier.AgentTokenVerifier;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.jcajce.provider.asymmetric.util.ECUtil;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Single-threaded verification throughput of one agentid access token, in one JVM ({@link #measureOn} runs it in a JVM
 * of its own on a given JDK, so that each side-by-side run reports it on the JDK under test):
 * verifier-lib's {@link AgentTokenVerifier#verify} (all checks), Nimbus {@code DefaultJWTProcessor} (signature, typ,
 * exp/nbf only) on BouncyCastle and on the JDK's EC code, and the floor: one raw BouncyCastle ES256 signature check of
 * the already-split token (the JCA's {@code SHA256withECDSA}); the same curve code called directly with the JDK's
 * SHA-256, as verifier-lib does; and the floor plus Nimbus' JSON parse of the payload, which any verifier that reads
 * the claims with Nimbus adds to it. Rates are operations per second of this thread's CPU time (what another process
 * takes does not count against either), in many short interleaved slices; each figure is the median slice, and each
 * variant's share of the floor is the median of its per-slice ratios to the floor's slice next to it, so that the
 * host's slower and faster moments hit both sides of each ratio alike.
 */
final class VerifyThroughput {

    private static final String LINE = "verify-throughput\t";

    private VerifyThroughput() {
    }

    /**
     * {@link #measure} in a new JVM of {@code javaHome} (default options, this test's class path), for the JDK under
     * test rather than the generator's.
     */
    static Map<String, double[]> measureOn(java.nio.file.Path javaHome, String token, String issuer, String audience,
                                           JWKSet issuerKeys, double seconds, int slices) throws Exception {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process child = new ProcessBuilder(javaHome.resolve("bin/java").toString(), "-cp", classPath,
                VerifyThroughput.class.getName(), token, issuer, audience, issuerKeys.toString(true),
                Double.toString(seconds), Integer.toString(slices))
                .redirectErrorStream(true).start();
        Map<String, double[]> result = new LinkedHashMap<>();
        StringBuilder output = new StringBuilder();
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.startsWith(LINE)) {
                    String[] f = line.split("\t");
                    result.put(f[1], new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3])});
                } else {
                    output.append(line).append('\n');
                }
            }
        }
        // its output ends when it exits: (slices + 1) rounds of the variants, about a minute
        if (child.waitFor() != 0 || result.isEmpty()) {
            throw new IllegalStateException("the verification JVM failed: " + output);
        }
        return result;
    }

    /** Args: token, issuer, audience, the issuer's JWKS (JSON), seconds per slice, slices. One line per variant. */
    public static void main(String[] args) throws Exception {
        Map<String, double[]> result = measure(args[0], args[1], args[2], JWKSet.parse(args[3]),
                Double.parseDouble(args[4]), Integer.parseInt(args[5]));
        result.forEach((name, m) -> System.out.println(LINE + name + "\t" + m[0] + "\t" + m[1]));
    }

    /**
     * @return per variant, in order (the floor first): {median slice rate, median ratio to the floor's slice}
     */
    static Map<String, double[]> measure(String token, String issuer, String audience, JWKSet issuerKeys,
                                         double seconds, int slices) throws Exception {
        SignedJWT parsed = SignedJWT.parse(token);
        ECKey key = (ECKey) issuerKeys.getKeyByKeyId(parsed.getHeader().getKeyID());
        // the floor: a BouncyCastle key object and one Signature instance, made once (verifier-lib caches its keys too)
        ECPublicKey publicKey = key.toECPublicKey(BouncyCastleProviderSingleton.getInstance());
        Signature raw = Signature.getInstance("SHA256withECDSA", BouncyCastleProviderSingleton.getInstance());
        byte[] signingInput = parsed.getSigningInput();
        byte[] der = ECDSA.transcodeSignatureToDER(parsed.getSignature().decode());
        JOSEObjectType typ = parsed.getHeader().getType();

        AgentTokenVerifier verifierLib = AgentTokenVerifier.builder().trustIssuer(issuer, issuerKeys)
                .audience(audience).build();
        DefaultJWTProcessor<SecurityContext> nimbusBc = nimbus(issuerKeys, typ, true);
        DefaultJWTProcessor<SecurityContext> nimbusJdk = nimbus(issuerKeys, typ, false);

        Map<String, Callable<Object>> variants = new LinkedHashMap<>();
        variants.put("raw BouncyCastle ES256 verify", () -> {
            raw.initVerify(publicKey);
            raw.update(signingInput);
            if (!raw.verify(der)) {
                throw new AssertionError("bad signature");
            }
            return raw;
        });
        // the same curve code without the JCA: BouncyCastle's ECDSASigner on the P1363 r and s, the signing input
        // hashed by the JDK's SHA-256 (compiled to the CPU's SHA instructions), as verifier-lib checks ES256. Not the
        // floor the bar is set against; shown so that the table says how much of verifier-lib's share is that choice
        ECPublicKeyParameters bcKey = (ECPublicKeyParameters) ECUtil.generatePublicKeyParameter(publicKey);
        byte[] p1363 = parsed.getSignature().decode();
        BigInteger r = new BigInteger(1, p1363, 0, 32);
        BigInteger s = new BigInteger(1, p1363, 32, 32);
        variants.put("BouncyCastle ECDSASigner, JDK SHA-256 (no JCA)", () -> {
            ECDSASigner signer = new ECDSASigner();
            signer.init(false, bcKey);
            if (!signer.verifySignature(MessageDigest.getInstance("SHA-256").digest(signingInput), r, s)) {
                throw new AssertionError("bad signature");
            }
            return signer;
        });
        // what every verifier that reads the claims with Nimbus pays at least: the floor, plus Nimbus' parse of the
        // payload (base64url, then JSONObjectUtils.parse). verifier-lib is measured against the floor; this shows
        // how much of the difference is that parse, which costs more here, between two signature checks, than in a
        // loop of its own (where the CPU's predictors learn the one payload)
        String payload = parsed.getPayload().toBase64URL().toString();
        variants.put("raw BouncyCastle + Nimbus payload JSON parse", () -> {
            raw.initVerify(publicKey);
            raw.update(signingInput);
            if (!raw.verify(der)) {
                throw new AssertionError("bad signature");
            }
            return JSONObjectUtils.parse(new String(Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8));
        });
        variants.put("verifier-lib AgentTokenVerifier.verify", () -> verifierLib.verify(token));
        variants.put("Nimbus DefaultJWTProcessor (BouncyCastle)", () -> nimbusBc.process(token, null));
        variants.put("Nimbus DefaultJWTProcessor (JDK EC)", () -> nimbusJdk.process(token, null));

        Map<String, List<Double>> perSlice = new LinkedHashMap<>();
        Map<String, List<Double>> ratios = new LinkedHashMap<>();
        for (int slice = 0; slice <= slices; slice++) {
            double floorRate = Double.NaN;
            for (var variant : variants.entrySet()) {
                double rate = run(variant.getValue(), slice == 0 ? 1.5 : seconds);
                if (slice == 0) {
                    continue;   // warm-up
                }
                if (Double.isNaN(floorRate)) {
                    floorRate = rate;
                }
                perSlice.computeIfAbsent(variant.getKey(), k -> new ArrayList<>()).add(rate);
                ratios.computeIfAbsent(variant.getKey(), k -> new ArrayList<>()).add(rate / floorRate);
            }
        }
        verifierLib.close();
        Map<String, double[]> medians = new LinkedHashMap<>();
        perSlice.forEach((name, rates) -> medians.put(name, new double[] {median(rates), median(ratios.get(name))}));
        return medians;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private static DefaultJWTProcessor<SecurityContext> nimbus(JWKSet keys, JOSEObjectType typ, boolean bc) {
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, new ImmutableJWKSet<>(keys)));
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(typ, JOSEObjectType.JWT, null));
        DefaultJWSVerifierFactory factory = new DefaultJWSVerifierFactory();
        if (bc) {
            factory.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
        }
        processor.setJWSVerifierFactory(factory);
        return processor;
    }

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    /** Operations per second of this thread's CPU time, over {@code seconds} of it. */
    private static double run(Callable<Object> op, double seconds) throws Exception {
        long start = THREADS.getCurrentThreadCpuTime();
        long end = start + (long) (seconds * 1e9);
        long count = 0;
        Object sink = null;
        long now;
        while ((now = THREADS.getCurrentThreadCpuTime()) < end) {
            for (int i = 0; i < 50; i++) {
                sink = op.call();
            }
            count += 50;
        }
        if (sink == null) {
            throw new AssertionError();
        }
        return count / ((now - start) / 1e9);
    }
}
