package dev.agentid.issuer.domain;

import java.util.Map;

/**
 * A token's place in the issuer's status lists: the referenced-token claim
 * {@code "status": {"status_list": {"idx": idx, "uri": uri}}} (draft-ietf-oauth-status-list).
 *
 * @param index the issuer-wide index: {@code list * LIST_SIZE + idx}, recorded in the token's lineage record
 * @param list the list number, the last path segment of {@code uri}
 * @param idx the position within the list
 * @param uri the list's URI, {@code <issuer>/oauth2/status/<list>}
 */
public record StatusReference(long index, long list, int idx, String uri) {

    /** The value of the {@code status} claim. */
    public Map<String, Object> claim() {
        return Map.of("status_list", Map.of("idx", idx, "uri", uri));
    }
}
