#include "jemalloc_configuration.h"

// Thread caches off: an object freed into a thread's cache still counts as allocated, and only the owning
// thread can flush its cache, so with caches on `stats.allocated` over-counts by whatever the caches of
// Swift's, NIO's and Dispatch's threads hold. snapbench judges allocated growth per lease in bytes, which
// needs the exact figure. `MALLOC_CONF=tcache:true` in the environment turns them back on.
const char *malloc_conf = "tcache:false";
