// The userfaultfd page server: Firecracker's UFFD memory backend hands snapbench the guest memory's
// userfaultfd, and this loop copies pages in from the snapshot's memory file as the guest touches them.
// It is C because every step is a system call on raw addresses (recvmsg with SCM_RIGHTS, ioctls on
// structs the kernel fills in); Swift only starts it on a thread of its own and reads its statistics.
#define _GNU_SOURCE
#include "system_shims.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SMALL_PAGE 4096ULL
/// Pages copied by one prefetch ioctl: UFFDIO_COPY wakes waiting vCPUs only when it returns, so a
/// prefetch runs in chunks and serves faults in between.
#define PREFETCH_CHUNK_PAGES 64ULL

static unsigned long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned long long)t.tv_sec * 1000000000ULL + (unsigned long long)t.tv_nsec;
}

int snapbench_uffd_listen(const char *path) {
    struct sockaddr_un address;
    int fd = snapbench_unix_socket(path, &address);
    if (fd < 0) return -1;
    if (bind(fd, (struct sockaddr *)&address, sizeof(address)) != 0 || listen(fd, 1) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

long snapbench_uffd_accept(
    int listen_fd, int stop_fd, int timeout_ms, char *json, size_t capacity, int *connection, int *uffd
) {
    struct pollfd waits[2] = {{.fd = listen_fd, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};
    int ready = poll(waits, 2, timeout_ms);
    if (ready < 0) return -1;
    if (ready == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    if (waits[1].revents) {
        errno = ECANCELED;
        return -1;
    }
    int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) return -1;
    // Firecracker sends the region mappings as JSON with the userfaultfd attached, in one message.
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof(control));
    struct iovec part = {.iov_base = json, .iov_len = capacity - 1};
    struct msghdr message = {
        .msg_iov = &part, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)
    };
    struct pollfd incoming = {.fd = conn, .events = POLLIN};
    ssize_t length = -1;
    int polled = poll(&incoming, 1, timeout_ms);
    if (polled == 1) length = recvmsg(conn, &message, MSG_CMSG_CLOEXEC);
    else if (polled == 0) errno = ETIMEDOUT;
    int received = -1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); length > 0 && header != NULL;
         header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) {
            memcpy(&received, CMSG_DATA(header), sizeof(int));
        }
    }
    if (length <= 0 || received < 0) {
        if (received >= 0) close(received);
        close(conn);
        errno = length < 0 ? errno : EPROTO;
        return -1;
    }
    json[length] = 0;
    *connection = conn;
    *uffd = received;
    return (long)length;
}

typedef snapbench_uffd_session server;

static const snapbench_uffd_region *region_of(const server *s, unsigned long long address) {
    for (int i = 0; i < s->region_count; i++) {
        const snapbench_uffd_region *r = &s->regions[i];
        if (address >= r->base && address < r->base + r->size) return r;
    }
    return NULL;
}

static int is_removed(const server *s, unsigned long long address) {
    for (int i = 0; i < s->removed_count; i++) {
        if (address >= s->removed[i].start && address < s->removed[i].end) return 1;
    }
    return 0;
}

static void set_bits(unsigned char *bits, unsigned long long count, unsigned long long file_offset,
                     unsigned long long length) {
    if (bits == NULL) return;
    for (unsigned long long page = file_offset / SMALL_PAGE; page < (file_offset + length) / SMALL_PAGE; page++) {
        if (page < count) bits[page / 8] |= (unsigned char)(1u << (page % 8));
    }
}

static int is_present(const server *s, unsigned long long file_page) {
    if (s->present == NULL || file_page >= s->record_pages) return 0;
    return (s->present[file_page / 8] >> (file_page % 8)) & 1;
}

/// The pages a fault brought in: recorded when asked, and known present for fault-around.
static void note_pages(server *s, unsigned long long file_offset, unsigned long long length) {
    set_bits(s->record, s->record_pages, file_offset, length);
    set_bits(s->present, s->record_pages, file_offset, length);
}

