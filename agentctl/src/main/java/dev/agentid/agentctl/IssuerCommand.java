package dev.agentid.agentctl;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;

/** A command that calls the issuer's admin API: the shared connection options, the client, the output. */
abstract class IssuerCommand implements Callable<Integer> {

    @Mixin
    Connection connection;

    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() {
        run(client(), new Output(out(), connection.output));
        return Agentctl.OK;
    }

    abstract void run(IssuerClient issuer, Output output);

    /** The admin token as the bearer; the approvals commands may send an approver's id_token instead. */
    IssuerClient client() {
        return new IssuerClient(connection.issuerUri(env()), connection.adminToken(env()));
    }

    Map<String, String> env() {
        return ((Agentctl) spec.root().userObject()).env();
    }

    java.io.InputStream stdin() {
        return ((Agentctl) spec.root().userObject()).stdin();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
