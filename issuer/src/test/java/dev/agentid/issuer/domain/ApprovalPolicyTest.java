package dev.agentid.issuer.domain;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The approval policy's rules, pure: thresholds, approvers, and strict parsing that names the member. */
class ApprovalPolicyTest {

    static final List<String> SCOPES = List.of("read", "pay");
    static final List<String> AUDIENCES = List.of("https://api.example", "https://bank.example");

    static Map<String, Object> policy() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("scopes", List.of("pay"));
        p.put("authorization_details", List.of(
                Map.of("type", "payment", "field", "amount", "above", 1000, "currency", "EUR"),
                Map.of("type", "data_export", "field", "limits.records", "above", 10000)));
        p.put("approvers", Map.of("owner", true, "groups", List.of("https://idp.example#finance")));
        return p;
    }

    static ApprovalPolicy parsed(Map<String, Object> p) {
        return ApprovalPolicy.parse(p, SCOPES, AUDIENCES);
    }

    static String refusal(Map<String, Object> p) {
        return assertThrows(IllegalArgumentException.class, () -> parsed(p)).getMessage();
    }

    @Test
    void amountAboveTheThresholdNeedsApprovalAndAtOrBelowDoesNot() {
        ApprovalPolicy policy = parsed(policy());
        assertEquals(List.of("payment amount 1000.01 above 1000 EUR"), policy.reasons(List.of("read"), null,
                List.of(Map.of("type", "payment", "amount", "1000.01", "currency", "EUR"))));
        assertEquals(List.of(), policy.reasons(List.of("read"), null,
                List.of(Map.of("type", "payment", "amount", 1000, "currency", "EUR"))));
        assertEquals(List.of("data_export limits.records 20000 above 10000"), policy.reasons(List.of(), null,
                List.of(Map.of("type", "data_export", "limits", Map.of("records", 20000)))));
    }

    @Test
    void detailThatCannotBeShownToBeBelowNeedsApproval() {
        ApprovalPolicy policy = parsed(policy());
        assertEquals(List.of("payment in a currency other than EUR"), policy.reasons(List.of(), null,
                List.of(Map.of("type", "payment", "amount", 5, "currency", "USD"))));
        assertEquals(List.of("payment without a numeric amount"), policy.reasons(List.of(), null,
                List.of(Map.of("type", "payment", "amount", "lots", "currency", "EUR"))));
    }

    @Test
    void scopeAndAudienceNeedApproval() {
        Map<String, Object> p = policy();
        p.put("audiences", List.of("https://bank.example"));
        ApprovalPolicy policy = parsed(p);
        assertEquals(List.of("scope 'pay'", "audience 'https://bank.example'"),
                policy.reasons(List.of("read", "pay"), "https://bank.example", List.of()));
    }

    @Test
    void approversAreTheOwnerTheUsersAndTheGroups() {
        ApprovalPolicy policy = parsed(policy());
        assertEquals(true, policy.approver("https://idp.example#olivia", "https://idp.example#olivia", List.of()));
        assertEquals(true, policy.approver("o", "https://idp.example#frank", List.of("https://idp.example#finance")));
        assertEquals(false, policy.approver("o", "https://idp.example#frank", List.of("https://idp.example#sales")));
    }

    @Test
    void kindIsTheSetOfRulesMet() {
        ApprovalPolicy policy = parsed(policy());
        assertEquals("details:payment scope:pay", policy.kind(List.of("pay"), null,
                List.of(Map.of("type", "payment", "amount", 5000, "currency", "EUR"))));
        assertEquals(policy.kind(List.of("pay"), null, List.of()), policy.kind(List.of("pay", "read"), null,
                List.of(Map.of("type", "payment", "amount", 1, "currency", "EUR"))));
    }

    @Test
    void persistedFormReadsBackEqual() {
        Map<String, Object> withAutonomy = policy();
        withAutonomy.put("autonomy", Map.of("after", 3, "window_seconds", 86400));
        assertEquals(parsed(withAutonomy), ApprovalPolicy.fromJson(parsed(withAutonomy).toJson()));
        ApprovalPolicy policy = parsed(policy());
        assertEquals(policy, ApprovalPolicy.fromJson(policy.toJson()));
    }

    @Test
    void invalidPoliciesAreRefusedNamingTheMember() {
        Map<String, Object> p = policy();
        p.put("threshold", 1);
        assertEquals("unknown field 'approval.threshold'", refusal(p));
        p = policy();
        p.put("scopes", List.of("admin"));
        assertEquals("approval.scopes names 'admin', which is not one of the agent's scopes", refusal(p));
        p = policy();
        p.put("authorization_details", List.of(Map.of("type", "payment", "field", "amount", "above", 1.5)));
        assertEquals("approval.authorization_details[].above must be an integer of at least 0", refusal(p));
        p = policy();
        p.put("approvers", Map.of());
        assertEquals("approval.approvers names nobody: set owner, users or groups", refusal(p));
        p = policy();
        p.put("four_eyes", true);
        assertEquals("approval.four_eyes forbids the owner to approve, but approval.approvers.owner is true",
                refusal(p));
        p = policy();
        p.remove("scopes");
        p.remove("authorization_details");
        assertEquals("approval needs at least one of approval.scopes, approval.audiences and"
                + " approval.authorization_details", refusal(p));
        p = policy();
        p.put("pending_seconds", 5);
        assertEquals("approval.pending_seconds must be between 10 and 86400", refusal(p));
        p = policy();
        p.put("autonomy", Map.of("after", 0, "window_seconds", 3600));
        assertEquals("approval.autonomy.after must be an integer between 1 and 1000", refusal(p));
        p = policy();
        p.put("approvers", Map.of("users", List.of("bob")));
        assertEquals("approval.approvers.users holds an invalid entry (each entry is '<identity provider issuer>#<sub"
                + " or group>')", refusal(p));
    }
}