/// Copies `length` bytes from the file at `file_offset` to `destination` (page-aligned, in pages of
/// `page_size`), waking what waits there. Pages already present (a fault served first) are skipped after a
/// wake. 0, or -errno; *copied counts the bytes this call copied.
static int copy_in(server *s, unsigned long long destination, unsigned long long file_offset,
                   unsigned long long length, unsigned long long page_size, unsigned long long *copied) {
    if (file_offset + length > s->source_size) return -EFAULT;
    struct uffdio_copy copy = {
        .dst = destination, .src = (unsigned long long)(uintptr_t)(s->source + file_offset), .len = length
    };
    *copied = 0;
    for (int attempt = 0; copy.len > 0 && attempt < 100000; attempt++) {
        copy.copy = 0;
        int failed = ioctl(s->uffd, UFFDIO_COPY, &copy) != 0;
        int error = errno;
        unsigned long long done = failed ? (copy.copy > 0 ? (unsigned long long)copy.copy : 0) : copy.len;
        *copied += done;
        copy.dst += done;
        copy.src += done;
        copy.len -= done;
        if (!failed) return 0;
        if (error == EAGAIN) continue;  // the mappings changed under the copy: retry the rest
        if (error != EEXIST) return -error;
        // The page at copy.dst is there already: wake its waiters and go on after it.
        struct uffdio_range range = {.start = copy.dst, .len = page_size};
        ioctl(s->uffd, UFFDIO_WAKE, &range);
        s->stats.already_present += 1;
        copy.dst += page_size;
        copy.src += page_size;
        copy.len -= page_size;
    }
    return copy.len == 0 ? 0 : -EAGAIN;
}

static int serve_fault(server *s, unsigned long long address) {
    const snapbench_uffd_region *r = region_of(s, address);
    if (r == NULL) return -EFAULT;
    unsigned long long page = address & ~(r->page_size - 1);
    unsigned long long started = now_ns();
    s->stats.faults += 1;
    if (is_removed(s, page)) {
        // Memory the balloon gave back reads as zeros, as it would have without a handler.
        struct uffdio_zeropage zero = {.range = {.start = page, .len = r->page_size}};
        if (ioctl(s->uffd, UFFDIO_ZEROPAGE, &zero) != 0 && errno != EEXIST) return -errno;
        s->stats.fault_ns += now_ns() - started;
        return 0;
    }
    // The run of missing pages around the faulting one, within its aligned fault-around block. Not once
    // memory was removed (those pages must read as zeros, not as the file).
    unsigned long long first = page, end = page + r->page_size;
    if (r->page_size == SMALL_PAGE && s->fault_around_pages > 1 && s->removed_count == 0) {
        unsigned long long block = s->fault_around_pages * SMALL_PAGE;
        unsigned long long low = page & ~(block - 1), high = low + block;
        if (low < r->base) low = r->base;
        if (high > r->base + r->size) high = r->base + r->size;
        while (first > low && !is_present(s, (r->offset + (first - SMALL_PAGE - r->base)) / SMALL_PAGE)) {
            first -= SMALL_PAGE;
        }
        while (end < high && !is_present(s, (r->offset + (end - r->base)) / SMALL_PAGE)) end += SMALL_PAGE;
    }
    unsigned long long offset = r->offset + (first - r->base);
    unsigned long long copied = 0;
    int result = copy_in(s, first, offset, end - first, r->page_size, &copied);
    if (result != 0) return result;
    s->stats.fault_pages += copied / SMALL_PAGE;
    if (end - first > r->page_size) s->stats.fault_around_pages += (end - first - r->page_size) / SMALL_PAGE;
    note_pages(s, offset, end - first);
    s->stats.fault_ns += now_ns() - started;
    return 0;
}

