import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import java.util.EnumSet;

/**
 * Build-time smoke test of the image: loads ONNX Runtime's native code the way the job will (the ORT jar from
 * Flink's lib/, natives from LD_LIBRARY_PATH), lists the execution providers compiled into it, and opens the
 * bundled model on the CPU. A broken image then fails at {@code docker build}, not at the first frame.
 *
 * <p>Usage: {@code java -cp <ort jar>:<dir of this class> OrtCheck [model.onnx] [REQUIRED_PROVIDER...]}.
 * The CUDA provider cannot be instantiated without a GPU; its shared libraries are checked with ldd instead.
 */
public final class OrtCheck {
    private OrtCheck() {
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
