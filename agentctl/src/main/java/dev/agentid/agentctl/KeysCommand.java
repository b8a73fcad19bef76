package dev.agentid.agentctl;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** The issuer's signing keys. */
@Command(name = "keys", description = "The issuer's signing keys: rotate.", subcommands = KeysCommand.Rotate.class)
final class KeysCommand {

    @Command(name = "rotate", description = {"Key rollover (POST /admin/keys/rotate).",
            "A new signing key is published now and signs from --activate-in seconds on,",
            "so relying parties have fetched it before they see a token it signed."})
    static final class Rotate extends IssuerCommand {
        @Option(names = "--activate-in", paramLabel = "SECONDS",
                description = "Seconds until the new key signs (0..86400; the issuer's default 120).")
        Integer activateIn;

        @Override
        void run(IssuerClient issuer, Output output) {
            JsonObject body = new JsonObject();
            if (activateIn != null) {
                body.put("activate_in_seconds", activateIn);
            }
            JsonObject answer = issuer.post("/admin/keys/rotate", body);
            List<JsonObject> rows = new ArrayList<>();
            answer.getJsonArray("keys", new JsonArray()).forEach(k -> rows.add((JsonObject) k));
            String signing = answer.getString("signing_kid");
            output.list(answer, rows, List.of(Output.Column.of("KID", "kid"),
                    Output.Column.of("CREATED_AT", "created_at"), Output.Column.of("ACTIVATES_AT", "activates_at"),
                    new Output.Column("SIGNING", k -> k.getString("kid", "").equals(signing) ? "yes" : "no")));
        }
    }
}
