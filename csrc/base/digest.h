/* Content digests of stored data: XXH3-128 (libxxhash), streamed. The
 * canonical form is big-endian, 32 lowercase hex digits: what
 * `xxhsum -H2` prints, so a stored file can be checked by hand. */
#ifndef VSS_DIGEST_H
#define VSS_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VSS_DIGEST_SIZE 16
#define VSS_DIGEST_HEX 33 /* 32 digits and the NUL */

typedef struct vss_digest {
    unsigned char bytes[VSS_DIGEST_SIZE]; /* canonical (big-endian) */
} vss_digest;

typedef struct vss_hasher vss_hasher; /* opaque streaming state */

vss_hasher *vss_hasher_new(void); /* NULL when out of memory */
void vss_hasher_free(vss_hasher *h);
void vss_hasher_reset(vss_hasher *h);
void vss_hasher_update(vss_hasher *h, const void *data, size_t n);
/* Feed n zero bytes (a hole of a sparse file) without a buffer that big. */
void vss_hasher_update_zeros(vss_hasher *h, uint64_t n);
vss_digest vss_hasher_digest(const vss_hasher *h);

vss_digest vss_digest_of(const void *data, size_t n);
bool vss_digest_equal(const vss_digest *a, const vss_digest *b);
void vss_digest_hex(const vss_digest *d, char out[VSS_DIGEST_HEX]);
/* Exactly 32 hex digits (either case); false otherwise. */
bool vss_digest_parse(const char *hex, size_t len, vss_digest *out);

#endif
