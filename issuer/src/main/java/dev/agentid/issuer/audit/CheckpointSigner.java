package dev.agentid.issuer.audit;

import com.nimbusds.jwt.JWTClaimsSet;

import java.time.Instant;

/** Signs a checkpoint's claims with the issuer's signing key active at {@code at}: a compact JWS. */
@FunctionalInterface
public interface CheckpointSigner {

    String sign(JWTClaimsSet claims, Instant at);
}
