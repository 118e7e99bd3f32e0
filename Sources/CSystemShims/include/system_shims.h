#ifndef SNAPBENCH_SYSTEM_SHIMS_H
#define SNAPBENCH_SYSTEM_SHIMS_H
#include <sys/types.h>

/// Sets RLIMIT_NOFILE (soft and hard) of another process; 0 on success, -1 with errno set.
/// prlimit(2) is only declared with _GNU_SOURCE, which Swift's Glibc module does not define.
int snapbench_set_open_file_limit(pid_t pid, unsigned long long limit);

/// Reads the RLIMIT_NOFILE soft limit of another process; 0 on success, -1 with errno set.
int snapbench_get_open_file_limit(pid_t pid, unsigned long long *limit);


/// A close-on-exec process descriptor for `pid` (pidfd_open(2)); -1 with errno set.
int snapbench_pidfd_open(pid_t pid);

/// Sends `signal` through a process descriptor (pidfd_send_signal(2)); 0 on success, -1 with errno set.
int snapbench_pidfd_send_signal(int pidfd, int signal);

/// Lowers (or raises) the calling thread's CPU priority to `niceness`; 0 on success, -1 with errno set.
/// setpriority(2) with the thread's own id (gettid(2), declared only with _GNU_SOURCE) reaches one thread.
int snapbench_set_thread_niceness(int niceness);

/// Asks the scheduler for a short time slice for the calling thread (SCHED_OTHER, `sched_runtime` of
/// sched_setattr(2): EEVDF's request size, Linux 6.12 on), so that it preempts longer-sliced work when it wakes;
/// no privilege needed. 0 on success, -1 with errno set (EINVAL on a kernel without it). sched_setattr has no
/// libc wrapper.
int snapbench_set_thread_slice(unsigned long long nanoseconds);

/// The same for one thread of this or another process of the same user (`thread` a thread id), keeping its
/// niceness; 0 nanoseconds gives the kernel's default slice back.
int snapbench_set_slice_of_thread(pid_t thread, unsigned long long nanoseconds);

/// The calling thread's slice in nanoseconds (the kernel's default unless it asked for one), -1 with errno set.
long long snapbench_thread_slice(void);

/// The slice of one thread (of this or another process) in nanoseconds, -1 with errno set.
long long snapbench_slice_of_thread(pid_t thread);

struct sockaddr_un;

/// A close-on-exec stream socket for the Unix socket at `path`, with `address` filled in for its bind or
/// connect; -1 with errno set (ENAMETOOLONG for a path that does not fit).
int snapbench_unix_socket(const char *path, struct sockaddr_un *address);

/// Connects a stream socket to the Unix socket at `path` and closes it again: 0 when something listens there,
/// -1 with errno set. A sockaddr_un is a C struct with a fixed-size path array, awkward from Swift.
int snapbench_unix_socket_accepts(const char *path);

/// copy_file_range(2) from the current offsets of both descriptors, sendfile(2) where the kernel refuses it
/// (across filesystems): bytes copied, -1 with errno set. Declared only with _GNU_SOURCE, which Swift's Glibc
/// module does not define.
long long snapbench_copy_file_range(int input, int output, unsigned long long length);

/// A non-blocking, close-on-exec eventfd (its header is not part of Swift's Glibc module).
int snapbench_eventfd(void);

/// Makes stdout line-buffered even into a file or pipe (setvbuf(3)); Swift cannot name the C `stdout`
/// global under strict concurrency.
void snapbench_line_buffer_stdout(void);

/// What a fault helper process does.
typedef enum {
    /// Spins on the CPU until killed.
    SNAPBENCH_HELPER_SPIN = 0,
    /// Maps `bytes` of anonymous memory, touches every page, then sleeps until killed.
    SNAPBENCH_HELPER_BALLOON = 1,
} snapbench_helper_mode;

