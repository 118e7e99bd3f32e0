#ifndef SNAPBENCH_CJEMALLOC_SHIM_H
#define SNAPBENCH_CJEMALLOC_SHIM_H
// Debian's libjemalloc-dev builds jemalloc without a symbol prefix, so `mallctl` is the public entry point
// and linking the library replaces the process's malloc.
#include <jemalloc/jemalloc.h>
#endif
