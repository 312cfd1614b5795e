package io.defectdetector.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where ONNX Runtime spends a run: its profiler's JSON (one event per node execution) summed by operator type,
 * so the model's own cost can be told apart from the pipeline's (and a GPU build shows which ops left the CPU).
 */
final class OrtProfile {
    private OrtProfile() {
    }

    /** Operator type -> share of node time, largest first, as "Conv 61.2% (3.1 ms/run)". */
    static List<String> summarise(Path profileJson, int limit) throws IOException {
        JsonNode events = new ObjectMapper().readTree(profileJson.toFile());
        Map<String, Long> byOp = new HashMap<>();
        long total = 0;
        long runs = 0;
        for (JsonNode e : events) {
            String cat = e.path("cat").asText();
            if (cat.equals("Session") && e.path("name").asText().equals("model_run")) {
                runs++;
            }
            if (!cat.equals("Node") || !e.path("name").asText().endsWith("_kernel_time")) {
                continue;
            }
            long dur = e.path("dur").asLong();
            byOp.merge(e.path("args").path("op_name").asText("?"), dur, Long::sum);
            total += dur;
        }
        List<Map.Entry<String, Long>> sorted = new ArrayList<>(byOp.entrySet());
        sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Long> e : sorted.subList(0, Math.min(limit, sorted.size()))) {
            out.add(String.format(Locale.ROOT, "%-14s %5.1f%%  %7.2f ms/run", e.getKey(),
                    100.0 * e.getValue() / Math.max(1, total), e.getValue() / 1000.0 / Math.max(1, runs)));
        }
        return out;
    }
}
