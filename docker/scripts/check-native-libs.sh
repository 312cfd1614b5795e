#!/bin/sh
# Fails when a shared library in the given folders has an unresolved dependency (ldd "not found").
# libcuda.so.1 is exempt: it is the host's driver library, mounted into GPU containers at run time.
# Usage: check-native-libs.sh <dir>...  (LD_LIBRARY_PATH must name the folders, as at run time)
set -eu
report=$(mktemp)
for dir in "$@"; do
  for f in "$dir"/*.so*; do
    [ -f "$f" ] || continue
    ldd "$f" > "$report.one" 2>&1 || { echo "ldd failed on $f:" >&2; cat "$report.one" >&2; exit 1; }
    grep 'not found' "$report.one" | grep -v 'libcuda\.so\.1' | sed "s|^|$f: |" >> "$report" || true
  done
done
if [ -s "$report" ]; then
  echo "unresolved native libraries:" >&2
  sort -u "$report" >&2
  exit 1
fi
echo "native libraries resolve: $*"
