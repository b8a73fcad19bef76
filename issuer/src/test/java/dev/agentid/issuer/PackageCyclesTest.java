package dev.agentid.issuer;

import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packages of the issuer form no cycle: features use the layers below them and never reach back up. Read from
 * the compiled main classes with the JDK alone: every name of an issuer class in a class file's constant pool (class
 * references, field and method descriptors, generic signatures) is a dependency of its package.
 */
class PackageCyclesTest {

    private static final String ROOT = "dev/agentid/issuer/";
    private static final List<String> PERSISTED_DOMAIN_TYPES = List.of(ROOT + "domain/AgentStatus$___Marshaller_");

    @Test
    void packageDependenciesInsideTheIssuerHaveNoCycle() throws IOException, URISyntaxException {
        Map<String, Set<String>> graph = packageGraph(classesDirectory());
        assertTrue(graph.size() > 5, "too few packages found: " + graph.keySet());
        assertEquals(List.of(), cycles(graph), "package cycles (each list is one strongly connected set)");
    }

    /** A feature with sub-packages (federation, federation.idp) is one node: it must not reach back up either. */
    @Test
    void topLevelPackagesHaveNoCycleEither() throws IOException, URISyntaxException {
        Map<String, Set<String>> graph = new TreeMap<>();
        packageGraph(classesDirectory()).forEach((from, targets) -> {
            Set<String> collapsed = graph.computeIfAbsent(topLevel(from), k -> new TreeSet<>());
            targets.forEach(t -> collapsed.add(topLevel(t)));
            collapsed.remove(topLevel(from));
        });
        assertEquals(List.of(), cycles(graph), "cycles between top-level packages of the issuer");
    }

    private static String topLevel(String pkg) {
        String root = "dev.agentid.issuer";
        if (pkg.length() <= root.length()) {
            return pkg;
        }
        int dot = pkg.indexOf('.', root.length() + 1);
        return dot < 0 ? pkg : pkg.substring(0, dot);
    }

