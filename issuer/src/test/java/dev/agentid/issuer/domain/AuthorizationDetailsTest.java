package dev.agentid.issuer.domain;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** authorization_details only narrow along a chain, each entry unchanged; equality is by canonical JSON. */
class AuthorizationDetailsTest {

    static final Map<String, Object> PAY = Map.of("type", "payment", "amount", 5000, "currency", "EUR");
    static final Map<String, Object> EXPORT = Map.of("type", "data_export", "records", 10);

    @Test
    void withoutARequestTheHeldDetailsCarryOver() {
        assertEquals(List.of(PAY, EXPORT), AuthorizationDetails.narrow(null, List.of(PAY, EXPORT)));
    }

    @Test
    void aSubsetIsGrantedWhateverTheJsonLibraryMadeOfTheNumbers() {
        Map<String, Object> parsedElsewhere = Map.of("currency", "EUR", "amount", 5000L, "type", "payment");
        assertEquals(List.of(parsedElsewhere), AuthorizationDetails.narrow(List.of(parsedElsewhere),
                List.of(PAY, EXPORT)));
        assertEquals(AuthorizationDetails.canonical(PAY), AuthorizationDetails.canonical(
                Map.of("type", "payment", "amount", 5000.0, "currency", "EUR")));
    }

    @Test
    void aChangedOrNewEntryIsNotWithinTheHeldOnes() {
        assertNull(AuthorizationDetails.narrow(List.of(Map.of("type", "payment", "amount", 9000, "currency", "EUR")),
                List.of(PAY)));
        assertNull(AuthorizationDetails.narrow(List.of(EXPORT), List.of(PAY)));
    }

    @Test
    void claimWithoutTypesIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> AuthorizationDetails.fromClaim(List.of(Map.of("a", 1))));
        assertThrows(IllegalArgumentException.class, () -> AuthorizationDetails.fromClaim("payment"));
        assertEquals(List.of(), AuthorizationDetails.fromClaim(null));
    }
}
