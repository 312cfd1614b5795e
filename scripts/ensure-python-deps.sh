#!/usr/bin/env bash
# Installs the Debian packages model-export needs when they are missing, and python3-confluent-kafka (librdkafka)
# for the example clients in examples/python, which ForeignClientITCase runs against the job. PyPI is not used:
# on Debian 12 the packaged torch (1.13), onnx and friends are the ones that work offline. Use /usr/bin/python3.
set -euo pipefail
PY=/usr/bin/python3
PKGS="python3-torch python3-onnx python3-numpy python3-pil python3-matplotlib python3-pytest python3-sklearn python3-scipy python3-jsonschema python3-confluent-kafka"
if [ -x "$PY" ] && "$PY" -c "import torch, onnx, numpy, PIL, matplotlib, pytest, sklearn, scipy, jsonschema, confluent_kafka" 2>/dev/null; then
  exit 0
fi
echo "Installing Debian packages for model-export and the example clients: $PKGS"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $PKGS >/dev/null
"$PY" -c "import torch, onnx, confluent_kafka; print('python deps ok: torch', torch.__version__, 'onnx', onnx.__version__, 'librdkafka', confluent_kafka.libversion()[0])"
