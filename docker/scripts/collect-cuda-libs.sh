#!/bin/sh
# Runs in an nvidia/cuda *-cudnn-runtime image and copies out the CUDA 12 / cuDNN 9 user-space libraries
# that ONNX Runtime's CUDA execution provider loads (docker/README.md lists them, read with readelf -d from
# libonnxruntime_providers_cuda.so), keeping symlinks so that nothing is stored twice.
#   NEEDED by the provider: libcudart.so.12 libcublas.so.12 libcublasLt.so.12 libcurand.so.10
#                           libcufft.so.11 libcudnn.so.9
#   loaded by cuDNN 9 at run time: libcudnn_*.so.9 (graph, ops, cnn, adv, engines_*, heuristic) and
#                           NVRTC (libnvrtc.so.12, libnvrtc-builtins.so.12.*) for its runtime-compiled engines.
#   copied when present: libnvJitLink.so.12 (some CUDA 12 library builds link against it).
# check-native-libs.sh then verifies, in the job image, that every one of them resolves.
# Usage: collect-cuda-libs.sh <output dir>
set -eu
out=$1
mkdir -p "$out"
dirs="/usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu"
for lib in libcudart.so.12 libcublas.so.12 libcublasLt.so.12 libcurand.so.10 libcufft.so.11 \
           libnvrtc.so.12 libnvrtc-builtins.so.12 libcudnn.so.9 'libcudnn_*.so.9'; do
  copied=0
  for dir in $dirs; do
    # $lib may itself be a glob (libcudnn_*.so.9), so it stays unquoted.
    # shellcheck disable=SC2231
    for f in "$dir"/$lib*; do
      [ -e "$f" ] || continue
      cp -P "$f" "$out/"
      copied=1
    done
    [ "$copied" -eq 1 ] && break
  done
  if [ "$copied" -ne 1 ]; then
    echo "no $lib in $dirs" >&2
    exit 1
  fi
done
for dir in $dirs; do
  if [ -e "$dir/libnvJitLink.so.12" ]; then
    cp -P "$dir"/libnvJitLink.so.12* "$out/"
    break
  fi
done
ls -l "$out"
