/*
 * guest.S - built-in benchmark guest for the Firecracker snapshot benchmark.
 *
 * A freestanding x86_64 "kernel" that Firecracker loads as a plain ELF
 * (no PVH note), so it is entered directly in 64-bit long mode using the
 * Linux boot protocol: rsi = boot_params ("zero page"), interrupts off,
 * paging on with the low 1 GiB identity-mapped.
 *
 * What it does (see Guest/README.md for the host-side protocol):
 *   1. prints  "SNAPBENCH-GUEST v1 boot\n"
 *   2. parses  ws=<MiB> [gap=<ms>] [vmgenid=<hex addr>] from the kernel
 *      command line, writes one nonzero qword into every 4 KiB page of a
 *      <ws> MiB working set starting at 16 MiB, calibrates the TSC against
 *      the APIC timer and prints "SNAPBENCH-READY ws=<MiB touched> gen=<32 hex>\n"
 *   3. idles in "sti; hlt" with a ~1 kHz x2APIC periodic timer
 *   4. on every tick, compares the 16-byte VMGenID with the last value
 *      seen and checks the TSC gap since the previous tick; if either says
 *      "we were resumed", prints
 *      "R<32 hex VMGenID>/<resume count>\n" (short: each byte is a VM exit)
 *
 * Every byte written to COM1 is a VM exit into Firecracker, so the guest
 * prints only those lines; nothing is printed periodically (unless the
 * DEBUG_TICKS / DEBUG_IRQS build flags are given, see build.sh).
 *
 * This file is run through the C preprocessor (.S), so comments are C/C++
 * style; a '#' at the start of a line would be a preprocessor directive.
 */

/* ---------------------------------------------------------------------- */
/* Constants                                                              */
/* ---------------------------------------------------------------------- */

/* 16550 UART data register of COM1. Firecracker's emulated UART always
 * accepts a byte, so we never poll the line status register: an extra
 * "in" per byte would double the number of VM exits. */
#define COM1                0x3F8

/* boot_params ("zero page") offsets, from Linux's
 * arch/x86/include/uapi/asm/bootparam.h. */
#define BP_E820_ENTRIES     0x1E8   /* u8: number of e820 entries        */
#define BP_CMD_LINE_PTR     0x228   /* u32: hdr.cmd_line_ptr (physical)  */
#define BP_E820_TABLE       0x2D0   /* 20-byte {u64 addr, u64 size, u32 type} */
#define E820_RAM            1

/* Firecracker v1.12.x places the 16-byte VMGenID at this guest-physical
 * address (it is allocated last-fit from the fixed "system memory" window
 * below 1 MiB, so it does not depend on the VM's memory size; Firecracker
 * logs the address at boot). Can be overridden with vmgenid=<hex>. */
#define VMGENID_DEFAULT     0xDFFF0

/* Working set: starts at 16 MiB, well above this image (the linker script
 * asserts that the image ends below it). */
#define WS_BASE             0x1000000
/* We build our own identity map with 2 MiB pages, so the working set is
 * not limited to Firecracker's 1 GiB boot mapping. It covers the RAM the
 * e820 map reports, rounded up to whole GiB (one 4 KiB page directory per
 * GiB), up to MAP_GIB_MAX GiB. Only the directories needed are written:
 * under the nested (PVM) KVM on the development host every first touch of
 * a page costs a fault, and mapping all 64 GiB up front added ~125 ms to
 * boot for a 128 MiB VM. */
#define MAP_GIB_MAX         64
/* Largest ws= we honour; larger values are clamped to this (and, in any
 * case, to the RAM the e820 map reports). */
#define MAX_WS_MIB          ((MAP_GIB_MAX << 10) - 16)
/* Each touched page gets "SNAP" in its top bytes plus its own address in
 * its first qword: nonzero and distinct per page, so nothing can
 * deduplicate or skip the pages as zero pages. */
#define PAGE_TAG            0x534E415000000000

/* Segment selectors in our own GDT. */
#define KERNEL_CS           0x08
#define KERNEL_DS           0x10

/* Interrupt vectors. The legacy 8259 PIC is remapped to 0x30-0x3F (and
 * fully masked) so that none of its lines can land on an exception vector;
 * the APIC timer uses a vector outside that range. */
#define PIC1_VECTOR_BASE    0x30
#define PIC2_VECTOR_BASE    0x38
#define TIMER_VECTOR        0x40
/* The vsock device's interrupt (agent.c routes its IOAPIC pin here): below the timer's priority class, so a
 * tick pending at a resume, and its serial proof, come first. */
#define AGENT_VECTOR        0x28
#define SPURIOUS_VECTOR     0xFF
/* Every vector has a stub of exactly this size (see isr_stubs). */
#define ISR_STUB_SIZE       16

/* x2APIC MSRs. */
#define MSR_APIC_BASE       0x1B
#define APIC_BASE_EN        (1 << 11)
#define APIC_BASE_EXTD      (1 << 10)   /* x2APIC mode */
#define MSR_X2APIC_TPR      0x808
#define MSR_X2APIC_EOI      0x80B
#define MSR_X2APIC_SVR      0x80F
#define MSR_X2APIC_LVT_TMR  0x832
#define MSR_X2APIC_TMICT    0x838       /* initial count */
#define MSR_X2APIC_TDCR     0x83E       /* divide configuration */
#define APIC_SVR_ENABLE     (1 << 8)
#define LVT_TIMER_PERIODIC  (1 << 17)
#define LVT_TIMER_TSC_DEADLINE (2 << 17)
#define MSR_IA32_TSC_DEADLINE 0x6E0
#define CPUID_1_ECX_TSC_DEADLINE 24

/* After READY the timer ticks lazily, every LAZY_TICKS calibration ticks (ms),
 * in TSC-deadline mode: 64 resumed clones ticking at 1 kHz took more than both
 * cores of the development host (each tick ~4 % of a core under nested PVM).
 * A restore still wakes the guest at once: the deadline is left 0 until the
 * first resume, and Firecracker stores a 0 deadline as the TSC at the snapshot,
 * so every clone's timer is due the moment it runs. */
#define LAZY_TICKS          50

/* Timer period. KVM's emulated APIC timer runs at a fixed 1 GHz bus clock
 * (APIC_BUS_CYCLE_NS = 1), independent of the host CPU, so with divide-by-1
 * (TDCR = 0xB) an initial count of 1,000,000 is exactly 1 ms. Measured on
 * the development host: see Guest/README.md. */
#define TDCR_DIV_1          0xB
#define TIMER_INITIAL_COUNT 1000000

/* TSC calibration at boot: TSC cycles across three back-to-back windows
 * of CAL_TICKS (a power of two) ticks each; the median window is used, so
 * one late wakeup (which lengthens one window and shortens the next) on a
 * busy host does not skew the result. */
