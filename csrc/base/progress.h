/* Progress of long work (a backup's data, a restore's files): counts done
 * and the totals, reported after each file. */
#ifndef VSS_PROGRESS_H
#define VSS_PROGRESS_H

#include <stdint.h>

typedef struct vss_progress {
    uint64_t files_done, bytes_done, files_total, bytes_total;
    const char *name; /* the file just done, NULL before the first */
} vss_progress;

/* Return nonzero to stop the work (it fails with ECANCELED). */
typedef int (*vss_progress_fn)(void *ud, const vss_progress *p);

#endif
