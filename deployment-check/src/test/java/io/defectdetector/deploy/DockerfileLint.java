package io.defectdetector.deploy;

import io.defectdetector.deploy.Dockerfile.Instruction;
import io.defectdetector.deploy.Dockerfile.Stage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The hadolint rules that matter for these images, re-implemented because hadolint is not available from
 * the registries this project's machines reach (Maven Central, Debian, npm). Messages carry hadolint's rule
 * ids where one exists:
 * DL3000 absolute WORKDIR, DL3002 no root user in a target stage, DL3006 tagged base image, DL3007 no
 * "latest", DL3020 COPY not ADD, DL3022 COPY --from a defined stage, DL3025 JSON form of CMD/ENTRYPOINT,
 * DL4006 pipefail before pipes. Project rules: files under /opt/flink owned by flink (--chown), no
 * secret-looking ENV/ARG or copied key material, every build-context source present and not excluded by
 * the .dockerignore file.
 */
final class DockerfileLint {
    private static final Pattern SECRET_NAME =
            Pattern.compile("(?i).*(password|passwd|secret|token|api[_-]?key|private[_-]?key|credential).*");
    private static final Pattern KEY_MATERIAL =
            Pattern.compile("(?i).*(\\.pem|\\.key|\\.p12|\\.pfx|\\.jks|\\.keystore|id_rsa.*|\\.env|client\\.properties)$");
    private static final Pattern VERSION_TAG = Pattern.compile(".*\\d.*");

    private DockerfileLint() {
    }

    /**
     * @param targets     the stages people build (docker build --target): each must end as a non-root user
     * @param contextRoot the build context, to check COPY sources; null to skip that check
     * @param ignore      the context's ignore rules (may be null)
     */
    static List<String> problems(Dockerfile d, List<String> targets, Path contextRoot, DockerIgnore ignore) {
        List<String> problems = new ArrayList<>();
        Set<String> defined = new HashSet<>();
        for (Stage s : d.stages) {
            String base = d.resolve(s.base());
            if (!defined.contains(base)) {
                checkBaseImage(s, base, problems);
            }
            for (Instruction i : s.instructions()) {
                check(d, s, i, defined, contextRoot, ignore, problems);
            }
            if (s.name() != null) {
                defined.add(s.name());
            }
        }
        for (String target : targets) {
            Stage stage;
            try {
                stage = d.stage(target);
            } catch (IllegalArgumentException e) {
                problems.add("target stage " + target + " does not exist");
                continue;
            }
            String user = effectiveUser(d, stage);
            if (user == null) {
                problems.add("DL3002 stage " + target + " never sets USER: it would run as the base image's user");
            } else if (user.equals("root") || user.equals("0") || user.startsWith("0:") || user.startsWith("root:")) {
                problems.add("DL3002 stage " + target + " runs as root (last USER " + user + ")");
            }
        }
        return problems;
    }

    private static void checkBaseImage(Stage s, String image, List<String> problems) {
        String ref = image.contains("@") ? image.substring(0, image.indexOf('@')) : image;
        int slash = ref.lastIndexOf('/');
        int colon = ref.lastIndexOf(':');
        String tag = colon > slash ? ref.substring(colon + 1) : null;
        if (image.contains("@sha256:")) {
            return;
        }
        if (tag == null) {
            problems.add("DL3006 line " + s.line() + ": base image " + image + " has no tag");
        } else if (tag.equals("latest")) {
            problems.add("DL3007 line " + s.line() + ": base image " + image + " uses the latest tag");
        } else if (!VERSION_TAG.matcher(tag).matches()) {
            problems.add("DL3006 line " + s.line() + ": base image tag " + tag + " names no version");
        }
    }

