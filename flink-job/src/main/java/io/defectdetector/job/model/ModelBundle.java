package io.defectdetector.job.model;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * An ONNX file and its validated model card, as the job loads them.
 *
 * <p>Located on the client when the job is built (so a bad path or card fails the submission, not a running
 * job) and shipped to the TaskManagers inside the operator; each subtask then reads the ONNX file from the same
 * path, so the path must resolve on every TaskManager (baked into the image or on a shared volume), or from the
 * same URI ({@link RemoteModel}: s3://, hdfs://, file://..., through Flink's file systems). The file's SHA-256 is
 * taken here and checked again when a subtask loads it, so a TaskManager holding a different file under that path
 * refuses to start instead of scoring with another model.
 */
public final class ModelBundle implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final String ONNX_SUFFIX = ".onnx";

    /** A String, not a Path: Path is not Serializable. For a model given as a URI, the client's local copy. */
    private final String onnxPath;
    /** The .onnx file's URI when the model was given as one, else null: where the TaskManagers read it. */
    private final String onnxUri;
    private final String sha256;
    private final ModelCard card;
    /** The client's temporary folder holding the copy of a URI model, until released; else null. */
    private transient Path localCopy;

    private ModelBundle(Path onnxPath, String onnxUri, String sha256, ModelCard card, Path localCopy) {
        this.onnxPath = onnxPath.toString();
        this.onnxUri = onnxUri;
        this.sha256 = sha256;
        this.card = card;
        this.localCopy = localCopy;
    }

    /**
     * @param modelPath the .onnx file, or a folder holding exactly one .onnx file, as a local path or a URI; the
     *                  card is {@code <stem>.card.json} or {@code model-card.json} beside it
     * @throws IllegalArgumentException saying what to fix when a file is missing, unreadable or inconsistent
     */
    public static ModelBundle locate(String modelPath) {
        if (modelPath == null || modelPath.isBlank()) {
            throw new IllegalArgumentException("model path is empty: set it to the .onnx file written by "
                    + "model-export (e.g. models/default/cae.onnx)");
        }
        if (!RemoteModel.isUri(modelPath)) {
            return locateLocal(Path.of(modelPath).toAbsolutePath().normalize(), null, null);
        }
        Path copy = LocalCopies.create();
        ModelBundle located = null;
        try {
            RemoteModel.Fetched fetched = RemoteModel.fetch(modelPath, copy);
            located = locateLocal(fetched.localOnnx(), fetched.onnxUri(), copy);
            return located;
        } finally {
            if (located == null) { // refused, or anything else (an OutOfMemoryError on a huge file): no copy left
                LocalCopies.delete(copy);
            }
        }
    }

    private static ModelBundle locateLocal(Path path, String onnxUri, Path localCopy) {
        if (Files.isDirectory(path)) {
            path = singleOnnxIn(path);
        } else if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("model file " + path + " does not exist: set the model path to the "
                    + ".onnx file written by model-export, or to the folder holding it");
        } else if (!path.getFileName().toString().endsWith(ONNX_SUFFIX)) {
            throw new IllegalArgumentException("model file " + path + " is not an .onnx file: set the model path to "
                    + "the .onnx file written by model-export (its card lies beside it)");
        }
        ModelCard card = ModelCard.read(cardBeside(path));
        String sha = sha256(readModel(path));
        if (card.onnxSha256() != null && !card.onnxSha256().equals(sha)) {
            throw new IllegalArgumentException("model card " + card.origin() + " describes another ONNX file (its "
                    + "onnx.sha256 is " + card.onnxSha256() + ", " + path.getFileName() + " has " + sha
                    + "): put the card exported with this model beside it");
        }
        return new ModelBundle(path, onnxUri, sha, card, localCopy);
    }

    /**
     * Deletes the client's local copy of a model given as a URI, once the start checks are done with it (the
     * TaskManagers read the URI, never the copy); {@link #onnxPath()} then names a deleted file. Nothing for a
     * model given as a local path. Whoever locates a URI model releases it: {@link #locate} itself when it
     * refuses the model, the start checks when they are done.
     *
     * @return this bundle
     */
    public ModelBundle releaseLocalCopy() {
        if (localCopy != null) {
            LocalCopies.delete(localCopy);
            localCopy = null;
        }
        return this;
    }

    public Path onnxPath() {
        return Path.of(onnxPath);
    }

    public ModelCard card() {
        return card;
    }

    /** Lower-case hex SHA-256 of the ONNX file as located. */
    public String sha256() {
        return sha256;
    }

    /**
     * Reads the ONNX file on a TaskManager, refusing a file that differs from the one located on the client.
     */
    public byte[] readVerifiedModel() {
        String where = onnxUri != null ? onnxUri : onnxPath;
        byte[] bytes = onnxUri != null ? RemoteModel.read(onnxUri) : readModel(onnxPath());
        String actual = sha256(bytes);
        if (!actual.equals(sha256)) {
            throw new IllegalStateException("model file " + where + " on this TaskManager (sha256 " + actual
                    + ") differs from the one the job was submitted with (sha256 " + sha256 + "): deploy the same "
                    + "model file to every TaskManager");
        }
        return bytes;
    }

    @Override
    public String toString() {
        String where = onnxUri == null ? onnxPath
                : onnxUri + (localCopy != null ? " (copied to " + onnxPath + ")" : " (checked on a local copy)");
        return "ModelBundle{" + where + ", " + card.name() + " " + card.version() + "}";
    }

    private static Path singleOnnxIn(Path folder) {
        List<Path> candidates;
        try (Stream<Path> files = Files.list(folder)) {
            candidates = files.filter(p -> p.getFileName().toString().endsWith(ONNX_SUFFIX))
                    .filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list model folder " + folder + ": " + e, e);
        }
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("model folder " + folder + " contains no .onnx file: point the "
                    + "model path at the folder model-export wrote, or at the .onnx file itself");
        }
        if (candidates.size() > 1) {
            throw new IllegalArgumentException("model folder " + folder + " contains several .onnx files "
                    + candidates.stream().map(p -> p.getFileName().toString()).toList()
                    + ": set the model path to the one to load");
        }
        return candidates.get(0);
    }

    private static Path cardBeside(Path onnx) {
        String file = onnx.getFileName().toString();
        String stem = file.substring(0, file.length() - ONNX_SUFFIX.length());
        Path named = onnx.resolveSibling(stem + ".card.json");
        if (Files.isRegularFile(named)) {
            return named;
        }
        Path generic = onnx.resolveSibling("model-card.json");
        if (Files.isRegularFile(generic)) {
            return generic;
        }
        throw new IllegalArgumentException("no model card beside " + onnx + ": expected " + named.getFileName()
                + " or model-card.json in " + onnx.getParent() + " (model-export writes it next to the .onnx; "
                + "copy both files together)");
    }

    /**
     * The client's local copies of URI models: a new private folder per start (two starts at once must not share
     * one), deleted when released. No shutdown hook: on a session cluster each submission loads this class again
     * in its own class loader, which a hook would keep alive; the start checks release the copy on every path.
     */
    private static final class LocalCopies {
        private LocalCopies() {
        }

        static Path create() {
            try {
                return Files.createTempDirectory("defect-detector-model-");
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot create a temporary folder for the model's local copy: "
                        + e, e);
            }
        }

        static void delete(Path folder) {
            try (Stream<Path> files = Files.walk(folder)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | RuntimeException ignored) {
                // a temporary folder: the OS cleans it up in the end
            }
        }
    }

    private static byte[] readModel(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model file " + path + ": " + e, e);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
