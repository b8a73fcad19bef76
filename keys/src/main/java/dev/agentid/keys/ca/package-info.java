/**
 * The agent CA: short-lived X.509 certificates for agents, issued from a CSR on BouncyCastle, for mutual
 * TLS client authentication (RFC 8705 {@code tls_client_auth}) and certificate-bound tokens
 * ({@code cnf.x5t#S256}).
 *
 * <ul>
 *   <li>{@link dev.agentid.keys.ca.AgentCa}: create/load the CA in {@code DATA_DIR/ca}, issue agent
 *       certificates, compute the RFC 8705 thumbprint;</li>
 *   <li>{@link dev.agentid.keys.ca.AgentCsr}: the agent's certificate signing request;</li>
 *   <li>{@link dev.agentid.keys.ca.Pem}: PEM text in and out.</li>
 * </ul>
 */
package dev.agentid.keys.ca;
