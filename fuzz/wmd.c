/* The writer metadata document (WMD) parser: vss_wm_parse on the bytes in
 * memory (csrc/documents/metadata_xml.c), as a document read from a store
 * or handed over by a writer is. Oracles: a document that loads saves
 * (vss_wm_xml), what it saves loads again, and saving that gives the same
 * text (a fixpoint after one round); and it validates without harm. */
#include <string.h>

#include "fuzz.h"
#include "documents/metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vss_error e = {0};
    vss_writer_metadata *doc = NULL;
    if (vss_wm_parse((const char *)data, size, &doc, &e) != VSS_OK) {
        FUZZ_CHECK(doc == NULL && e.message[0] != '\0', "a failed parse names nothing");
        return 0;
    }
    (void)vss_wm_validate(doc, &e);
    size_t len1 = 0, len2 = 0;
    char *xml1 = vss_wm_xml(doc, &len1, &e);
    FUZZ_CHECK(xml1 != NULL, e.message);
    vss_writer_metadata *again = NULL;
    FUZZ_CHECK(vss_wm_parse(xml1, len1, &again, &e) == VSS_OK, e.message);
    char *xml2 = vss_wm_xml(again, &len2, &e);
    FUZZ_CHECK(xml2 != NULL, e.message);
    FUZZ_CHECK(len1 == len2 && memcmp(xml1, xml2, len1) == 0, "saved twice, two texts");
    free(xml1);
    free(xml2);
    vss_wm_free(again);
    vss_wm_free(doc);
    return 0;
}
