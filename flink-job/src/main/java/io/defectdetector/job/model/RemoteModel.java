package io.defectdetector.job.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;

/**
 * A model given as a URI ({@code s3://bucket/models/x/cae.onnx}, {@code file:///opt/models/x/}, ...), read through
 * Flink's file systems, so every scheme that has a Flink filesystem plugin works, as for checkpoints. The client
 * copies the .onnx file, its card and its golden vectors into a local folder and runs the start checks on that
 * copy; each TaskManager reads the .onnx file itself from the URI (and checks its SHA-256 against the client's).
 */
final class RemoteModel {
    static final String ONNX_SUFFIX = ".onnx";

    private RemoteModel() {
    }

    /** The files fetched: the local copy of the .onnx file, and the URI it came from. */
    record Fetched(Path localOnnx, String onnxUri) {
    }

    /**
     * Whether a model path is a URI: {@code scheme://...} with a scheme of two characters or more, or
     * {@code file:...}. {@code C:\models} is a Windows path and {@code v2:final/cae.onnx} a relative one.
     */
    static boolean isUri(String modelPath) {
        String p = modelPath.trim();
        return p.matches("(?s)[A-Za-z][A-Za-z0-9+.-]+://.*") || p.regionMatches(true, 0, "file:", 0, 5);
    }

    /**
     * Copies the .onnx file at {@code uri} (or the only one in the folder it names), its card and its
     * {@code golden/} folder into {@code into}, a new empty folder.
     *
     * @throws IllegalArgumentException saying what to fix
     */
    static Fetched fetch(String uri, Path into) {
        org.apache.flink.core.fs.Path location = parse(uri.trim());
        FileSystem fs = fileSystem(location, uri);
        FileStatus status = statusOrNull(fs, location, uri);
        if (status == null) {
            throw new IllegalArgumentException("model " + uri + " does not exist: set the model path to the .onnx "
                    + "file written by model-export, or to the folder holding it (its card beside it)");
        }
        org.apache.flink.core.fs.Path onnx = status.isDir() ? singleOnnxIn(fs, location, uri) : location;
        if (!onnx.getName().endsWith(ONNX_SUFFIX)) {
            throw new IllegalArgumentException("model " + uri + " is not an .onnx file: set the model path to "
                    + "the .onnx file written by model-export (its card lies beside it)");
        }
        org.apache.flink.core.fs.Path folder = onnx.getParent();
        String stem = onnx.getName().substring(0, onnx.getName().length() - ONNX_SUFFIX.length());
        org.apache.flink.core.fs.Path card = firstExisting(fs, uri, new org.apache.flink.core.fs.Path(folder,
                stem + ".card.json"), new org.apache.flink.core.fs.Path(folder, "model-card.json"));
        if (card == null) {
            throw new IllegalArgumentException("no model card beside " + onnx + ": expected " + stem
                    + ".card.json or model-card.json in " + folder + " (model-export writes it next to the .onnx; "
                    + "copy both files together)");
        }
        try {
            Path localOnnx = into.resolve(onnx.getName());
            Files.write(localOnnx, read(fs, onnx));
            Files.write(into.resolve(card.getName()), read(fs, card));
            org.apache.flink.core.fs.Path golden = new org.apache.flink.core.fs.Path(folder, "golden");
            FileStatus goldenStatus = statusOrNull(fs, golden, uri);
            if (goldenStatus != null && goldenStatus.isDir()) {
                Path localGolden = Files.createDirectories(into.resolve("golden"));
                for (FileStatus file : fs.listStatus(golden)) {
                    if (!file.isDir()) {
                        Files.write(localGolden.resolve(file.getPath().getName()), read(fs, file.getPath()));
                    }
                }
            }
            // Path.toString, not toUri().toString(): the URI form is escaped (a space as %20), and parsing it
            // again as a Path would escape the '%' once more and name another file.
            return new Fetched(localOnnx, onnx.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot copy model " + uri + " to " + into + ": " + e, e);
        }
    }

    /** Reads one file through Flink's file systems (on a TaskManager: the .onnx file at its URI). */
    static byte[] read(String uri) {
        org.apache.flink.core.fs.Path path = parse(uri);
        try {
            return read(fileSystem(path, uri), path);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model " + uri + ": " + e, e);
        }
    }

    private static org.apache.flink.core.fs.Path parse(String uri) {
        try {
            return new org.apache.flink.core.fs.Path(uri);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model path " + uri + " is not a valid URI (" + e.getMessage()
                    + "): write e.g. s3://bucket/models/x/cae.onnx or file:///opt/models/x/cae.onnx, or a plain "
                    + "local path", e);
        }
    }

    private static byte[] read(FileSystem fs, org.apache.flink.core.fs.Path path) throws IOException {
        try (InputStream in = fs.open(path)) {
            return in.readAllBytes();
        }
    }

    private static FileSystem fileSystem(org.apache.flink.core.fs.Path path, String uri) {
        try {
            return path.getFileSystem();
        } catch (IOException e) {
            // Flink's message names the plugin a scheme needs (e.g. flink-s3-fs-hadoop for s3://).
            throw new IllegalArgumentException("cannot read model " + uri + ": " + e.getMessage()
                    + " (a model URI is read through Flink's file systems, as checkpoints are)", e);
        }
    }

    private static FileStatus statusOrNull(FileSystem fs, org.apache.flink.core.fs.Path path, String uri) {
        try {
            return fs.exists(path) ? fs.getFileStatus(path) : null;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model " + uri + ": " + e, e);
        }
    }

    private static org.apache.flink.core.fs.Path firstExisting(FileSystem fs, String uri,
            org.apache.flink.core.fs.Path... candidates) {
        for (org.apache.flink.core.fs.Path candidate : candidates) {
            FileStatus status = statusOrNull(fs, candidate, uri);
            if (status != null && !status.isDir()) {
                return candidate;
            }
        }
        return null;
    }

    private static org.apache.flink.core.fs.Path singleOnnxIn(FileSystem fs, org.apache.flink.core.fs.Path folder,
            String uri) {
        List<org.apache.flink.core.fs.Path> candidates = new ArrayList<>();
        try {
            for (FileStatus file : fs.listStatus(folder)) {
                if (!file.isDir() && file.getPath().getName().endsWith(ONNX_SUFFIX)) {
                    candidates.add(file.getPath());
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list model folder " + uri + ": " + e, e);
        }
        candidates.sort(Comparator.comparing(org.apache.flink.core.fs.Path::getName));
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("model folder " + uri + " contains no .onnx file: point the model "
                    + "path at the folder model-export wrote, or at the .onnx file itself");
        }
        if (candidates.size() > 1) {
            throw new IllegalArgumentException("model folder " + uri + " contains several .onnx files "
                    + candidates.stream().map(org.apache.flink.core.fs.Path::getName).toList()
                    + ": set the model path to the one to load");
        }
        return candidates.get(0);
    }
}
