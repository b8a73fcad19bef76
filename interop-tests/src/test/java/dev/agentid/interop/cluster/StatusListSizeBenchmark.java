package dev.agentid.interop.cluster;

import dev.agentid.verifier.status.StatusList;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The size of a status list of 1,000,000 one-bit statuses with 1% set (10,000 revoked), encoded as the issuer
 * encodes it (verifier-lib's {@link StatusList}: ZLIB at the best level, base64url): with the revoked indices
 * spread uniformly at random (worst realistic case; three seeds), and in one run (a kill of one agent's burst of
 * tokens, indices handed out consecutively). The JWT adds its header, the other claims and a 64-byte signature.
 */
class StatusListSizeBenchmark {

    static final int SIZE = 1_000_000;
    static final int SET = SIZE / 100;

    @Test
    void oneMillionIndicesWithOnePercentSet() {
        List<Double> uniform = new ArrayList<>();
        for (long seed = 1; seed <= 3; seed++) {
            StatusList list = StatusList.allValid(SIZE, 1);
            Random random = new Random(seed);
            int set = 0;
            while (set < SET) {
                int idx = random.nextInt(SIZE);
                if (list.status(idx) == StatusList.VALID) {
                    list.set(idx, StatusList.INVALID);
                    set++;
                }
            }
            String lst = list.encode();
            assertEquals(list, StatusList.decode(lst, 1, SIZE), "round trip");
            uniform.add((double) lst.length());
        }
        StatusList run = StatusList.allValid(SIZE, 1);
        for (int i = 0; i < SET; i++) {
            run.set(400_000 + i, StatusList.INVALID);
        }
        int contiguous = run.encode().length();
        int empty = StatusList.allValid(SIZE, 1).encode().length();
        Bench.report("status list, %d indices, 1%% set: lst %s characters (base64url of the ZLIB stream; raw"
                        + " bitmap %d bytes), uniformly random; %d characters as one contiguous run; %d characters"
                        + " with none set", SIZE, Bench.spread(uniform, "%.0f"), SIZE / 8, contiguous, empty);
    }
}
