/*
 * agent.c - the built-in guest's agent, reached over vsock as a Linux guest's agent is.
 *
 * A virtio-vsock driver over virtio-mmio as Firecracker v1.12 exposes it, and a line agent on one port
 * (agent=<port>, default 52) that answers
 *   "ready"      -> "R<32 hex VMGenID>/<resumes>"   (the same proof the serial line carries)
 *   "touch <N>"  -> "W<microseconds>/<wrong pages>"  (re-touch N MiB of the working set, as touch= does)
 *   anything else -> "E unknown request"
 * one line each. See README.md, "The agent over vsock".
 *
 * The device is found from the kernel command line (virtio_mmio.device=4K@0x<addr>:<irq>, written by
 * Firecracker), driven by its interrupt (its GSI routed through the IOAPIC to AGENT_VECTOR, edge, active
 * high), and uses three split virtqueues of QUEUE_SIZE entries: rx (0), tx (1), event (2). Every packet is one
 * descriptor: the 44-byte header, then its payload. Flow control: every packet sent carries this side's
 * buf_alloc and fwd_cnt; a reply is sent only when the peer's credit allows it.
 *
 * Under the development host's nested PVM every guest instruction is emulated (~0.6 us each), so the code
 * is written for few instructions per packet, not for generality.
 *
 * Freestanding: no libc; built by build.sh together with guest.S.
 */

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

/* --- shared with guest.S ------------------------------------------------------------------------- */

extern u8 gen_seen[16];
extern u64 resumes;
extern u64 tsc_per_tick;
extern u64 ws_run;
extern u64 touch_seed;
extern u64 touch_pages;
extern u64 touch_step;
extern u64 touch_index;
/* 1 when this call noticed a new VMGenID (and printed the serial proof for it), else 0. */
extern u64 c_note_resume(void);
/* Re-touches touch_pages pages as planned in touch_step/touch_index; returns TSC cycles, *wrong the pages
 * that did not hold their tag. */
extern u64 c_retouch(u64 *wrong);

/* --- virtio-mmio (version 2) ------------------------------------------------------------------------ */

#define MMIO_MAGIC 0x000
#define MMIO_VERSION 0x004
#define MMIO_DEVICE_ID 0x008
#define MMIO_DEVICE_FEATURES 0x010
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_DRIVER_FEATURES 0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_QUEUE_SEL 0x030
#define MMIO_QUEUE_NUM_MAX 0x034
#define MMIO_QUEUE_NUM 0x038
#define MMIO_QUEUE_READY 0x044
#define MMIO_QUEUE_NOTIFY 0x050
#define MMIO_INTERRUPT_STATUS 0x060
#define MMIO_INTERRUPT_ACK 0x064
#define MMIO_STATUS 0x070
#define MMIO_QUEUE_DESC_LOW 0x080
#define MMIO_QUEUE_DESC_HIGH 0x084
#define MMIO_QUEUE_DRIVER_LOW 0x090
#define MMIO_QUEUE_DRIVER_HIGH 0x094
#define MMIO_QUEUE_DEVICE_LOW 0x0a0
#define MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define MMIO_CONFIG 0x100

#define VIRTIO_MAGIC 0x74726976 /* "virt" */
#define VIRTIO_ID_VSOCK 19
#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_FEATURES_OK 8
#define STATUS_DRIVER_OK 4
#define DESC_F_WRITE 2

/* IOAPIC (Firecracker: 0xFEC00000), and the vector its pin is routed to. Below the timer's priority
 * class (0x40), so a timer tick pending at a resume runs first and the serial proof keeps its order. */
#define IOAPIC_BASE 0xFEC00000ull
#define AGENT_VECTOR 0x28

/* vsock */
#define VSOCK_TYPE_STREAM 1
#define OP_REQUEST 1
#define OP_RESPONSE 2
#define OP_RST 3
#define OP_SHUTDOWN 4
#define OP_RW 5
#define OP_CREDIT_UPDATE 6
#define OP_CREDIT_REQUEST 7
#define HOST_CID 2
#define EVENT_TRANSPORT_RESET 0

