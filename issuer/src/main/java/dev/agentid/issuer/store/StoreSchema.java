package dev.agentid.issuer.store;

import dev.agentid.issuer.domain.AgentStatus;

import org.infinispan.protostream.GeneratedSchema;
import org.infinispan.protostream.annotations.ProtoSchema;
import org.infinispan.protostream.types.java.CommonTypes;

/**
 * The persisted (and, once clustered, replicated) format of the issuer's state. The ProtoStream annotation processor
 * generates {@code StoreSchemaImpl} with the marshallers and {@code proto/agentid-store.proto}; {@link StateStore}
 * registers it with the cache manager. Instants are stored as epoch milliseconds (ProtoStream maps
 * {@code java.time.Instant} to {@code fixed64}), so the records truncate them to milliseconds.
 */
@ProtoSchema(
        schemaPackageName = "dev.agentid.issuer.store",
        schemaFileName = "agentid-store.proto",
        schemaFilePath = "proto/",
        dependsOn = CommonTypes.class,
        service = false,
        includeClasses = {AgentStatus.class, AgentRecordAdapter.class, Revocation.class,
                SharedKeyFile.class})
interface StoreSchema extends GeneratedSchema {
}
