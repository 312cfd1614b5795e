package io.defectdetector.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders a kustomization the way {@code kustomize build} (v5) does, for the subset k8s/ uses: resources
 * (files and folders), components, configMapGenerator (envs, files, literals, no name hash), patches (strategic
 * merge and RFC 6902, from files) and replacements (with delimiter/index). kustomize cannot be installed
 * from the registries this project's machines reach; {@code KustomizeRendererTest} compares this renderer
 * with the real one wherever {@code kubectl kustomize} is on the PATH.
 *
 * <p>Anything outside the subset is refused rather than approximated, so a new feature in k8s/ shows up as a
 * failing test instead of a silently different rendering. As kustomize does for kinds it has no schema for
 * (CRDs), strategic merge replaces lists instead of merging them.
 */
final class Kustomize {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Set<String> SUPPORTED = Set.of("apiVersion", "kind", "resources", "components",
            "configMapGenerator", "patches", "replacements");
    private static final String LOCAL_CONFIG = "config.kubernetes.io/local-config";

    private Kustomize() {
    }

    /** The rendered resources, without local-config ones (as kustomize prints them). */
    static List<ObjectNode> build(Path dir) {
        List<ObjectNode> acc = new ArrayList<>();
        accumulate(dir, acc, false);
        acc.removeIf(r -> "true".equals(r.path("metadata").path("annotations").path(LOCAL_CONFIG).asText()));
        return acc;
    }

