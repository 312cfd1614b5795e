#!/usr/bin/env bash
# Performance commands, not tests (docs/performance.md):
#   benchmarks/bench.sh [--quick]        ceiling vs end to end: table, results.json and plots in bench-output/
#   benchmarks/bench.sh ceiling          raw ONNX Runtime only, batch sizes 1..64
#   benchmarks/bench.sh soak             heap and RSS over a 10-minute run at 80% load
#   benchmarks/bench.sh jmh [--quick]    JMH micro-benchmarks of the hot Java code
#   benchmarks/bench.sh --help           every option
# Builds the benchmarks module first (skip with BENCH_SKIP_BUILD=1; extra Maven flags in MAVEN_ARGS, e.g. -o;
# -Pgpu in MAVEN_ARGS builds against the CUDA build of ONNX Runtime). JVM options: BENCH_JAVA_OPTS.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  echo "Building (mvn -pl benchmarks -am install -DskipTests) ..." >&2
  mvn -q -B ${MAVEN_ARGS:-} -pl benchmarks -am install -DskipTests
fi
mkdir -p bench-output

# Flink on Java 17 needs these opens. A fixed, pre-touched heap (-Xms = -Xmx, AlwaysPreTouch) keeps the soak's
# figures honest: the resident set then starts at its full heap size and any growth is native memory.
exec java ${BENCH_JAVA_OPTS:--Xms2g -Xmx2g -XX:+UseG1GC -XX:+AlwaysPreTouch} \
  --add-opens=java.base/java.lang=ALL-UNNAMED \
  --add-opens=java.base/java.util=ALL-UNNAMED \
  --add-opens=java.base/java.nio=ALL-UNNAMED \
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
  -Dbench.log.file=bench-output/bench.log \
  -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
  io.defectdetector.bench.BenchMain "$@"