#define QUEUE_SIZE 8
#define RX_BUFFER 512
#define TX_BUFFER 160
#define HEADER 44
#define CONNECTIONS 4
#define LINE 96
/* Replies waiting for the host's credit or a free tx descriptor, in order; sent at most one packet's worth at a time. */
#define WAITING 512
/* What this side offers the host: lines are consumed as they arrive, so the whole window is always free. */
#define BUF_ALLOC 65536
/* Control packets owed to the host while every tx descriptor is in flight. */
#define OWED 16

struct desc {
    u64 addr;
    u32 len;
    u16 flags;
    u16 next;
};

struct avail {
    u16 flags;
    u16 idx;
    u16 ring[QUEUE_SIZE];
};

struct used_elem {
    u32 id;
    u32 len;
};

struct used {
    u16 flags;
    u16 idx;
    struct used_elem ring[QUEUE_SIZE];
};

struct queue {
    struct desc desc[QUEUE_SIZE] __attribute__((aligned(16)));
    struct avail avail __attribute__((aligned(2)));
    struct used used __attribute__((aligned(4)));
    u16 last_used;
};

struct header {
    u64 src_cid;
    u64 dst_cid;
    u32 src_port;
    u32 dst_port;
    u32 len;
    u16 type;
    u16 op;
    u32 flags;
    u32 buf_alloc;
    u32 fwd_cnt;
} __attribute__((packed));

struct connection {
    u32 peer_port; /* 0: free */
    u32 received;  /* payload bytes consumed: our fwd_cnt */
    u32 sent;      /* payload bytes sent */
    u32 peer_buf_alloc;
    u32 peer_fwd_cnt;
    u32 line_length;
    u32 waiting_length;  /* reply bytes not sent yet */
    u32 credit_asked;    /* a CREDIT_REQUEST went out for them */
    char line[LINE];
    char waiting[WAITING];
};

/* A control packet (RESPONSE, RST, CREDIT_UPDATE) that found every tx descriptor in flight. */
struct owed {
    u32 peer_port;
    u32 local_port;
    u16 op;
};

/* The driver's whole state. In .bss, which guest.S zeroes at boot; part of every snapshot. */
static struct {
    volatile u8 *mmio;
    u64 guest_cid;
    u32 port;
    u32 tx_busy; /* bit i: tx descriptor i is in flight */
    u32 notify;  /* bit q: queue q has new buffers for the device */
    u32 waiting; /* 1 while a connection may have replies waiting (cleared once all are sent) */
    u32 owed_count;
    struct owed owed[OWED]; /* in the order they were due, sent before anything else at the next interrupt */
    struct queue rx, tx, event;
    struct connection connections[CONNECTIONS];
    u8 rx_buffers[QUEUE_SIZE][RX_BUFFER] __attribute__((aligned(8)));
    u8 tx_buffers[QUEUE_SIZE][TX_BUFFER] __attribute__((aligned(8)));
    u32 events[QUEUE_SIZE];
} agent;

/* --- small helpers (no libc) ------------------------------------------------------------------------ */

#define barrier() __asm__ volatile("" ::: "memory")

static u32 mmio_read(u32 offset) { return *(volatile u32 *)(agent.mmio + offset); }

static void mmio_write(u32 offset, u32 value) { *(volatile u32 *)(agent.mmio + offset) = value; }

static void ioapic_write(u32 reg, u32 value) {
    *(volatile u32 *)IOAPIC_BASE = reg;
    *(volatile u32 *)(IOAPIC_BASE + 0x10) = value;
}

static u64 read_tsc(void) {
    u32 low, high;
    __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
    return ((u64)high << 32) | low;
}

