/* The VHDX log (MS-VHDX 2.3), replayed in memory: the image file is never
 * written. A log is a ring of 4 KiB-aligned entries: a header sector
 * ("loge", CRC-32C of the whole entry, its length, the tail, a sequence
 * number, the descriptor count, the LogGuid, FlushedFileOffset and
 * LastFileOffset), 32-byte descriptors ("zero": a length of zeros at a
 * file offset; "desc": one 4 KiB sector at a file offset), then one data
 * sector ("data", the sequence number split high/low) per "desc". */
#include <stdlib.h>
#include <string.h>

#include "vdisk/vdisk_impl.h"

#define SECTOR 4096u

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static void le_guid(const uint8_t *p, vss_guid *g)
{
    static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    for (int i = 0; i < 16; i++)
        g->b[i] = p[order[i]];
}

typedef struct entry {
    uint64_t at;   /* offset in the log */
    uint32_t length, tail, count;
    uint64_t seq, flushed, last;
} entry;

/* The entry at log offset at, copied (wrapping around the ring) into out
 * (room for log_len bytes): true when it is valid. */
static bool read_entry(const uint8_t *log, uint64_t log_len, uint64_t at, const vss_guid *guid,
                       uint8_t *out, entry *en, uint64_t *work)
{
    const uint8_t *h = log + at;
    if (memcmp(h, "loge", 4) != 0)
        return false;
    en->at = at;
    en->length = le32(h + 8);
    en->tail = le32(h + 12);
    en->seq = le64(h + 16);
    en->count = le32(h + 24);
    en->flushed = le64(h + 48);
    en->last = le64(h + 56);
    vss_guid g;
    le_guid(h + 32, &g);
    if (!vss_guid_equal(&g, guid) || en->seq == 0 || en->length == 0 || en->length % SECTOR ||
        en->length > log_len || en->tail % SECTOR || en->tail >= log_len)
        return false;
    uint64_t desc_sectors = (64 + (uint64_t)en->count * 32 + SECTOR - 1) / SECTOR;
    if (desc_sectors > en->length / SECTOR)
        return false;
    if (*work > 64 * log_len) /* overlapping entries made to cost: refuse, never hang */
        return false;
    *work += en->length;
    for (uint64_t i = 0; i < en->length / SECTOR; i++)
        memcpy(out + i * SECTOR, log + (at + i * SECTOR) % log_len, SECTOR);
    uint32_t want = le32(out + 4);
    memset(out + 4, 0, 4);
    uint32_t got = vss_crc32c(out, en->length);
    memcpy(out + 4, h + 4, 4);
    if (want != got)
        return false;
    /* descriptors and data sectors belong to this entry */
    uint64_t data = desc_sectors;
    for (uint32_t i = 0; i < en->count; i++) {
        const uint8_t *d = out + 64 + (size_t)i * 32;
        if (le64(d + 24) != en->seq)
            return false;
        if (memcmp(d, "desc", 4) == 0) {
            if (data >= en->length / SECTOR)
                return false;
            const uint8_t *s = out + data * SECTOR;
            if (memcmp(s, "data", 4) != 0 || le32(s + 4) != (uint32_t)(en->seq >> 32) ||
                le32(s + SECTOR - 4) != (uint32_t)en->seq)
                return false;
            data++;
        } else if (memcmp(d, "zero", 4) != 0) {
            return false;
        }
    }
    return true;
}

static int add_patch(vdisk_layer *l, uint64_t off, uint64_t len, uint8_t *data, vss_error *e)
{
    vdisk_patch *n = realloc(l->patches, (l->npatches + 1) * sizeof *n);
    if (n == NULL) {
        free(data);
        return vss_error_sys(e, ENOMEM, "VHDX log replay");
    }
    l->patches = n;
    n[l->npatches++] = (vdisk_patch){off, len, data};
    return VSS_OK;
}

