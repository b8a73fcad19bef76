package dev.agentid.issuer.store;

import java.io.ByteArrayInputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.EOFException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Random;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterTransportTest {

    @Test
    void aFrameIsReadWholeAcrossItsBuffersGrowth() throws Exception {
        byte[] sent = new byte[40_000];
        new Random(7).nextBytes(sent);
        byte[] read = ClusterTransport.readFrame(new DataInputStream(new ByteArrayInputStream(sent)), sent.length);
        assertArrayEquals(sent, read);
    }

    @Test
    void aNonMembersFrameDeclaringMoreThanAnyMemberSendsClosesTheConnectionUnread() throws Exception {
        ClusterTransport transport = transport();
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(new byte[64]));
        assertThrows(ClusterTransport.FrameRefused.class,
                () -> transport.receive(OUTSIDER, in, ClusterTransport.MAX_FRAME + 1));
        assertThrows(ClusterTransport.FrameRefused.class, () -> transport.receive(OUTSIDER, in, -1));
        assertThrows(ClusterTransport.FrameRefused.class,
                () -> transport.receive(OUTSIDER, in, ClusterTransport.TAG - 1));
        assertEquals(64, in.available(), "nothing of the frame was read");
    }

    @Test
    void aFrameWithoutThisClustersTagIsDroppedWholeAndTheConnectionStaysInStep() throws Exception {
        ClusterTransport transport = transport();
        byte[] garbage = new byte[100 + 10];
        new Random(3).nextBytes(garbage);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(garbage));
        transport.receive(OUTSIDER, in, 100);   // not handed to JGroups (an unstarted transport would fail on it)
        assertEquals(10, in.available(), "exactly the frame was read");
    }

    private static final org.jgroups.Address OUTSIDER = new org.jgroups.stack.IpAddress(
            java.net.InetAddress.getLoopbackAddress(), 7800);

    private static ClusterTransport transport() {
        ClusterTransport transport = new ClusterTransport();
        transport.authenticateFrames(TestSecrets.random().frameKey("agentid"), new ClusterRefusals());
        return transport;
    }

    @Test
    void aFrameDeclaredLongerThanWhatArrivesEndsWithoutItsDeclaredBufferEverBeingMade() {
        int[] largest = {0};
        DataInputStream arriving = new DataInputStream(new ByteArrayInputStream(new byte[100]));
        DataInput in = (DataInput) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataInput.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("readFully")) {
                        largest[0] = Math.max(largest[0], ((byte[]) args[0]).length);
                    }
                    try {
                        return method.invoke(arriving, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        assertThrows(EOFException.class, () -> ClusterTransport.readFrame(in, ClusterTransport.MAX_FRAME));
        assertTrue(largest[0] <= 16 * 1024, "the buffer grows with the bytes that arrive, not to the declared size: "
                + largest[0]);
    }
}
