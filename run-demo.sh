#!/usr/bin/env bash
# Builds what the demo needs and runs it: local Kafka, simulated cameras, the detection job on a local Flink
# MiniCluster with the default model, live status and alert overlays. Options: ./run-demo.sh --help
# Extra Maven flags (e.g. -o for offline) can be given in MAVEN_ARGS; DEMO_HEAP sets the JVM heap (default 3g:
# raise it to replay folders of megapixel images with --images).
set -euo pipefail
cd "$(dirname "$0")"

# --help needs no fresh build once there is one.
help=false
for arg in "$@"; do
  case "$arg" in -h|--help) help=true ;; esac
done
if ! $help || [ ! -f demo/target/classpath.txt ]; then
  echo "Building (mvn -pl demo -am install -DskipTests) ..."
  mvn -q -B ${MAVEN_ARGS:-} -pl demo -am install -DskipTests
fi

# Flink on Java 17 needs these opens; ONNX Runtime loads its native library from the classpath.
exec java -Xmx"${DEMO_HEAP:-3g}" \
  --add-opens=java.base/java.lang=ALL-UNNAMED \
  --add-opens=java.base/java.util=ALL-UNNAMED \
  --add-opens=java.base/java.nio=ALL-UNNAMED \
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
  -cp "demo/target/classes:$(cat demo/target/classpath.txt)" \
  io.defectdetector.demo.DemoMain "$@"
