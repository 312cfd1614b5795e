package io.defectdetector.job.control;

import io.defectdetector.job.scoring.ScoredFrame;

/** Scored frames and commands built in memory for the thresholds tests. */
final class ControlTesting {
    static final String SCALE = "calibrated:8x8";
    static final String MODEL = "cae 1";

    private ControlTesting() {
    }

    /** An 8x8 frame whose error map is 0 except a 2x2 block of value {@code blob} at (2,2). */
    static ScoredFrame frame(String camera, String line, String frameId, float score, float blob) {
        ScoredFrame f = new ScoredFrame();
        f.setCameraId(camera);
        f.setLine(line);
        f.setFrameId(frameId);
        f.setCaptureTimeMs(1_000L);
        f.setImageWidth(8);
        f.setImageHeight(8);
        f.setMapWidth(8);
        f.setMapHeight(8);
        f.setModelName("cae");
        f.setModelVersion("1");
        f.setScore(score);
        float[] map = new float[64];
        for (int y = 2; y < 4; y++) {
            for (int x = 2; x < 4; x++) {
                map[y * 8 + x] = blob;
            }
        }
        f.setErrorMap(map);
        return f;
    }

    static ControlCommand command(String json, long offset) throws ControlCommandException {
        ControlCommand c = ControlCommandParser.parse(json);
        c.setCommandId("control-0-" + offset);
        c.setRequestedAtMs(1_700_000_000_000L + offset);
        return c;
    }
}
