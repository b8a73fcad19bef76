package dev.agentid.issuer.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Duration;
import java.util.List;
import org.jgroups.JChannel;
import org.jgroups.protocols.AUTH;
import org.jgroups.protocols.SERIALIZE;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.stack.Protocol;
import org.junit.jupiter.api.Test;

class ClusterChannelTest {

    @Test
    void theChannelSealsEverythingAboveTheTransportAndAuthenticatesJoinsBelowGms() throws Exception {
        ClusterSettings.HostPort self = new ClusterSettings.HostPort("127.0.0.1", 7801);
        ClusterSettings settings = new ClusterSettings(self, List.of(self), "agentid", Duration.ofSeconds(5),
                TestSecrets.random());
        JChannel channel = new ClusterChannel(settings, StoreConfiguration.jgroupsXml(settings),
                new ClusterRefusals()).createChannel("agentid");
        try {
            List<Protocol> bottomUp = new java.util.ArrayList<>(channel.getProtocolStack().getProtocols());
            java.util.Collections.reverse(bottomUp);   // JGroups lists them top down
            assertInstanceOf(ClusterTransport.class, bottomUp.get(0));
            ClusterEncrypt encrypt = assertInstanceOf(ClusterEncrypt.class, bottomUp.get(1));
            assertInstanceOf(SERIALIZE.class, bottomUp.get(2));
            int auth = indexOf(bottomUp, AUTH.class);
            assertEquals(indexOf(bottomUp, GMS.class) - 1, auth, "AUTH right below GMS");
            assertInstanceOf(ClusterMemberToken.class, ((AUTH) bottomUp.get(auth)).getAuthToken());
            assertEquals("AES/GCM/NoPadding", encrypt.symAlgorithm());
            assertEquals(ClusterEncrypt.IV_BYTES, encrypt.simIvLength());
            assertEquals(32, encrypt.secretKey().getEncoded().length, "AES-256");
        } finally {
            channel.close();
        }
    }

    private static int indexOf(List<Protocol> protocols, Class<?> type) {
        for (int i = 0; i < protocols.size(); i++) {
            if (type.isInstance(protocols.get(i))) {
                return i;
            }
        }
        throw new AssertionError(type.getSimpleName() + " missing from " + protocols);
    }
}