static int starts_with(const char *text, const char *prefix) {
    while (*prefix)
        if (*text++ != *prefix++) return 0;
    return 1;
}

/* Decimal digits at *text (advanced past them). */
static u64 parse_dec(const char **text) {
    u64 value = 0;
    while (**text >= '0' && **text <= '9') value = value * 10 + (u64)(*(*text)++ - '0');
    return value;
}

static u64 parse_hex(const char **text) {
    u64 value = 0;
    if ((*text)[0] == '0' && ((*text)[1] | 0x20) == 'x') *text += 2;
    for (;;) {
        char c = **text;
        u64 digit;
        if (c >= '0' && c <= '9') digit = (u64)(c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') digit = (u64)((c | 0x20) - 'a' + 10);
        else return value;
        value = value * 16 + digit;
        (*text)++;
    }
}

static char *put_dec(char *out, u64 value) {
    char digits[20];
    int count = 0;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    while (count) *out++ = digits[--count];
    return out;
}

/* Copies `length` bytes, eight at a time where it can: under emulation every instruction counts. */
static void copy(u8 *to, const char *from, u32 length) {
    u32 i = 0;
    for (; i + 8 <= length; i += 8) {
        u64 word;
        __builtin_memcpy(&word, from + i, 8);
        __builtin_memcpy(to + i, &word, 8);
    }
    for (; i < length; i++) to[i] = (u8)from[i];
}

/* --- queues ----------------------------------------------------------------------------------------- */

static void setup_queue(u32 index, struct queue *queue) {
    mmio_write(MMIO_QUEUE_SEL, index);
    mmio_write(MMIO_QUEUE_NUM, QUEUE_SIZE);
    u64 desc = (u64)queue->desc, avail = (u64)&queue->avail, used = (u64)&queue->used;
    mmio_write(MMIO_QUEUE_DESC_LOW, (u32)desc);
    mmio_write(MMIO_QUEUE_DESC_HIGH, (u32)(desc >> 32));
    mmio_write(MMIO_QUEUE_DRIVER_LOW, (u32)avail);
    mmio_write(MMIO_QUEUE_DRIVER_HIGH, (u32)(avail >> 32));
    mmio_write(MMIO_QUEUE_DEVICE_LOW, (u32)used);
    mmio_write(MMIO_QUEUE_DEVICE_HIGH, (u32)(used >> 32));
    mmio_write(MMIO_QUEUE_READY, 1);
}

/* Offers descriptor `id` to the device again (its buffer stays as set up). */
static void post(struct queue *queue, u16 id, u32 bit) {
    queue->avail.ring[queue->avail.idx % QUEUE_SIZE] = id;
    barrier();
    queue->avail.idx++;
    agent.notify |= bit;
}

/* --- sending ---------------------------------------------------------------------------------------- */

/* One packet to the host on `connection`'s ports; payload may be empty. Returns 0, sending nothing, when all
 * tx descriptors are in flight (the device returns them once it has read them, at the next interrupt). */
static int send(struct connection *connection, u16 op, u32 flags, const char *payload, u32 length) {
    u32 id = 0;
    while (id < QUEUE_SIZE && (agent.tx_busy & (1u << id))) id++;
    if (id == QUEUE_SIZE || length > TX_BUFFER - HEADER) return 0;
    struct header *header = (struct header *)agent.tx_buffers[id];
    header->src_cid = agent.guest_cid;
    header->dst_cid = HOST_CID;
    header->src_port = agent.port;
    header->dst_port = connection->peer_port;
    header->len = length;
    header->type = VSOCK_TYPE_STREAM;
    header->op = op;
    header->flags = flags;
    header->buf_alloc = BUF_ALLOC;
    header->fwd_cnt = connection->received;
    copy(agent.tx_buffers[id] + HEADER, payload, length);
    connection->sent += length;
    agent.tx.desc[id].len = HEADER + length;
    agent.tx_busy |= 1u << id;
    post(&agent.tx, (u16)id, 1u << 1);
    return 1;
}

/* Sends the replies waiting on `connection`, in order, while the host's credit and the tx descriptors allow;
 * what remains goes out at the next credit update or interrupt. Once short of credit, asks for it once. */
static void flush(struct connection *connection) {
    while (connection->waiting_length && connection->peer_port) {
        u32 length = connection->waiting_length;
        if (length > TX_BUFFER - HEADER) length = TX_BUFFER - HEADER;
        u32 credit = connection->peer_buf_alloc - (connection->sent - connection->peer_fwd_cnt);
        if (credit < length) {
            if (!connection->credit_asked) connection->credit_asked = send(connection, OP_CREDIT_REQUEST, 0, 0, 0);
            return;
        }
        if (!send(connection, OP_RW, 0, connection->waiting, length)) return;
        connection->waiting_length -= length;
        for (u32 i = 0; i < connection->waiting_length; i++) connection->waiting[i] = connection->waiting[i + length];
        connection->credit_asked = 0;
    }
}

/* Queues one reply behind those still waiting and sends what it can. Only a host that stops reading while it
 * keeps writing fills the queue; a reply that does not fit then is dropped, and its request times out. */
static void reply(struct connection *connection, const char *text, u32 length) {
    /* The usual case, as cheap as before the queue: nothing waits, the credit and a descriptor are there. */
    if (!connection->waiting_length &&
        connection->peer_buf_alloc - (connection->sent - connection->peer_fwd_cnt) >= length &&
        send(connection, OP_RW, 0, text, length))
        return;
    if (connection->waiting_length + length > WAITING) return;
    copy((u8 *)connection->waiting + connection->waiting_length, text, length);
    connection->waiting_length += length;
    agent.waiting = 1;
    flush(connection);
}

/* A control packet from `local_port` (the agent's port, or the one a refused packet was sent to), carrying
 * `connection`'s counters. One that finds every tx descriptor in flight is owed, in order, and goes out at the
 * next interrupt: dropped, a RESPONSE or an RST left the host's connect unanswered, since Firecracker gives up on
 * a connection only when something else wakes its muxer (12 connections waiting at boot left 4 hanging). */
static void control(struct connection *connection, u32 local_port, u16 op) {
    if (!agent.owed_count) {
        u32 port = agent.port;
        agent.port = local_port;
        int sent = send(connection, op, 0, 0, 0);
        agent.port = port;
        if (sent) return;
    }
    if (agent.owed_count == OWED) return; /* only a host flooding a stalled device gets here; it times out */
    struct owed *owed = &agent.owed[agent.owed_count++];
    owed->peer_port = connection->peer_port;
    owed->local_port = local_port;
    owed->op = op;
}

static struct connection *find(u32 peer_port);

/* Sends the owed control packets, in order, while tx descriptors are free. */
static void pay_owed(void) {
    /* Static: a connection on the stack would be zeroed with a memset this freestanding guest does not have;
     * this one's counters stay 0 (a control packet carries no payload). */
    static struct connection gone;
    u32 paid = 0;
    for (; paid < agent.owed_count; paid++) {
        struct owed *owed = &agent.owed[paid];
        struct connection *connection = owed->local_port == agent.port ? find(owed->peer_port) : 0;
        if (!connection) {
            gone.peer_port = owed->peer_port;
            connection = &gone;
        }
        u32 port = agent.port;
        agent.port = owed->local_port;
        int sent = send(connection, owed->op, 0, 0, 0);
        agent.port = port;
        if (!sent) break;
    }
    for (u32 i = paid; i < agent.owed_count; i++) agent.owed[i - paid] = agent.owed[i];
    agent.owed_count -= paid;
}

/* A reset for a packet that has no connection here: the header's own ports, swapped. */
static void refuse(const struct header *packet) {
    static struct connection stray; /* static for the same reason as pay_owed's */
    stray.peer_port = packet->src_port;
    control(&stray, packet->dst_port, OP_RST);
}

/* --- the agent -------------------------------------------------------------------------------------- */

/* The proof "R<32 hex VMGenID>/<resumes>\n", formatted once per resume (the first request after one). */
static u32 ready_reply(char *out) {
    static char proof[64];
    static u32 length;
    static u64 formatted = ~0ull;
    c_note_resume();
    if (formatted != resumes) {
        char *end = proof;
        *end++ = 'R';
        for (int i = 0; i < 16; i++) {
            *end++ = "0123456789abcdef"[gen_seen[i] >> 4];
            *end++ = "0123456789abcdef"[gen_seen[i] & 15];
        }
        *end++ = '/';
        end = put_dec(end, resumes);
        *end++ = '\n';
        length = (u32)(end - proof);
        formatted = resumes;
    }
    copy((u8 *)out, proof, length);
    return length;
}

/* The reply to one request line, written into `out`; returns its length (with its '\n'). */
static u32 answer(const char *line, char *out) {
    char *end = out;
    if (line[0] == 'r' && starts_with(line, "ready") && line[5] == 0) {
        return ready_reply(out);
    } else if (starts_with(line, "touch ")) {
        const char *number = line + 6;
        u64 pages = parse_dec(&number) << 8;
        if (pages > ws_run) pages = ws_run;
        touch_pages = pages;
        touch_step = 1;
        touch_index = 0;
        if (pages > 1 && touch_seed) {
            touch_step = 1000003 % pages;
            touch_index = touch_seed % pages;
        }
        u64 wrong = 0, cycles = pages ? c_retouch(&wrong) : 0;
        touch_pages = 0;
        *end++ = 'W';
        end = put_dec(end, tsc_per_tick ? cycles * 1000 / tsc_per_tick : 0);
        *end++ = '/';
        end = put_dec(end, wrong);
    } else {
        const char *error = "E unknown request";
        while (*error) *end++ = *error++;
    }
    *end++ = '\n';
    return (u32)(end - out);
}

static struct connection *find(u32 peer_port) {
    for (int i = 0; i < CONNECTIONS; i++)
        if (agent.connections[i].peer_port == peer_port) return &agent.connections[i];
    return 0;
}

static void receive(const struct header *packet, const u8 *payload) {
    if (packet->dst_port != agent.port || packet->src_cid != HOST_CID || packet->type != VSOCK_TYPE_STREAM) {
        if (packet->op != OP_RST) refuse(packet);
        return;
    }
    struct connection *connection = find(packet->src_port);
    if (packet->op == OP_REQUEST) {
        if (!connection) connection = find(0);
        if (!connection) {
            refuse(packet);
            return;
        }
        /* Field by field: zeroing the whole connection (its buffers) costs hundreds of emulated stores. */
        connection->received = connection->sent = connection->line_length = 0;
        connection->waiting_length = connection->credit_asked = 0;
        connection->peer_port = packet->src_port;
        connection->peer_buf_alloc = packet->buf_alloc;
        connection->peer_fwd_cnt = packet->fwd_cnt;
        control(connection, agent.port, OP_RESPONSE);
        return;
    }
    if (!connection) {
        if (packet->op != OP_RST) refuse(packet);
        return;
    }
    connection->peer_buf_alloc = packet->buf_alloc;
    connection->peer_fwd_cnt = packet->fwd_cnt;
    switch (packet->op) {
    case OP_RW:
        for (u32 i = 0; i < packet->len; i++) {
            char c = (char)payload[i];
            if (c == '\n') {
                connection->line[connection->line_length] = 0;
                char line_reply[TX_BUFFER - HEADER];
                /* Counted before the reply, so the reply already carries the credit it frees. */
                connection->received += i + 1;
                payload += i + 1;
                u32 rest = packet->len - i - 1;
                u32 length = answer(connection->line, line_reply);
                connection->line_length = 0;
                reply(connection, line_reply, length);
                struct header remainder = *packet;
                remainder.len = rest;
                receive(&remainder, payload);
                return;
            }
            if (c != '\r' && connection->line_length < LINE - 1) connection->line[connection->line_length++] = c;
        }
        connection->received += packet->len;
        break;
    case OP_CREDIT_REQUEST:
        control(connection, agent.port, OP_CREDIT_UPDATE);
        break;
    case OP_SHUTDOWN:
        control(connection, agent.port, OP_RST);
        connection->peer_port = 0;
        break;
    case OP_RST:
        connection->peer_port = 0;
        break;
    default: /* CREDIT_UPDATE: the credit is already taken from the header; replies may wait on it */
        flush(connection);
        break;
    }
}

/* --- interrupt ------------------------------------------------------------------------------------------ */

/* Called by guest.S's AGENT_VECTOR stub, interrupts off; the stub sends the EOI.
 *
 * InterruptStatus is neither read nor acknowledged: each is an MMIO exit into Firecracker (the costliest thing
 * this guest does), Firecracker raises the edge-triggered line on every used buffer whatever the status says,
 * and the used rings themselves say what happened. */
void agent_interrupt(void) {
    if (!agent.mmio) return;
    /* The transport reset (sent when the golden VM was snapshotted): every connection is gone. */
    while (agent.event.last_used != agent.event.used.idx) {
        barrier();
        u16 id = (u16)agent.event.used.ring[agent.event.last_used % QUEUE_SIZE].id;
        if (agent.events[id] == EVENT_TRANSPORT_RESET)
            for (int i = 0; i < CONNECTIONS; i++) agent.connections[i].peer_port = 0;
        agent.event.last_used++;
        post(&agent.event, id, 1u << 2);
    }
    while (agent.tx.last_used != agent.tx.used.idx) {
        barrier();
        agent.tx_busy &= ~(1u << agent.tx.used.ring[agent.tx.last_used % QUEUE_SIZE].id);
        agent.tx.last_used++;
    }
    if (agent.owed_count) pay_owed();
    if (agent.waiting) {
        u32 left = 0;
        for (int i = 0; i < CONNECTIONS; i++) {
            flush(&agent.connections[i]);
            left |= agent.connections[i].waiting_length;
        }
        agent.waiting = left != 0;
    }
    while (agent.rx.last_used != agent.rx.used.idx) {
        barrier();
        struct used_elem element = agent.rx.used.ring[agent.rx.last_used % QUEUE_SIZE];
        const struct header *packet = (const struct header *)agent.rx_buffers[element.id];
        if (element.len >= HEADER && packet->len <= element.len - HEADER) receive(packet, (const u8 *)(packet + 1));
        agent.rx.last_used++;
        post(&agent.rx, (u16)element.id, 1u << 0);
    }
    barrier();
    for (u32 queue = 0; queue < 3; queue++)
        if (agent.notify & (1u << queue)) mmio_write(MMIO_QUEUE_NOTIFY, queue);
    agent.notify = 0;
}

/* --- start-up ------------------------------------------------------------------------------------------- */

/* The device of the first "virtio_mmio.device=<size>@<addr>:<irq>" token that is a vsock device. */
static int find_device(const char *cmdline, u64 *address, u32 *irq) {
    const char *key = "virtio_mmio.device=";
    for (const char *text = cmdline; *text; text++) {
        if ((text != cmdline && text[-1] != ' ') || !starts_with(text, key)) continue;
        const char *cursor = text + 19;
        while (*cursor && *cursor != '@' && *cursor != ' ') cursor++;
        if (*cursor != '@') continue;
        cursor++;
        u64 base = parse_hex(&cursor);
        if (*cursor != ':') continue;
        cursor++;
        u32 line = (u32)parse_dec(&cursor);
        volatile u32 *registers = (volatile u32 *)base;
        if (registers[MMIO_MAGIC / 4] != VIRTIO_MAGIC || registers[MMIO_VERSION / 4] != 2 ||
            registers[MMIO_DEVICE_ID / 4] != VIRTIO_ID_VSOCK)
            continue;
        *address = base;
        *irq = line;
        return 1;
    }
    return 0;
}

/* Finds and starts the vsock device and the agent, from the kernel command line (agent=<port>, default 52;
 * agent=0 leaves it off). Called once at boot with interrupts off; returns the port, 0 when there is none. */
u64 agent_start(const char *cmdline) {
    u64 port = 52, address = 0;
    u32 irq = 0;
    for (const char *text = cmdline; text && *text; text++)
        if ((text == cmdline || text[-1] == ' ') && starts_with(text, "agent=")) {
            const char *number = text + 6;
            port = parse_dec(&number);
        }
    if (!cmdline || !port || !find_device(cmdline, &address, &irq) || irq > 23) return 0;
    agent.mmio = (volatile u8 *)address;
    agent.port = (u32)port;
    /* Status one bit at a time, as the device checks: ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK. */
    mmio_write(MMIO_STATUS, STATUS_ACKNOWLEDGE);
    mmio_write(MMIO_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    mmio_write(MMIO_DEVICE_FEATURES_SEL, 1);
    if (!(mmio_read(MMIO_DEVICE_FEATURES) & 1)) return agent.mmio = 0, 0; /* VIRTIO_F_VERSION_1 */
    mmio_write(MMIO_DRIVER_FEATURES_SEL, 1);
    mmio_write(MMIO_DRIVER_FEATURES, 1);
    mmio_write(MMIO_DRIVER_FEATURES_SEL, 0);
    mmio_write(MMIO_DRIVER_FEATURES, 0);
    mmio_write(MMIO_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
    if (!(mmio_read(MMIO_STATUS) & STATUS_FEATURES_OK)) return agent.mmio = 0, 0;
    if (mmio_read(MMIO_QUEUE_NUM_MAX) < QUEUE_SIZE) return agent.mmio = 0, 0;
    for (u16 i = 0; i < QUEUE_SIZE; i++) {
        agent.rx.desc[i].addr = (u64)agent.rx_buffers[i];
        agent.rx.desc[i].len = RX_BUFFER;
        agent.rx.desc[i].flags = DESC_F_WRITE;
        agent.tx.desc[i].addr = (u64)agent.tx_buffers[i];
        agent.event.desc[i].addr = (u64)&agent.events[i];
        agent.event.desc[i].len = sizeof agent.events[i];
        agent.event.desc[i].flags = DESC_F_WRITE;
        post(&agent.rx, i, 1u << 0);
        post(&agent.event, i, 1u << 2);
    }
    setup_queue(0, &agent.rx);
    setup_queue(1, &agent.tx);
    setup_queue(2, &agent.event);
    /* The device's pin: edge, active high, to this vCPU (x2APIC id 0), unmasked before the device goes live.
     * Connections the host opened while the guest booted are delivered the moment DRIVER_OK activates the
     * device, and an edge on a masked pin is lost: with the pin unmasked later, the first batch filled every rx
     * buffer with no interrupt to say so, the device had nowhere to put more, and the agent never answered.
     * Unmasked first, that edge waits in the local APIC until this boot path idles with interrupts on. */
    ioapic_write(0x11 + 2 * irq, 0);
    ioapic_write(0x10 + 2 * irq, AGENT_VECTOR);
    mmio_write(MMIO_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
    agent.guest_cid = mmio_read(MMIO_CONFIG) | ((u64)mmio_read(MMIO_CONFIG + 4) << 32);
    mmio_write(MMIO_QUEUE_NOTIFY, 0);
    mmio_write(MMIO_QUEUE_NOTIFY, 2);
    agent.notify = 0;
    (void)read_tsc;
    return port;
}
