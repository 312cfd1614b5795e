package io.defectdetector.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A parsed Dockerfile: its global ARGs and its stages with their instructions (continuations joined). */
final class Dockerfile {
    /** One instruction: keyword, --flags, and the remaining arguments (JSON form decoded). */
    record Instruction(int line, String keyword, Map<String, List<String>> flags, List<String> args, String raw) {
        String flag(String name) {
            List<String> v = flags.get(name);
            return v == null ? null : v.get(0);
        }
    }

    record Stage(int index, String name, String base, int line, List<Instruction> instructions) {
    }

    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}|\\$([A-Za-z_][A-Za-z0-9_]*)");

    final Map<String, String> globalArgs = new LinkedHashMap<>();
    final List<Stage> stages = new ArrayList<>();

    static Dockerfile parse(String text) {
        Dockerfile d = new Dockerfile();
        List<String> lines = text.lines().toList();
        Stage current = null;
        for (int i = 0; i < lines.size(); i++) {
            int start = i + 1;
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            StringBuilder logical = new StringBuilder();
            while (true) {
                String l = lines.get(i).strip();
                if (!l.startsWith("#")) {
                    if (l.endsWith("\\")) {
                        logical.append(l, 0, l.length() - 1).append(' ');
                    } else {
                        logical.append(l);
                        break;
                    }
                }
                if (++i >= lines.size()) {
                    break;
                }
            }
            Instruction ins = instruction(start, logical.toString().strip());
            if (ins.keyword.equals("FROM")) {
                String base = ins.args.get(0);
                String name = ins.args.size() >= 3 && ins.args.get(1).equalsIgnoreCase("AS") ? ins.args.get(2) : null;
                current = new Stage(d.stages.size(), name, base, start, new ArrayList<>());
                d.stages.add(current);
            } else if (current == null) {
                if (!ins.keyword.equals("ARG")) {
                    throw new IllegalArgumentException("line " + start + ": " + ins.keyword + " before the first FROM");
                }
                String decl = ins.args.get(0);
                int eq = decl.indexOf('=');
                d.globalArgs.put(eq < 0 ? decl : decl.substring(0, eq), eq < 0 ? null : decl.substring(eq + 1));
            } else {
                current.instructions.add(ins);
            }
        }
        return d;
    }

    private static Instruction instruction(int line, String text) {
        int sp = text.indexOf(' ');
        String keyword = (sp < 0 ? text : text.substring(0, sp)).toUpperCase(Locale.ROOT);
        String rest = sp < 0 ? "" : text.substring(sp + 1).strip();
        Map<String, List<String>> flags = new LinkedHashMap<>();
        while (rest.startsWith("--")) {
            int end = rest.indexOf(' ');
            String flag = end < 0 ? rest : rest.substring(0, end);
            rest = end < 0 ? "" : rest.substring(end + 1).strip();
            int eq = flag.indexOf('=');
            String name = eq < 0 ? flag.substring(2) : flag.substring(2, eq);
            flags.computeIfAbsent(name, k -> new ArrayList<>()).add(eq < 0 ? "" : flag.substring(eq + 1));
        }
        List<String> args;
        if (rest.startsWith("[\"")) {
            try {
                args = Yaml.JSON.readValue(rest, new TypeReference<List<String>>() {
                });
            } catch (IOException e) {
                throw new IllegalArgumentException("line " + line + ": bad JSON form: " + rest, e);
            }
        } else if (keyword.equals("RUN") || keyword.equals("ENTRYPOINT") || keyword.equals("CMD")) {
            args = List.of(rest);
        } else {
            args = List.of(rest.split("\\s+"));
        }
        return new Instruction(line, keyword, flags, args, text);
    }

    Stage stage(String name) {
        return stages.stream().filter(s -> name.equals(s.name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no stage " + name));
    }

    boolean isStage(String ref) {
        return stages.stream().anyMatch(s -> ref.equals(s.name));
    }

    /** A FROM reference with ${ARG}s replaced by the global defaults (as `docker build` without --build-arg). */
    String resolve(String ref) {
        Matcher m = VAR.matcher(ref);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String var = m.group(1) != null ? m.group(1) : m.group(2);
            String value = globalArgs.get(var);
            if (value == null) {
                throw new IllegalArgumentException("FROM uses ${" + var + "} which has no global default");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** The stages a stage is built on, itself first, ending at an external image. */
    List<Stage> lineage(Stage stage) {
        List<Stage> out = new ArrayList<>();
        for (Stage s = stage; s != null; ) {
            out.add(s);
            String base = resolve(s.base);
            s = isStage(base) ? stage(base) : null;
        }
        return out;
    }
}
