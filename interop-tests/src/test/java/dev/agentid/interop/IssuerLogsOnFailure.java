package dev.agentid.interop;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.util.List;

/**
 * Prints the output of the issuers a test class started when one of its tests fails (failsafe keeps
 * it in target/failsafe-reports/*-output.txt). Register with {@code @ExtendWith}.
 */
public final class IssuerLogsOnFailure implements BeforeAllCallback, TestWatcher {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(IssuerLogsOnFailure.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NS).put("first", IssuerProcess.started().size());
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        Integer first = context.getStore(NS).get("first", Integer.class);
        List<IssuerProcess> all = IssuerProcess.started();
        for (IssuerProcess issuer : all.subList(first == null ? 0 : first, all.size())) {
            System.err.println("==== " + context.getDisplayName() + " failed; output of " + issuer);
            System.err.println(issuer.logTail(200));
        }
    }
}
