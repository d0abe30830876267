#!/bin/bash
# Runs inside the build stage of the Containerfiles: copies programs, the shared libraries they
# load (ldd, followed to the real files, kept under their sonames) and a few data files into a
# tree that the final stage copies onto an empty (scratch) image.
#   collect-runtime.sh OUT FILE...   (a FILE is a program, a library loaded with dlopen, or data)
set -euo pipefail
out=$1; shift
mkdir -p "$out"
copy() {  # path as the program sees it -> the same path under OUT, contents of the target
  local p=$1
  [ -e "$out$p" ] && return 0
  mkdir -p "$out$(dirname "$p")"
  cp -L --preserve=mode "$p" "$out$p"
}
for f in "$@"; do
  if [ -d "$f" ]; then
    mkdir -p "$out$(dirname "$f")"
    cp -a "$f" "$out$(dirname "$f")/"
    continue
  fi
  copy "$f"
  if ldd "$f" >/dev/null 2>&1; then
    # "libx.so.1 => /lib/.../libx.so.1 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
    ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | while read -r lib; do
      copy "$lib"
    done
  fi
done
# The dynamic loader finds libraries in the default directories without ld.so.cache; the
# usrmerge symlinks (/lib -> usr/lib, /lib64 -> usr/lib64) are kept so both spellings work.
for l in lib lib64; do
  if [ -L "/$l" ] && [ -d "$out/$l" ] && [ ! -L "$out/$l" ]; then
    mkdir -p "$out/usr/$l"
    cp -a "$out/$l/." "$out/usr/$l/"
    rm -rf "${out:?}/$l"
    ln -s "usr/$l" "$out/$l"
  fi
done
