/* A growable text buffer for manifests and messages. Running out of memory
 * sticks (oom), so a writer appends freely and checks once at the end. */
#ifndef VSS_STRBUF_H
#define VSS_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct vss_strbuf {
    char *p; /* NUL-terminated once anything was added */
    size_t len, cap;
    int oom;
} vss_strbuf;

/* Room for `more` bytes and a NUL; false (and oom set) when out of memory. */
bool vss_strbuf_reserve(vss_strbuf *b, size_t more);
void vss_strbuf_add(vss_strbuf *b, const void *data, size_t n);
void vss_strbuf_str(vss_strbuf *b, const char *s);
void vss_strbuf_printf(vss_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vss_strbuf_free(vss_strbuf *b);

#endif
