package dev.agentid.issuer.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterSettingsTest {

    private static final ClusterSecret SECRET = TestSecrets.random();

    @Test
    void clusteringWithoutASecretIsRefusedWithAClearMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClusterSettings.parse("127.0.0.1:7801", "127.0.0.1:7801", "agentid", null));
        assertTrue(e.getMessage().startsWith("ISSUER_CLUSTER_SECRET_FILE is required for clustering"),
                e.getMessage());
    }

    @Test
    void theSettingsNeverPrintTheSecret() {
        byte[] bytes = "0123456789abcdefghijklmnopqrstuvwxyzSECRET".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ClusterSettings s = ClusterSettings.parse("127.0.0.1:7801", "127.0.0.1:7801", "agentid",
                ClusterSecret.of(bytes));
        assertTrue(!s.toString().contains("SECRET") && !s.toString().contains("0123456789"), s.toString());
    }

    @Test
    void parsesTheMemberListIntoTcppingHostsAndAMajority() {
        ClusterSettings s = ClusterSettings.parse("127.0.0.1:7802", "127.0.0.1:7801, 127.0.0.1:7802,127.0.0.1:7803",
                "agentid", SECRET);
        assertEquals(new ClusterSettings.HostPort("127.0.0.1", 7802), s.bind());
        assertEquals("127.0.0.1[7801],127.0.0.1[7802],127.0.0.1[7803]", s.initialHosts());
        assertEquals(2, s.majority());
    }

    @Test
    void ipv6LiteralsAreBracketed() {
        ClusterSettings s = ClusterSettings.parse("[::1]:7801", "[::1]:7801", "agentid", SECRET);
        assertEquals("::1", s.bind().host());
        assertEquals(1, s.majority());
    }

    @Test
    void refusesABindAddressOutsideTheMemberListAPortWithoutRoomForTheFailureDetectorAndGarbage() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ClusterSettings.parse("127.0.0.1:7804", "127.0.0.1:7801", "x", SECRET)).getMessage()
                .contains("must contain this node's bind address"));
        assertThrows(IllegalArgumentException.class,
                () -> ClusterSettings.parse("127.0.0.1:65500", "127.0.0.1:65500", "x", SECRET));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ClusterSettings.parse("127.0.0.1", "127.0.0.1:7801", "x", SECRET)).getMessage()
                .startsWith("ISSUER_CLUSTER_BIND"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ClusterSettings.parse("127.0.0.1:7801", "127.0.0.1:x", "x", SECRET)).getMessage()
                .startsWith("ISSUER_CLUSTER_MEMBERS"));
        assertThrows(IllegalArgumentException.class, () -> ClusterSettings.parse("127.0.0.1:7801", "127.0.0.1:7801",
                " ", SECRET));
    }

    @Test
    void theJgroupsStackBindsEveryListenerToTheConfiguredHostAndUsesNoMulticast() {
        String xml = StoreConfiguration.jgroupsXml(new ClusterSettings(new ClusterSettings.HostPort("127.0.0.1", 7801),
                List.of(new ClusterSettings.HostPort("127.0.0.1", 7801)), "agentid", SECRET));
        assertTrue(xml.contains("<dev.agentid.issuer.store.ClusterTransport bind_addr=\"127.0.0.1\""));
        assertTrue(xml.contains("bind_port=\"7801\""));
        assertTrue(xml.contains("<FD_SOCK2 bind_addr=\"127.0.0.1\""));
        assertTrue(xml.contains("initial_hosts=\"127.0.0.1[7801]\""));
        assertTrue(xml.contains("diag.enabled=\"false\""));
        String stack = xml.replaceAll("(?s)<!--.*?-->", "");
        assertTrue(!stack.contains("@") && !stack.contains("MPING") && !stack.contains("UDP")
                && !stack.contains("mcast_addr"), "no placeholder left, no multicast protocol");
    }
}
