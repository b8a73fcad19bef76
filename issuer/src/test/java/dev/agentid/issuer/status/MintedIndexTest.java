package dev.agentid.issuer.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The per-node index of minted tokens: subtree, agent and external marking, expiry, and bytes per row. */
class MintedIndexTest {

    static final long NOW = 1_800_000_000L;
    static final long EXP = NOW + 3600;

    /** Adds a row with status index = the given number, minted at 1000 * status. */
    static void add(MintedIndex index, String jti, List<String> ancestors, List<String> chain, long status) {
        index.add(jti, ancestors, chain, status, 1000 * status, EXP, List.of());
    }

    static Set<Long> subtree(MintedIndex index, String root, String jti, long now) {
        Set<Long> out = new TreeSet<>();
        int n = index.forSubtree(root, jti, now, out::add);
        assertEquals(out.size(), n);
        return out;
    }

    static Set<Long> agent(MintedIndex index, String agent, long deadThroughMillis, long now) {
        Set<Long> out = new TreeSet<>();
        int n = index.forAgent(agent, deadThroughMillis, now, out::add);
        assertEquals(out.size(), n);
        return out;
    }

    /** R -> A -> {A1, A2 -> A21}, R -> B -> B1, and another root S -> S1. */
    static MintedIndex tree() {
        MintedIndex index = new MintedIndex();
        add(index, "R", List.of(), List.of("agent-1"), 1);
        add(index, "A", List.of("R"), List.of("agent-1", "agent-2"), 2);
        add(index, "A1", List.of("R", "A"), List.of("agent-1", "agent-2"), 3);
        add(index, "B", List.of("R"), List.of("agent-3"), 4);
        add(index, "A2", List.of("R", "A"), List.of("agent-2"), 5);
        add(index, "S", List.of(), List.of("agent-1"), 6);
        add(index, "B1", List.of("R", "B"), List.of("agent-3"), 7);
        add(index, "A21", List.of("R", "A", "A2"), List.of("agent-2", "agent-4"), 8);
        add(index, "S1", List.of("S"), List.of(), 9);
        return index;
    }

    @Test
    void revokingATokenMarksExactlyItsSubtreeNotItsSiblingsNorAnotherRoot() {
        MintedIndex index = tree();
        assertEquals(Set.of(2L, 3L, 5L, 8L), subtree(index, "R", "A", NOW));
        assertEquals(Set.of(), subtree(index, "R", "A", NOW), "second revocation marks nothing");
        assertEquals(Set.of(1L, 4L, 7L), subtree(index, "R", "R", NOW), "the rest of R's lineage");
        assertEquals(Set.of(9L), subtree(index, "S", "S1", NOW));
        assertEquals(Set.of(6L), subtree(index, "S", "S", NOW));
        assertEquals(Set.of(), subtree(index, "unknown", "unknown", NOW));
        assertEquals(9, index.size(), "dead rows are held until they expire");
    }

    @Test
    void revokingALeafMarksOnlyTheLeaf() {
        MintedIndex index = tree();
        assertEquals(Set.of(8L), subtree(index, "R", "A21", NOW));
        assertEquals(Set.of(5L), subtree(index, "R", "A2", NOW));
    }

    @Test
    void aRefusedRowLeavesNoTrace() {
        MintedIndex index = new MintedIndex();
        add(index, "R", List.of(), List.of("a"), 1);
        List<String> nullAncestor = new ArrayList<>(List.of("Z"));
        nullAncestor.add(null);
        assertThrows(NullPointerException.class, () -> add(index, "X", nullAncestor, List.of("a"), 2));
        List<String> nullAgent = new ArrayList<>();
        nullAgent.add(null);
        assertThrows(NullPointerException.class, () -> add(index, "Y", List.of("R"), nullAgent, 3));
        add(index, "C", List.of("R"), List.of("a"), 4);
        assertEquals(2, index.size());
        assertEquals(Map.of("a", 2L), index.liveCountsPerAgent(NOW));
        assertEquals(Set.of(4L), subtree(index, "R", "C", NOW));
        assertEquals(Set.of(1L), subtree(index, "R", "R", NOW), "R is still a root, found under its own jti");
        assertEquals(Set.of(), subtree(index, "Z", "Z", NOW));
    }

