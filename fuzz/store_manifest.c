/* The store manifest parser (store_manifest_parse, csrc/store/
 * store_manifest.c; docs/store-format.md), on a buffer of exactly the
 * input's size, not NUL-terminated: a manifest is data, never trusted.
 * Input: one byte of mode, then the manifest text. Mode bit 0: parse the
 * head only (as listings do). Bit 1: the harness writes the right digest
 * into the first "end " line (over the 32 characters after "digest="), so
 * inputs get past the digest check to what follows it.
 * The directory's id is "fuzz" (the seeds' backup line names it).
 * Oracles: every entry is found by its kind and name; a parsed manifest
 * written again (its head lines as read, then the writer's own
 * store_manifest_entry and store_manifest_end) parses back and writes the
 * same text. */
#include <string.h>

#include "fuzz.h"
#include "base/digest.h"
#include "base/strbuf.h"
#include "store/store_impl.h"

#define FUZZ_ID "fuzz"

static void fix_digest(char *t, size_t len)
{
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(t + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - t) : len;
        if (end - at >= 4 && memcmp(t + at, "end ", 4) == 0) {
            const char *key = memmem(t + at, end - at, "digest=", 7);
            if (key != NULL && (size_t)(t + end - key) >= 7 + 32) {
                char hex[VSS_DIGEST_HEX];
                vss_digest d = vss_digest_of(t, at);
                vss_digest_hex(&d, hex);
                memcpy((char *)key + 7, hex, 32);
            }
            return;
        }
        at = end + 1;
    }
}

/* The manifest's entries written again by the writer's own functions
 * under the two head lines as read (head, headlen: the magic with its
 * version, and the backup line). */
static char *write_back(const char *head, size_t headlen, const vss_store_manifest *m,
                        size_t *len)
{
    vss_strbuf b = {0};
    vss_strbuf_add(&b, head, headlen);
    for (size_t i = 0; i < m->n; i++)
        store_manifest_entry(&b, &m->entries[i]);
    store_manifest_end(&b, m->n);
    FUZZ_CHECK(!b.oom, "out of memory writing a manifest");
    *len = b.len;
    return b.p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int head_only = data[0] & 1;
    size_t len = size - 1;
    char *text = malloc(len ? len : 1); /* exactly len: no NUL after it */
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, len);
    if (data[0] & 2)
        fix_digest(text, len);

    vss_error e = {0};
    vss_store_manifest *m = NULL;
    if (store_manifest_parse(text, len, FUZZ_ID, head_only, &m, &e) != VSS_OK) {
        FUZZ_CHECK(e.message[0] != '\0', "a failed parse names nothing");
        free(text);
        return 0;
    }
    for (size_t i = 0; i < m->n; i++) {
        const vss_store_entry *en = &m->entries[i];
        const vss_store_entry *f = vss_store_manifest_find(m, en->kind, en->name);
        FUZZ_CHECK(f != NULL && f->kind == en->kind && strcmp(f->name, en->name) == 0, en->name);
    }
    size_t docs = 0;
    for (const vss_store_entry *w = NULL; (w = vss_store_manifest_writer_metadata(m, w)) != NULL;)
        FUZZ_CHECK(w->kind == VSS_STORE_ENTRY_DOCUMENT && ++docs <= m->n, w->name);
    if (!head_only) {
        size_t len1, len2, headlen = 0;
        for (int lines = 0; headlen < len && lines < 2; headlen++)
            lines += text[headlen] == '\n';
        char *t1 = write_back(text, headlen, m, &len1);
        vss_store_manifest *m2 = NULL;
        FUZZ_CHECK(store_manifest_parse(t1, len1, FUZZ_ID, 0, &m2, &e) == VSS_OK, e.message);
        FUZZ_CHECK(m2->n == m->n, "written back, another entry count");
        char *t2 = write_back(t1, headlen, m2, &len2);
        FUZZ_CHECK(len1 == len2 && memcmp(t1, t2, len1) == 0, "written twice, two texts");
        vss_store_manifest_free(m2);
        free(t1);
        free(t2);
    }
    vss_store_manifest_free(m);
    free(text);
    return 0;
}
