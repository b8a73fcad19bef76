/**
 * Sender-constrained tokens at a resource server (spec/agent-token-profile.md, section "Sender-constrained
 * tokens"): the {@code cnf} claim ({@link dev.agentid.verifier.binding.Confirmation}), DPoP proofs (RFC 9449,
 * {@link dev.agentid.verifier.binding.DpopProofVerifier} with a pluggable
 * {@link dev.agentid.verifier.binding.ReplayCache} and {@link dev.agentid.verifier.binding.NonceSource}), and
 * the check that the sender holds the token's key, by DPoP or by TLS client certificate (RFC 8705)
 * ({@link dev.agentid.verifier.binding.BindingVerifier}).
 */
package dev.agentid.verifier.binding;
