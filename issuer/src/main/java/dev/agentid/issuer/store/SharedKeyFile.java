package dev.agentid.issuer.store;

import org.infinispan.protostream.annotations.Proto;
import org.infinispan.protostream.annotations.ProtoField;

/**
 * Value of the {@code keys} cache: the cluster's signing key file ({@code signing-keys.json}, private keys included)
 * sealed by {@link KeyFileSeal} (a compact JWE under a key derived from the cluster secret), and its HMAC-SHA256
 * digest (hex), which replicas compare instead of the content. No private key is ever in this value in the clear.
 * {@link #toString()} prints the digest only.
 */
@Proto
record SharedKeyFile(@ProtoField(1) String wrapped, @ProtoField(2) String digest) {

    @Override
    public String toString() {
        return "SharedKeyFile[digest=" + digest + "]";
    }
}
