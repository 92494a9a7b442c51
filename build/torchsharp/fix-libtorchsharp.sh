#!/usr/bin/env bash
# The TorchSharp start-up fix (docs/build.md), run by build/TorchSharpStartupFix.targets.
#
#   usage: fix-libtorchsharp.sh ORIGINAL OUT_DIR
#
# ORIGINAL is libLibTorchSharp.so as restored by NuGet; it is only read. The script writes
# OUT_DIR/libLibTorchSharp.so, the file the build then copies to its output instead of ORIGINAL:
#  - where the system libstdc++ has GLIBCXX_3.4.32 (or ORIGINAL does not need it): an exact copy;
#  - otherwise a patched copy: its need for GLIBCXX_3.4.32 is marked weak (weaken_verneed.c), and it
#    needs OUT_DIR/libglibcxx_3_4_32_shim.so (ios_base_library_init.c), which the build copies
#    beside it; the loader finds it through the library's own RUNPATH, $ORIGIN/.
# OUT_DIR/libLibTorchSharp.so is written last (by rename), so it only exists once everything else
# is in place; MSBuild uses it as the step's output to skip the step when nothing changed.
set -euo pipefail

readonly VERSION=GLIBCXX_3.4.32
readonly SHIM=libglibcxx_3_4_32_shim.so
readonly HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

original=$1
out=$2
mkdir -p "$out"
rm -f "$out/$SHIM" "$out/libLibTorchSharp.so.tmp" "$out/$SHIM.tmp"

# The libstdc++.so.6 that the dynamic loader gives a process (the dotnet host loads it before any
# TorchSharp code): the x86-64 entry of the loader's cache, else the usual library folders.
system_libstdcxx() {
  local ldconfig path
  ldconfig=$(PATH="$PATH:/sbin:/usr/sbin" command -v ldconfig || true)
  if [[ -n "$ldconfig" ]]; then
    path=$("$ldconfig" -p 2>/dev/null | awk '$1 == "libstdc++.so.6" && /x86-64/ { print $NF; exit }')
    if [[ -n "$path" && -e "$path" ]]; then echo "$path"; return; fi
  fi
  for path in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /usr/lib64 /lib64 /usr/lib /lib; do
    if [[ -e "$path/libstdc++.so.6" ]]; then echo "$path/libstdc++.so.6"; return; fi
  done
}

# A library that defines a symbol version names it in its string table; grep reads binaries with -a.
has_version() { grep -qaF "$VERSION" "$1"; }

copy_unchanged() {
  cp "$original" "$out/libLibTorchSharp.so.tmp"
  mv -f "$out/libLibTorchSharp.so.tmp" "$out/libLibTorchSharp.so"
  echo "TorchSharp start-up fix not needed ($1): libLibTorchSharp.so is copied unchanged."
}

if ! has_version "$original"; then
  copy_unchanged "libLibTorchSharp.so does not need $VERSION"
  exit 0
fi
libstdcxx=$(system_libstdcxx)
if [[ -z "$libstdcxx" ]]; then
  copy_unchanged "no libstdc++.so.6 found on this system, nothing to patch against"
  exit 0
fi
if has_version "$(readlink -f "$libstdcxx")"; then
  copy_unchanged "$libstdcxx has $VERSION"
  exit 0
fi

# The patch is needed: it takes gcc (to build the two small C programs) and, for the shim, patchelf.
# The weak version need alone already lets the library load (libLibTorchSharp.so has no relocation against
# the symbol), so without patchelf the shim is left out with a warning instead of failing the build.
if ! command -v gcc >/dev/null; then
  # "origin: error CODE: text" is the canonical form MSBuild reports as a build error.
  echo "fix-libtorchsharp.sh: error TSFIX001: TorchSharp cannot load here without the start-up fix ($libstdcxx lacks $VERSION), and the fix needs gcc: run 'apt-get install -y gcc patchelf' (as root) and build again." >&2
  exit 1
fi
with_shim=1
if ! command -v patchelf >/dev/null; then
  with_shim=0
  echo "fix-libtorchsharp.sh: warning TSFIX003: patchelf is missing, so only the weak version need is applied (enough to load TorchSharp); 'apt-get install -y patchelf' adds the no-op shim as well." >&2
fi

mkdir -p "$out/tools"
if ! gcc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$out/tools/weaken_verneed" "$HERE/weaken_verneed.c" ||
   { (( with_shim )) && ! gcc -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC -nostdlib -Wl,-soname,$SHIM -o "$out/$SHIM.tmp" "$HERE/ios_base_library_init.c"; }; then
  echo "fix-libtorchsharp.sh: error TSFIX002: gcc could not build the TorchSharp start-up fix (messages above); the C library headers may be missing: run 'apt-get install -y gcc libc6-dev' (as root) and build again." >&2
  exit 1
fi

# Patch a private copy (never ORIGINAL, which lives in the shared NuGet cache), then rename it.
cp "$original" "$out/libLibTorchSharp.so.tmp"
chmod u+w "$out/libLibTorchSharp.so.tmp"
"$out/tools/weaken_verneed" "$out/libLibTorchSharp.so.tmp" "$VERSION" >/dev/null
if (( with_shim )); then
  patchelf --add-needed "$SHIM" "$out/libLibTorchSharp.so.tmp"
  mv -f "$out/$SHIM.tmp" "$out/$SHIM"
else
  rm -f "$out/$SHIM"
fi
mv -f "$out/libLibTorchSharp.so.tmp" "$out/libLibTorchSharp.so"
if (( with_shim )); then
  echo "TorchSharp start-up fix applied ($libstdcxx lacks $VERSION): $VERSION marked weak, $SHIM added as needed library."
else
  echo "TorchSharp start-up fix applied ($libstdcxx lacks $VERSION): $VERSION marked weak (no shim: patchelf missing)."
fi
