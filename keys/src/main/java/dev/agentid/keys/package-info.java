/**
 * Signing-key lifecycle for the issuer: ES256 keys generated with BouncyCastle, stored 0600 in
 * {@code DATA_DIR/keys/signing-keys.json} ({@link dev.agentid.keys.KeyStoreFile}), an immutable
 * {@link dev.agentid.keys.KeyRing} whose states are derived from timestamps, and the
 * {@link dev.agentid.keys.KeysCli} to generate, rotate, list and publish them. For agents (and for trying
 * the issuer from a shell): an agent's own key pair in a 0600 file ({@link dev.agentid.keys.AgentKeyFile})
 * and RFC 7523 client assertions signed with it ({@link dev.agentid.keys.ClientAssertion}).
 *
 * <p>Rotation guarantee: a new key is in the JWKS before it signs anything, and a retired key stays in
 * the JWKS until every token it signed has expired (max token lifetime plus clock skew after it
 * stopped signing), so no token fails verification because of a rotation.
 */
package dev.agentid.keys;
