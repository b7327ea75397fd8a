#!/usr/bin/env bash
# Build one MicroPython target into build/<target>/ from the source in build/micropython.
#   unix    x86-64 Unix port (64-bit ints, double floats)
#   unix32  32-bit Unix port, single-precision floats (ESP32/RP2040 arithmetic)
#   m0      QEMU micro:bit (Cortex-M0, armv6m like the RP2040), native emitter on, 190 KB heap
#   m3      QEMU MPS2-AN385 (Cortex-M3, armv7m)
#   m0big   the m0 with 640 KB of RAM and a 512 KB heap: benchmarks only (boards/bench/m0big.json),
#           where a model too big for the RP2040's heap runs in RAM to compare with streaming
# The log goes to build/logs/<target>.log; the make output is only shown on failure.
# BUILD_DIR=dir puts the target and its log under dir instead of build/ (the source stays).
set -euo pipefail
TARGET=${1:?usage: build_target.sh unix|unix32|m0|m3|m0big}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=$ROOT/build/micropython
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
OUT=$BUILD_DIR/$TARGET
LOG=$BUILD_DIR/logs/$TARGET.log
JOBS=${JOBS:-$(nproc)}
mkdir -p "$BUILD_DIR/logs" "$OUT"
[ -f "$SRC/py/mpconfig.h" ] || { echo "error: no MicroPython source in $SRC (run tools/fetch_micropython.sh)" >&2; exit 1; }
# MicroPython names its version after `git describe` of the repository its source sits in. A
# tarball under build/ sits inside OUR repository and would be named after our commit: keep git
# from looking above the source tree (a clone of MicroPython itself still has its tags); without
# a repository the version comes from py/mpconfig.h (v1.26.1).
export GIT_CEILING_DIRECTORIES=$(dirname "$(cd "$SRC" && pwd -P)")

# The Debian tarball ships lib/ submodules empty: no frozen micropython-lib, btree, ssl, ffi.
UNIX_OPTS=(FROZEN_MANIFEST= MICROPY_PY_BTREE=0 MICROPY_PY_SSL=0 MICROPY_SSL_MBEDTLS=0 MICROPY_PY_FFI=0)
M0_CFLAGS="-DMICROPY_EMIT_THUMB=1 -DMICROPY_EMIT_THUMB_ARMV7M=0 -DMICROPY_EMIT_INLINE_THUMB=1 -DMICROPY_EMIT_INLINE_THUMB_FLOAT=0"

start=$(date +%s)
case "$TARGET" in
  unix)
    cmd=(make -C "$SRC/ports/unix" -j"$JOBS" BUILD="$OUT/obj" PROG=micropython "${UNIX_OPTS[@]}")
    product=$OUT/obj/micropython ;;
  unix32)
    cmd=(make -C "$SRC/ports/unix" -j"$JOBS" BUILD="$OUT/obj" PROG=micropython "${UNIX_OPTS[@]}"
         MICROPY_FORCE_32BIT=1 CFLAGS_EXTRA=-DMICROPY_FLOAT_IMPL=MICROPY_FLOAT_IMPL_FLOAT)
    product=$OUT/obj/micropython ;;
  m0)
    cmd=(make -C "$SRC/ports/qemu" -j"$JOBS" BOARD=MICROBIT BUILD="$OUT/obj" FROZEN_MANIFEST=
         MICROPY_HEAP_SIZE=194560 "CFLAGS_EXTRA=$M0_CFLAGS")
    product=$OUT/obj/firmware.elf ;;
  m3)
    cmd=(make -C "$SRC/ports/qemu" -j"$JOBS" BOARD=MPS2_AN385 BUILD="$OUT/obj" FROZEN_MANIFEST= MICROPY_HEAP_SIZE=194560)
    product=$OUT/obj/firmware.elf ;;
  m0big)
    # the port's nRF51 link script gives RAM 256K: the same script with 640K (stack on top of
    # it; the staged files above, at 640K, as boards/bench/m0big.json says)
    sed 's/RAM : ORIGIN = 0x20000000, LENGTH = 256K/RAM : ORIGIN = 0x20000000, LENGTH = 640K/' \
        "$SRC/ports/qemu/mcu/arm/nrf51.ld" > "$OUT/nrf51_640k.ld"
    grep -q "LENGTH = 640K" "$OUT/nrf51_640k.ld" || { echo "error: nrf51.ld has no 256K RAM line" >&2; exit 1; }
    cmd=(make -C "$SRC/ports/qemu" -j"$JOBS" BOARD=MICROBIT BUILD="$OUT/obj" FROZEN_MANIFEST=
         MICROPY_HEAP_SIZE=524288 "CFLAGS_EXTRA=$M0_CFLAGS" LDSCRIPT="$OUT/nrf51_640k.ld")
    product=$OUT/obj/firmware.elf ;;
  *) echo "error: unknown target '$TARGET' (known: unix unix32 m0 m3 m0big)" >&2; exit 2 ;;
esac

# mpy-cross is needed by the ports' build even without frozen code.
if [ ! -x "$SRC/mpy-cross/build/mpy-cross" ]; then
    make -C "$SRC/mpy-cross" -j"$JOBS" >>"$ROOT/build/logs/mpy-cross.log" 2>&1 \
      || { tail -n 30 "$ROOT/build/logs/mpy-cross.log" >&2; exit 1; }
fi
echo "building $TARGET ... (log: $LOG)"
if ! "${cmd[@]}" >"$LOG" 2>&1; then
    tail -n 40 "$LOG" >&2
    echo "error: build of $TARGET failed, full log in $LOG" >&2
    exit 1
fi
cp "$product" "$OUT/"
echo "built $TARGET in $(( $(date +%s) - start )) s -> $OUT/$(basename "$product")"
echo "$(( $(date +%s) - start ))" > "$OUT/build-seconds"