    private static void check(Dockerfile d, Stage s, Instruction i, Set<String> defined, Path contextRoot,
            DockerIgnore ignore, List<String> problems) {
        String at = "line " + i.line() + ": ";
        switch (i.keyword()) {
            case "ADD" -> problems.add("DL3020 " + at + "use COPY instead of ADD");
            case "WORKDIR" -> {
                if (!i.args().get(0).startsWith("/")) {
                    problems.add("DL3000 " + at + "WORKDIR must be absolute");
                }
            }
            case "CMD", "ENTRYPOINT" -> {
                if (!i.raw().substring(i.keyword().length()).strip().startsWith("[")) {
                    problems.add("DL3025 " + at + i.keyword() + " must use the JSON form");
                }
            }
            case "ENV", "ARG" -> {
                for (String a : i.args()) {
                    String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
                    if (SECRET_NAME.matcher(name).matches()) {
                        problems.add(at + i.keyword() + " " + name + " looks like a secret; pass secrets at run "
                                + "time (mounted files, Kubernetes Secrets), never in the image");
                    }
                }
            }
            case "RUN" -> {
                String cmd = i.args().get(0);
                boolean pipe = cmd.replace("||", "").contains("|");
                if (pipe && !cmd.matches("(?s).*set -[a-z]*o pipefail.*")) {
                    problems.add("DL4006 " + at + "a pipe in RUN needs `set -o pipefail` first");
                }
                for (String mount : i.flags().getOrDefault("mount", List.of())) {
                    if (mount.contains("type=bind") && !mount.contains("from=") && contextRoot != null) {
                        String source = option(mount, "source");
                        if (source != null) {
                            checkContextSource(source, contextRoot, ignore, at, problems);
                        }
                    }
                    String from = option(mount, "from");
                    if (from != null && !defined.contains(from) && d.isStage(from)) {
                        problems.add("DL3022 " + at + "mount from stage " + from + " defined later");
                    }
                }
            }
            case "COPY" -> {
                String from = i.flag("from");
                List<String> args = i.args();
                String dest = args.get(args.size() - 1);
                if (from != null && !defined.contains(from)) {
                    problems.add("DL3022 " + at + "COPY --from=" + from + " is not a stage defined above");
                }
                if (dest.startsWith("/opt/flink")) {
                    String chown = i.flag("chown");
                    if (chown == null || !(chown.equals("flink") || chown.startsWith("flink:"))) {
                        problems.add(at + "COPY into " + dest + " must be owned by flink (--chown=flink:flink): "
                                + "the Flink image runs as the flink user and owns /opt/flink");
                    }
                }
                for (String src : args.subList(0, args.size() - 1)) {
                    if (KEY_MATERIAL.matcher(src).matches()) {
                        problems.add(at + "COPY " + src + " copies key material or credentials into the image");
                    }
                    if (from == null && contextRoot != null) {
                        checkContextSource(src, contextRoot, ignore, at, problems);
                    }
                }
            }
            default -> {
            }
        }
    }

    private static void checkContextSource(String src, Path contextRoot, DockerIgnore ignore, String at,
            List<String> problems) {
        if (src.contains("*")) {
            problems.add(at + "COPY source " + src + " is a glob; name files or folders so the check can see them");
            return;
        }
        if (src.equals(".") || src.equals("./")) {
            return;
        }
        Path p = contextRoot.resolve(src);
        if (!Files.exists(p)) {
            problems.add(at + "build-context source " + src + " does not exist");
            return;
        }
        if (ignore != null) {
            List<String> ignored = ignore.ignoredFilesUnder(contextRoot, src);
            if (!ignored.isEmpty()) {
                problems.add(at + "build-context source " + src + " is excluded by the ignore file: " + ignored);
            }
        }
    }

    private static String option(String mount, String key) {
        for (String part : mount.split(",")) {
            if (part.startsWith(key + "=")) {
                return part.substring(key.length() + 1);
            }
        }
        return null;
    }

    /** The USER in force at the end of a stage, following FROM <stage>; null if none is set on the way. */
    static String effectiveUser(Dockerfile d, Stage stage) {
        for (Stage s : d.lineage(stage)) {
            List<Instruction> ins = s.instructions();
            for (int k = ins.size() - 1; k >= 0; k--) {
                if (ins.get(k).keyword().equals("USER")) {
                    return ins.get(k).args().get(0);
                }
            }
        }
        return null;
    }
}
