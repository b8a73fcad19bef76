package dev.agentid.issuer.store;

import org.infinispan.protostream.annotations.Proto;
import org.infinispan.protostream.annotations.ProtoField;

/**
 * Value of the {@code keys} cache: the cluster's signing key file ({@code signing-keys.json}, private keys included)
 * sealed by {@link KeyFileSeal} (a compact JWE under a key derived from the cluster secret), and its HMAC-SHA256
 * digest (hex), which replicas compare instead of the content. No private key is ever in this value in the clear.
 * {@link #toString()} prints the digest and the lineage only.
 *
 * <p>{@code lineage} names the history of the cluster's file: a random id drawn by the node that seeded it, kept by
 * every later version. Two lineages meet only when two sides that had each seeded the cache (after a one-sided
 * suspicion at start) merge; {@link ReplicatedKeyFile#adoptCluster()} then keeps both sides' keys. Null for a file written before lineages
 * existed (one history).
 */
@Proto
record SharedKeyFile(@ProtoField(1) String wrapped, @ProtoField(2) String digest, @ProtoField(3) String lineage) {

    /** This file as a version of the history {@code lineage}. */
    SharedKeyFile withLineage(String lineage) {
        return new SharedKeyFile(wrapped, digest, lineage);
    }

    @Override
    public String toString() {
        return "SharedKeyFile[digest=" + digest + ", lineage=" + lineage + "]";
    }
}
