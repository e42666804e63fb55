/* The backup components document (BCD) parser: vss_bc_parse on the bytes in
 * memory (csrc/documents/components_xml.c), as a document read from a store
 * or handed over by a writer is. Oracles: a document that loads saves
 * (vss_bc_xml), what it saves loads again, and saving that gives the same
 * text (a fixpoint after one round). Then what a restore does with it:
 * validate, and parse each component's inline ranges and directed-target
 * plans. */
#include <string.h>

#include "fuzz.h"
#include "documents/components.h"
#include "ranges/ranges.h"

/* What a restore does with a component's range strings (restore_lay.c,
 * backup.c), inline lists only: a ranges file would be a path read. */
static void use_ranges(const vss_bc_component *c)
{
    vss_error e;
    for (size_t i = 0; i < c->partial_file_count; i++) {
        const char *s = c->partial_files[i].ranges, *file;
        vss_ranges *r = NULL;
        if (vss_ranges_is_inline(s, strlen(s))) {
            FUZZ_CHECK(vss_ranges_parse(s, strlen(s), 0, &r, &e) == VSS_OK, e.message);
            vss_ranges_free(r);
        } else {
            (void)vss_ranges_file_reference(s, &file);
        }
    }
    for (size_t i = 0; i < c->directed_target_count; i++) {
        const vss_bc_directed_target *dt = &c->directed_targets[i];
        vss_ranges *sr = NULL, *dr = NULL;
        vss_range_copy *plan = NULL;
        size_t n = 0;
        if (vss_ranges_is_inline(dt->src_ranges, strlen(dt->src_ranges)) &&
            vss_ranges_is_inline(dt->dst_ranges, strlen(dt->dst_ranges)) &&
            vss_ranges_parse(dt->src_ranges, strlen(dt->src_ranges), 0, &sr, &e) == VSS_OK &&
            vss_ranges_parse(dt->dst_ranges, strlen(dt->dst_ranges), 0, &dr, &e) == VSS_OK &&
            vss_ranges_map(sr, dr, &plan, &n, &e) == VSS_OK)
            FUZZ_CHECK(n == vss_ranges_count(sr), "a plan of another length");
        free(plan);
        vss_ranges_free(sr);
        vss_ranges_free(dr);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vss_error e = {0};
    vss_backup_components *doc = NULL;
    if (vss_bc_parse((const char *)data, size, &doc, &e) != VSS_OK) {
        FUZZ_CHECK(doc == NULL && e.message[0] != '\0', "a failed parse names nothing");
        return 0;
    }
    (void)vss_bc_validate(doc, &e);
    for (size_t w = 0; w < vss_bc_writer_count(doc); w++) {
        const vss_bc_writer *wr = vss_bc_writer_at(doc, w);
        for (size_t i = 0; i < wr->component_count; i++)
            use_ranges(wr->components[i]);
    }
    size_t len1 = 0, len2 = 0;
    char *xml1 = vss_bc_xml(doc, &len1, &e);
    FUZZ_CHECK(xml1 != NULL, e.message);
    vss_backup_components *again = NULL;
    FUZZ_CHECK(vss_bc_parse(xml1, len1, &again, &e) == VSS_OK, e.message);
    char *xml2 = vss_bc_xml(again, &len2, &e);
    FUZZ_CHECK(xml2 != NULL, e.message);
    FUZZ_CHECK(len1 == len2 && memcmp(xml1, xml2, len1) == 0, "saved twice, two texts");
    free(xml1);
    free(xml2);
    vss_bc_free(again);
    vss_bc_free(doc);
    return 0;
}
