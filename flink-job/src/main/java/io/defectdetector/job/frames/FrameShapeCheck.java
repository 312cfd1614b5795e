package io.defectdetector.job.frames;

import io.defectdetector.frame.Frame;
import io.defectdetector.frame.FrameRejectedException;
import io.defectdetector.frame.RejectReason;
import java.io.Serializable;
import java.util.Locale;

/**
 * Whether a decoded frame can be fed to the loaded model ({@code WRONG_SHAPE} otherwise).
 *
 * <p>Preprocessing resizes any frame to the model's input and converts colour both ways (gray is replicated for
 * an RGB model, RGB becomes gray for a gray model: docs/model-card.md), so only two things are refused: a channel
 * count preprocessing has no rule for, and an aspect ratio so far from the model's that resizing would squash
 * the image into something the model never saw.
 */
public final class FrameShapeCheck implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int modelChannels;
    private final int modelWidth;
    private final int modelHeight;
    private final double aspectTolerance;

    /** @param aspectTolerance accepted when max(r, 1/r) <= 1 + tolerance, r = frame aspect / model aspect */
    public FrameShapeCheck(int modelChannels, int modelWidth, int modelHeight, double aspectTolerance) {
        if (modelChannels != 1 && modelChannels != 3) {
            throw new IllegalArgumentException("model channels must be 1 or 3, got " + modelChannels);
        }
        if (modelWidth < 1 || modelHeight < 1) {
            throw new IllegalArgumentException("model input must be at least 1x1, got " + modelWidth + "x"
                    + modelHeight);
        }
        if (!(aspectTolerance >= 0) || Double.isInfinite(aspectTolerance)) {
            throw new IllegalArgumentException("aspect tolerance must be finite and >= 0, got " + aspectTolerance);
        }
        this.modelChannels = modelChannels;
        this.modelWidth = modelWidth;
        this.modelHeight = modelHeight;
        this.aspectTolerance = aspectTolerance;
    }

    public void check(Frame frame) throws FrameRejectedException {
        check(frame.getWidth(), frame.getHeight(), frame.getChannels());
    }

    /** The same check on an image's dimensions alone (e.g. before sending a folder of images as frames). */
    public void check(int width, int height, int channels) throws FrameRejectedException {
        if (channels != 1 && channels != 3) {
            throw new FrameRejectedException(RejectReason.WRONG_SHAPE, "frame has " + channels
                    + " channels; preprocessing for a " + modelChannels + "-channel model takes 1 or 3");
        }
        double frameAspect = (double) width / height;
        double modelAspect = (double) modelWidth / modelHeight;
        double r = frameAspect / modelAspect;
        double factor = Math.max(r, 1 / r);
        // A tiny epsilon so that tolerance 0 accepts ratios equal up to rounding (e.g. 1920x1080 vs 16x9).
        if (factor > 1 + aspectTolerance + 1e-9) {
            throw new FrameRejectedException(RejectReason.WRONG_SHAPE, String.format(Locale.ROOT,
                    "frame %dx%d has aspect ratio %.3f, the model's %dx%d input has %.3f (off by a factor of "
                            + "%.3f, option frame-aspect-tolerance allows %.3f)",
                    width, height, frameAspect, modelWidth, modelHeight, modelAspect,
                    factor, 1 + aspectTolerance));
        }
    }
}