    /**
     * Stores speak their technology, nobody else: outside {@code store/}, no class names an Infinispan type. The one
     * exception is ProtoStream's annotations on one domain type (AgentStatus), which define its
     * persisted form, and the marshallers ProtoStream generates beside them; adapters in store/ (as AgentRecord has)
     * would lift it.
     */
    @Test
    void onlyTheStorePackageSpeaksInfinispan() throws IOException, URISyntaxException {
        Path classes = classesDirectory();
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                String name = classes.relativize(file).toString().replace('\\', '/');
                if (name.startsWith(ROOT + "store/") || PERSISTED_DOMAIN_TYPES.stream().anyMatch(name::startsWith)) {
                    continue;
                }
                try (InputStream in = Files.newInputStream(file)) {
                    for (String constant : utf8Constants(in)) {
                        if (constant.contains("org/infinispan/")
                                && !constant.contains("org/infinispan/protostream/annotations/")) {
                            offenders.add(name + ": " + constant);
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), offenders);
    }

    /**
     * Services speak domain types, handlers speak HTTP: the domain types and the delegation rules ({@code domain/},
     * {@code policy/}) name no Vert.x type, so they stay pure and can be used (and tested) without a server.
     */
    @Test
    void theDomainAndThePoliciesNameNoVertxType() throws IOException, URISyntaxException {
        Path classes = classesDirectory();
        List<String> offenders = new ArrayList<>();
        for (String pkg : List.of("domain", "policy")) {
            try (Stream<Path> files = Files.walk(classes.resolve(ROOT + pkg))) {
                for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                    try (InputStream in = Files.newInputStream(file)) {
                        for (String constant : utf8Constants(in)) {
                            if (constant.contains("io/vertx/")) {
                                offenders.add(classes.relativize(file) + ": " + constant);
                            }
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), offenders);
    }

    @Test
    void theCheckFindsACycle() {
        Map<String, Set<String>> graph = new TreeMap<>();
        graph.put("a", Set.of("b"));
        graph.put("b", Set.of("c"));
        graph.put("c", Set.of("a"));
        graph.put("d", Set.of("a"));
        assertEquals(List.of(List.of("a", "b", "c")), cycles(graph));
    }

    static Path classesDirectory() throws URISyntaxException {
        return Path.of(IssuerServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    static Map<String, Set<String>> packageGraph(Path classes) throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                String name = classes.relativize(file).toString().replace('\\', '/');
                String from = packageOf(name);
                Set<String> targets = graph.computeIfAbsent(from, k -> new TreeSet<>());
                try (InputStream in = Files.newInputStream(file)) {
                    for (String utf8 : utf8Constants(in)) {
                        referencedPackages(utf8, targets);
                    }
                }
                targets.remove(from);
            }
        }
        return graph;
    }

    private static String packageOf(String classFile) {
        int slash = classFile.lastIndexOf('/');
        return slash < 0 ? "" : classFile.substring(0, slash).replace('/', '.');
    }

    /** Every issuer class named in a constant (an internal name, or inside a descriptor or signature). */
    private static void referencedPackages(String constant, Set<String> into) {
        int at = constant.indexOf(ROOT);
        while (at >= 0) {
            int end = at + ROOT.length();
            int lastSlash = at + ROOT.length() - 1;
            while (end < constant.length()) {
                char c = constant.charAt(end);
                if (c == '/') {
                    lastSlash = end;
                } else if (!Character.isJavaIdentifierPart(c) && c != '$') {
                    break;
                }
                end++;
            }
            String pkg = lastSlash < at + ROOT.length() ? "" : constant.substring(at + ROOT.length(), lastSlash);
            into.add(("dev.agentid.issuer." + pkg.replace('/', '.')).replaceAll("\\.$", ""));
            at = constant.indexOf(ROOT, end);
        }
    }

    /** The CONSTANT_Utf8 entries of a class file (JVMS section 4.4). */
    static List<String> utf8Constants(InputStream stream) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort();
        in.readUnsignedShort();
        int count = in.readUnsignedShort();
        List<String> utf8 = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8.add(in.readUTF());
                case 3, 4 -> in.skipNBytes(4);                 // Integer, Float
                case 5, 6 -> {                                  // Long, Double take two slots
                    in.skipNBytes(8);
                    i++;
                }
                case 7, 8, 16, 19, 20 -> in.skipNBytes(2);      // Class, String, MethodType, Module, Package
                case 9, 10, 11, 12, 17, 18 -> in.skipNBytes(4); // refs, NameAndType, (Invoke)Dynamic
                case 15 -> in.skipNBytes(3);                    // MethodHandle
                default -> throw new IOException("unknown constant pool tag " + tag);
            }
        }
        return utf8;
    }

    /** The strongly connected sets of more than one package (Tarjan), each sorted; sorted by first member. */
    static List<List<String>> cycles(Map<String, Set<String>> graph) {
        Tarjan t = new Tarjan(graph);
        graph.keySet().forEach(v -> {
            if (!t.index.containsKey(v)) {
                t.connect(v);
            }
        });
        t.result.sort((a, b) -> a.get(0).compareTo(b.get(0)));
        return t.result;
    }

    private static final class Tarjan {
        final Map<String, Set<String>> graph;
        final Map<String, Integer> index = new HashMap<>();
        final Map<String, Integer> low = new HashMap<>();
        final Deque<String> stack = new ArrayDeque<>();
        final Set<String> onStack = new TreeSet<>();
        final List<List<String>> result = new ArrayList<>();
        int next;

        Tarjan(Map<String, Set<String>> graph) {
            this.graph = graph;
        }

        void connect(String v) {
            index.put(v, next);
            low.put(v, next);
            next++;
            stack.push(v);
            onStack.add(v);
            for (String w : graph.getOrDefault(v, Set.of())) {
                if (!index.containsKey(w)) {
                    connect(w);
                    low.put(v, Math.min(low.get(v), low.get(w)));
                } else if (onStack.contains(w)) {
                    low.put(v, Math.min(low.get(v), index.get(w)));
                }
            }
            if (low.get(v).equals(index.get(v))) {
                List<String> component = new ArrayList<>();
                String w;
                do {
                    w = stack.pop();
                    onStack.remove(w);
                    component.add(w);
                } while (!w.equals(v));
                if (component.size() > 1) {
                    component.sort(String::compareTo);
                    result.add(component);
                }
            }
        }
    }
}