#define CAL_TICKS_LOG2      4
#define CAL_TICKS           (1 << CAL_TICKS_LOG2)

/* A resume of the same VM (pause -> resume, no VMGenID change) is detected
 * by a gap between two ticks longer than this many tick periods (= ms).
 * Overridable with gap=<ms>; gap=0 disables gap detection. */
#define GAP_TICKS_DEFAULT   50
#define GAP_TICKS_MAX       1000000

/* ---------------------------------------------------------------------- */
/* Entry                                                                  */
/* ---------------------------------------------------------------------- */

        .code64
        .section .text.entry, "ax"
        .globl  _start
_start:
        cli                             // we own the IDT only after lidt below
        cld                             // string instructions count upwards
        mov     %rsi, %r15              // r15 = boot_params for the whole boot path

        // Zero .bss ourselves rather than trusting the loader or the
        // memory being fresh. Done before the stack (which is in .bss)
        // is used. The page directories at the end of .bss are skipped:
        // setup_paging writes every entry of the ones it uses, and touching
        // all 256 KiB of them would only cost page faults.
        lea     __bss_start(%rip), %rdi
        lea     page_dirs(%rip), %rcx
        sub     %rdi, %rcx
        shr     $3, %rcx
        xor     %eax, %eax
        rep stosq
        lea     stack_top(%rip), %rsp   // own stack; Firecracker's is at 0x8ff0 in low memory

        call    setup_paging
        call    setup_gdt
        call    setup_idt
        call    setup_pic

        lea     msg_boot(%rip), %rsi
        mov     $(msg_boot_end - msg_boot), %ecx
        call    serial_write

        call    parse_cmdline
        call    touch_working_set       // returns rax = pages touched
        mov     %rax, %r14
        call    plan_retouch

        // Remember the VMGenID the VM booted with, before the timer can
        // compare against it: the first tick must not report a resume.
        mov     vmgenid_addr(%rip), %rsi
        mov     (%rsi), %rax
        mov     %rax, gen_seen(%rip)
        mov     8(%rsi), %rax
        mov     %rax, gen_seen+8(%rip)

        // Gap detection stays off (threshold all-ones) until calibrated.
        movq    $-1, gap_cycles(%rip)
        call    setup_apic_timer

        // Calibrate the TSC against the timer before announcing readiness,
        // so a snapshot taken after READY always has a gap threshold. Done
        // here rather than in the tick handler to keep the handler short.
        // Each hlt returns right after one tick has been handled.
        sti
        hlt                             // align to a tick edge
        call    read_tsc
        mov     %rax, %r12              // r12 = TSC at the current edge
        call    cal_window
        mov     %rax, %r8
        call    cal_window
        mov     %rax, %r9
        call    cal_window              // r8, r9, rax = the three windows
        mov     %rax, %r10
        mov     %r8, %rax               // median = max(min(a,b), min(max(a,b),c))
        cmp     %r9, %rax
        cmova   %r9, %rax               // rax = min(a,b)
        mov     %r8, %rdx
        cmp     %r9, %rdx
        cmovb   %r9, %rdx               // rdx = max(a,b)
        cmp     %r10, %rdx
        cmova   %r10, %rdx              // rdx = min(max(a,b), c)
        cmp     %rdx, %rax
        cmovb   %rdx, %rax
        shr     $CAL_TICKS_LOG2, %rax   // cycles per tick
        cli
        mov     %rax, tsc_per_tick(%rip)
        mov     gap_ticks(%rip), %rcx
        test    %rcx, %rcx              // gap=0: leave gap detection off
        jz      2f
        imul    %rcx, %rax
        mov     %rax, gap_cycles(%rip)
2:
        // The agent on vsock (agent.c), when Firecracker gave the VM a vsock device: found from the command
        // line and started here, with interrupts off, after calibration and before the READY line, so its
        // first answer can only come once the guest idles. A host whose boot signal is that answer (a Linux
        // user's agent, `guest: linux` with readiness over vsock) then snapshots a guest that has finished
        // booting: started earlier, the agent answered during calibration, and every clone of such a
        // snapshot finished the calibration on its own time (a 1 kHz tick and a READY line per clone).
        mov     BP_CMD_LINE_PTR(%r15), %edi
        call    agent_start
        // READY line; interrupts are off while we use line_buf.
        lea     line_buf(%rip), %rdi
        lea     msg_ready(%rip), %rsi
        mov     $(msg_ready_end - msg_ready), %ecx
        rep movsb
        mov     %r14, %rax
        shr     $8, %rax                // 256 pages of 4 KiB per MiB
        call    fmt_dec
        // " gen=<32 hex>": the VMGenID this (golden) VM booted with, so a
        // host can refuse a clone that reports it again.
        lea     msg_gen(%rip), %rsi
        mov     $(msg_gen_end - msg_gen), %ecx
        rep movsb
        lea     gen_seen(%rip), %rsi
        call    fmt_gen
        movb    $0x0A, (%rdi)
        inc     %rdi
        call    write_line_buf
        call    lazy_timer

        // Idle forever. "sti; hlt" is atomic (sti's interrupt shadow covers
        // hlt), so a tick cannot slip in between and leave us halted; after
        // that, iretq restores IF=1 on every return, so the loop is just
        // hlt (one instruction fewer per tick: see timer_isr on why that
        // matters).
        sti
idle:   hlt
        jmp     idle

/* ---------------------------------------------------------------------- */
/* Boot-time setup                                                        */
/* ---------------------------------------------------------------------- */

        .text

// Out: rax = TSC. Clobbers rdx.
read_tsc:
        rdtsc
        shl     $32, %rdx
        or      %rdx, %rax
        ret

// Sleep CAL_TICKS ticks (interrupts on). In: r12 = TSC at the previous
// edge. Out: rax = TSC cycles since then, r12 = TSC now. Clobbers rdx, ebx.
cal_window:
        mov     $CAL_TICKS, %ebx
1:      hlt                             // returns after one tick was handled
        dec     %ebx
        jnz     1b
        call    read_tsc
        mov     %rax, %rdx
        sub     %r12, %rax
        mov     %rdx, %r12
        ret

// Identity-map [0, map_limit) with 2 MiB pages and switch CR3 to it.
// Firecracker's own tables (PML4 at 0x9000) only cover 1 GiB, and they
// live in low memory we would rather not depend on.
setup_paging:
        // map_gib = top of e820 RAM rounded up to GiB, within [1, MAP_GIB_MAX]
        xor     %eax, %eax              // rax = highest RAM end seen
        movzbl  BP_E820_ENTRIES(%r15), %ecx
        lea     BP_E820_TABLE(%r15), %rsi
