#!/bin/sh
# Splits an ONNX Runtime jar into (1) the same jar without native code, for Flink's lib/, and (2) the Linux
# libraries of one architecture, unpacked into a folder that LD_LIBRARY_PATH names.
#
# Why: the jar carries natives for every platform (the GPU jar ~370 MB, 290 MB of it Windows DLLs) and, left
# inside, ORT extracts them to /tmp on every JVM start (the CUDA provider alone is 316 MB). With the jar's
# resources gone, ORT falls back to System.loadLibrary, which finds them on LD_LIBRARY_PATH, and loads its
# provider libraries from the folder that holds libonnxruntime.so.
#
# Usage: split-onnxruntime.sh <onnxruntime[_gpu]-X.jar> <output jar> <native output dir>
# Needs only the JDK's `jar` tool (the Maven build stage has it).
set -eu
src=$1
out_jar=$2
out_native=$3

case "$(uname -m)" in
  x86_64|amd64) arch=linux-x64 ;;
  aarch64|arm64) arch=linux-aarch64 ;;
  *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/classes"
(cd "$work/classes" && jar xf "$src")

if [ ! -f "$work/classes/ai/onnxruntime/native/$arch/libonnxruntime.so" ]; then
  echo "$src has no $arch natives" >&2
  exit 1
fi
mkdir -p "$out_native"
cp "$work/classes/ai/onnxruntime/native/$arch/"*.so "$out_native/"
# The JNI library asks for the soname libonnxruntime.so.1; the jar ships the file as libonnxruntime.so.
ln -sf libonnxruntime.so "$out_native/libonnxruntime.so.1"
rm -rf "$work/classes/ai/onnxruntime/native"
jar --create --file "$out_jar" --manifest "$work/classes/META-INF/MANIFEST.MF" -C "$work/classes" .
echo "$(basename "$src"): $arch natives -> $out_native, classes -> $out_jar"
