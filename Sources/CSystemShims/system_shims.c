#define _GNU_SOURCE
#include "system_shims.h"
#include <stddef.h>
#include <sys/resource.h>

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

#include <sys/eventfd.h>

int snapbench_eventfd(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}