1:      test    %ecx, %ecx
        jz      3f
        cmpl    $E820_RAM, 16(%rsi)
        jne     2f
        mov     (%rsi), %rdx
        add     8(%rsi), %rdx
        cmp     %rax, %rdx
        jbe     2f
        mov     %rdx, %rax
2:      add     $20, %rsi
        dec     %ecx
        jmp     1b
3:      mov     $((1 << 30) - 1), %edx
        add     %rdx, %rax
        shr     $30, %rax               // GiB, rounded up
        jnz     4f
        mov     $1, %eax                // no e820 at all: map the first GiB anyway
4:      cmp     $MAP_GIB_MAX, %rax
        jbe     5f
        mov     $MAP_GIB_MAX, %eax
5:      mov     %rax, %r8               // r8 = GiB to map
        shl     $30, %rax
        mov     %rax, map_limit(%rip)

        lea     page_dirs(%rip), %rdi
        mov     $0x83, %eax             // phys 0 | Present | Writable | PageSize(2M)
        mov     %r8, %rcx
        shl     $9, %rcx                // 512 entries per GiB
1:      mov     %rax, (%rdi)
        add     $8, %rdi
        add     $0x200000, %rax
        dec     %ecx
        jnz     1b

        lea     pdpt(%rip), %rdi
        lea     page_dirs(%rip), %rax
        or      $0x3, %rax              // Present | Writable
        mov     %r8, %rcx
2:      mov     %rax, (%rdi)
        add     $8, %rdi
        add     $4096, %rax
        dec     %ecx
        jnz     2b

        // Firecracker's virtio-mmio devices (from 0xD0000000) and the IOAPIC (0xFEC00000) sit in the fourth
        // GiB, which RAM below 3 GiB does not map: identity-map it uncached, with 2 MiB pages.
        cmp     $3, %r8
        ja      3f
        lea     pd_mmio(%rip), %rdi
        mov     $(0xC0000000 | 0x9B), %eax // Present | Writable | PWT | PCD | PageSize(2M)
        mov     $512, %ecx
4:      mov     %rax, (%rdi)
        add     $8, %rdi
        add     $0x200000, %rax
        dec     %ecx
        jnz     4b
        lea     pd_mmio(%rip), %rax
        or      $0x3, %rax
        mov     %rax, pdpt+24(%rip)
3:
        lea     pdpt(%rip), %rax
        or      $0x3, %rax
        mov     %rax, pml4(%rip)
        lea     pml4(%rip), %rax
        mov     %rax, %cr3              // CR4.PAE and EFER.LME are already set by Firecracker
        ret

// Load our own GDT (null, 64-bit code, data) so the IDT gates reference a
// code segment we control, then reload CS with a far return.
setup_gdt:
        lgdt    gdt_ptr(%rip)
        mov     $KERNEL_DS, %eax        // data segment bases and limits are
        mov     %eax, %ds               // ignored in 64-bit mode, but keep
        mov     %eax, %es               // the selectors consistent with the
        mov     %eax, %ss               // new GDT
        xor     %eax, %eax
        mov     %eax, %fs
        mov     %eax, %gs
        pop     %rsi                    // our return address
        pushq   $KERNEL_CS
        push    %rsi
        lretq                           // "returns" to the caller with CS = KERNEL_CS
        // (not reached)

// Point every one of the 256 IDT vectors at a stub. Nothing may be left
// empty: Firecracker injects its VMGenID notification on restore, and an
// unhandled vector escalates to a triple fault (KVM_EXIT_SHUTDOWN).
setup_idt:
        lea     idt(%rip), %rdi
        lea     isr_stubs(%rip), %rsi
        movabs  $((0x8E << 40) | (KERNEL_CS << 16)), %r8 // present, DPL0, 64-bit interrupt gate
        xor     %ecx, %ecx
1:      mov     %rsi, %rax
        and     $0xFFFF, %eax           // offset[15:0]
        mov     %rsi, %rdx
        shr     $16, %rdx
        and     $0xFFFF, %edx
        shl     $48, %rdx               // offset[31:16]
        or      %rdx, %rax
        or      %r8, %rax
        mov     %rax, (%rdi)
        mov     %rsi, %rax
        shr     $32, %rax               // offset[63:32]
        mov     %rax, 8(%rdi)
        add     $16, %rdi
        add     $ISR_STUB_SIZE, %rsi
        inc     %ecx
        cmp     $256, %ecx
        jb      1b
        lidt    idt_ptr(%rip)
        ret

// Reprogram and mask the legacy 8259 PICs. KVM's in-kernel PIC starts
// unmasked with vector base 0, and Firecracker wires LINT0 as ExtINT, so a
// legacy IRQ (e.g. the VMGenID GSI raised on restore) would otherwise
// arrive on an exception vector. Remapped + auto-EOI as a second line of
// defence in case a line is unmasked: it lands on a harmless vector and
// needs no PIC EOI.
setup_pic:
        mov     $0x11, %al              // ICW1: init, cascade, ICW4 follows
        out     %al, $0x20
        out     %al, $0xA0
        mov     $PIC1_VECTOR_BASE, %al  // ICW2: vector bases
        out     %al, $0x21
        mov     $PIC2_VECTOR_BASE, %al
        out     %al, $0xA1
        mov     $0x04, %al              // ICW3: slave on IRQ2
        out     %al, $0x21
        mov     $0x02, %al
        out     %al, $0xA1
        mov     $0x03, %al              // ICW4: 8086 mode, auto-EOI
        out     %al, $0x21
        out     %al, $0xA1
        mov     $0xFF, %al              // OCW1: mask every line
        out     %al, $0x21
        out     %al, $0xA1
        ret

// Switch the local APIC to x2APIC mode (all accesses become MSRs, no MMIO
// mapping needed) and start a periodic timer on TIMER_VECTOR.
setup_apic_timer:
        mov     $MSR_APIC_BASE, %ecx
        rdmsr
        or      $(APIC_BASE_EN | APIC_BASE_EXTD), %eax
        wrmsr
        xor     %edx, %edx
        mov     $MSR_X2APIC_SVR, %ecx
        mov     $(APIC_SVR_ENABLE | SPURIOUS_VECTOR), %eax
        wrmsr
        mov     $MSR_X2APIC_TPR, %ecx   // accept every priority class
        xor     %eax, %eax
        wrmsr
        mov     $MSR_X2APIC_TDCR, %ecx
        mov     $TDCR_DIV_1, %eax
        wrmsr
        mov     $MSR_X2APIC_LVT_TMR, %ecx // LVT before the count: writing the count starts the timer
        mov     $(LVT_TIMER_PERIODIC | TIMER_VECTOR), %eax
        wrmsr
        mov     $MSR_X2APIC_TMICT, %ecx
        mov     $TIMER_INITIAL_COUNT, %eax
        wrmsr
        ret

