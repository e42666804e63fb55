/* Strings on the heap, for the layers that copy names out of documents,
 * paths and scripts. */
#ifndef VSS_MEM_H
#define VSS_MEM_H

#include "base/error.h"

/* strdup that accepts NULL (*dst = NULL); sets ENOMEM in e on failure. */
int vss_strdup_opt(char **dst, const char *src, vss_error *e);

/* A malloc'd formatted string; NULL when out of memory. */
char *vss_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
