package io.defectdetector.job.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Map;

/**
 * Checks a model card against the graph ONNX Runtime actually loaded, so a card copied beside the wrong model
 * (or a model exported with other settings) stops the job at start with a message naming the mismatch.
 */
public final class ModelCompatibility {

    private ModelCompatibility() {
    }

    public static void check(ModelCard card, OrtSession session) {
        check(card, session, 0);
    }

    /**
     * @param maxBatchSize the largest batch the job will feed, checked against a fixed batch axis; 0 skips it
     * @throws IllegalArgumentException naming the first mismatch and what to fix
     */
    public static void check(ModelCard card, OrtSession session, int maxBatchSize) {
        Map<String, NodeInfo> inputs;
        Map<String, NodeInfo> outputs;
        try {
            inputs = session.getInputInfo();
            outputs = session.getOutputInfo();
        } catch (OrtException e) {
            throw new IllegalArgumentException("cannot read the inputs/outputs of the ONNX graph: " + e.getMessage(), e);
        }
        String where = "model card " + card.origin() + " does not match its ONNX graph: ";

        NodeInfo input = inputs.get(card.inputName());
        if (input == null) {
            throw new IllegalArgumentException(where + "input.name is '" + card.inputName() + "' but the graph's "
                    + "inputs are " + inputs.keySet());
        }
        if (inputs.size() != 1) {
            throw new IllegalArgumentException(where + "the graph has inputs " + inputs.keySet()
                    + " but the job feeds exactly one ('" + card.inputName() + "'); re-export with a single input");
        }
        long[] inputShape = floatShape(where, "input '" + card.inputName() + "'", input);
        requireShape(where, "input '" + card.inputName() + "'", inputShape,
                new long[] {-1, card.channels(), card.height(), card.width()}, "input.channels/height/width");
        requireBatchAxis(where, "input '" + card.inputName() + "'", inputShape[0], maxBatchSize);

        if (card.hasScoringHead()) {
            long[] map = requiredOutput(where, outputs, card.errorMapOutput(), "error_map");
            requireShape(where, "output '" + card.errorMapOutput().name() + "'", map,
                    new long[] {-1, 1, card.mapHeight(), card.mapWidth()}, "outputs.error_map");
            requireBatchAxis(where, "output '" + card.errorMapOutput().name() + "'", map[0], maxBatchSize);
            long[] score = requiredOutput(where, outputs, card.scoreOutput(), "score");
            requireShape(where, "output '" + card.scoreOutput().name() + "'", score, new long[] {-1},
                    "outputs.score");
        } else {
            if (outputs.containsKey("error_map") && outputs.containsKey("score")) {
                // The Java fallback's squared error is in other units than the thresholds a scoring head's
                // card holds (calibrated for the graph's score): it would hardly ever alert.
                throw new IllegalArgumentException(where + "the graph outputs 'error_map' and 'score' but the card "
                        + "names only '" + card.reconstructionOutput().name() + "', so the job would score with its "
                        + "Java fallback against thresholds meant for the graph's score; export the card again "
                        + "(model-export names all three outputs)");
            }
            long[] recon = requiredOutput(where, outputs, card.reconstructionOutput(), "reconstruction");
            requireShape(where, "output '" + card.reconstructionOutput().name() + "'", recon,
                    new long[] {-1, card.channels(), card.height(), card.width()}, "outputs.reconstruction");
        }
        if (maxBatchSize > 0) {
            requireBatchBuffersFit(card, maxBatchSize);
        }
    }

