/**
 * Verification of agent access tokens and their delegation chains, as defined by the agent token profile
 * ({@code spec/agent-token-profile.md}).
 *
 * <ul>
 *   <li>{@link dev.agentid.verifier.AgentTokenVerifier}: the verifier, built once per configuration;</li>
 *   <li>{@link dev.agentid.verifier.VerifiedAgentToken}: what a successful verification yields, and the
 *       derived-token checks of a token exchange;</li>
 *   <li>{@link dev.agentid.verifier.DelegationChain} and {@link dev.agentid.verifier.Actor}: the wire
 *       shape of the {@code act} claim, shared with the issuer;</li>
 *   <li>{@link dev.agentid.verifier.Reason}: the stable failure codes of
 *       {@link dev.agentid.verifier.TokenVerificationException};</li>
 *   <li>{@link dev.agentid.verifier.JwksPolicy}: vetting of JWK sets before they are trusted.</li>
 * </ul>
 *
 * Compile-scope dependencies: Nimbus JOSE+JWT and the BouncyCastle provider, nothing else.
 */
package dev.agentid.verifier;
