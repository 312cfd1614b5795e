package io.defectdetector.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The matching rules of a .dockerignore file as BuildKit applies them (moby's patternmatcher): patterns are
 * cleaned paths with *, ? and **; a path is excluded when the last pattern matching it, or one of its parent
 * folders, is not a "!" exception.
 */
final class DockerIgnore {
    private record Rule(Pattern pattern, boolean exclusion, String text) {
    }

    private final List<Rule> rules = new ArrayList<>();

    static DockerIgnore parse(String text) {
        DockerIgnore d = new DockerIgnore();
        for (String line : text.lines().toList()) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            boolean exclusion = t.startsWith("!");
            String p = clean(exclusion ? t.substring(1).strip() : t);
            d.rules.add(new Rule(Pattern.compile(regex(p)), exclusion, t));
        }
        return d;
    }

    private static String clean(String p) {
        String c = p;
        while (c.startsWith("./") || c.startsWith("/")) {
            c = c.substring(c.startsWith("./") ? 2 : 1);
        }
        while (c.endsWith("/") && c.length() > 1) {
            c = c.substring(0, c.length() - 1);
        }
        return c;
    }

    private static String regex(String p) {
        StringBuilder sb = new StringBuilder("^");
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '*') {
                if (i + 1 < p.length() && p.charAt(i + 1) == '*') {
                    i++;
                    if (i + 1 < p.length() && p.charAt(i + 1) == '/') {
                        i++;
                        sb.append("(.*/)?"); // **/ : any number of folders, including none
                    } else {
                        sb.append(".*");
                    }
                } else {
                    sb.append("[^/]*");
                }
            } else if (c == '?') {
                sb.append("[^/]");
            } else {
                sb.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return sb.append("$").toString();
    }

    /** Whether a path relative to the context root (with '/') is left out of the build context. */
    boolean isIgnored(String relative) {
        String path = clean(relative);
        boolean ignored = false;
        for (Rule r : rules) {
            if (matchesOrParentMatches(r.pattern, path)) {
                ignored = !r.exclusion;
            }
        }
        return ignored;
    }

    private static boolean matchesOrParentMatches(Pattern p, String path) {
        if (p.matcher(path).matches()) {
            return true;
        }
        for (int slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
            if (p.matcher(path.substring(0, slash)).matches()) {
                return true;
            }
        }
        return false;
    }

    /** The files under a context path (a file or a folder) that the ignore rules leave out. */
    List<String> ignoredFilesUnder(Path contextRoot, String relative) {
        Path start = contextRoot.resolve(relative);
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(start)) {
            files.filter(Files::isRegularFile).forEach(f -> {
                String rel = contextRoot.relativize(f).toString().replace('\\', '/');
                if (isIgnored(rel)) {
                    out.add(rel);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
