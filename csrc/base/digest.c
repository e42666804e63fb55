#include "base/digest.h"
#include "base/hex.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

struct vss_hasher {
    XXH3_state_t *state;
};

vss_hasher *vss_hasher_new(void)
{
    vss_hasher *h = malloc(sizeof *h);
    if (h == NULL)
        return NULL;
    h->state = XXH3_createState();
    if (h->state == NULL) {
        free(h);
        return NULL;
    }
    XXH3_128bits_reset(h->state);
    return h;
}

void vss_hasher_free(vss_hasher *h)
{
    if (h == NULL)
        return;
    XXH3_freeState(h->state);
    free(h);
}

void vss_hasher_reset(vss_hasher *h)
{
    XXH3_128bits_reset(h->state);
}

void vss_hasher_update(vss_hasher *h, const void *data, size_t n)
{
    XXH3_128bits_update(h->state, data, n);
}

void vss_hasher_update_zeros(vss_hasher *h, uint64_t n)
{
    static const unsigned char zeros[64 * 1024];
    while (n > 0) {
        size_t k = n < sizeof zeros ? (size_t)n : sizeof zeros;
        XXH3_128bits_update(h->state, zeros, k);
        n -= k;
    }
}

static vss_digest canonical(XXH128_hash_t v)
{
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, v);
    vss_digest d;
    memcpy(d.bytes, c.digest, sizeof d.bytes);
    return d;
}

vss_digest vss_hasher_digest(const vss_hasher *h)
{
    return canonical(XXH3_128bits_digest(h->state));
}

vss_digest vss_digest_of(const void *data, size_t n)
{
    return canonical(XXH3_128bits(data, n));
}

bool vss_digest_equal(const vss_digest *a, const vss_digest *b)
{
    return memcmp(a->bytes, b->bytes, VSS_DIGEST_SIZE) == 0;
}

void vss_digest_hex(const vss_digest *d, char out[VSS_DIGEST_HEX])
{
    vss_hex_encode(d->bytes, VSS_DIGEST_SIZE, out);
}

bool vss_digest_parse(const char *hex, size_t len, vss_digest *out)
{
    if (len != 2 * VSS_DIGEST_SIZE)
        return false;
    for (size_t i = 0; i < VSS_DIGEST_SIZE; i++) {
        int hi = vss_hex_value(hex[2 * i]), lo = vss_hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out->bytes[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}
