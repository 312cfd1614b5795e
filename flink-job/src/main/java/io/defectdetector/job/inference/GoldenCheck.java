package io.defectdetector.job.inference;

import ai.onnxruntime.OrtException;
import io.defectdetector.frame.Frame;
import io.defectdetector.job.model.GoldenVectors;
import io.defectdetector.job.model.ModelBundle;
import io.defectdetector.job.model.ModelCard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Training/serving parity at start: the golden images model-export wrote beside the model are decoded,
 * preprocessed and scored here (ONNX Runtime on the CPU) and must reproduce what PyTorch computed, within the
 * tolerances golden.json gives. A model exported with another preprocessing than this job implements, a card
 * or golden folder from another export, or an ONNX graph that ONNX Runtime evaluates differently would otherwise
 * score every frame wrongly without a single error.
 */
public final class GoldenCheck {
    static final String OPTION_HINT = "set model-verify-golden=false to start anyway";

    private GoldenCheck() {
    }

    /**
     * What was checked: the number of images, and the largest deviation of each output as a fraction of its
     * tolerance (1.0 = at the tolerance).
     */
    public record Report(Path golden, int images, double preprocessed, double score, double errorMap,
            boolean outputsChecked) {
        @Override
        public String toString() {
            return String.format("%d golden images in %s reproduce: largest deviation %.2f of the tolerance in "
                    + "the preprocessed input%s", images, golden, preprocessed, outputsChecked
                    ? String.format(", %.2f in the score, %.2f in the error map", score, errorMap)
                    : " (the model has no scoring head: outputs not compared)");
        }
    }

    /**
     * @return empty when the model has no {@code golden/golden.json} beside it
     * @throws IllegalArgumentException naming the image, the value and what to fix when parity does not hold
     */
    public static Optional<Report> verify(ModelBundle model) {
        Path folder = model.onnxPath().getParent();
        Path json = GoldenVectors.jsonIn(folder);
        if (!Files.isRegularFile(json)) {
            return Optional.empty();
        }
        GoldenVectors golden;
        List<GoldenVectors.Image> images;
        try {
            golden = GoldenVectors.load(folder);
            images = golden.images();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("golden vectors " + json + " cannot be read (" + e.getMessage()
                    + "): re-export the model with model-export, or " + OPTION_HINT, e);
        }
        if (images.isEmpty()) {
            throw new IllegalArgumentException("golden vectors " + json + " list no images: re-export the model "
                    + "with model-export, or " + OPTION_HINT);
        }
        ModelCard card = model.card();
        Preprocessor preprocessor = new Preprocessor(card);
        InferenceSettings settings = new InferenceSettings("cpu", 1, 1, 1, 0, false);
        double worstInput = 0;
        double worstScore = 0;
        double worstMap = 0;
        try (OnnxInferenceEngine engine = OnnxInferenceEngine.open(model, settings)) {
            for (GoldenVectors.Image image : images) {
                Frame frame = decode(image, json);
                float[] input = preprocessor.preprocess(frame);
                if (input.length != image.preprocessed().length) {
                    throw new IllegalArgumentException("golden vectors " + json + " were made for another model: "
                            + "their input " + image.file() + " has " + image.preprocessed().length + " values, "
                            + "this card's " + card.channels() + "x" + card.height() + "x" + card.width() + " input "
                            + input.length + "; put the golden/ folder exported with this model beside it, or "
                            + OPTION_HINT);
                }
                worstInput = Math.max(worstInput, worst(golden, "preprocessed", image, input, image.preprocessed(),
                        "the job's preprocessing differs from model-export's (card: color " + card.color()
                                + ", resize " + card.resize() + "); export the model with the model-export of "
                                + "this release"));
                if (!card.hasScoringHead()) {
                    continue;
                }
                preprocessor.write(frame, engine.inputBuffer(), 0);
                BatchResult result = engine.run(1);
                String graph = "ONNX Runtime does not compute what PyTorch computed: the card or golden folder "
                        + "belongs to another export of the model, or the graph uses an operator that ONNX Runtime "
                        + "evaluates differently";
                worstScore = Math.max(worstScore, worst(golden, "score", image, result.scores(),
                        new float[] {image.score()}, graph));
                worstMap = Math.max(worstMap, worst(golden, "error_map", image, result.errorMaps()[0],
                        image.errorMap(), graph));
            }
        } catch (OrtException e) {
            throw new IllegalArgumentException("ONNX Runtime cannot run model " + model.onnxPath()
                    + " on its golden images: " + e.getMessage(), e);
        }
        return Optional.of(new Report(json.getParent(), images.size(), worstInput, worstScore, worstMap,
                card.hasScoringHead()));
    }

    private static Frame decode(GoldenVectors.Image image, Path json) {
        try {
            return image.decode();
        } catch (Exception e) {
            throw new IllegalArgumentException("golden image " + image.file() + " of " + json + " cannot be "
                    + "decoded by the job (" + e.getMessage() + "): re-export the model with model-export, or "
                    + OPTION_HINT, e);
        }
    }

    /** The largest |actual - expected| as a fraction of its tolerance; throws where it exceeds 1. */
    static double worst(GoldenVectors golden, String output, GoldenVectors.Image image, float[] actual,
            float[] expected, String cause) {
        if (actual.length != expected.length) {
            throw new IllegalArgumentException("golden image " + image.file() + ": the job's " + output + " has "
                    + actual.length + " values, model-export's " + expected.length + "; " + cause + ", or "
                    + OPTION_HINT);
        }
        double worst = 0;
        for (int k = 0; k < expected.length; k++) {
            double tolerance = golden.tolerance(output, expected[k]);
            double ratio = Math.abs(actual[k] - expected[k]) / tolerance;
            if (!(ratio <= 1)) {  // also NaN
                throw new IllegalArgumentException(String.format("golden image %s: %s value %d is %s here and %s "
                        + "in model-export (tolerance %.3g); %s, or %s", image.file(), output, k, actual[k],
                        expected[k], tolerance, cause, OPTION_HINT));
            }
            worst = Math.max(worst, ratio);
        }
        return worst;
    }
}