/// Reads and serves every event waiting on the userfaultfd. 0, or -errno.
static int drain_events(server *s) {
    struct uffd_msg messages[32];
    for (;;) {
        ssize_t length = read(s->uffd, messages, sizeof(messages));
        if (length < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -errno;
        if (length == 0) return 0;
        for (size_t i = 0; i < (size_t)length / sizeof(struct uffd_msg); i++) {
            struct uffd_msg *m = &messages[i];
            if (m->event == UFFD_EVENT_PAGEFAULT) {
                int result = serve_fault(s, m->arg.pagefault.address);
                if (result != 0) return result;
            } else if (m->event == UFFD_EVENT_REMOVE) {
                s->stats.removes += 1;
                if (s->removed_count == SNAPBENCH_UFFD_MAX_REMOVED) return -ENOSPC;
                s->removed[s->removed_count++] = (snapbench_uffd_range){m->arg.remove.start, m->arg.remove.end};
            }
        }
    }
}

/// The file pages of `prefetch` ranges, copied in chunks, serving waiting faults between chunks.
static int prefetch_all(server *s, const unsigned long long *prefetch, int count) {
    unsigned long long started = now_ns();
    for (int i = 0; i < count; i++) {
        unsigned long long first = prefetch[2 * i], pages = prefetch[2 * i + 1];
        while (pages > 0) {
            unsigned long long offset = first * SMALL_PAGE;
            const snapbench_uffd_region *r = NULL;
            for (int k = 0; k < s->region_count; k++) {
                const snapbench_uffd_region *c = &s->regions[k];
                if (offset >= c->offset && offset < c->offset + c->size) r = c;
            }
            if (r == NULL) break;
            unsigned long long chunk = pages < PREFETCH_CHUNK_PAGES ? pages : PREFETCH_CHUNK_PAGES;
            unsigned long long end_of_region = (r->offset + r->size - offset) / SMALL_PAGE;
            if (chunk > end_of_region) chunk = end_of_region;
            unsigned long long length = chunk * SMALL_PAGE;
            // Huge pages copy whole: round the chunk out to the region's page.
            unsigned long long aligned = offset & ~(r->page_size - 1);
            length = ((offset + length + r->page_size - 1) & ~(r->page_size - 1)) - aligned;
            unsigned long long copied = 0;
            int result = copy_in(s, r->base + (aligned - r->offset), aligned, length, r->page_size, &copied);
            if (result != 0) return result;
            s->stats.prefetched_pages += copied / SMALL_PAGE;
            set_bits(s->present, s->record_pages, aligned, length);
            unsigned long long advanced = (aligned + length - offset) / SMALL_PAGE;
            first += advanced;
            pages = pages > advanced ? pages - advanced : 0;
            result = drain_events(s);
            if (result != 0) return result;
        }
    }
    s->stats.prefetch_ns += now_ns() - started;
    return 0;
}

int snapbench_uffd_prefetch(snapbench_uffd_session *s, const unsigned long long *prefetch, int count) {
    int result = prefetch_all(s, prefetch, count);
    // ESRCH: the VMM's memory is gone (it exited) while pages were still being copied in.
    return result == -ESRCH ? 1 : result;
}

int snapbench_uffd_serve(snapbench_uffd_session *s, int connection, int stop_fd) {
    struct pollfd waits[3] = {
        {.fd = s->uffd, .events = POLLIN}, {.fd = connection, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}
    };
    for (;;) {
        if (poll(waits, 3, -1) < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (waits[0].revents & POLLIN) {
            int result = drain_events(s);
            if (result == -ESRCH) return 0;
            if (result != 0) return result;
        }
        // The VMM's memory is gone (it exited): nothing more will fault.
        if (waits[0].revents & (POLLERR | POLLHUP)) return 0;
        if (waits[2].revents) return 1;
        if (waits[1].revents & (POLLHUP | POLLERR)) return 0;
        if (waits[1].revents & POLLIN) {
            char byte;
            if (recv(connection, &byte, 1, MSG_DONTWAIT) == 0) return 0;
        }
    }
}
