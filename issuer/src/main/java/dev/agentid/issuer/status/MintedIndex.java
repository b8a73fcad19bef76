package dev.agentid.issuer.status;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * The status-list index of every token this node minted that has not expired yet, so that a revocation can set the
 * bits of the revoked token's whole subtree and the kill of an agent the bits of every token whose chain holds that
 * agent. Tokens carry their lineage (ancestor jtis at this issuer, root first) in signed claims; nothing here is
 * replicated: each node holds the rows it minted, and {@link MintedLog} rebuilds them after a crash.
 *
 * <p><b>Threading.</b> Not thread-safe: exactly one thread (the status-list worker) calls every method.
 *
 * <p><b>Memory layout</b> (target: at most 64 bytes of heap per row at 1-2 million rows, everything included; the
 * test {@code MintedIndexTest.boundedBytesPerRowAtOneMillionRows} measures it). There is no object per row. A row is
 * a slot number {@code r}; its fields live in primitive columns cut into pages of {@link #PAGE} (65,536) slots
 * ({@code page = r >>> 16}, {@code offset = r & 0xFFFF}; only page 0 starts small and doubles, so a nearly empty
 * index holds kilobytes, not megabytes):
 * <pre>
 *   jti       long[]  8 B  64-bit hash of the jti (see {@link #hash(String)})
 *   minted    long[]  8 B  mint time, epoch millis (for the kill predicate)
 *   status    long[]  8 B  status-list index
 *   exp       int[]   4 B  expiry, unsigned epoch seconds (good until 2106); 0 = swept, waiting for compaction
 *   ancOff    int[]   4 B  start of the row's ancestors in the pool; the row's depth is ancOff[r+1] - ancOff[r]
 *   next      int[]   4 B  next row with the same lineage root (-1 ends the list)
 *   chain     int[]   4 B  interned chain id; the sign bit is the "dead" flag (bit already handed out)
 *                   ----
 *                   40 B per row
 *   pool      long[]       ancestor hashes of all rows, in row order, paged the same way (8 B per ancestor:
 *                          about 3 B per row when 20% of rows have depth 1-3)
 *   roots     int[]        open-addressing table (linear probing, load at most 3/4) from lineage-root hash to the
 *                          newest row of that lineage, paged too (no humongous array for the GC): it stores row + 1
 *                          only, the key is read back from the row (its first ancestor, or its own jti if it is a
 *                          root), which makes it a third of a long-to-int table; 5.3-10.7 B per distinct root (80% of
 *                          rows are roots in practice, so about 4-9 B per row)
 * </pre>
 * Rows of one lineage are linked newest-first through {@code next}, so {@link #forSubtree} walks only the rows that
 * share the revoked token's root. Chains (the set of this issuer's agent ids in a token's {@code act}) are interned:
 * most rows share a few thousand distinct chains, each stored once as a sorted {@code String[]}. External (partner)
 * status references sit in a side list of (row, refs) pairs in row order; only rows that have them pay. Measured
 * (heap after a full GC, and {@link #retainedBytes()}, which agree): 52.5 B per row at 1,000,000 rows and 51.1 at
 * 2,000,000, with 80% roots, 20% of depth 1-3 and 400 chains. On disk ({@link MintedLog}) a row is about 125 bytes.
 *
 * <p><b>Kill by agent</b> scans the chain column instead of keeping per-chain row lists: a per-chain list would cost
 * another 4 B per row (a tenth of the budget), kills are rare administrative events, a sequential pass over one
 * {@code int[]} column costs about a millisecond per million rows, and a linked walk over a popular chain (one that
 * covers most rows) would be slower than the scan because every step is a cache miss. The chains themselves are
 * checked once each, before the scan.
 *
 * <p><b>Expiry.</b> {@link #sweep} marks expired rows (one pass over the {@code exp} column) and, once at least an
 * eighth of the slots are swept (or on {@link #compact()}), compacts in place: live rows slide down in order, the pool
 * likewise, unused chains are dropped, the root table is rebuilt at a size fitted to the remaining roots and empty
 * trailing pages are released. Adding never does more than amortised constant work (page or table growth doubles).
 *
 * <p><b>Hash collisions.</b> Jtis are compared as 64-bit hashes. A row is falsely taken for a descendant of jti
 * {@code J} only if it sits in the bucket of J's root and one of its at most {@code 1 + depth} hashes equals
 * {@code hash(J)} although the string differs: probability about {@code k (1 + d) / 2^64} per revocation for a lineage
 * of {@code k} rows of depth at most {@code d}, e.g. 2.7e-15 for 10,000 rows of depth 4, and 3e-6 summed over a
 * billion such revocations. Two roots whose hashes collide share a bucket, which costs work, not correctness. A false
 * negative is impossible (equal strings hash equally). The jtis are random values chosen by this issuer, so an
 * attacker cannot pick colliding ones; agent ids and external references are compared as strings.
 */
public final class MintedIndex {

    static final int PAGE_BITS = 16;
    /** Rows (and pool entries) per page. */
    static final int PAGE = 1 << PAGE_BITS;
    private static final int MASK = PAGE - 1;
    private static final int FIRST_PAGE = 1024;
    private static final int MIN_TABLE = 1024;
    private static final int DEAD = 0x8000_0000;
    private static final int CHAIN = 0x7FFF_FFFF;
    /** Object and array header estimate used by {@link #retainedBytes()}. */
    private static final int HEADER = 16;

    // row columns, paged
    private long[][] jti = new long[0][];
    private long[][] minted = new long[0][];
    private long[][] status = new long[0][];
    private int[][] exp = new int[0][];
    private int[][] ancOff = new int[0][];
    private int[][] next = new int[0][];
    private int[][] chain = new int[0][];
    private int pages;
    /** Slots used: live, dead and swept rows. */
    private int rows;
    /** Swept rows not yet compacted away. */
    private int swept;

    // ancestor hashes, paged
    private long[][] pool = new long[0][];
    private int poolPages;
    private int poolSize;

    // lineage roots: row + 1 of the newest row of each lineage, 0 = empty; paged like the columns, so that no
    // array is large enough to be a humongous allocation
    private int[][] roots = newTable(MIN_TABLE);
    private int rootCap = MIN_TABLE;
    private int rootCount;

    // interned chains
    private final ArrayList<String[]> chains = new ArrayList<>();
    private final HashMap<List<String>, Integer> chainIds = new HashMap<>();
    private final HashMap<String, String> agentNames = new HashMap<>();

    // external references, in row order
    private int[] extRow = new int[0];
    private String[][] extRefs = new String[0][];
    private int extCount;

    public MintedIndex() {
    }

    /**
     * Adds a row. ancestors: root first, empty for a root token. chainAgents: this issuer's agent ids in the chain
     * (any order, may be empty). externalRefs: opaque partner status references, usually empty (kept in a small side
     * structure, only rows that have them pay).
     */
    public void add(String jti, List<String> ancestors, List<String> chainAgents, long statusIndex,
            long mintedAtMillis, long expiresAtEpochSecond, List<String> externalRefs) {
        Objects.requireNonNull(jti, "jti");
        if (rows == Integer.MAX_VALUE || poolSize > Integer.MAX_VALUE - 256) {
            throw new IllegalStateException("index full");
        }
        // everything that can throw happens before the first write, so a refused row leaves no trace
        long[] ancestorHashes = new long[ancestors == null ? 0 : ancestors.size()];
        for (int k = 0; k < ancestorHashes.length; k++) {
            ancestorHashes[k] = hash(Objects.requireNonNull(ancestors.get(k), "ancestor"));
        }
        String[] refs = externalRefs == null || externalRefs.isEmpty() ? null : externalRefs.toArray(new String[0]);
        if (refs != null) {
            for (String ref : refs) {
                Objects.requireNonNull(ref, "external reference");
            }
        }
        int chainId = intern(chainAgents);
        int r = rows;
        ensureRow(r);
        int p = r >>> PAGE_BITS;
        int i = r & MASK;
        long jh = hash(jti);
        this.jti[p][i] = jh;
        minted[p][i] = mintedAtMillis;
        status[p][i] = statusIndex;
        exp[p][i] = (int) Math.max(1L, Math.min(0xFFFF_FFFFL, expiresAtEpochSecond));
        ancOff[p][i] = poolSize;
        for (long h : ancestorHashes) {
            poolAppend(h);
        }
        chain[p][i] = chainId;
        rows = r + 1;
        if (refs != null) {
            addExternal(r, refs);
        }
        link(r, ancestorHashes.length > 0 ? ancestorHashes[0] : jh);
        if (rootCount > rootCap - (rootCap >>> 2)) {
            rebuildRoots(rootCap << 1);
        }
    }

    /**
     * Rows unexpired at now whose jti == jti or whose ancestors contain jti, not yet marked dead: marks them dead and
     * passes each one's statusIndex to out. root is the lineage root of jti (its first ancestor, or jti itself if it is
     * a root). Work is proportional to the rows sharing that root. Returns the number marked.
     */
    public int forSubtree(String root, String jti, long nowEpochSecond, LongConsumer out) {
        long rh = hash(root);
        long jh = hash(jti);
        int slot = findSlot(rh);
        int head = roots[slot >>> PAGE_BITS][slot & MASK];
        int marked = 0;
        for (int r = head - 1; r >= 0; r = next[r >>> PAGE_BITS][r & MASK]) {
            int p = r >>> PAGE_BITS;
            int i = r & MASK;
            if (chain[p][i] < 0 || !alive(exp[p][i], nowEpochSecond)) {
                continue;
            }
            if (this.jti[p][i] == jh || ancestorsContain(r, jh)) {
                out.accept(status[p][i]);
                chain[p][i] |= DEAD;
                marked++;
            }
        }
        return marked;
    }

    /**
     * Rows unexpired at now whose chain contains agentId, not yet dead, and minted at or before
     * {@code deadThroughMillis} (epoch millis; {@link Long#MAX_VALUE}: every row): marks them dead and passes each
     * statusIndex to out. Work: one check per distinct chain, then one sequential pass over the chain column (see the
     * class comment for why rows are scanned rather than listed per chain), primitive comparisons only: a kill is rare,
     * so this loop mostly runs before the JIT has compiled it. Returns the number marked.
     */
    public int forAgent(String agentId, long deadThroughMillis, long nowEpochSecond, LongConsumer out) {
        boolean[] match = new boolean[chains.size()];
        boolean any = false;
        for (int c = 0; c < match.length; c++) {
            if (Arrays.binarySearch(chains.get(c), agentId) >= 0) {
                match[c] = true;
                any = true;
            }
        }
        if (!any) {
            return 0;
        }
        int marked = 0;
        for (int p = 0; p < pages; p++) {
            int[] ch = chain[p];
            int[] ex = exp[p];
            long[] mint = minted[p];
            int n = Math.min(PAGE, rows - (p << PAGE_BITS));
            for (int i = 0; i < n; i++) {
                int c = ch[i];
                if (c >= 0 && match[c] && Integer.toUnsignedLong(ex[i]) > nowEpochSecond
                        && mint[i] <= deadThroughMillis) {
                    out.accept(status[p][i]);
                    ch[i] = c | DEAD;
                    marked++;
                }
            }
        }
        return marked;
    }

    /** Rows with external refs, unexpired, not dead, any of whose refs satisfies revoked: marks dead, passes statusIndex. */
    public int forExternal(Predicate<String> revoked, long nowEpochSecond, LongConsumer out) {
        int marked = 0;
        for (int e = 0; e < extCount; e++) {
            int r = extRow[e];
            int p = r >>> PAGE_BITS;
            int i = r & MASK;
            if (chain[p][i] < 0 || !alive(exp[p][i], nowEpochSecond)) {
                continue;
            }
            for (String ref : extRefs[e]) {
                if (revoked.test(ref)) {
                    out.accept(status[p][i]);
                    chain[p][i] |= DEAD;
                    marked++;
                    break;
                }
            }
        }
        return marked;
    }

    /**
     * Agent id -> number of rows unexpired at now and not dead whose chain contains that agent. Agents without such a
     * row are absent.
     */
    public Map<String, Long> liveCountsPerAgent(long nowEpochSecond) {
        long[] perChain = new long[chains.size()];
        for (int p = 0; p < pages; p++) {
            int[] ch = chain[p];
            int[] ex = exp[p];
            int n = Math.min(PAGE, rows - (p << PAGE_BITS));
            for (int i = 0; i < n; i++) {
                int c = ch[i];
                if (c >= 0 && alive(ex[i], nowEpochSecond)) {
                    perChain[c]++;
                }
            }
        }
        Map<String, Long> counts = new HashMap<>();
        for (int c = 0; c < perChain.length; c++) {
            if (perChain[c] > 0) {
                for (String agent : chains.get(c)) {
                    counts.merge(agent, perChain[c], Long::sum);
                }
            }
        }
        return counts;
    }

    /**
     * Removes rows expired at now (exp &lt;= now) and compacts once at least an eighth of the slots are removed rows.
     * Returns the rows removed by this call.
     */
    public int sweep(long nowEpochSecond) {
        int removed = 0;
        for (int p = 0; p < pages; p++) {
            int[] ex = exp[p];
            int n = Math.min(PAGE, rows - (p << PAGE_BITS));
            for (int i = 0; i < n; i++) {
                int e = ex[i];
                if (e != 0 && !alive(e, nowEpochSecond)) {
                    ex[i] = 0;
                    removed++;
                }
            }
        }
        swept += removed;
        if (swept > 0 && swept >= (rows >>> 3)) {
            compact();
        }
        return removed;
    }

    /**
     * Rebuilds the columns without the rows removed by {@link #sweep}: in place, in row order, O(slots); releases
     * empty pages, drops unused chains and refits the root table.
     */
    public void compact() {
        int w = 0;
        int pw = 0;
        int ei = 0;
        int ew = 0;
        for (int r = 0; r < rows; r++) {
            int p = r >>> PAGE_BITS;
            int i = r & MASK;
            int off = ancOff[p][i];
            int end = r + 1 < rows ? ancOff[(r + 1) >>> PAGE_BITS][(r + 1) & MASK] : poolSize;
            boolean hasExt = ei < extCount && extRow[ei] == r;
            if (exp[p][i] == 0) {
                if (hasExt) {
                    ei++;
                }
                continue;
            }
            int q = w >>> PAGE_BITS;
            int j = w & MASK;
            if (w != r) {
                jti[q][j] = jti[p][i];
                minted[q][j] = minted[p][i];
                status[q][j] = status[p][i];
                exp[q][j] = exp[p][i];
                chain[q][j] = chain[p][i];
            }
            ancOff[q][j] = pw;
            if (pw != off) {
                for (int k = off; k < end; k++) {
                    poolSet(pw++, poolGet(k));
                }
            } else {
                pw = end;
            }
            if (hasExt) {
                extRow[ew] = w;
                extRefs[ew] = extRefs[ei];
                ew++;
                ei++;
            }
            w++;
        }
        rows = w;
        poolSize = pw;
        swept = 0;
        Arrays.fill(extRefs, ew, extCount, null);
        extCount = ew;
        if (extRow.length > 16 && extCount < extRow.length >>> 2) {
            extRow = Arrays.copyOf(extRow, extRow.length >>> 1);
            extRefs = Arrays.copyOf(extRefs, extRefs.length >>> 1);
        }
        releasePages();
        renumberChains();
        int before = rootCount;
        rebuildRoots(tableFor(Math.min(before, rows)));
        if (tableFor(rootCount) < rootCap) {
            rebuildRoots(tableFor(rootCount));
        }
    }

    /** Rows held (live + dead, unexpired or not yet swept). */
    public int size() {
        return rows - swept;
    }

    /**
     * Bytes held by the arrays and the small side structures (an estimate: array headers counted as 16 bytes,
     * references as 4, strings as 40 bytes plus their length).
     */
    public long retainedBytes() {
        long b = 7L * (HEADER + 4L * jti.length) + HEADER + 4L * pool.length;
        for (int p = 0; p < pages; p++) {
            b += 3 * (HEADER + 8L * jti[p].length) + 4 * (HEADER + 4L * exp[p].length);
        }
        for (int p = 0; p < poolPages; p++) {
            b += HEADER + 8L * pool[p].length;
        }
        b += HEADER + 4L * roots.length;
        for (int[] page : roots) {
            b += HEADER + 4L * page.length;
        }
        // chains: the String[] plus its List key (array copy + wrapper), a map node and the boxed id
        for (String[] c : chains) {
            b += 2 * (HEADER + 4L * c.length) + 16 + 32 + 16;
        }
        for (String a : agentNames.keySet()) {
            b += 40 + a.length() + 32;
        }
        b += 2 * (HEADER + 4L * extRow.length);
        for (int e = 0; e < extCount; e++) {
            b += HEADER + 4L * extRefs[e].length;
            for (String s : extRefs[e]) {
                b += 40 + s.length();
            }
        }
        return b;
    }

    /**
     * 64-bit hash of the UTF-16 chars of s: MurmurHash3-style block mixing of four chars at a time, length folded in,
     * fmix64 finaliser. Equal strings always hash equally; distinct ones collide with probability about 2^-64.
     */
    static long hash(String s) {
        int n = s.length();
        long h = 0x9E37_79B9_7F4A_7C15L;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            long k = s.charAt(i) | (long) s.charAt(i + 1) << 16 | (long) s.charAt(i + 2) << 32
                    | (long) s.charAt(i + 3) << 48;
            h ^= mixBlock(k);
            h = Long.rotateLeft(h, 27) * 5 + 0x52DC_E729L;
        }
        long k = 0;
        for (int shift = 0; i < n; i++, shift += 16) {
            k |= (long) s.charAt(i) << shift;
        }
        h ^= mixBlock(k);
        h ^= n;
        h ^= h >>> 33;
        h *= 0xFF51_AFD7_ED55_8CCDL;
        h ^= h >>> 33;
        h *= 0xC4CE_B9FE_1A85_EC53L;
        h ^= h >>> 33;
        return h;
    }

    private static long mixBlock(long k) {
        k *= 0x87C3_7B91_1142_53D5L;
        k = Long.rotateLeft(k, 31);
        return k * 0x4CF5_AD43_2745_937FL;
    }

    private static boolean alive(int storedExp, long now) {
        return Integer.toUnsignedLong(storedExp) > now;
    }

    // ---- rows and pages

    private void ensureRow(int r) {
        int p = r >>> PAGE_BITS;
        if (p == pages) {
            if (pages == jti.length) {
                int n = Math.max(4, pages * 2);
                jti = Arrays.copyOf(jti, n);
                minted = Arrays.copyOf(minted, n);
                status = Arrays.copyOf(status, n);
                exp = Arrays.copyOf(exp, n);
                ancOff = Arrays.copyOf(ancOff, n);
                next = Arrays.copyOf(next, n);
                chain = Arrays.copyOf(chain, n);
            }
            int len = p == 0 ? FIRST_PAGE : PAGE;
            jti[p] = new long[len];
            minted[p] = new long[len];
            status[p] = new long[len];
            exp[p] = new int[len];
            ancOff[p] = new int[len];
            next[p] = new int[len];
            chain[p] = new int[len];
            pages++;
        } else if ((r & MASK) >= jti[p].length) {
            int len = Math.min(PAGE, jti[p].length * 2);
            jti[p] = Arrays.copyOf(jti[p], len);
            minted[p] = Arrays.copyOf(minted[p], len);
            status[p] = Arrays.copyOf(status[p], len);
            exp[p] = Arrays.copyOf(exp[p], len);
            ancOff[p] = Arrays.copyOf(ancOff[p], len);
            next[p] = Arrays.copyOf(next[p], len);
            chain[p] = Arrays.copyOf(chain[p], len);
        }
    }

    private void releasePages() {
        int keep = (rows + MASK) >>> PAGE_BITS;
        for (int p = keep; p < pages; p++) {
            jti[p] = null;
            minted[p] = null;
            status[p] = null;
            exp[p] = null;
            ancOff[p] = null;
            next[p] = null;
            chain[p] = null;
        }
        pages = keep;
        int last = keep - 1;
        int need = fitted(rows - (last << PAGE_BITS));
        if (last >= 0 && need <= jti[last].length >>> 2) {
            jti[last] = Arrays.copyOf(jti[last], need);
            minted[last] = Arrays.copyOf(minted[last], need);
            status[last] = Arrays.copyOf(status[last], need);
            exp[last] = Arrays.copyOf(exp[last], need);
            ancOff[last] = Arrays.copyOf(ancOff[last], need);
            next[last] = Arrays.copyOf(next[last], need);
            chain[last] = Arrays.copyOf(chain[last], need);
        }
        int keepPool = (poolSize + MASK) >>> PAGE_BITS;
        for (int p = keepPool; p < poolPages; p++) {
            pool[p] = null;
        }
        poolPages = keepPool;
        int lastPool = keepPool - 1;
        int needPool = fitted(poolSize - (lastPool << PAGE_BITS));
        if (lastPool >= 0 && needPool <= pool[lastPool].length >>> 2) {
            pool[lastPool] = Arrays.copyOf(pool[lastPool], needPool);
        }
    }

    /** Smallest power of two, at least {@link #FIRST_PAGE}, holding n entries. */
    private static int fitted(int n) {
        int len = FIRST_PAGE;
        while (len < n) {
            len <<= 1;
        }
        return len;
    }

    private long poolGet(int k) {
        return pool[k >>> PAGE_BITS][k & MASK];
    }

    private void poolSet(int k, long v) {
        pool[k >>> PAGE_BITS][k & MASK] = v;
    }

    private void poolAppend(long v) {
        int k = poolSize;
        int p = k >>> PAGE_BITS;
        if (p == poolPages) {
            if (poolPages == pool.length) {
                pool = Arrays.copyOf(pool, Math.max(4, poolPages * 2));
            }
            pool[p] = new long[p == 0 ? FIRST_PAGE : PAGE];
            poolPages++;
        } else if ((k & MASK) >= pool[p].length) {
            pool[p] = Arrays.copyOf(pool[p], Math.min(PAGE, pool[p].length * 2));
        }
        pool[p][k & MASK] = v;
        poolSize = k + 1;
    }

    private int ancEnd(int r) {
        return r + 1 < rows ? ancOff[(r + 1) >>> PAGE_BITS][(r + 1) & MASK] : poolSize;
    }

    private boolean ancestorsContain(int r, long h) {
        int end = ancEnd(r);
        for (int k = ancOff[r >>> PAGE_BITS][r & MASK]; k < end; k++) {
            if (poolGet(k) == h) {
                return true;
            }
        }
        return false;
    }

    private long rootHashOf(int r) {
        int off = ancOff[r >>> PAGE_BITS][r & MASK];
        return ancEnd(r) > off ? poolGet(off) : jti[r >>> PAGE_BITS][r & MASK];
    }

    // ---- root table

    /** The slot holding root hash h, or the empty slot where it would go. */
    private int findSlot(long h) {
        int mask = rootCap - 1;
        int s = (int) (h ^ (h >>> 32)) & mask;
        while (true) {
            int v = roots[s >>> PAGE_BITS][s & MASK];
            if (v == 0 || rootHashOf(v - 1) == h) {
                return s;
            }
            s = (s + 1) & mask;
        }
    }

    private void link(int r, long rootHash) {
        int s = findSlot(rootHash);
        int[] page = roots[s >>> PAGE_BITS];
        int head = page[s & MASK];
        if (head == 0) {
            rootCount++;
        }
        next[r >>> PAGE_BITS][r & MASK] = head - 1;
        page[s & MASK] = r + 1;
    }

    private static int tableFor(int n) {
        int cap = MIN_TABLE;
        while (n > cap - (cap >>> 2)) {
            cap <<= 1;
        }
        return cap;
    }

    private static int[][] newTable(int capacity) {
        int[][] table = new int[(capacity + MASK) >>> PAGE_BITS][];
        for (int p = 0; p < table.length; p++) {
            table[p] = new int[Math.min(capacity, PAGE)];
        }
        return table;
    }

    private void rebuildRoots(int capacity) {
        if (capacity == rootCap) {
            for (int[] page : roots) {
                Arrays.fill(page, 0);
            }
        } else {
            roots = null; // let the old table go before the new one is allocated
            roots = newTable(capacity);
            rootCap = capacity;
        }
        rootCount = 0;
        for (int r = 0; r < rows; r++) {
            if (exp[r >>> PAGE_BITS][r & MASK] != 0) {
                link(r, rootHashOf(r));
            }
        }
    }

    // ---- chains

    private int intern(List<String> agents) {
        String[] set = agents == null ? new String[0] : agents.toArray(new String[0]);
        for (String a : set) {
            Objects.requireNonNull(a, "agent id");
        }
        Arrays.sort(set);
        int n = 0;
        for (int k = 0; k < set.length; k++) {
            if (n == 0 || !set[n - 1].equals(set[k])) {
                set[n++] = set[k];
            }
        }
        if (n < set.length) {
            set = Arrays.copyOf(set, n);
        }
        Integer id = chainIds.get(Arrays.asList(set));
        if (id != null) {
            return id;
        }
        for (int k = 0; k < set.length; k++) {
            set[k] = agentNames.computeIfAbsent(set[k], a -> a);
        }
        int c = chains.size();
        chains.add(set);
        chainIds.put(List.of(set), c);
        return c;
    }

    /** Drops chains no row uses any more and renumbers the rest. */
    private void renumberChains() {
        int[] renumber = new int[chains.size()];
        Arrays.fill(renumber, -1);
        ArrayList<String[]> kept = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            int[] ch = chain[r >>> PAGE_BITS];
            int v = ch[r & MASK];
            int c = v & CHAIN;
            if (renumber[c] < 0) {
                renumber[c] = kept.size();
                kept.add(chains.get(c));
            }
            ch[r & MASK] = (v & DEAD) | renumber[c];
        }
        chains.clear();
        chainIds.clear();
        agentNames.clear();
        for (String[] set : kept) {
            for (String a : set) {
                agentNames.putIfAbsent(a, a);
            }
            chainIds.put(List.of(set), chains.size());
            chains.add(set);
        }
    }

    // ---- external references

    private void addExternal(int r, String[] refs) {
        if (extCount == extRow.length) {
            int n = Math.max(16, extCount * 2);
            extRow = Arrays.copyOf(extRow, n);
            extRefs = Arrays.copyOf(extRefs, n);
        }
        extRow[extCount] = r;
        extRefs[extCount] = refs;
        extCount++;
    }
}