    private static void accumulate(Path dir, List<ObjectNode> acc, boolean component) {
        Path file = dir.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no kustomization.yaml in " + dir);
        }
        JsonNode k = Yaml.read(file);
        String kind = k.path("kind").asText(component ? "Component" : "Kustomization");
        if (!kind.equals(component ? "Component" : "Kustomization")) {
            throw new IllegalArgumentException(file + ": kind " + kind + " where a "
                    + (component ? "Component" : "Kustomization") + " is expected");
        }
        for (Iterator<String> it = k.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!SUPPORTED.contains(field)) {
                throw new UnsupportedOperationException(file + ": '" + field + "' is outside the subset this "
                        + "renderer implements; extend Kustomize (and its comparison test) first");
            }
        }
        for (JsonNode r : k.path("resources")) {
            Path p = dir.resolve(r.asText()).normalize();
            if (Files.isDirectory(p)) {
                accumulate(p, acc, false);
            } else {
                for (ObjectNode doc : Yaml.objects(Yaml.readAll(p))) {
                    add(acc, doc, p);
                }
            }
        }
        for (JsonNode c : k.path("components")) {
            accumulate(dir.resolve(c.asText()).normalize(), acc, true);
        }
        for (JsonNode g : k.path("configMapGenerator")) {
            add(acc, configMap(dir, g), file);
        }
        for (JsonNode p : k.path("patches")) {
            patch(dir, p, acc);
        }
        for (JsonNode r : k.path("replacements")) {
            replace(r, acc);
        }
    }

    private static void add(List<ObjectNode> acc, ObjectNode resource, Path from) {
        for (ObjectNode existing : acc) {
            if (sameId(existing, resource)) {
                throw new IllegalArgumentException(from + ": " + id(resource) + " is defined twice");
            }
        }
        acc.add(resource);
    }

    // ---- configMapGenerator ----

    private static ObjectNode configMap(Path dir, JsonNode g) {
        for (Iterator<String> it = g.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("name", "envs", "files", "literals", "options", "behavior").contains(f)) {
                throw new UnsupportedOperationException("configMapGenerator field '" + f + "'");
            }
        }
        if (!g.path("behavior").asText("create").equals("create")) {
            throw new UnsupportedOperationException("configMapGenerator behavior " + g.path("behavior"));
        }
        JsonNode options = g.path("options");
        if (!options.path("disableNameSuffixHash").asBoolean(false)) {
            throw new UnsupportedOperationException("configMapGenerator without disableNameSuffixHash: true "
                    + "(the name hash is not implemented)");
        }
        Map<String, String> data = new LinkedHashMap<>();
        for (JsonNode env : g.path("envs")) {
            Path envFile = dir.resolve(env.asText());
            try {
                for (String line : Files.readAllLines(envFile)) {
                    String t = line.strip();
                    if (t.isEmpty() || t.startsWith("#")) {
                        continue;
                    }
                    putPair(data, t, envFile.toString());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (JsonNode file : g.path("files")) {
            // "path" (the key is the file name) or "key=path"; the value is the file's text.
            String spec = file.asText();
            int eq = spec.indexOf('=');
            Path path = dir.resolve(eq < 0 ? spec : spec.substring(eq + 1));
            String key = eq < 0 ? path.getFileName().toString() : spec.substring(0, eq);
            try {
                if (data.put(key, Files.readString(path)) != null) {
                    throw new IllegalArgumentException("files: key " + key + " given twice");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (JsonNode literal : g.path("literals")) {
            putPair(data, literal.asText(), "literals");
        }
        ObjectNode cm = F.objectNode();
        cm.put("apiVersion", "v1");
        cm.put("kind", "ConfigMap");
        ObjectNode meta = cm.putObject("metadata");
        meta.put("name", g.path("name").asText());
        if (options.has("annotations")) {
            meta.set("annotations", options.get("annotations").deepCopy());
        }
        if (options.has("labels")) {
            meta.set("labels", options.get("labels").deepCopy());
        }
        ObjectNode d = cm.putObject("data");
        data.forEach(d::put);
        return cm;
    }

    private static void putPair(Map<String, String> data, String pair, String origin) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException(origin + ": '" + pair + "' is not key=value");
        }
        if (data.put(pair.substring(0, eq), pair.substring(eq + 1)) != null) {
            throw new IllegalArgumentException(origin + ": key " + pair.substring(0, eq) + " given twice");
        }
    }

    // ---- patches ----

    private static void patch(Path dir, JsonNode p, List<ObjectNode> acc) {
        for (Iterator<String> it = p.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("path", "target").contains(f)) {
                throw new UnsupportedOperationException("patches field '" + f + "'");
            }
        }
        Path file = dir.resolve(p.path("path").asText());
        List<JsonNode> docs = Yaml.readAll(file);
        if (docs.size() != 1) {
            throw new IllegalArgumentException(file + ": a patch file holds one document");
        }
        JsonNode doc = docs.get(0);
        List<ObjectNode> targets;
        if (p.has("target")) {
            targets = select(acc, p.get("target"));
        } else if (doc.isObject()) {
            targets = acc.stream().filter(r -> sameId(r, (ObjectNode) doc)).toList();
        } else {
            throw new IllegalArgumentException(file + ": a JSON patch needs a target");
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException(file + ": the patch matches no resource");
        }
        for (ObjectNode target : targets) {
            if (doc.isArray()) {
                jsonPatch(target, (ArrayNode) doc, file);
            } else {
                ObjectNode merged = (ObjectNode) strategicMerge(target, doc);
                target.removeAll();
                target.setAll(merged);
            }
        }
    }

    /** Maps merge key by key (null deletes); lists and scalars of the patch replace the original's. */
    static JsonNode strategicMerge(JsonNode original, JsonNode patch) {
        if (original == null || !original.isObject() || !patch.isObject()) {
            return withoutNulls(patch);
        }
        ObjectNode out = ((ObjectNode) original).deepCopy();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNull()) {
                out.remove(e.getKey());
            } else {
                out.set(e.getKey(), strategicMerge(out.get(e.getKey()), e.getValue()));
            }
        }
        return out;
    }

    private static JsonNode withoutNulls(JsonNode node) {
        if (node.isObject()) {
            ObjectNode out = F.objectNode();
            node.fields().forEachRemaining(e -> {
                if (!e.getValue().isNull()) {
                    out.set(e.getKey(), withoutNulls(e.getValue()));
                }
            });
            return out;
        }
        return node.deepCopy();
    }

    /** RFC 6902 add, replace and remove (the operations k8s/ uses); the others are refused. */
    static void jsonPatch(ObjectNode target, ArrayNode ops, Path origin) {
        for (JsonNode op : ops) {
            String kind = op.path("op").asText();
            List<String> tokens = pointer(op.path("path").asText());
            if (tokens.isEmpty()) {
                throw new UnsupportedOperationException(origin + ": patching the whole document");
            }
            JsonNode parent = target;
            for (String t : tokens.subList(0, tokens.size() - 1)) {
                parent = child(parent, t);
                if (parent == null) {
                    throw new IllegalArgumentException(origin + ": no " + op.path("path").asText() + " to " + kind);
                }
            }
            String last = tokens.get(tokens.size() - 1);
            switch (kind) {
                case "add" -> {
                    if (parent.isArray()) {
                        ArrayNode a = (ArrayNode) parent;
                        if (last.equals("-")) {
                            a.add(op.get("value").deepCopy());
                        } else {
                            a.insert(index(a, last, true, origin), op.get("value").deepCopy());
                        }
                    } else {
                        ((ObjectNode) parent).set(last, op.get("value").deepCopy());
                    }
                }
                case "replace" -> {
                    if (parent.isArray()) {
                        ArrayNode a = (ArrayNode) parent;
                        a.set(index(a, last, false, origin), op.get("value").deepCopy());
                    } else if (parent.has(last)) {
                        ((ObjectNode) parent).set(last, op.get("value").deepCopy());
                    } else {
                        throw new IllegalArgumentException(origin + ": replace of a missing " + op.get("path"));
                    }
                }
                case "remove" -> {
                    if (parent.isArray()) {
                        ((ArrayNode) parent).remove(index((ArrayNode) parent, last, false, origin));
                    } else if (((ObjectNode) parent).remove(last) == null) {
                        throw new IllegalArgumentException(origin + ": remove of a missing " + op.get("path"));
                    }
                }
                default -> throw new UnsupportedOperationException(origin + ": JSON patch op '" + kind + "'");
            }
        }
    }

    private static List<String> pointer(String path) {
        if (path.isEmpty()) {
            return List.of();
        }
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("JSON pointer must start with '/': " + path);
        }
        List<String> tokens = new ArrayList<>();
        for (String t : path.substring(1).split("/", -1)) {
            tokens.add(t.replace("~1", "/").replace("~0", "~"));
        }
        return tokens;
    }

    private static JsonNode child(JsonNode parent, String token) {
        if (parent.isArray()) {
            int i = Integer.parseInt(token);
            return i < parent.size() ? parent.get(i) : null;
        }
        return parent.get(token);
    }

    private static int index(ArrayNode a, String token, boolean forAdd, Path origin) {
        int i;
        try {
            i = Integer.parseInt(token);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(origin + ": '" + token + "' is not a list index");
        }
        if (i < 0 || i > a.size() || (!forAdd && i == a.size())) {
            throw new IllegalArgumentException(origin + ": index " + i + " outside a list of " + a.size());
        }
        return i;
    }

    // ---- replacements ----

    private static void replace(JsonNode r, List<ObjectNode> acc) {
        JsonNode source = r.path("source");
        for (Iterator<String> it = source.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("kind", "name", "fieldPath").contains(f)) {
                throw new UnsupportedOperationException("replacement source field '" + f + "'");
            }
        }
        List<ObjectNode> sources = select(acc, source);
        if (sources.size() != 1) {
            throw new IllegalArgumentException("replacement source " + source + " matches " + sources.size()
                    + " resources, expected one");
        }
        JsonNode value = get(sources.get(0), source.path("fieldPath").asText("metadata.name"));
        if (value == null || value.isContainerNode()) {
            throw new IllegalArgumentException("replacement source " + source + " is not a scalar field");
        }
        for (JsonNode t : r.path("targets")) {
            for (Iterator<String> it = t.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!Set.of("select", "fieldPaths", "options").contains(f)) {
                    throw new UnsupportedOperationException("replacement target field '" + f + "'");
                }
            }
            JsonNode options = t.path("options");
            if (options.path("create").asBoolean(false)) {
                throw new UnsupportedOperationException("replacement option create: true");
            }
            for (ObjectNode target : select(acc, t.path("select"))) {
                for (JsonNode fp : t.path("fieldPaths")) {
                    set(target, fp.asText(), value, options);
                }
            }
        }
    }

    private static JsonNode get(JsonNode node, String fieldPath) {
        JsonNode n = node;
        for (String segment : segments(fieldPath)) {
            n = step(n, segment);
            if (n == null) {
                return null;
            }
        }
        return n;
    }

    private static void set(ObjectNode resource, String fieldPath, JsonNode value, JsonNode options) {
        List<String> segs = segments(fieldPath);
        JsonNode parent = resource;
        for (String s : segs.subList(0, segs.size() - 1)) {
            parent = step(parent, s);
            if (parent == null) {
                throw new IllegalArgumentException("replacement target " + id(resource) + " has no " + fieldPath);
            }
        }
        String last = segs.get(segs.size() - 1);
        JsonNode current = step(parent, last);
        if (current == null) {
            throw new IllegalArgumentException("replacement target " + id(resource) + " has no " + fieldPath);
        }
        JsonNode replacement = value;
        if (options.has("delimiter")) {
            String delimiter = options.get("delimiter").asText();
            String[] parts = current.asText().split(java.util.regex.Pattern.quote(delimiter), -1);
            int index = options.path("index").asInt(0);
            if (index < 0 || index >= parts.length) {
                throw new IllegalArgumentException("replacement index " + index + " outside '" + current.asText()
                        + "' split at '" + delimiter + "'");
            }
            parts[index] = value.asText();
            replacement = TextNode.valueOf(String.join(delimiter, parts));
        }
        if (parent.isArray()) {
            ((ArrayNode) parent).set(Integer.parseInt(last), replacement);
        } else {
            ((ObjectNode) parent).set(key(last), replacement);
        }
    }

    /** Splits a kustomize field path at dots outside brackets: spec.flinkConfiguration.[a.b].x */
    static List<String> segments(String fieldPath) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int depth = 0;
        for (char c : fieldPath.toCharArray()) {
            if (c == '[') {
                depth++;
            } else if (c == ']') {
                depth--;
            }
            if (c == '.' && depth == 0) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    private static String key(String segment) {
        return segment.startsWith("[") && segment.endsWith("]") ? segment.substring(1, segment.length() - 1)
                : segment;
    }

    private static JsonNode step(JsonNode n, String segment) {
        if (n.isArray()) {
            if (segment.startsWith("[") && segment.contains("=")) {
                String inner = key(segment);
                String k = inner.substring(0, inner.indexOf('='));
                String v = inner.substring(inner.indexOf('=') + 1);
                for (JsonNode e : n) {
                    if (e.path(k).asText().equals(v)) {
                        return e;
                    }
                }
                return null;
            }
            int i = Integer.parseInt(segment);
            return i < n.size() ? n.get(i) : null;
        }
        return n.get(key(segment));
    }

    // ---- selection ----

    private static List<ObjectNode> select(List<ObjectNode> acc, JsonNode selector) {
        for (Iterator<String> it = selector.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("kind", "name", "fieldPath").contains(f)) {
                throw new UnsupportedOperationException("selector field '" + f + "'");
            }
        }
        List<ObjectNode> out = new ArrayList<>();
        for (ObjectNode r : acc) {
            if (selector.has("kind") && !selector.get("kind").asText().equals(r.path("kind").asText())) {
                continue;
            }
            if (selector.has("name")
                    && !selector.get("name").asText().equals(r.path("metadata").path("name").asText())) {
                continue;
            }
            out.add(r);
        }
        return out;
    }

    private static boolean sameId(ObjectNode a, ObjectNode b) {
        return a.path("kind").asText().equals(b.path("kind").asText())
                && a.path("metadata").path("name").asText().equals(b.path("metadata").path("name").asText());
    }

    static String id(JsonNode r) {
        return r.path("kind").asText() + "/" + r.path("metadata").path("name").asText();
    }
}
