package io.defectdetector.demo;

import io.defectdetector.factory.camera.FrameTruth;
import io.defectdetector.job.alerts.DefectAlert;
import io.defectdetector.job.scoring.DefectRegion;
import java.util.List;

/**
 * Whether alerts point at the defect, for alerts on defective frames whose defect location is known: an alert is
 * localised when the bounding box of one of its regions overlaps the true defect (holds one of its mask pixels),
 * and its top region (the largest error) is on the defect when that one's box does. An alert can be right about
 * the frame and still send a person to the wrong place; the frame-level figures cannot tell.
 *
 * @param alerts          alerts on defective frames with a known location
 * @param localised       of them, those with a region on the defect
 * @param topOnDefect     of them, those whose top region is on the defect
 * @param regions         regions in those alerts (at most the alert's list, 32)
 * @param regionsOnDefect of them, those on the defect
 */
public record Localisation(long alerts, long localised, long topOnDefect, long regions, long regionsOnDefect) {

    public static final Localisation NONE = new Localisation(0, 0, 0, 0, 0);

    /**
     * One alert against the truth of its frame; NONE for a false alarm, a defect of unknown location, or an alert
     * on the whole frame (cause frame: outside the input range, no regions by design).
     */
    public static Localisation of(DefectAlert alert, FrameTruth truth) {
        if (!truth.defective() || !truth.located() || DefectAlert.CAUSE_FRAME.equals(alert.getCause())) {
            return NONE;
        }
        List<DefectRegion> found = alert.getRegions() == null ? List.of() : alert.getRegions();
        long on = found.stream().filter(r -> truth.defectWithin(r.x(), r.y(), r.width(), r.height())).count();
        boolean top = !found.isEmpty() && truth.defectWithin(found.get(0).x(), found.get(0).y(),
                found.get(0).width(), found.get(0).height());
        return new Localisation(1, on > 0 ? 1 : 0, top ? 1 : 0, found.size(), on);
    }

    public Localisation plus(Localisation other) {
        return new Localisation(alerts + other.alerts, localised + other.localised, topOnDefect + other.topOnDefect,
                regions + other.regions, regionsOnDefect + other.regionsOnDefect);
    }

    public double localisedShare() {
        return alerts == 0 ? Double.NaN : (double) localised / alerts;
    }

    public double topOnDefectShare() {
        return alerts == 0 ? Double.NaN : (double) topOnDefect / alerts;
    }

    public double regionsOnDefectShare() {
        return regions == 0 ? Double.NaN : (double) regionsOnDefect / regions;
    }
}