    @Test
    void expiredRowsAreNeitherMarkedNorCounted() {
        MintedIndex index = new MintedIndex();
        index.add("R", List.of(), List.of("a"), 1, 0, NOW + 10, List.of());
        index.add("C1", List.of("R"), List.of("a"), 2, 0, NOW, List.of("ext"));
        index.add("C2", List.of("R"), List.of("a"), 3, 0, NOW + 1, List.of());
        assertEquals(Map.of("a", 2L), index.liveCountsPerAgent(NOW));
        assertEquals(Set.of(1L, 3L), subtree(index, "R", "R", NOW), "exp == now is expired");
        assertEquals(0, index.forExternal(ref -> true, NOW, x -> { }));
        assertEquals(Map.of(), index.liveCountsPerAgent(NOW));
    }

    @Test
    void sweepFreesExpiredRowsAndLaterAddsStillWork() {
        MintedIndex index = new MintedIndex();
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            index.add("old-" + i, i % 5 == 0 ? List.of("old-" + (i - i % 10)) : List.of(), List.of("x" + i % 300),
                    i, 0, NOW + 10, i % 1000 == 0 ? List.of("ref-" + i) : List.of());
        }
        index.add("keep", List.of(), List.of("k"), 1_000_001, 0, NOW + 1000, List.of("ref-keep"));
        index.add("keep-child", List.of("keep"), List.of("k", "j"), 1_000_002, 0, NOW + 1000, List.of());
        long before = index.retainedBytes();
        assertEquals(n + 2, index.size());

        assertEquals(n, index.sweep(NOW + 10));
        assertEquals(2, index.size());
        assertEquals(0, index.sweep(NOW + 10), "nothing left to sweep");
        long after = index.retainedBytes();
        assertTrue(after < before / 20, "bytes after sweep " + after + " vs before " + before);
        assertEquals(Map.of("k", 2L, "j", 1L), index.liveCountsPerAgent(NOW + 11));

