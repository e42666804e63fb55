/* VSS_ID: a GUID, random (version 4) from getrandom, written as VSS writes
 * it: "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" in lower case. The 16 bytes
 * are kept in the string's order (no Windows mixed-endian layout). */
#ifndef VSS_SNAPSHOT_ID_H
#define VSS_SNAPSHOT_ID_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

typedef struct vss_id {
    uint8_t b[16];
} vss_id;

enum { VSS_ID_STRLEN = 38 }; /* braces included, NUL excluded */

int vss_id_random(vss_id *id, vss_error *e);
void vss_id_format(const vss_id *id, char out[VSS_ID_STRLEN + 1]);
/* Accepts upper or lower case, with braces. */
int vss_id_parse(const char *s, vss_id *id, vss_error *e);
bool vss_id_equal(const vss_id *a, const vss_id *b);

#endif
