/* The inside of a vss_writer_metadata, shared by the files that implement
 * it (metadata.c: model, lifecycle and accessors; metadata_writer.c: the
 * writer-side calls and their rules; metadata_xml.c: load and save).
 * Nothing else includes this header. */
#ifndef VSS_METADATA_IMPL_H
#define VSS_METADATA_IMPL_H

#include "documents/docxml.h"
#include "documents/metadata.h"

struct vss_writer_metadata {
    char *version;
    uint32_t backup_schema;
    vss_wm_identity id;
    vss_wm_restore_method restore;
    vss_wm_component **components;
    size_t ncomponents, capcomponents;
    vss_wm_files include, exclude, exclude_snapshot, mappings;
    /* The parsed document the unknown attributes and elements live in. */
    xmlDocPtr source;
    vss_xextra *root_extra, *id_extra, *restore_extra, *locations_extra;
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The attributes of IDENTIFICATION, RESTORE_METHOD, a component
 * (DATABASE / FILE_GROUP) and DEPENDENCY: the parts whose strings the
 * model frees through the table. */
extern const vss_xattr vss_wm_identity_attrs_[];
extern const size_t vss_wm_identity_nattrs_;
extern const vss_xattr vss_wm_restore_attrs_[];
extern const size_t vss_wm_restore_nattrs_;
extern const vss_xattr vss_wm_component_attrs_[];
extern const size_t vss_wm_component_nattrs_;
extern const vss_xattr vss_wm_dependency_attrs_[];
extern const size_t vss_wm_dependency_nattrs_;

/* A document with the default version and nothing else. */
vss_writer_metadata *vss_wm_alloc_(vss_error *e);
void vss_wm_component_free_(vss_wm_component *c);
/* A new zeroed entry at the end of f. */
vss_wm_file *vss_wm_files_push_(vss_wm_files *f, vss_error *e);

/* A logical path for a message ("" for none). */
static inline const char *vss_wm_lp_show_(const char *lp) { return lp && *lp ? lp : ""; }

#endif
