package dev.agentid.issuer.store;

import org.infinispan.protostream.annotations.Proto;
import org.infinispan.protostream.annotations.ProtoField;

/**
 * Value of the {@code keys} cache: the cluster's signing key file ({@code signing-keys.json} text, private keys
 * included) and its SHA-256 (hex), which replicas compare instead of the text. {@link #toString()} never prints the
 * text.
 */
@Proto
record SharedKeyFile(@ProtoField(1) String json, @ProtoField(2) String sha256) {

    @Override
    public String toString() {
        return "SharedKeyFile[sha256=" + sha256 + "]";
    }
}
