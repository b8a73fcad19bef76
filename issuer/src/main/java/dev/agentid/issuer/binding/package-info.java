/**
 * Sender-constrained tokens at the issuer (spec/agent-token-profile.md section 6.8): the token endpoint's step after
 * client authentication ({@code tls_client_auth} is in the client-authentication stage, {@code client/}) that decides the new token's {@code cnf} ({@link dev.agentid.issuer.binding.SenderBinding}):
 * DPoP proofs (RFC 9449, {@link dev.agentid.issuer.binding.TokenEndpointDpop} on verifier-lib's BouncyCastle verifier, single use in
 * the cluster-wide replay cache), and mutual TLS (RFC 8705): the optional TLS listener
 * ({@link dev.agentid.issuer.binding.TlsSettings}) and certificate-bound tokens
 * ({@link dev.agentid.issuer.binding.ClientCertificates}).
 */
package dev.agentid.issuer.binding;