static int apply_entry(vdisk_layer *l, const uint8_t *out, const entry *en, uint64_t log_off,
                       vss_error *e)
{
    unsigned long long where = (unsigned long long)(log_off + en->at);
    uint64_t data = (64 + (uint64_t)en->count * 32 + SECTOR - 1) / SECTOR;
    for (uint32_t i = 0; i < en->count; i++) {
        const uint8_t *d = out + 64 + (size_t)i * 32;
        uint64_t off = le64(d + 16);
        bool zero = memcmp(d, "zero", 4) == 0;
        uint64_t len = zero ? le64(d + 8) : SECTOR;
        /* the first 192 KiB (identifier, headers) are never logged */
        if (off % SECTOR || len % SECTOR || len == 0 || off < 192 * 1024 ||
            off > UINT64_MAX - len || off + len > (UINT64_C(1) << 50))
            return vss_error_set(e, VSS_ECORRUPT,
                                 "VHDX log entry at 0x%llx: descriptor %u writes 0x%llx bytes at "
                                 "0x%llx",
                                 where, i + 1, (unsigned long long)len, (unsigned long long)off);
        uint8_t *sector = NULL;
        if (!zero) {
            const uint8_t *s = out + data * SECTOR;
            sector = malloc(SECTOR);
            if (sector == NULL)
                return vss_error_sys(e, ENOMEM, "VHDX log replay");
            memcpy(sector, d + 8, 8);               /* LeadingBytes */
            memcpy(sector + 8, s + 8, SECTOR - 12); /* the data sector's 4084 bytes */
            memcpy(sector + SECTOR - 4, d + 4, 4);  /* TrailingBytes */
            data++;
        }
        if (add_patch(l, off, len, sector, e) != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

int vss_vhdx_replay_log(vdisk_layer *l, const vhdx_header *h, vss_error *e)
{
    uint64_t log_off = h->log_offset, log_len = h->log_length;
    if (log_len == 0 || log_off > l->file_size || log_len > l->file_size - log_off ||
        log_len > (UINT64_C(1) << 32))
        return vss_error_set(e, VSS_ECORRUPT,
                             "VHDX log at 0x%llx (%llu bytes): a pending log outside the file",
                             (unsigned long long)log_off, (unsigned long long)log_len);
    uint8_t *log = malloc(log_len), *out = malloc(log_len);
    entry *seq = calloc(log_len / SECTOR, sizeof *seq);
    int rc = VSS_OK;
    if (log == NULL || out == NULL || seq == NULL)
        rc = vss_error_sys(e, ENOMEM, "VHDX log of %llu bytes", (unsigned long long)log_len);
    if (rc == VSS_OK)
        rc = vss_vdisk_pread(l, log, log_len, log_off, "VHDX log", e);
    /* the active sequence: from each sector, the run of valid entries with
     * consecutive sequence numbers; the one ending at the highest number */
    uint64_t best_start = 0, best_n = 0, best_seq = 0, work = 0, nsec = log_len / SECTOR;
    /* each sector's entry is checked once: 0 unknown, 1 valid (seq[i]), 2 not */
    uint8_t *state = rc == VSS_OK ? calloc(nsec, 1) : NULL;
    if (rc == VSS_OK && state == NULL)
        rc = vss_error_sys(e, ENOMEM, "VHDX log");
    for (uint64_t pos = 0; rc == VSS_OK && pos < log_len; pos += SECTOR) {
        uint64_t at = pos, n = 0, prev = 0;
        while (n < nsec) {
            uint64_t i = at / SECTOR;
            if (state[i] == 0)
                state[i] = read_entry(log, log_len, at, &h->log_guid, out, &seq[i], &work) ? 1 : 2;
            if (state[i] != 1 || (n > 0 && seq[i].seq != prev + 1))
                break;
            n++, prev = seq[i].seq;
            at = (at + seq[i].length) % log_len;
        }
        if (n > 0 && prev > best_seq)
            best_start = pos, best_n = n, best_seq = prev;
    }
    if (rc == VSS_OK && work > 64 * log_len)
        rc = vss_error_set(e, VSS_ECORRUPT,
                           "VHDX log at 0x%llx: overlapping entries (more than 64 times the log "
                           "checked)",
                           (unsigned long long)log_off);
    free(state);
    entry *run = rc == VSS_OK ? calloc(best_n + 1, sizeof *run) : NULL;
    if (rc == VSS_OK && run == NULL)
        rc = vss_error_sys(e, ENOMEM, "VHDX log");
    if (rc == VSS_OK && best_n == 0)
        rc = vss_error_set(e, VSS_ECORRUPT,
                           "VHDX log at 0x%llx: LogGuid is set but no valid log entry carries it",
                           (unsigned long long)log_off);
    /* the entries of the sequence; the last one's tail must be among them */
    size_t n = 0, tail = SIZE_MAX;
    for (uint64_t at = best_start; rc == VSS_OK && n < best_n; n++) {
        run[n] = seq[at / SECTOR];
        at = (at + run[n].length) % log_len;
    }
    free(seq);
    seq = run;
    for (size_t i = 0; rc == VSS_OK && i < n; i++)
        if (seq[i].at == seq[n - 1].tail)
            tail = i;
    if (rc == VSS_OK && tail == SIZE_MAX)
        rc = vss_error_set(e, VSS_ECORRUPT,
                           "VHDX log entry at 0x%llx (sequence %llu): its tail 0x%x is not an "
                           "entry of the active sequence",
                           (unsigned long long)(log_off + seq[n - 1].at),
                           (unsigned long long)seq[n - 1].seq, seq[n - 1].tail);
    const entry *head = rc == VSS_OK ? &seq[n - 1] : NULL;
    if (rc == VSS_OK && head->flushed > l->file_size)
        rc = vss_error_set(e, VSS_ECORRUPT,
                           "VHDX log entry at 0x%llx: the file (0x%llx bytes) is shorter than "
                           "its FlushedFileOffset 0x%llx: data was lost",
                           (unsigned long long)(log_off + head->at),
                           (unsigned long long)l->file_size, (unsigned long long)head->flushed);
    for (size_t i = tail; rc == VSS_OK && i < n; i++) {
        entry en;
        uint64_t again = 0; /* copied into out once more, checked as before */
        if (!read_entry(log, log_len, seq[i].at, &h->log_guid, out, &en, &again))
            rc = vss_error_set(e, VSS_ECORRUPT, "VHDX log entry at 0x%llx: changed",
                               (unsigned long long)(log_off + seq[i].at));
        else
            rc = apply_entry(l, out, &en, log_off, e);
    }
    if (rc == VSS_OK) {
        l->real_size = l->file_size;
        if (head->last > l->file_size)
            l->file_size = head->last;
        if (l->npatches == 0) /* an empty sequence: still read through the patch path */
            rc = add_patch(l, 0, 0, NULL, e);
    }
    free(seq);
    free(out);
    free(log);
    return rc;
}
