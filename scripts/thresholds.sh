#!/usr/bin/env sh
# Threshold tools of the defect-detector job, from a source checkout (docs/operations.md):
#   scripts/thresholds.sh send --bootstrap-servers HOST:PORT '{"action":"show","target":"all","by":"me"}'
#   scripts/thresholds.sh suggest --bootstrap-servers HOST:PORT --camera cam-07 --last 2h --by me
#   scripts/thresholds.sh savepoint list --savepoint PATH
#   scripts/thresholds.sh savepoint set|reset --savepoint PATH --output PATH ...
# Build first: mvn -q -pl flink-job -am install -DskipTests
# On a cluster, run the same classes from the job image instead (docs/operations.md).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  send) class=io.defectdetector.job.control.ControlCli; shift ;;
  suggest) class=io.defectdetector.job.control.ThresholdSuggestCli; shift ;;
  savepoint) class=io.defectdetector.job.thresholds.ThresholdsSavepointCli; shift ;;
  *) echo "usage: $0 send ... | suggest ... | savepoint list|set|reset ...   (--help after any for options)" >&2; exit 2 ;;
esac
classes="$root/flink-job/target/classes"
classpath="$root/flink-job/target/thresholds-classpath.txt"
if [ ! -d "$classes" ]; then
  echo "$classes is missing: build with  mvn -q -pl flink-job -am install -DskipTests" >&2
  exit 1
fi
if [ ! -f "$classpath" ] || [ "$root/flink-job/pom.xml" -nt "$classpath" ]; then
  # Compile scope includes the provided Flink runtime, which this JVM needs (no cluster around it).
  mvn -q -B ${MAVEN_ARGS:-} -f "$root/flink-job/pom.xml" dependency:build-classpath \
    -Dmdep.includeScope=compile -Dmdep.outputFile="$classpath" >&2
fi
# --add-opens: the State Processor API's savepoint writer on Java 17 (IllegalAccessError without it).
exec java --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED \
  -cp "$classes:$(cat "$classpath")" "$class" "$@"
