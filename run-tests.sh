#!/usr/bin/env bash
# Runs all the tests: Java (real Kafka broker, Flink MiniCluster, ONNX Runtime), Python (model-export) and the
# deployment checks. Installs what it needs (Debian packages for Python, Prometheus's promtool unpacked
# under .tools/; Maven fetches Java artifacts).
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure-python-deps.sh
scripts/ensure-promtool.sh >/dev/null
echo "== Java: mvn install (all modules, all tests)"
mvn -B -ntp install
echo "== Python: model-export tests"
(cd model-export && /usr/bin/python3 -m pytest -p no:cacheprovider tests)
