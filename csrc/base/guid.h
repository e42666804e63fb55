/* GUIDs: writers, writer instances, snapshots and snapshot sets are named
 * by them. One value, two spellings of its 8-4-4-4-12 hex digits:
 *   bare    "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"  as the XML documents
 *           write writer ids, instance ids and the BCD's snapshotSetId;
 *   braced  "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}"  as VSS shows a
 *           VSS_ID (snapshot and snapshot set ids; also the names of their
 *           directories and manifests).
 * luavss writes both in lower case and reads either case. A GUID that came
 * from a document or a script stays the string it was (Windows writes
 * upper case, and a saved document keeps what it read): it is checked with
 * vss_guid_valid and compared with vss_guid_same, not reformatted. The 16
 * bytes of a vss_guid are in the string's order (no Windows mixed-endian
 * layout). */
#ifndef VSS_GUID_H
#define VSS_GUID_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

typedef struct vss_guid {
    uint8_t b[16];
} vss_guid;

enum vss_guid_form { VSS_GUID_BARE, VSS_GUID_BRACED };

enum {
    VSS_GUID_STRLEN = 36,        /* bare, NUL excluded */
    VSS_GUID_BRACED_STRLEN = 38, /* braced, NUL excluded */
    VSS_GUID_BUFSIZE = 39,       /* room for either form and its NUL */
};

/* A random (version 4) GUID from getrandom. */
int vss_guid_random(vss_guid *g, vss_error *e);

/* g in lower case, in the given form. */
void vss_guid_format(const vss_guid *g, enum vss_guid_form form, char out[VSS_GUID_BUFSIZE]);

/* s in the given form, either case. Errors start with "<what> '<s>': "
 * (what NULL: "GUID") and say what was expected where. */
int vss_guid_parse(const char *s, enum vss_guid_form form, const char *what, vss_guid *g,
                   vss_error *e);

/* Is s a bare GUID (either case)? NULL is not. */
bool vss_guid_valid(const char *s);

bool vss_guid_equal(const vss_guid *a, const vss_guid *b);

/* Do two GUID strings name the same GUID? VSS compares them without case.
 * False when either is NULL. */
bool vss_guid_same(const char *a, const char *b);

#endif
