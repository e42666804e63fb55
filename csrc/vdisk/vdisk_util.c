/* What the format parsers share: CRC-32C, UTF-16 to UTF-8, checked reads,
 * locator lists, runs of bits in a sector bitmap. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vdisk/vdisk_impl.h"

static uint32_t crc_table[8][256];
static int crc_ready;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
    crc_ready = 1;
}

uint32_t vss_crc32c(const void *buf, size_t n)
{
    if (!crc_ready)
        crc_init();
    const uint8_t *p = buf;
    uint32_t c = 0xFFFFFFFFu;
    while (n >= 8) {
        uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                           (uint32_t)p[3] << 24);
        c = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
            crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^ crc_table[3][p[4]] ^
            crc_table[2][p[5]] ^ crc_table[1][p[6]] ^ crc_table[0][p[7]];
        p += 8, n -= 8;
    }
    while (n--)
        c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xff];
    return ~c;
}

char *vss_vdisk_utf16(const uint8_t *p, size_t bytes, bool big_endian)
{
    if (bytes % 2)
        return NULL;
    char *out = malloc(bytes / 2 * 3 + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < bytes; i += 2) {
        uint32_t c = big_endian ? (uint32_t)(p[i] << 8 | p[i + 1]) : (uint32_t)(p[i] | p[i + 1] << 8);
        if (c == 0)
            break; /* a NUL ends a fixed-size field */
        if (c >= 0xD800 && c < 0xDC00) {
            if (i + 3 >= bytes)
                goto bad;
            uint32_t d = big_endian ? (uint32_t)(p[i + 2] << 8 | p[i + 3])
                                    : (uint32_t)(p[i + 2] | p[i + 3] << 8);
            if (d < 0xDC00 || d > 0xDFFF)
                goto bad;
            c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
            i += 2;
        } else if (c >= 0xDC00 && c < 0xE000) {
            goto bad;
        }
        if (c < 0x80) {
            *o++ = (char)c;
        } else if (c < 0x800) {
            *o++ = (char)(0xC0 | c >> 6), *o++ = (char)(0x80 | (c & 63));
        } else if (c < 0x10000) {
            *o++ = (char)(0xE0 | c >> 12), *o++ = (char)(0x80 | ((c >> 6) & 63));
            *o++ = (char)(0x80 | (c & 63));
        } else {
            *o++ = (char)(0xF0 | c >> 18), *o++ = (char)(0x80 | ((c >> 12) & 63));
            *o++ = (char)(0x80 | ((c >> 6) & 63)), *o++ = (char)(0x80 | (c & 63));
        }
    }
    *o = 0;
    return out;
bad:
    free(out);
    return NULL;
}

int vss_vdisk_add_locator(vss_vdisk_info *info, const char *key, const char *value,
                          vss_error *e)
{
    vss_vdisk_locator *n = realloc(info->locators, (info->nlocators + 1) * sizeof *n);
    if (n == NULL)
        return vss_error_sys(e, ENOMEM, "parent locator");
    info->locators = n;
    n[info->nlocators].key = strdup(key);
    n[info->nlocators].value = strdup(value);
    if (!n[info->nlocators].key || !n[info->nlocators].value) {
        free(n[info->nlocators].key), free(n[info->nlocators].value);
        return vss_error_sys(e, ENOMEM, "parent locator");
    }
    info->nlocators++;
    return VSS_OK;
}

int vss_vdisk_pread(const vdisk_layer *l, void *buf, size_t n, uint64_t off, const char *what,
                    vss_error *e)
{
    size_t done = 0;
    /* with a replayed log the file may end before its logical size: zeros */
    uint64_t real = l->npatches ? l->real_size : UINT64_MAX;
    if (l->npatches && (off > l->file_size || n > l->file_size - off))
        return vss_error_set(e, VSS_ECORRUPT,
                             "%s at 0x%llx in '%s': the file ends at 0x%llx (truncated?)", what,
                             (unsigned long long)off, l->info.path,
                             (unsigned long long)l->file_size);
    while (done < n) {
        if (off + done >= real) {
            memset((char *)buf + done, 0, n - done);
            break;
        }
        size_t want = n - done;
        if (real - (off + done) < want)
            want = (size_t)(real - (off + done));
        ssize_t r = pread(l->fd, (char *)buf + done, want, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return vss_error_sys(e, errno, "%s at 0x%llx in '%s'", what,
                                 (unsigned long long)off, l->info.path);
        }
        if (r == 0)
            return vss_error_set(e, VSS_ECORRUPT,
                                 "%s at 0x%llx in '%s': the file ends at 0x%llx (truncated?)",
                                 what, (unsigned long long)off, l->info.path,
                                 (unsigned long long)(off + done));
        done += (size_t)r;
    }
    for (size_t i = 0; i < l->npatches; i++) {
        const vdisk_patch *p = &l->patches[i];
        if (p->off >= off + n || off >= p->off + p->len)
            continue;
        uint64_t from = p->off > off ? p->off : off;
        uint64_t to = p->off + p->len < off + n ? p->off + p->len : off + n;
        if (p->data)
            memcpy((char *)buf + (from - off), p->data + (from - p->off), (size_t)(to - from));
        else
            memset((char *)buf + (from - off), 0, (size_t)(to - from));
    }
    return VSS_OK;
}

uint64_t vss_vdisk_bitrun(const uint8_t *bits, uint64_t first, uint64_t end, bool msb,
                          bool *set)
{
#define BIT(i) ((bits[(i) >> 3] >> (msb ? 7 - ((i) & 7) : ((i) & 7))) & 1)
    bool v = BIT(first);
    *set = v;
    uint64_t i = first + 1;
    uint8_t full = v ? 0xFF : 0x00;
    while (i < end) {
        if ((i & 7) == 0 && i + 8 <= end && bits[i >> 3] == full) {
            i += 8;
            continue;
        }
        if ((bool)BIT(i) != v)
            break;
        i++;
    }
    return i;
#undef BIT
}