/* ---------------------------------------------------------------------- */
/* Command line                                                           */
/* ---------------------------------------------------------------------- */

// Recognised whitespace-separated tokens (anything else, e.g.
// "console=ttyS0", is ignored):
//   ws=<decimal MiB>       working set size (default 0)
//   gap=<decimal ms>       pause/resume gap threshold (default 50, 0 = off)
//   vmgenid=<hex addr>     VMGenID guest-physical address (0 = off)
//   touch=<decimal MiB>    re-touch this much of the working set after
//                          every resume and report it (default 0 = off)
//   touchseed=<decimal>    0: in address order (default); else a
//                          permutation of the pages seeded by it
//   touchw=<0|1>           1: write each page back after reading it
//   serialproof=<0|1>      0: print no R line after a resume (the agent
//                          answers with the proof over vsock instead)
//   quiet                  as serialproof=0 (a Linux kernel's `quiet`:
//                          the stand-in for one stays as quiet)
parse_cmdline:
        movq    $GAP_TICKS_DEFAULT, gap_ticks(%rip)
        movq    $VMGENID_DEFAULT, vmgenid_addr(%rip)
        mov     BP_CMD_LINE_PTR(%r15), %esi // 32-bit physical address, zero-extended
        test    %esi, %esi
        jz      .Lcl_done
.Lcl_token:
        movzbl  (%rsi), %eax            // skip separators
        test    %eax, %eax
        jz      .Lcl_done
        cmp     $0x20, %eax
        ja      .Lcl_keys
        inc     %rsi
        jmp     .Lcl_token
.Lcl_keys:
        lea     key_ws(%rip), %rdi
        call    match_prefix
        jne     1f
        call    parse_dec
        mov     %rax, ws_mib(%rip)
        jmp     .Lcl_skip
1:      lea     key_gap(%rip), %rdi
        call    match_prefix
        jne     2f
        call    parse_dec
        mov     %rax, gap_ticks(%rip)
        jmp     .Lcl_skip
2:      lea     key_vmgenid(%rip), %rdi
        call    match_prefix
        jne     3f
        call    parse_hex
        mov     %rax, vmgenid_addr(%rip)
        jmp     .Lcl_skip
3:      lea     key_touch(%rip), %rdi
        call    match_prefix
        jne     4f
        call    parse_dec
        mov     %rax, touch_mib(%rip)
        jmp     .Lcl_skip
4:      lea     key_touchseed(%rip), %rdi
        call    match_prefix
        jne     5f
        call    parse_dec
        mov     %rax, touch_seed(%rip)
        jmp     .Lcl_skip
5:      lea     key_touchw(%rip), %rdi
        call    match_prefix
        jne     6f
        call    parse_dec
        mov     %al, touch_write(%rip)
        jmp     .Lcl_skip
6:      lea     key_serialproof(%rip), %rdi
        call    match_prefix
        jne     7f
        call    parse_dec
        test    %rax, %rax
        sete    serial_quiet(%rip)
        jmp     .Lcl_skip
7:      lea     key_quiet(%rip), %rdi   // Linux's `quiet`: a stand-in for a Linux kernel
        call    match_prefix            // keeps its console quiet after boot as one would
        jne     .Lcl_skip
        movzbl  (%rsi), %eax
        cmp     $0x20, %eax             // the whole token, not a prefix of another
        ja      .Lcl_skip
        movb    $1, serial_quiet(%rip)
.Lcl_skip:                              // advance to the end of this token
        movzbl  (%rsi), %eax
        cmp     $0x20, %eax
        jbe     .Lcl_token              // separator or NUL
        inc     %rsi
        jmp     .Lcl_skip
.Lcl_done:
        cmpq    $GAP_TICKS_MAX, gap_ticks(%rip) // keep gap * tsc_per_tick from overflowing
        jbe     1f
        movq    $GAP_TICKS_MAX, gap_ticks(%rip)
1:      cmpq    $0, vmgenid_addr(%rip)  // vmgenid=0: compare against constant zeros
        jne     2f                      // instead, so the tick path needs no branch
        lea     zero16(%rip), %rax
        mov     %rax, vmgenid_addr(%rip)
2:      ret

// In: rsi = text, rdi = NUL-terminated key.
// Out: ZF=1 and rsi advanced past the key if the text starts with it;
// ZF=0 and rsi unchanged otherwise. Clobbers rax, rdi, r8.
match_prefix:
        mov     %rsi, %r8
1:      movb    (%rdi), %al
        test    %al, %al
        jz      2f                      // whole key matched, ZF=1
        cmpb    (%r8), %al
        jne     3f                      // mismatch, ZF=0
        inc     %rdi
        inc     %r8
        jmp     1b
2:      mov     %r8, %rsi               // mov leaves ZF alone
3:      ret

// In: rsi = text. Out: rax = decimal value (saturating at ~10^12, far
// beyond any sane value; callers clamp), rsi past the digits.
parse_dec:
        xor     %eax, %eax
        movabs  $1000000000000, %rdx
1:      movzbl  (%rsi), %ecx
        sub     $0x30, %ecx
        cmp     $9, %ecx
        ja      3f
        inc     %rsi
        cmp     %rdx, %rax
        jae     1b                      // saturated: keep consuming digits
        imul    $10, %rax, %rax
        add     %rcx, %rax
        jmp     1b
3:      ret

// In: rsi = text, optional "0x" prefix. Out: rax = value (only the last 16
// digits count), rsi past the digits.
parse_hex:
        xor     %eax, %eax
        cmpb    $0x30, (%rsi)           // '0'
        jne     1f
        movzbl  1(%rsi), %ecx
        or      $0x20, %ecx             // lower-case
        cmp     $0x78, %ecx             // 'x'
        jne     1f
        add     $2, %rsi
1:      movzbl  (%rsi), %ecx
        lea     -0x30(%rcx), %edx       // '0'..'9'
        cmp     $9, %edx
        jbe     2f
        or      $0x20, %ecx             // 'A'..'F' -> 'a'..'f'
        lea     -0x61(%rcx), %edx       // 'a'..'f'
        cmp     $5, %edx
        ja      3f
        add     $10, %edx
2:      shl     $4, %rax
        or      %rdx, %rax
        inc     %rsi
        jmp     1b
3:      ret

/* ---------------------------------------------------------------------- */
/* Working set                                                            */
/* ---------------------------------------------------------------------- */

