package io.defectdetector.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Kubernetes' own rules for the metadata of a manifest (apimachinery's validation: DNS-1123 names,
 * qualified label and annotation keys, label values), which CRD schemas leave to the API server.
 * Only the fields a checked-in manifest should set are accepted.
 */
final class ObjectMeta {
    private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS1123_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern QUALIFIED_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");

    private ObjectMeta() {
    }

    static List<String> problems(JsonNode resource) {
        List<String> problems = new ArrayList<>();
        String id = Kustomize.id(resource);
        JsonNode meta = resource.path("metadata");
        for (Iterator<String> it = meta.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("name", "namespace", "labels", "annotations").contains(f)) {
                problems.add(id + ": metadata." + f + " does not belong in a manifest");
            }
        }
        String name = meta.path("name").asText("");
        if (!isSubdomain(name)) {
            problems.add(id + ": metadata.name '" + name + "' is not a DNS-1123 subdomain");
        }
        if (meta.has("namespace") && !DNS1123_LABEL.matcher(meta.get("namespace").asText()).matches()) {
            problems.add(id + ": metadata.namespace is not a DNS-1123 label");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = meta.path("labels").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!isQualifiedName(e.getKey())) {
                problems.add(id + ": label key '" + e.getKey() + "' is not a qualified name");
            }
            String v = e.getValue().isTextual() ? e.getValue().asText() : null;
            if (v == null || v.length() > 63 || !LABEL_VALUE.matcher(v).matches()) {
                problems.add(id + ": label value '" + e.getValue() + "' of " + e.getKey() + " is not a valid "
                        + "label value (a string of at most 63 characters from [-A-Za-z0-9_.])");
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = meta.path("annotations").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!isQualifiedName(e.getKey())) {
                problems.add(id + ": annotation key '" + e.getKey() + "' is not a qualified name");
            }
            if (!e.getValue().isTextual()) {
                problems.add(id + ": annotation " + e.getKey() + " must be a string, got " + e.getValue());
            }
        }
        return problems;
    }

    static boolean isSubdomain(String s) {
        return s.length() <= 253 && DNS1123_SUBDOMAIN.matcher(s).matches();
    }

    static boolean isLabelName(String s) {
        return s.length() <= 63 && DNS1123_LABEL.matcher(s).matches();
    }

    static boolean isQualifiedName(String key) {
        int slash = key.indexOf('/');
        String name = slash < 0 ? key : key.substring(slash + 1);
        if (slash >= 0 && (slash == 0 || !isSubdomain(key.substring(0, slash)))) {
            return false;
        }
        return name.length() <= 63 && QUALIFIED_NAME.matcher(name).matches();
    }
}
