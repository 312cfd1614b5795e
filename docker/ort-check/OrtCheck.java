import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;

/**
 * Build-time smoke test of the image: loads ONNX Runtime's native code the way the job will (the ORT jar from
 * Flink's lib/, natives from LD_LIBRARY_PATH), lists the execution providers compiled into it, and opens the
 * bundled model on the CPU. A broken image then fails at {@code docker build}, not at the first frame.
 *
 * <p>Usage: {@code java -cp <ort jar>:<dir of this class> OrtCheck [model.onnx] [REQUIRED_PROVIDER...]}.
 * The CUDA provider cannot be instantiated without a GPU: its library is checked to be where ORT's Java API looks
 * for it, and its dependencies with ldd.
 */
public final class OrtCheck {
    private OrtCheck() {
    }

    /**
     * A shared provider library where ORT's Java API looks for it when its natives are outside the jar: the folder
     * of -Donnxruntime.native.path (LD_LIBRARY_PATH is not consulted for provider libraries).
     */
    private static void checkReachable(String library) {
        String dir = System.getProperty("onnxruntime.native.path");
        String file = System.mapLibraryName(library);
        if (dir == null || !Files.isRegularFile(Path.of(dir, file))) {
            throw new IllegalStateException(file + " is not in the folder of -Donnxruntime.native.path (" + dir
                    + "): ONNX Runtime would not find its provider");
        }
        System.out.println(file + " found in " + dir);
    }

    public static void main(String[] args) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        EnumSet<OrtProvider> providers = OrtEnvironment.getAvailableProviders();
        System.out.println("ONNX Runtime " + env.getVersion() + ", execution providers: " + providers);
        for (int i = 1; i < args.length; i++) {
            OrtProvider required = OrtProvider.valueOf(args[i]);
            if (!providers.contains(required)) {
                throw new IllegalStateException("execution provider " + required + " is missing: " + providers);
            }
            if (required == OrtProvider.CUDA) {
                checkReachable("onnxruntime_providers_cuda");
            }
        }
        if (args.length > 0 && !args[0].isEmpty()) {
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                    OrtSession session = env.createSession(args[0], options)) {
                System.out.println("model " + args[0] + " opened on CPU: inputs " + session.getInputInfo().keySet()
                        + ", outputs " + session.getOutputInfo().keySet());
            }
        }
    }
}
