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
#endif
