package io.defectdetector.job.thresholds;

import io.defectdetector.job.LocalFlink;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.OperatorTransformation;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.SavepointWriter;
import org.apache.flink.state.api.functions.BroadcastStateBootstrapFunction;
import org.apache.flink.state.api.runtime.SavepointLoader;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * Reads and rewrites the threshold overrides inside a savepoint with Flink's State Processor API: the broadcast
 * state {@link ThresholdsFunction#STATE} of the operator with uid {@code thresholds}. Every other operator's state
 * is carried over untouched.
 *
 * <p>Each run executes a small batch job on a local mini cluster inside this JVM (the state is a few kB). On Java
 * 17 that JVM needs {@code --add-opens=java.base/java.lang=ALL-UNNAMED} for the savepoint writer
 * (docs/operations.md shows the launcher).
 */
public final class ThresholdsSavepoint {
    public static final OperatorIdentifier OPERATOR = OperatorIdentifier.forUid(ThresholdStage.THRESHOLDS_UID);
    private static final TypeInformation<Tuple2<String, ThresholdOverride>> ENTRY =
            Types.TUPLE(Types.STRING, TypeInformation.of(ThresholdOverride.class));

    private ThresholdsSavepoint() {
    }

    /** The overrides stored in a savepoint (or retained checkpoint), sorted by key. */
    public static Map<String, ThresholdOverride> read(String savepointPath) throws Exception {
        Map<String, ThresholdOverride> overrides = new TreeMap<>();
        // No state for the operator (its last override removed offline, or none ever set): no overrides.
        if (SavepointLoader.loadSavepointMetadata(savepointPath).getOperatorStates().stream()
                .noneMatch(s -> s.getOperatorID().equals(OPERATOR.getOperatorId()))) {
            return overrides;
        }
        StreamExecutionEnvironment env = environment();
        SavepointReader savepoint = SavepointReader.read(env, savepointPath);
        DataStream<Tuple2<String, ThresholdOverride>> entries = savepoint.readBroadcastState(OPERATOR,
                ThresholdsFunction.STATE.getName(), Types.STRING, TypeInformation.of(ThresholdOverride.class));
        try (CloseableIterator<Tuple2<String, ThresholdOverride>> it = entries.executeAndCollect(
                "read thresholds from " + savepointPath)) {
            // Every parallel instance stored the same copy; a reader may see it once per instance.
            it.forEachRemaining(e -> overrides.put(e.f0, e.f1));
        }
        return overrides;
    }

    /**
     * Writes a new savepoint at {@code outputPath}: a copy of {@code savepointPath} whose thresholds operator
     * holds exactly {@code overrides}.
     */
    public static void write(String savepointPath, String outputPath, Map<String, ThresholdOverride> overrides)
            throws Exception {
        Path out = new Path(outputPath);
        if (out.getFileSystem().exists(out)) {
            throw new IllegalArgumentException("output " + outputPath + " already exists; choose a new folder "
                    + "(a savepoint is never overwritten)");
        }
        StreamExecutionEnvironment env = environment();
        List<Tuple2<String, ThresholdOverride>> entries = new ArrayList<>();
        overrides.forEach((k, v) -> entries.add(Tuple2.of(k, v)));
        SavepointWriter writer = SavepointWriter.fromExistingSavepoint(env, savepointPath).removeOperator(OPERATOR);
        if (!entries.isEmpty()) {
            // One writer instance: broadcast state is restored to every instance from one copy.
            DataStream<Tuple2<String, ThresholdOverride>> data = env.fromData(entries, ENTRY).setParallelism(1);
            writer.withOperator(OPERATOR, OperatorTransformation.bootstrapWith(data)
                    .transform(new Bootstrap()));
        }
        writer.write(outputPath);
        try {
            env.execute("write thresholds to " + outputPath);
        } catch (Exception | Error e) {
            // Whatever the failure left (at least the folder) would block the retry: the output did not exist.
            try {
                out.getFileSystem().delete(out, true);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private static StreamExecutionEnvironment environment() {
        Configuration conf = LocalFlink.loopbackOnly(new Configuration());
        conf.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.BATCH);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(1);
        return env;
    }

    /** Puts each entry into the broadcast state under the job's descriptor. */
    static final class Bootstrap extends BroadcastStateBootstrapFunction<Tuple2<String, ThresholdOverride>> {
        private static final long serialVersionUID = 1L;

        @Override
        public void processElement(Tuple2<String, ThresholdOverride> entry, Context ctx) throws Exception {
            BroadcastState<String, ThresholdOverride> state = ctx.getBroadcastState(ThresholdsFunction.STATE);
            state.put(entry.f0, entry.f1);
        }
    }

    /**
     * Lets savepoints on S3 and other plugin filesystems be read and written as the job does: loads Flink's
     * configuration ({@code FLINK_CONF_DIR}, else {@code $FLINK_HOME/conf} when present), applies {@code extra}
     * on top (e.g. {@code s3.endpoint}) and loads the filesystem plugins ({@code FLINK_PLUGINS_DIR}, else
     * {@code ./plugins}).
     */
    static void initializeFileSystems(Map<String, String> extra) {
        String confDir = System.getenv("FLINK_CONF_DIR");
        if (confDir == null && System.getenv("FLINK_HOME") != null) {
            java.nio.file.Path home = java.nio.file.Path.of(System.getenv("FLINK_HOME"), "conf");
            confDir = java.nio.file.Files.isDirectory(home) ? home.toString() : null;
        }
        Configuration conf = confDir == null ? new Configuration()
                : org.apache.flink.configuration.GlobalConfiguration.loadConfiguration(confDir);
        extra.forEach(conf::setString);
        FileSystem.initialize(conf, org.apache.flink.core.plugin.PluginUtils.createPluginManagerFromRootFolder(conf));
    }
}
