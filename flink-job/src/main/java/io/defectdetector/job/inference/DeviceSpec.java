package io.defectdetector.job.inference;

import java.io.Serializable;
import java.util.Locale;

/**
 * Where inference runs: {@code auto} (CUDA device 0 when this ONNX Runtime build and the host support it, CPU
 * otherwise), {@code cpu}, or {@code cuda} / {@code cuda:<id>} (CUDA required; the job fails at start without it).
 */
public record DeviceSpec(Kind kind, int deviceId) implements Serializable {

    public enum Kind { AUTO, CPU, CUDA }

    public DeviceSpec {
        if (deviceId < 0) {
            throw new IllegalArgumentException("CUDA device id must be >= 0, got " + deviceId);
        }
    }

    public static DeviceSpec parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("auto")) {
            return new DeviceSpec(Kind.AUTO, 0);
        }
        if (s.equals("cpu")) {
            return new DeviceSpec(Kind.CPU, 0);
        }
        if (s.equals("cuda")) {
            return new DeviceSpec(Kind.CUDA, 0);
        }
        if (s.startsWith("cuda:")) {
            String id = s.substring("cuda:".length());
            if (!id.isEmpty() && id.length() <= 3 && id.chars().allMatch(Character::isDigit)) {
                return new DeviceSpec(Kind.CUDA, Integer.parseInt(id));
            }
        }
        throw new IllegalArgumentException("device '" + text + "' is not one of auto, cpu, cuda, cuda:<id> "
                + "(e.g. cuda:1)");
    }

    public boolean wantsCuda() {
        return kind != Kind.CPU;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case AUTO -> "auto";
            case CPU -> "cpu";
            case CUDA -> "cuda:" + deviceId;
        };
    }
}