/// Forks a fault-injection helper (fork rather than exec: the child runs only async-signal-safe calls, so
/// no helper binary has to ship). The child dies with its parent (PR_SET_PDEATHSIG), prefers to be the one
/// the OOM killer takes (oom_score_adj 1000), and waits for a byte on `*go_fd` before it starts, so the parent
/// can place it in a cgroup first; it writes one byte to `*ready_fd` once its memory is touched (or at once
/// when spinning). Returns the child's pid, or -1 with errno set.
pid_t snapbench_spawn_helper(snapbench_helper_mode mode, unsigned long long bytes, int *go_fd, int *ready_fd);

// MARK: - The userfaultfd page server (page_fault_server.c)

/// One guest memory region as Firecracker's UFFD backend describes it: where the VMM mapped it, how large,
/// where it starts in the snapshot's memory file, and its page size (4 KiB, or 2 MiB with huge pages).
typedef struct {
    unsigned long long base;
    unsigned long long size;
    unsigned long long offset;
    unsigned long long page_size;
} snapbench_uffd_region;

/// What one page server did.
typedef struct {
    /// Page faults received.
    unsigned long long faults;
    /// 4 KiB pages copied in to serve them.
    unsigned long long fault_pages;
    /// Nanoseconds spent serving them.
    unsigned long long fault_ns;
    /// 4 KiB pages copied in ahead of any fault.
    unsigned long long prefetched_pages;
    /// Nanoseconds spent prefetching, faults served in between included.
    unsigned long long prefetch_ns;
    /// Pages found already present (a wake sufficed).
    unsigned long long already_present;
    /// 4 KiB pages copied in around faulting pages (part of `fault_pages`).
    unsigned long long fault_around_pages;
    /// Remove events (balloon inflation).
    unsigned long long removes;
} snapbench_uffd_stats;

/// A listening, close-on-exec Unix stream socket bound at `path`; -1 with errno set.
int snapbench_uffd_listen(const char *path);

/// Accepts the VMM's connection within `timeout_ms` (or until `stop_fd` is readable: errno ECANCELED) and
/// receives its one message: the region mappings as JSON into `json` (NUL-terminated) and the userfaultfd
/// attached to it. Returns the JSON's length, or -1 with errno set (ETIMEDOUT, EPROTO when no descriptor came).
long snapbench_uffd_accept(
    int listen_fd, int stop_fd, int timeout_ms, char *json, size_t capacity, int *connection, int *uffd);

/// A range of guest addresses the VMM removed (balloon inflation): faults there get zero pages.
typedef struct {
    unsigned long long start;
    unsigned long long end;
} snapbench_uffd_range;

#define SNAPBENCH_UFFD_MAX_REMOVED 256

/// One VMM's page-serving session: filled in by the caller (`uffd` … `record_pages`), then used by
/// `snapbench_uffd_prefetch` and `snapbench_uffd_serve` in turn on one thread.
typedef struct {
    int uffd;
    const snapbench_uffd_region *regions;
    int region_count;
    /// The memory file mapped whole (`source_size` bytes): the source of every page.
    const unsigned char *source;
    unsigned long long source_size;
    /// With a bitmap, bit n is set for each file page n a fault brought in (`record_pages` bits).
    unsigned char *record;
    unsigned long long record_pages;
    /// Bit n is set once file page n is in guest memory (`record_pages` bits): what fault-around skips.
    unsigned char *present;
    /// A 4 KiB fault also copies in the missing pages around it, within an aligned block of this many
    /// pages (1: the faulting page only). Each fault costs a vCPU a wake-up round trip through this
    /// server, far more than copying a few more pages.
    unsigned long long fault_around_pages;
    snapbench_uffd_range removed[SNAPBENCH_UFFD_MAX_REMOVED];
    int removed_count;
    snapbench_uffd_stats stats;
} snapbench_uffd_session;

/// Copies the `count` ranges in `prefetch` (pairs of first file page and page count) in, in chunks, serving
/// faults between them. 0 when done, 1 when the VMM's memory is gone, -errno when a copy fails.
int snapbench_uffd_prefetch(snapbench_uffd_session *session, const unsigned long long *prefetch, int count);

/// Serves the VMM's page faults until it hangs up or exits (returns 0) or `stop_fd` is readable (returns 1);
/// -errno when a page cannot be served.
int snapbench_uffd_serve(snapbench_uffd_session *session, int connection, int stop_fd);
#endif
