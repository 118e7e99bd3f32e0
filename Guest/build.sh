#!/bin/sh
# Build the benchmark guest: a static, freestanding x86_64 ELF that
# Firecracker boots directly as its "kernel" (see README.md): guest.S, and
# agent.c, its vsock driver and agent (freestanding C: no libc, no SSE, no
# red zone, since it runs in interrupt context).
#
#   Guest/build.sh [OUTPUT]          default OUTPUT: Guest/.build/guest.elf
#
# Environment:
#   CC       compiler driver to use (default: /opt/swift/usr/bin/clang if
#            present, else clang, else cc). Any gcc or clang works: the
#            source is plain GNU-as syntax run through the C preprocessor.
#   DEBUG=1  also print "SNAPBENCH-DEBUG ticks=..." every 1000 ticks and a
#            line per non-timer interrupt; for checking the tick rate only,
#            never for benchmarking (the host must see no periodic output).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/.build/guest.elf"}
mkdir -p "$(dirname "$out")"
out_dir=$(cd "$(dirname "$out")" && pwd)

if [ -z "${CC:-}" ]; then
    if [ -x /opt/swift/usr/bin/clang ]; then
        CC=/opt/swift/usr/bin/clang
    elif command -v clang >/dev/null 2>&1; then
        CC=clang
    else
        CC=cc
    fi
fi

# clang: target x86_64 explicitly (the build host may be another arch) and
# prefer lld when it sits next to the compiler; gcc uses the system ld.
flags=""
case "$("$CC" --version 2>/dev/null | head -n 1)" in
    *clang*)
        flags="--target=x86_64-unknown-linux-gnu"
        ccdir=$(dirname "$(command -v "$CC")")
        if [ -x "$ccdir/ld.lld" ]; then
            flags="$flags -fuse-ld=lld"
        fi
        ;;
    *)
        flags="-no-pie"     # Debian's gcc defaults to PIE
        ;;
esac

debug=""
if [ "${DEBUG:-0}" = "1" ]; then
    debug="-DDEBUG_TICKS -DDEBUG_IRQS"
fi

# Linker script: one image linked (and loaded: Firecracker uses p_paddr)
# at 1 MiB, the lowest address Firecracker accepts for a kernel. Notes are
# discarded on purpose: a PVH note would make Firecracker enter the guest
# in 32-bit mode instead of the 64-bit Linux boot protocol this code needs.
lds="$out_dir/guest.ld"
trap 'rm -f "$lds"' EXIT
cat >"$lds" <<'EOF'
ENTRY(_start)
SECTIONS
{
    . = 0x100000;
    .text : { *(.text.entry) *(.text .text.*) }
    .rodata : { *(.rodata .rodata.*) }
    .data : { *(.data .data.*) }
    .bss : ALIGN(4096) {
        __bss_start = .;
        *(.bss .bss.*) *(COMMON)
        . = ALIGN(4096);
        *(.pagedirs)
        . = ALIGN(8);
        __bss_end = .;
    }
    /DISCARD/ : { *(.note .note.*) *(.comment) *(.eh_frame*) }
}
ASSERT(__bss_end <= 0x1000000, "guest image must end below the 16 MiB working-set base")
EOF

# shellcheck disable=SC2086  # $flags/$debug are deliberately word-split
"$CC" $flags $debug \
    -nostdlib -static -ffreestanding -fno-builtin -fno-stack-protector -fno-pic -fno-pie \
    -mno-red-zone -mgeneral-regs-only -fno-asynchronous-unwind-tables -O2 -Wall -Wextra \
    -Wl,--build-id=none -Wl,-z,noexecstack -Wl,-T,"$lds" \
    -o "$out" "$here/guest.S" "$here/agent.c"

echo "built $out"