// Write one tagged qword into each of ws_mib * 256 pages, walking the
// e820 RAM ranges from WS_BASE upwards (this skips Firecracker's MMIO gap
// below 4 GiB when memory is larger than ~3 GiB) and staying below
// map_limit. Returns rax = number of pages actually touched, which is less
// than asked if the VM does not have the memory.
touch_working_set:
        mov     ws_mib(%rip), %rbx
        cmp     $MAX_WS_MIB, %rbx
        jbe     1f
        mov     $MAX_WS_MIB, %ebx
1:      shl     $8, %rbx                // rbx = pages still to touch
        xor     %eax, %eax              // rax = pages touched
        movzbl  BP_E820_ENTRIES(%r15), %r13d
        lea     BP_E820_TABLE(%r15), %r14
        movabs  $PAGE_TAG, %r9
        mov     map_limit(%rip), %r10
.Lws_entry:
        test    %rbx, %rbx
        jz      .Lws_done
        test    %r13d, %r13d
        jz      .Lws_done
        cmpl    $E820_RAM, 16(%r14)
        jne     .Lws_next
        mov     (%r14), %rdi            // range start
        mov     8(%r14), %rdx
        add     %rdi, %rdx              // range end
        mov     $WS_BASE, %ecx
        cmp     %rcx, %rdi
        jae     2f
        mov     %rcx, %rdi
2:      cmp     %r10, %rdx
        jbe     3f
        mov     %r10, %rdx
3:      add     $4095, %rdi             // whole pages only
        and     $~4095, %rdi
        and     $~4095, %rdx
4:      cmp     %rdx, %rdi
        jae     .Lws_next
        test    %rbx, %rbx
        jz      .Lws_done
        mov     %rdi, %rcx
        or      %r9, %rcx
        mov     %rcx, (%rdi)            // the touch: one nonzero, page-unique qword
        // Remember the first contiguous run of touched pages: touch= re-touches
        // pages of it after a resume.
        test    %rax, %rax
        jnz     5f
        mov     %rdi, ws_first(%rip)
        mov     %rdi, ws_next(%rip)
5:      cmp     ws_next(%rip), %rdi
        jne     6f
        incq    ws_run(%rip)
        addq    $4096, ws_next(%rip)
6:      add     $4096, %rdi
        dec     %rbx
        inc     %rax
        jmp     4b
.Lws_next:
        add     $20, %r14               // e820 entries are packed, 20 bytes
        dec     %r13d
        jmp     .Lws_entry
.Lws_done:
        ret

/* ---------------------------------------------------------------------- */
/* Interrupt handling                                                     */
/* ---------------------------------------------------------------------- */

#define SAVE_REGS \
        push %rax; push %rcx; push %rdx; push %rsi; push %rdi; \
        push %r8; push %r9; push %r10; push %r11
#define RESTORE_REGS \
        pop %r11; pop %r10; pop %r9; pop %r8; \
        pop %rdi; pop %rsi; pop %rdx; pop %rcx; pop %rax

// The 1 kHz tick. Its whole job is to notice that the VM has been resumed
// and say so once, promptly: after a restore or resume the first pending
// or next tick arrives within one period, so the RESUMED line appears
// within ~1 ms of the vCPU running again.
//
// The common path (nothing happened) is 25 instructions with three saved
// registers, and that is deliberate: on the development host's nested
// PVM "KVM" every guest instruction of this non-PVM-aware guest is
// emulated, measured at ~0.6 us each, so at 1 kHz each instruction here
// costs ~0.06 % of a host core (an earlier 65-instruction handler idled
// at ~9 %, this one at the EOI-only floor). On VMX/SVM hosts the
// instructions are native and the cost is the timer and EOI exits alone.
timer_isr:
        push    %rax
        push    %rcx
        push    %rdx

        // (a) Wall gap: time in which the vCPU did not run. Pausing stops
        // the vCPU but the host TSC (and so the guest TSC) keeps counting,
        // and the missed periodic ticks coalesce into one, so the first
        // tick after a resume sees a large TSC delta. A TSC that went
        // backwards wraps to a huge delta: also reported. (A snapshot
        // restore usually shows up here too, as the guest TSC is not
        // rewound on the development host, but only the VMGenID tells
        // clones apart, and it does not depend on TSC handling.)
        rdtsc
        shl     $32, %rdx
        or      %rdx, %rax              // rax = TSC now
        mov     %rax, %rdx
        sub     last_tsc(%rip), %rax    // rax = cycles since the previous tick
        mov     %rdx, last_tsc(%rip)
        cmp     gap_cycles(%rip), %rax  // all-ones while uncalibrated or gap=0
        ja      .Lresumed

        // (b) VMGenID: Firecracker writes a fresh random value before every
        // snapshot restore, so it changes on every restore and differs
        // between clones of one snapshot.
        mov     vmgenid_addr(%rip), %rcx
        mov     (%rcx), %rax
        cmp     gen_seen(%rip), %rax
        jne     .Lresumed
        mov     8(%rcx), %rax
        cmp     gen_seen+8(%rip), %rax
        jne     .Lresumed

.Ltick_eoi:
        // Lazy mode: the next tick one lazy period from now (the TSC keeps
        // counting while the VM is paused, so a pause past it shows as a gap).
        cmpb    $0, lazy_mode(%rip)
        je      8f
        rdtsc
        shl     $32, %rdx
        or      %rdx, %rax
        add     lazy_cycles(%rip), %rax
        mov     %rax, %rdx
        shr     $32, %rdx
        mov     $MSR_IA32_TSC_DEADLINE, %ecx
        wrmsr
8:
#ifdef DEBUG_TICKS
        // Debug build only: one line per 1000 ticks, to time the tick rate
        // from the host (should be one line per second).
        incq    ticks(%rip)
        mov     ticks(%rip), %rax
        xor     %edx, %edx
        mov     $1000, %ecx
        div     %rcx
        test    %rdx, %rdx
        jnz     7f
        SAVE_REGS
        call    report_ticks
        RESTORE_REGS
7:
#endif
        xor     %eax, %eax              // x2APIC EOI: write 0 to the EOI MSR
        xor     %edx, %edx
        mov     $MSR_X2APIC_EOI, %ecx
        wrmsr
        pop     %rdx
        pop     %rcx
        pop     %rax
        iretq

        // Slow path, once per resume: remember the new VMGenID, count the
        // resume and print the RESUMED line (interrupts stay off meanwhile).
.Lresumed:
        push    %rsi
        push    %rdi
        push    %r8
        mov     vmgenid_addr(%rip), %rsi
        mov     (%rsi), %rax
        mov     %rax, gen_seen(%rip)
        mov     8(%rsi), %rax
        mov     %rax, gen_seen+8(%rip)
        incq    resumes(%rip)
        call    report_resume
        cmpq    $0, touch_pages(%rip)
        je      1f
        call    retouch                 // the clone's "useful work", timed
        call    report_work
