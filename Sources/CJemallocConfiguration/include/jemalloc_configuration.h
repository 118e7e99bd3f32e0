#ifndef SNAPBENCH_JEMALLOC_CONFIGURATION_H
#define SNAPBENCH_JEMALLOC_CONFIGURATION_H
/// The options jemalloc reads at start-up (its `malloc_conf` symbol), linked into the snapbench executable.
extern const char *malloc_conf;
#endif
