#define _GNU_SOURCE
#include "system_shims.h"
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void snapbench_line_buffer_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}

int snapbench_set_open_file_limit(pid_t pid, unsigned long long limit) {
    struct rlimit value = {.rlim_cur = limit, .rlim_max = limit};
    return prlimit(pid, RLIMIT_NOFILE, &value, NULL);
}

int snapbench_get_open_file_limit(pid_t pid, unsigned long long *limit) {
    struct rlimit value;
    if (prlimit(pid, RLIMIT_NOFILE, NULL, &value) != 0) return -1;
    *limit = value.rlim_cur;
    return 0;
}

#include <sys/syscall.h>
#include <unistd.h>

int snapbench_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int snapbench_pidfd_send_signal(int pidfd, int signal) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0);
}

#include <sys/eventfd.h>

int snapbench_eventfd(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

pid_t snapbench_spawn_helper(snapbench_helper_mode mode, unsigned long long bytes, int *go_fd, int *ready_fd) {
    int go[2], ready[2];
    if (pipe2(go, O_CLOEXEC) != 0) return -1;
    if (pipe2(ready, O_CLOEXEC) != 0) {
        close(go[0]);
        close(go[1]);
        return -1;
    }
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        close(go[0]);
        close(go[1]);
        close(ready[0]);
        close(ready[1]);
        return -1;
    }
    if (child == 0) {
        // Only async-signal-safe calls from here: the parent is multithreaded.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        int adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (adj >= 0) {
            (void)write(adj, "1000", 4);
            close(adj);
        }
        char byte;
        if (read(go[0], &byte, 1) != 1) _exit(1);
        if (mode == SNAPBENCH_HELPER_BALLOON) {
            volatile char *memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (memory == MAP_FAILED) _exit(2);
            for (unsigned long long offset = 0; offset < bytes; offset += 4096) memory[offset] = 1;
            (void)write(ready[1], "r", 1);
            for (;;) pause();
        }
        (void)write(ready[1], "r", 1);
        for (volatile unsigned long long spin = 0;; spin++) {
        }
    }
    close(go[0]);
    close(ready[1]);
    *go_fd = go[1];
    *ready_fd = ready[0];
    return child;
}

long long snapbench_copy_file_range(int input, int output, unsigned long long length) {
    ssize_t copied = copy_file_range(input, NULL, output, NULL, (size_t)length, 0);
    if (copied < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
        // Across filesystems (a tmpfs work directory, a disk snapshot store) the kernel refuses; sendfile(2)
        // still copies without the data passing through this process.
        copied = sendfile(output, input, NULL, (size_t)length);
    }
    return (long long)copied;
}

int snapbench_unix_socket(const char *path, struct sockaddr_un *address) {
    memset(address, 0, sizeof(*address));
    address->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(address->sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(address->sun_path, path);
    return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

int snapbench_unix_socket_accepts(const char *path) {
    struct sockaddr_un address;
    int fd = snapbench_unix_socket(path, &address);
    if (fd < 0) return -1;
    int result = connect(fd, (struct sockaddr *)&address, sizeof(address));
    int saved = errno;
    close(fd);
    errno = saved;
    return result;
}

/// The kernel's struct sched_attr (uapi/linux/sched/types.h), which no libc header declares.
struct snapbench_sched_attr {
    unsigned int size;
    unsigned int sched_policy;
    unsigned long long sched_flags;
    int sched_nice;
    unsigned int sched_priority;
    unsigned long long sched_runtime;
    unsigned long long sched_deadline;
    unsigned long long sched_period;
    unsigned int sched_util_min;
    unsigned int sched_util_max;
};

int snapbench_set_thread_slice(unsigned long long nanoseconds) {
    return snapbench_set_slice_of_thread((pid_t)syscall(SYS_gettid), nanoseconds);
}

int snapbench_set_slice_of_thread(pid_t thread, unsigned long long nanoseconds) {
    struct snapbench_sched_attr attributes = {0};
    attributes.size = sizeof(attributes);
    attributes.sched_policy = 0;  // SCHED_OTHER
    errno = 0;
    int niceness = getpriority(PRIO_PROCESS, (id_t)thread);
    if (niceness == -1 && errno != 0) return -1;
    attributes.sched_nice = niceness;
    attributes.sched_runtime = nanoseconds;
    return (int)syscall(SYS_sched_setattr, thread, &attributes, 0);
}

long long snapbench_thread_slice(void) {
    return snapbench_slice_of_thread(0);
}

long long snapbench_slice_of_thread(pid_t thread) {
    struct snapbench_sched_attr attributes = {0};
    if (syscall(SYS_sched_getattr, thread, &attributes, sizeof(attributes), 0) != 0) return -1;
    return (long long)attributes.sched_runtime;
}

int snapbench_set_thread_niceness(int niceness) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), niceness);
}