1:      pop     %r8
        pop     %rdi
        pop     %rsi
        jmp     .Ltick_eoi

// The vsock device's interrupt: agent.c does the work (it follows the C calling convention, so only the
// caller-saved registers need saving; 9 pushes over the CPU's 5-qword frame leave rsp 16-byte aligned).
agent_isr:
        SAVE_REGS
        call    agent_interrupt
        xor     %eax, %eax
        xor     %edx, %edx
        mov     $MSR_X2APIC_EOI, %ecx
        wrmsr
        RESTORE_REGS
        iretq

// For agent.c: u64 c_note_resume(void). Does what the tick's slow path does when the VMGenID changed —
// remember it, count the resume, print the serial proof, and re-touch with touch= — and returns 1; returns
// 0 when nothing changed. So whichever of the tick and an agent request comes first reports a restore,
// once. Interrupts are off (called from agent_interrupt). Clobbers only caller-saved registers.
        .globl  c_note_resume
c_note_resume:
        mov     vmgenid_addr(%rip), %rsi
        mov     (%rsi), %rax
        cmp     gen_seen(%rip), %rax
        jne     1f
        mov     8(%rsi), %rax
        cmp     gen_seen+8(%rip), %rax
        jne     1f
        xor     %eax, %eax
        ret
1:      mov     (%rsi), %rax
        mov     %rax, gen_seen(%rip)
        mov     8(%rsi), %rax
        mov     %rax, gen_seen+8(%rip)
        incq    resumes(%rip)
        call    report_resume
        cmpq    $0, touch_pages(%rip)
        je      2f
        call    retouch
        call    report_work
2:      mov     $1, %eax
        ret

// For agent.c: u64 c_retouch(u64 *wrong). retouch saves the callee-saved registers it uses.
        .globl  c_retouch
c_retouch:
        push    %rdi
        call    retouch
        pop     %rdi
        mov     %rdx, (%rdi)
        ret

// Any other external interrupt (VMGenID/ACPI notification, stray legacy
// IRQ, IPI): acknowledge it so the APIC does not block lower priorities,
// and otherwise ignore it. The stub pushed the vector number.
irq_common:
        SAVE_REGS
#ifdef DEBUG_IRQS
        lea     line_buf(%rip), %rdi
        lea     msg_dbg_irq(%rip), %rsi
        mov     $(msg_dbg_irq_end - msg_dbg_irq), %ecx
        rep movsb
        mov     72(%rsp), %rax          // vector, above the 9 saved registers
        call    fmt_dec
        movb    $0x0A, (%rdi)
        inc     %rdi
        call    write_line_buf
#endif
        xor     %eax, %eax
        xor     %edx, %edx
        mov     $MSR_X2APIC_EOI, %ecx
        wrmsr
        RESTORE_REGS
        add     $8, %rsp                // drop the vector
        iretq

// CPU exceptions (vectors 0-31 except NMI) are bugs in this guest, never
// expected: report and stop the vCPU rather than loop on the fault.
// Stack: vector, error code (0 if the CPU pushed none), rip, cs, ...
exc_common:
        lea     line_buf(%rip), %rdi
        lea     msg_fault(%rip), %rsi
        mov     $(msg_fault_end - msg_fault), %ecx
        rep movsb
        mov     (%rsp), %rax
        call    fmt_dec
        lea     msg_fault_err(%rip), %rsi
        mov     $(msg_fault_err_end - msg_fault_err), %ecx
        rep movsb
        mov     8(%rsp), %rax
        call    fmt_hex64
        lea     msg_fault_rip(%rip), %rsi
        mov     $(msg_fault_rip_end - msg_fault_rip), %ecx
        rep movsb
        mov     16(%rsp), %rax
        call    fmt_hex64
        movb    $0x0A, (%rdi)
        inc     %rdi
        call    write_line_buf
1:      cli
        hlt
        jmp     1b

// One ISR_STUB_SIZE-byte stub per vector, so setup_idt can compute the
// address of vector v as isr_stubs + v * ISR_STUB_SIZE.
        .balign ISR_STUB_SIZE
isr_stubs:
        .set    vec, 0
        .rept   256
        .balign ISR_STUB_SIZE
        .if vec == TIMER_VECTOR
        jmp     timer_isr
        .elseif vec == AGENT_VECTOR
        jmp     agent_isr
        .elseif vec == SPURIOUS_VECTOR
        iretq                           // spurious: no EOI by definition
        .elseif vec == 2
        iretq                           // NMI: nothing sends one; ignore
        .elseif vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
        pushq   $vec                    // CPU already pushed an error code
        jmp     exc_common
        .elseif vec < 32
        pushq   $0                      // no error code: push a dummy one
        pushq   $vec
        jmp     exc_common
        .else
        pushq   $vec
        jmp     irq_common
        .endif
        .set    vec, vec + 1
        .endr

/* ---------------------------------------------------------------------- */
/* Lazy timer                                                             */
/* ---------------------------------------------------------------------- */

// Switch the APIC timer from the 1 kHz periodic tick to TSC-deadline mode,
// disarmed (deadline 0) until the first resume; the tick handler re-arms it
// one lazy period ahead each time. Without a TSC-deadline timer (CPUID.1:ECX
// bit 24) the periodic tick stays. Interrupts are off. Clobbers rax, rbx,
// rcx, rdx.
lazy_timer:
        mov     $1, %eax
        cpuid
        bt      $CPUID_1_ECX_TSC_DEADLINE, %ecx
        jnc     9f
        xor     %eax, %eax              // stop the periodic count
        xor     %edx, %edx
        mov     $MSR_X2APIC_TMICT, %ecx
        wrmsr
        mov     $(TIMER_VECTOR | LVT_TIMER_TSC_DEADLINE), %eax
        xor     %edx, %edx
        mov     $MSR_X2APIC_LVT_TMR, %ecx
        wrmsr
        mov     tsc_per_tick(%rip), %rax
        imul    $LAZY_TICKS, %rax
        mov     %rax, lazy_cycles(%rip)
        // A pause is now a gap when the tick comes more than gap after its
        // lazy period (gap detection off stays off).
        mov     gap_cycles(%rip), %rdx
        cmp     $-1, %rdx
        je      1f
        add     %rax, %rdx
        mov     %rdx, gap_cycles(%rip)
1:      movb    $1, lazy_mode(%rip)
9:      ret

/* ---------------------------------------------------------------------- */
/* Re-touching the working set after a resume                            */
/* ---------------------------------------------------------------------- */