    /**
     * Each subtask holds one batch of inputs and of outputs in direct buffers, and a Java buffer holds at most
     * 2 GiB: a batch size the options accept (up to 4096) can pass that for a large model, which would otherwise
     * fail only when the subtasks open, over and over on the cluster.
     *
     * @throws IllegalArgumentException naming the largest batch size that fits
     */
    public static void requireBatchBuffersFit(ModelCard card, int maxBatchSize) {
        long image = (long) card.channels() * card.height() * card.width();
        long perFrame = Float.BYTES * (card.hasScoringHead() ? Math.max(image,
                (long) card.mapHeight() * card.mapWidth()) : image);
        if (maxBatchSize * perFrame > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "batch-max-size %d is too "
                    + "large for model %s: a batch of its %dx%dx%d input takes %d MiB, over the 2 GiB a Java buffer "
                    + "holds; set batch-max-size to %d or less", maxBatchSize, card.origin(), card.channels(),
                    card.height(), card.width(), maxBatchSize * perFrame >> 20, Integer.MAX_VALUE / perFrame));
        }
    }

    /** How far from the input's aspect ratio model-export takes training images without --squash. */
    public static final double UNSQUASHED_ASPECT_TOLERANCE = 0.25;

    /**
     * A model trained on squashed images (model-export --squash) expects frames of their shape, which the job
     * rejects as WRONG_SHAPE below the tolerance its card names: every frame would go to the dead letters. Within
     * model-export's own 0.25 the cameras' frames may well have the input's exact shape, so a tighter tolerance
     * only warns.
     *
     * @return a warning when the tolerance is below the card's but within 0.25, else empty
     * @throws IllegalArgumentException naming the tolerance to set, for a model trained on squashed images
     */
    public static Optional<String> checkFrameAspectTolerance(ModelCard card, double tolerance) {
        double needed = card.minFrameAspectTolerance();
        if (tolerance + 1e-9 >= needed) {
            return Optional.empty();
        }
        String message = String.format(Locale.ROOT, "model %s was trained on images up to %.3f off the aspect "
                + "ratio of its %dx%d input%s: with frame-aspect-tolerance %s the job rejects frames shaped like "
                + "them as WRONG_SHAPE", card.origin(), needed, card.width(), card.height(),
                needed > UNSQUASHED_ASPECT_TOLERANCE + 1e-9 ? " (model-export --squash)" : "", tolerance);
        if (needed > UNSQUASHED_ASPECT_TOLERANCE + 1e-9) {
            throw new IllegalArgumentException(message + "; set frame-aspect-tolerance to at least " + needed);
        }
        return Optional.of(message + " (frames of the input's own shape pass)");
    }

    private static long[] requiredOutput(String where, Map<String, NodeInfo> outputs, ModelCard.TensorSpec spec,
            String role) {
        NodeInfo node = outputs.get(spec.name());
        if (node == null) {
            throw new IllegalArgumentException(where + "outputs." + role + ".name is '" + spec.name()
                    + "' but the graph's outputs are " + outputs.keySet());
        }
        return floatShape(where, "output '" + spec.name() + "'", node);
    }

    private static long[] floatShape(String where, String what, NodeInfo node) {
        ValueInfo info = node.getInfo();
        if (!(info instanceof TensorInfo tensor) || tensor.type != OnnxJavaType.FLOAT) {
            throw new IllegalArgumentException(where + what + " must be a float32 tensor, the graph has " + info);
        }
        return tensor.getShape();
    }

    /** Expected -1 accepts any graph dimension; a graph dimension of -1 (symbolic) accepts any expected value. */
    private static void requireShape(String where, String what, long[] actual, long[] expected, String cardField) {
        boolean ok = actual.length == expected.length;
        for (int i = 0; ok && i < actual.length; i++) {
            ok = expected[i] == -1 || actual[i] < 0 || actual[i] == expected[i];
        }
        if (!ok) {
            throw new IllegalArgumentException(where + what + " has shape " + Arrays.toString(actual)
                    + " in the graph but the card (" + cardField + ") says " + Arrays.toString(expected)
                    + " (-1 = any); use the card exported with this model");
        }
    }

    /** Batches shrink when the wait time expires, so a fixed batch axis only works at 1 with batches of 1. */
    private static void requireBatchAxis(String where, String what, long batchDim, int maxBatchSize) {
        if (batchDim > 0 && maxBatchSize > 0 && (batchDim != 1 || maxBatchSize != 1)) {
            throw new IllegalArgumentException(where + what + " has a fixed batch size of " + batchDim
                    + " but batches of 1 to " + maxBatchSize + " frames are fed; re-export with a dynamic batch "
                    + "axis" + (batchDim == 1 ? " or set the maximum batch size to 1" : ""));
        }
    }
}