        index.add("keep-grandchild", List.of("keep", "keep-child"), List.of("j"), 1_000_003, 0, NOW + 1000, List.of());
        index.add("new-root", List.of(), List.of("j"), 1_000_004, 0, NOW + 1000, List.of());
        assertEquals(Set.of(), subtree(index, "old-0", "old-0", NOW), "swept rows are gone");
        assertEquals(Set.of(1_000_002L, 1_000_003L), subtree(index, "keep", "keep-child", NOW + 11));
        assertEquals(Set.of(1_000_004L), agent(index, "j", Long.MAX_VALUE, NOW + 11));
        Set<Long> ext = new TreeSet<>();
        assertEquals(1, index.forExternal("ref-keep"::equals, NOW + 11, ext::add));
        assertEquals(Set.of(1_000_001L), ext);
        assertEquals(4, index.sweep(NOW + 1000));
        assertEquals(0, index.size());
    }

    @Test
    void killOfAnAgentMarksTokensMintedBeforeTheKillButNotThoseMintedAfterARestore() {
        MintedIndex index = tree();
        // minted at 1000 * status; the agent was killed, then restored at 4500: tokens minted later stay alive
        long mintedBeforeRestore = 4499;
        assertEquals(Set.of(2L, 3L), agent(index, "agent-2", mintedBeforeRestore, NOW));
        assertEquals(Set.of(), agent(index, "agent-2", mintedBeforeRestore, NOW), "idempotent");
        assertEquals(Set.of(5L, 8L), agent(index, "agent-2", Long.MAX_VALUE, NOW), "5 and 8 were minted after the restore");
        assertEquals(Set.of(1L, 6L), agent(index, "agent-1", Long.MAX_VALUE, NOW), "2 and 3 are already dead");
        assertEquals(Set.of(), agent(index, "nobody", Long.MAX_VALUE, NOW));
        assertEquals(Set.of(), subtree(index, "R", "A", NOW), "killed rows are dead for revocation too");
        assertEquals(Set.of(4L, 7L), subtree(index, "R", "B", NOW));
    }

    @Test
    void externalReferencesMarkOnlyTheRowsThatHoldARevokedOne() {
        MintedIndex index = new MintedIndex();
        index.add("a", List.of(), List.of(), 1, 0, EXP, List.of("p1#1", "p2#7"));
        index.add("b", List.of(), List.of(), 2, 0, EXP, List.of());
        index.add("c", List.of("a"), List.of(), 3, 0, EXP, List.of("p1#2"));
        index.add("d", List.of(), List.of(), 4, 0, NOW, List.of("p2#7"));
        Set<Long> out = new TreeSet<>();
        assertEquals(1, index.forExternal("p2#7"::equals, NOW, out::add));
        assertEquals(Set.of(1L), out, "d holds it too but has expired");
        assertEquals(0, index.forExternal("p2#7"::equals, NOW, out::add));
        assertEquals(1, index.forExternal(ref -> ref.startsWith("p1#"), NOW, out::add));
        assertEquals(Set.of(1L, 3L), out);
    }

    @Test
    void liveCountsPerAgentAreExactAfterRevocationsKillsAndExpiry() {
        MintedIndex index = tree();
        index.add("T", List.of(), List.of("agent-4"), 10, 0, NOW + 5, List.of());
        assertEquals(Map.of("agent-1", 4L, "agent-2", 4L, "agent-3", 2L, "agent-4", 2L),
                index.liveCountsPerAgent(NOW));
        subtree(index, "R", "A2", NOW); // 5, 8
        assertEquals(Map.of("agent-1", 4L, "agent-2", 2L, "agent-3", 2L, "agent-4", 1L),
                index.liveCountsPerAgent(NOW));
        agent(index, "agent-3", Long.MAX_VALUE, NOW); // 4, 7
        assertEquals(Map.of("agent-1", 4L, "agent-2", 2L, "agent-4", 1L), index.liveCountsPerAgent(NOW));
        assertEquals(Map.of("agent-1", 4L, "agent-2", 2L), index.liveCountsPerAgent(NOW + 5), "T expired");
        assertEquals(1, index.sweep(NOW + 5));
        assertEquals(Map.of("agent-1", 4L, "agent-2", 2L), index.liveCountsPerAgent(NOW + 5));
    }

    @Test
    void matchesANaiveModelOverRandomTreesChainsAndOperations() {
        for (long seed = 1; seed <= 3; seed++) {
            runModel(new Random(seed), 20_000);
        }
    }

    /** The obvious implementation: one object per row in a map. */
    static final class Model {
        record Row(String jti, List<String> ancestors, Set<String> chain, long status, long minted, long exp,
                List<String> ext) {
        }

        final Map<String, Row> rows = new HashMap<>();
        final Set<String> dead = new HashSet<>();

        Set<Long> mark(long now, Predicate<Row> which) {
            Set<Long> out = new TreeSet<>();
            for (Row r : rows.values()) {
                if (r.exp > now && !dead.contains(r.jti) && which.test(r)) {
                    dead.add(r.jti);
                    out.add(r.status);
                }
            }
            return out;
        }

        Map<String, Long> counts(long now) {
            Map<String, Long> counts = new HashMap<>();
            for (Row r : rows.values()) {
                if (r.exp > now && !dead.contains(r.jti)) {
                    r.chain.forEach(a -> counts.merge(a, 1L, Long::sum));
                }
            }
            return counts;
        }

        int sweep(long now) {
            int before = rows.size();
            rows.values().removeIf(r -> r.exp <= now);
            dead.retainAll(rows.keySet());
            return before - rows.size();
        }
    }

    static void runModel(Random rnd, int adds) {
        MintedIndex index = new MintedIndex();
        Model model = new Model();
        List<Model.Row> all = new ArrayList<>();
        long now = NOW;
        long status = 0;
        int added = 0;
        while (added < adds) {
            int op = rnd.nextInt(1000);
            if (op < 900) {
                List<String> ancestors = List.of();
                Set<String> chain = new HashSet<>();
                if (!all.isEmpty() && rnd.nextInt(3) > 0) {
                    Model.Row parent = all.get(all.size() - 1 - rnd.nextInt(Math.min(all.size(), 500)));
                    if (parent.ancestors.size() < 6) {
                        List<String> a = new ArrayList<>(parent.ancestors);
                        a.add(parent.jti);
                        ancestors = List.copyOf(a);
                        chain.addAll(parent.chain);
                    }
                }
                if (rnd.nextInt(4) > 0) {
                    chain.add("agent-" + rnd.nextInt(40));
                }
                List<String> ext = rnd.nextInt(20) == 0 ? List.of("p#" + rnd.nextInt(50)) : List.of();
                String jti = "jti-" + added + "-" + Long.toHexString(rnd.nextLong());
                long minted = (now - NOW) * 1000 + rnd.nextInt(1000);
                long exp = now + 1 + rnd.nextInt(600);
                Model.Row row = new Model.Row(jti, ancestors, chain, status++, minted, exp, ext);
                List<String> chainList = new ArrayList<>(chain);
                if (!chainList.isEmpty() && rnd.nextBoolean()) {
                    chainList.add(chainList.get(0)); // duplicates and order do not matter
                }
                index.add(jti, ancestors, chainList, row.status, minted, exp, ext);
                model.rows.put(jti, row);
                all.add(row);
                added++;
            } else if (op < 940) {
                Model.Row target = all.get(rnd.nextInt(all.size()));
                String root = target.ancestors.isEmpty() ? target.jti : target.ancestors.get(0);
                Set<Long> expected = model.mark(now, r -> r.jti.equals(target.jti)
                        || r.ancestors.contains(target.jti));
                assertEquals(expected, subtree(index, root, target.jti, now));
            } else if (op < 950) {
                String agent = "agent-" + rnd.nextInt(40);
                long cut = (now - NOW) * 1000 - rnd.nextInt(100_000);
                Set<Long> expected = model.mark(now, r -> r.chain.contains(agent) && r.minted < cut);
                assertEquals(expected, agent(index, agent, cut - 1, now));
            } else if (op < 955) {
                String ref = "p#" + rnd.nextInt(50);
                Set<Long> expected = model.mark(now, r -> r.ext.contains(ref));
                Set<Long> out = new TreeSet<>();
                assertEquals(expected.size(), index.forExternal(ref::equals, now, out::add));
                assertEquals(expected, out);
            } else if (op < 975) {
                now += rnd.nextInt(30);
            } else if (op < 990) {
                assertEquals(model.sweep(now), index.sweep(now));
                assertEquals(model.rows.size(), index.size());
                long swept = now;
                all.removeIf(r -> r.exp <= swept);
                if (all.isEmpty()) {
                    now += 1;
                }
            } else if (op < 993) {
                index.compact(); // also with dead rows and swept rows pending
                assertEquals(model.rows.size(), index.size());
            } else {
                assertEquals(model.counts(now), index.liveCountsPerAgent(now));
            }
        }
        assertEquals(model.counts(now), index.liveCountsPerAgent(now));
        // every remaining live row, revoked through its root, comes out exactly once
        Set<Long> expected = model.mark(now, r -> true);
        Set<Long> got = new TreeSet<>();
        for (Model.Row r : all) {
            if (r.ancestors.isEmpty()) {
                got.addAll(subtree(index, r.jti, r.jti, now));
            }
        }
        Set<String> orphanRoots = new HashSet<>();
        for (Model.Row r : all) {
            if (!r.ancestors.isEmpty()) {
                orphanRoots.add(r.ancestors.get(0));
            }
        }
        for (String root : orphanRoots) {
            got.addAll(subtree(index, root, root, now));
        }
        assertEquals(expected, got);
    }

    @Test
    void boundedBytesPerRowAtOneMillionRows() {
        int n = 1_000_000;
        Random rnd = new Random(42);
        String[][] chainShapes = new String[400][];
        for (int c = 0; c < chainShapes.length; c++) {
            int len = 1 + rnd.nextInt(3);
            chainShapes[c] = new String[len];
            for (int k = 0; k < len; k++) {
                chainShapes[c][k] = "spiffe://example.org/agent/" + rnd.nextInt(150);
            }
        }
        long used0 = usedHeap();
        MintedIndex index = new MintedIndex();
        // recent tokens that may get children: jti and ancestors
        String[] recentJti = new String[4096];
        List<List<String>> recentAnc = new ArrayList<>(java.util.Collections.nCopies(4096, List.of()));
        int recent = 0;
        String lastRoot = null;
        long lastRootStatus = -1;
        for (int i = 0; i < n; i++) {
            String jti = new java.util.UUID(rnd.nextLong(), rnd.nextLong()).toString();
            List<String> ancestors = List.of();
            if (rnd.nextInt(5) == 0 && recent > 0) {
                int k = rnd.nextInt(Math.min(recent, recentJti.length));
                if (recentAnc.get(k).size() < 3) {
                    List<String> a = new ArrayList<>(recentAnc.get(k));
                    a.add(recentJti[k]);
                    ancestors = a;
                }
            }
            if (ancestors.isEmpty()) {
                lastRoot = jti;
                lastRootStatus = i;
            }
            int slot = recent++ % recentJti.length;
            recentJti[slot] = jti;
            recentAnc.set(slot, ancestors);
            index.add(jti, ancestors, List.of(chainShapes[rnd.nextInt(chainShapes.length)]), i,
                    1_700_000_000_000L + i, EXP + rnd.nextInt(3600), List.of());
        }
        recentJti = null;
        recentAnc = null;
        long used1 = usedHeap();
        double estimated = (double) index.retainedBytes() / index.size();
        double measured = (double) (used1 - used0) / index.size();
        System.out.printf("MintedIndex at %,d rows: %.1f bytes/row estimated, %.1f measured%n", index.size(),
                estimated, measured);
        assertEquals(n, index.size());
        assertTrue(estimated <= 64, "estimated bytes per row " + estimated);
        assertTrue(measured <= 64, "measured bytes per row " + measured);
        assertTrue(subtree(index, lastRoot, lastRoot, NOW).contains(lastRootStatus), "the index still answers");
    }

    static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int k = 0; k < 4; k++) {
            System.gc();
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }
}
