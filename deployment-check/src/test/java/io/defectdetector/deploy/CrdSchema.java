package io.defectdetector.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A served version of a CustomResourceDefinition, validating resources the way an API server with strict
 * field validation ({@code kubectl apply --validate=strict}, the default since Kubernetes 1.27) does for the
 * parts a schema can say: unknown fields are errors (unless the schema preserves them), types, enums,
 * bounds. The openAPIV3Schema is turned into JSON Schema: every object with declared properties gets
 * additionalProperties: false, x-kubernetes-int-or-string becomes integer-or-string, nullable adds null.
 */
final class CrdSchema {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    final String group;
    final String kind;
    final String version;
    private final JsonSchema spec;

    private CrdSchema(String group, String kind, String version, JsonSchema spec) {
        this.group = group;
        this.kind = kind;
        this.version = version;
        this.spec = spec;
    }

    /**
     * @param crdFile a CRD YAML
     * @param version the served version to validate against
     * @param adjust  changes to the converted schema, made visibly by the caller (e.g. enum values a newer
     *                operator release added); pass {@code s -> { }} for none
     */
    static CrdSchema load(Path crdFile, String version, Consumer<ObjectNode> adjust) {
        JsonNode crd = Yaml.read(crdFile);
        if (!"CustomResourceDefinition".equals(crd.path("kind").asText())) {
            throw new IllegalArgumentException(crdFile + " is not a CRD");
        }
        for (JsonNode v : crd.path("spec").path("versions")) {
            if (v.path("name").asText().equals(version)) {
                if (!v.path("served").asBoolean(true)) {
                    throw new IllegalArgumentException(version + " is not served by " + crdFile);
                }
                ObjectNode root = (ObjectNode) v.path("schema").path("openAPIV3Schema").deepCopy();
                JsonNode specSchema = root.path("properties").path("spec");
                if (!specSchema.isObject()) {
                    throw new IllegalArgumentException(crdFile + " " + version + " has no spec schema");
                }
                ObjectNode converted = (ObjectNode) toJsonSchema(specSchema);
                adjust.accept(converted);
                SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().build();
                JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7)
                        .getSchema(converted, config);
                return new CrdSchema(crd.path("spec").path("group").asText(),
                        crd.path("spec").path("names").path("kind").asText(), version, schema);
            }
        }
        throw new IllegalArgumentException(crdFile + " has no version " + version);
    }

    boolean handles(JsonNode resource) {
        return kind.equals(resource.path("kind").asText());
    }

    /** Every problem of a resource of this kind; empty when it is valid. */
    List<String> validate(JsonNode resource) {
        List<String> problems = new ArrayList<>();
        String apiVersion = resource.path("apiVersion").asText();
        if (!apiVersion.equals(group + "/" + version)) {
            problems.add(Kustomize.id(resource) + ": apiVersion " + apiVersion + ", the schema is for " + group + "/"
                    + version);
        }
        for (Iterator<String> it = resource.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("apiVersion", "kind", "metadata", "spec").contains(f)) {
                problems.add(Kustomize.id(resource) + ": unexpected top-level field '" + f + "'");
            }
        }
        problems.addAll(ObjectMeta.problems(resource));
        Set<ValidationMessage> messages = spec.validate(resource.path("spec"));
        for (ValidationMessage m : messages) {
            // Messages start with the JSON path inside spec ("$.job.args[0]: ...").
            problems.add(Kustomize.id(resource) + ": spec" + m.getMessage().replaceFirst("^\\$", ""));
        }
        return problems;
    }

    private static JsonNode toJsonSchema(JsonNode node) {
        if (node.isArray()) {
            ArrayNode out = F.arrayNode();
            node.forEach(n -> out.add(toJsonSchema(n)));
            return out;
        }
        if (!node.isObject()) {
            return node.deepCopy();
        }
        ObjectNode out = F.objectNode();
        boolean intOrString = node.path("x-kubernetes-int-or-string").asBoolean(false);
        boolean preserve = node.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            if (k.startsWith("x-kubernetes-") || k.equals("nullable") || k.equals("description")) {
                continue;
            }
            if (k.equals("properties")) {
                ObjectNode props = out.putObject("properties");
                e.getValue().fields().forEachRemaining(p -> props.set(p.getKey(), toJsonSchema(p.getValue())));
            } else if (k.equals("additionalProperties") || k.equals("items") || k.equals("not")) {
                out.set(k, e.getValue().isBoolean() ? e.getValue() : toJsonSchema(e.getValue()));
            } else if (Set.of("allOf", "anyOf", "oneOf").contains(k)) {
                out.set(k, toJsonSchema(e.getValue()));
            } else {
                out.set(k, e.getValue().deepCopy());
            }
        }
        if (intOrString) {
            out.remove("type");
            ArrayNode types = out.putArray("type");
            types.add("integer");
            types.add("string");
        }
        if (node.path("nullable").asBoolean(false) && out.has("type") && out.get("type").isTextual()) {
            ArrayNode types = F.arrayNode();
            types.add(out.get("type").asText());
            types.add("null");
            out.set("type", types);
        }
        if (!preserve && out.has("properties") && !out.has("additionalProperties")) {
            out.put("additionalProperties", false);
        }
        return out;
    }
}
