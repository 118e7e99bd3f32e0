#ifndef SNAPBENCH_SYSTEM_SHIMS_H
#define SNAPBENCH_SYSTEM_SHIMS_H
#include <sys/types.h>

/// Sets RLIMIT_NOFILE (soft and hard) of another process; 0 on success, -1 with errno set.
/// prlimit(2) is only declared with _GNU_SOURCE, which Swift's Glibc module does not define.
int snapbench_set_open_file_limit(pid_t pid, unsigned long long limit);

/// Reads the RLIMIT_NOFILE soft limit of another process; 0 on success, -1 with errno set.
int snapbench_get_open_file_limit(pid_t pid, unsigned long long *limit);


/// A non-blocking, close-on-exec eventfd (its header is not part of Swift's Glibc module).
int snapbench_eventfd(void);
#endif
