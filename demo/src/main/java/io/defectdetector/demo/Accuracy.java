package io.defectdetector.demo;

import io.defectdetector.factory.camera.FrameTruth;
import io.defectdetector.factory.camera.GroundTruth;
import java.util.Collection;
import java.util.Set;

/** Frame-level agreement of alerts with the ground truth: an alert on a defective frame is a true positive. */
public record Accuracy(long truePositives, long falsePositives, long falseNegatives, long trueNegatives) {

    /** @param decided frames the job has decided (scored); frames still in flight are not counted */
    public static Accuracy of(Collection<FrameTruth> truth, Set<GroundTruth.Key> alerted, Set<GroundTruth.Key> decided) {
        long tp = 0;
        long fp = 0;
        long fn = 0;
        long tn = 0;
        for (FrameTruth frame : truth) {
            GroundTruth.Key key = new GroundTruth.Key(frame.cameraId(), frame.frameId());
            if (!decided.contains(key)) {
                continue;
            }
            boolean alert = alerted.contains(key);
            if (alert && frame.defective()) {
                tp++;
            } else if (alert) {
                fp++;
            } else if (frame.defective()) {
                fn++;
            } else {
                tn++;
            }
        }
        return new Accuracy(tp, fp, fn, tn);
    }

    public double precision() {
        return truePositives + falsePositives == 0 ? Double.NaN
                : (double) truePositives / (truePositives + falsePositives);
    }

    public double recall() {
        return truePositives + falseNegatives == 0 ? Double.NaN
                : (double) truePositives / (truePositives + falseNegatives);
    }

    public long frames() {
        return truePositives + falsePositives + falseNegatives + trueNegatives;
    }
}