// At boot, after the working set is written: how many pages a resume
// re-touches (touch= MiB, at most the first contiguous run written) and in
// which order. A seeded order visits index (start + i * step) mod n, where
// step = TOUCH_PRIME mod n: TOUCH_PRIME is a prime larger than any n, so
// step and n share no factor and every page is visited exactly once.
// Clobbers rax, rcx, rdx.
#define TOUCH_PRIME         1000003
plan_retouch:
        mov     touch_mib(%rip), %rax
        shl     $8, %rax                // 256 pages per MiB
        mov     ws_run(%rip), %rcx
        cmp     %rcx, %rax
        jbe     1f
        mov     %rcx, %rax
1:      mov     %rax, touch_pages(%rip)
        movq    $1, touch_step(%rip)
        movq    $0, touch_index(%rip)
        cmp     $1, %rax
        jbe     2f
        cmpq    $0, touch_seed(%rip)
        je      2f
        mov     %rax, %rcx              // rcx = n
        mov     $TOUCH_PRIME, %eax
        xor     %edx, %edx
        div     %rcx
        mov     %rdx, touch_step(%rip)
        mov     touch_seed(%rip), %rax
        xor     %edx, %edx
        div     %rcx
        mov     %rdx, touch_index(%rip)
2:      ret

// Re-touches touch_pages pages: reads the first qword of each (and writes
// it back with touchw=1) and counts the pages that do not hold the tag the
// boot wrote into them, so a wrong page from the host is caught. The loop
// is short on purpose: guest instructions are emulated on the development
// host. Out: rax = TSC cycles taken, rdx = wrong pages. Clobbers rcx, rsi,
// rdi, r8.
retouch:
        push    %rbx
        push    %r9
        push    %r10
        push    %r11
        push    %r12
        rdtsc
        shl     $32, %rdx
        or      %rdx, %rax
        mov     %rax, %r11              // r11 = TSC at the start
        mov     touch_pages(%rip), %rcx // rcx = pages left
        mov     %rcx, %r12              // r12 = n
        mov     touch_step(%rip), %r8
        mov     touch_index(%rip), %r9
        mov     ws_first(%rip), %r10
        movabs  $PAGE_TAG, %rbx
        xor     %esi, %esi              // rsi = wrong pages
1:      mov     %r9, %rdi
        shl     $12, %rdi
        add     %r10, %rdi              // rdi = the page
        mov     %rdi, %rdx
        or      %rbx, %rdx              // rdx = the tag it should hold
        cmp     %rdx, (%rdi)            // the touch
        je      2f
        inc     %rsi
2:      cmpb    $0, touch_write(%rip)
        je      3f
        mov     %rdx, (%rdi)
3:      add     %r8, %r9
        cmp     %r12, %r9
        jb      4f
        sub     %r12, %r9
4:      dec     %rcx
        jnz     1b
        rdtsc
        shl     $32, %rdx
        or      %rdx, %rax
        sub     %r11, %rax
        mov     %rsi, %rdx
        pop     %r12
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %rbx
        ret

// In: rax = TSC cycles, rdx = wrong pages. Sends "W<microseconds>/<wrong
// pages>\n" (short: every byte is a VM exit). Clobbers rax, rcx, rdx, rsi,
// rdi, r8.
report_work:
        push    %rdx
        mov     $1000, %ecx
        mul     %rcx                    // rdx:rax = cycles * 1000
        divq    tsc_per_tick(%rip)      // / cycles per ms = microseconds
        lea     line_buf(%rip), %rdi
        movb    $0x57, (%rdi)           // 'W'
        inc     %rdi
        call    fmt_dec
        movb    $0x2F, (%rdi)           // '/'
        inc     %rdi
        pop     %rax
        call    fmt_dec
        movb    $0x0A, (%rdi)
        inc     %rdi
        jmp     write_line_buf

/* ---------------------------------------------------------------------- */
/* Output                                                                 */
/* ---------------------------------------------------------------------- */

// Build "R<32 hex VMGenID>/<resumes>\n" and send it. Short on purpose:
// every byte is a VM exit into Firecracker, measured at ~10 us of host CPU
// each on the development host (60 more bytes added ~0.6 ms to a warm
// spawn's 1.5 ms), so the clone's proof carries its generation id and
// nothing else. Called from the tick handler (interrupts off). Clobbers
// rax, rcx, rdx, rsi, rdi, r8 (saved by the caller).
report_resume:
        cmpb    $0, serial_quiet(%rip)  // serialproof=0: the host reads the proof from the agent instead
        jne     9f
        lea     line_buf(%rip), %rdi
        lea     msg_resumed(%rip), %rsi
        mov     $(msg_resumed_end - msg_resumed), %ecx
        rep movsb
        lea     gen_seen(%rip), %rsi
        call    fmt_gen
        lea     msg_n(%rip), %rsi
        mov     $(msg_n_end - msg_n), %ecx
        rep movsb
        mov     resumes(%rip), %rax
        call    fmt_dec
        movb    $0x0A, (%rdi)
        inc     %rdi
        jmp     write_line_buf
9:      ret

#ifdef DEBUG_TICKS
// "SNAPBENCH-DEBUG ticks=<n> tsc_per_tick=<cycles>\n"
report_ticks:
        lea     line_buf(%rip), %rdi
        lea     msg_dbg_ticks(%rip), %rsi
        mov     $(msg_dbg_ticks_end - msg_dbg_ticks), %ecx
        rep movsb
        mov     ticks(%rip), %rax
        call    fmt_dec
        lea     msg_dbg_tpt(%rip), %rsi
        mov     $(msg_dbg_tpt_end - msg_dbg_tpt), %ecx
        rep movsb
        mov     tsc_per_tick(%rip), %rax
        call    fmt_dec
        movb    $0x0A, (%rdi)
        inc     %rdi
        jmp     write_line_buf
#endif

// Send line_buf[0 .. rdi) to COM1.
write_line_buf:
        lea     line_buf(%rip), %rsi
        mov     %rdi, %rcx
        sub     %rsi, %rcx
        // fall through

// In: rsi = bytes, rcx = count (> 0). KVM still exits to Firecracker once
// per byte (its emulator runs "outs" one element at a time, which is what
// Firecracker's serial device expects), but one rep instruction replaces a
// 4-instruction loop per byte, which matters where guest instructions are
// emulated. Clobbers rcx, rdx, rsi.
serial_write:
        mov     $COM1, %edx
        rep outsb
        ret

// In: rax = value, rdi = destination. Writes the decimal digits, advances
// rdi. Clobbers rax, rcx, rdx, r8.
fmt_dec:
        sub     $32, %rsp               // digits are produced backwards into a scratch area
        lea     32(%rsp), %r8
        mov     $10, %ecx
1:      xor     %edx, %edx
        div     %rcx
        add     $0x30, %dl
        dec     %r8
        mov     %dl, (%r8)
        test    %rax, %rax
        jnz     1b
        lea     32(%rsp), %rcx          // copy the digits forwards
        sub     %r8, %rcx
        xchg    %r8, %rsi
        rep movsb
        mov     %r8, %rsi
        add     $32, %rsp
        ret

// In: rsi = the 16 VMGenID bytes, rdi = destination. Writes 32 lowercase
// hex digits, byte 0 first, advances rdi. Unrolled, with a 256-entry
// digit-pair table: it runs on the resume path, where (on emulating
// hosts) every instruction adds latency. Clobbers rax, r8.
fmt_gen:
        lea     hex_pairs(%rip), %r8
        .set    gen_k, 0
        .rept   16
        movzbl  gen_k(%rsi), %eax
        movzwl  (%r8,%rax,2), %eax
        movw    %ax, 2*gen_k(%rdi)
        .set    gen_k, gen_k + 1
        .endr
        add     $32, %rdi
        ret

// In: rax = value, rdi = destination. Writes 16 lowercase hex digits,
// most significant first. Clobbers rax, rcx, rdx, r8.
fmt_hex64:
        lea     hex_digits(%rip), %r8
        mov     $16, %ecx
1:      rol     $4, %rax
        mov     %eax, %edx
        and     $0xF, %edx
        movb    (%r8,%rdx), %dl
        movb    %dl, (%rdi)
        inc     %rdi
        dec     %ecx
        jnz     1b
        ret

/* ---------------------------------------------------------------------- */
/* Read-only data                                                         */
/* ---------------------------------------------------------------------- */

        .section .rodata, "a"
msg_boot:       .ascii  "SNAPBENCH-GUEST v1 boot\n"
msg_boot_end:
msg_ready:      .ascii  "SNAPBENCH-READY ws="
msg_ready_end:
msg_gen:        .ascii  " gen="
msg_gen_end:
msg_resumed:    .ascii  "R"
msg_resumed_end:
msg_n:          .ascii  "/"
msg_n_end:
msg_fault:      .ascii  "SNAPBENCH-FAULT vec="
msg_fault_end:
msg_fault_err:  .ascii  " err="
msg_fault_err_end:
msg_fault_rip:  .ascii  " rip="
msg_fault_rip_end:
#ifdef DEBUG_TICKS
msg_dbg_ticks:  .ascii  "SNAPBENCH-DEBUG ticks="
msg_dbg_ticks_end:
msg_dbg_tpt:    .ascii  " tsc_per_tick="
msg_dbg_tpt_end:
#endif
#ifdef DEBUG_IRQS
msg_dbg_irq:    .ascii  "SNAPBENCH-DEBUG irq vec="
msg_dbg_irq_end:
#endif
key_ws:         .asciz  "ws="
key_gap:        .asciz  "gap="
key_vmgenid:    .asciz  "vmgenid="
key_touch:      .asciz  "touch="
key_touchseed:  .asciz  "touchseed="
key_touchw:     .asciz  "touchw="
key_serialproof: .asciz "serialproof="
key_quiet:      .asciz  "quiet"
hex_digits:     .ascii  "0123456789abcdef"

// hex_pairs[b] = the two lowercase hex digits of byte b, for fmt_gen.
        .macro  HEXCHAR d
        .if (\d) < 10
        .byte   0x30 + (\d)            // '0'..'9'
        .else
        .byte   0x57 + (\d)            // 'a'..'f'
        .endif
        .endm
        .balign 2
hex_pairs:
        .set    pair_i, 0
        .rept   256
        HEXCHAR (pair_i>>4)
        HEXCHAR (pair_i&15)
        .set    pair_i, pair_i + 1
        .endr

        .balign 8
gdt:
        .quad   0                       // null descriptor
        .quad   0x00209A0000000000      // 0x08: code, present, DPL0, L=1 (64-bit)
        .quad   0x0000920000000000      // 0x10: data, present, writable
gdt_end:
        .balign 8
        .skip   6                       // pad so the 8-byte base is aligned
gdt_ptr:
        .word   gdt_end - gdt - 1
        .quad   gdt
        .balign 8
        .skip   6
idt_ptr:
        .word   256 * 16 - 1
        .quad   idt

/* ---------------------------------------------------------------------- */
/* Zero-initialised data (.bss)                                           */
/* ---------------------------------------------------------------------- */

        .bss
        .balign 4096
pml4:           .skip   4096
pdpt:           .skip   4096            // entries past map_gib stay zero (not present)
idt:            .skip   256 * 16
stack:          .skip   16384
stack_top:

        .globl  resumes, tsc_per_tick, ws_run, touch_seed, touch_pages, touch_step, touch_index, gen_seen
        .balign 8
ticks:          .skip   8               // timer interrupts (DEBUG_TICKS builds only)
last_tsc:       .skip   8               // TSC at the previous tick
tsc_per_tick:   .skip   8               // calibrated at boot
gap_ticks:      .skip   8               // gap= (ms, i.e. ticks)
gap_cycles:     .skip   8               // gap threshold in TSC cycles; all-ones = off
resumes:        .skip   8               // resume counter (n=)
lazy_cycles:    .skip   8               // lazy tick period in TSC cycles
lazy_mode:      .skip   8               // nonzero once the timer ticks lazily
ws_mib:         .skip   8               // ws= as given
vmgenid_addr:   .skip   8               // where the VMGenID lives (zero16 if off)
touch_mib:      .skip   8               // touch= as given
touch_seed:     .skip   8               // touchseed= (0: address order)
touch_write:    .skip   8               // touchw= (byte)
serial_quiet:   .skip   8               // serialproof=0 (byte): no R line on the console
touch_pages:    .skip   8               // pages re-touched after a resume
touch_step:     .skip   8               // index step between them
touch_index:    .skip   8               // index of the first
ws_first:       .skip   8               // first page of the working set
ws_next:        .skip   8               // the page after its contiguous run
ws_run:         .skip   8               // pages in that run
gen_seen:       .skip   16              // last VMGenID value seen
zero16:         .skip   16              // stand-in VMGenID for vmgenid=0
line_buf:       .skip   128             // one output line is built here
map_limit:      .skip   8               // end of our identity map (bytes)

        .balign 4096
pd_mmio:        .skip   4096            // the fourth GiB, uncached: virtio-mmio devices and the IOAPIC

        // Last of all (build.sh's linker script puts .pagedirs after every .bss, agent.c's included): the
        // boot code zeroes .bss only up to here.
        .section .pagedirs, "aw", @nobits
        .balign 4096
page_dirs:      .skip   4096 * MAP_GIB_MAX
