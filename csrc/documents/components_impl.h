/* The inside of a vss_backup_components, shared by the files that
 * implement it (components.c: model, schema, state and setters;
 * components_select.c: writers and AddComponent; components_files.c:
 * file-level operations and their rules; components_xml.c: load and save).
 * Nothing else includes this header. */
#ifndef VSS_COMPONENTS_IMPL_H
#define VSS_COMPONENTS_IMPL_H

#include "documents/components.h"
#include "documents/docxml.h"

struct vss_backup_components {
    char *version;
    vss_bc_state state;
    vss_bc_writer **writers;
    size_t nwriters, capwriters;
    const vss_writer_metadata **wms; /* attached, not owned */
    size_t nwms, capwms;
    xmlDocPtr source;
    vss_xextra *root_extra;
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FIELD(obj, off, T) ((T *)((char *)(obj) + (off)))

/* The per-component lists, each one element name and one struct array. */
typedef struct vss_bc_kind_ {
    const char *element;
    const vss_xattr *spec;
    size_t nspec, size, items, count, cap, extra;
} vss_bc_kind_;

enum { K_PARTIAL, K_DIRECTED, K_DIFFERENCED, K_NEW_TARGET, K_MAPPING, K_SUBCOMPONENT, K_COUNT };
extern const vss_bc_kind_ vss_bc_kinds_[K_COUNT];

/* The attributes of WRITER_COMPONENTS and COMPONENT. */
extern const vss_xattr vss_bc_writer_attrs_[];
extern const size_t vss_bc_writer_nattrs_;
extern const vss_xattr vss_bc_component_attrs_[];
extern const size_t vss_bc_component_nattrs_;

/* A document with the default version and nothing else. */
vss_backup_components *vss_bc_alloc_(vss_error *e);
void vss_bc_writer_free_(vss_bc_writer *w);
void vss_bc_component_free_(vss_bc_component *c);
/* Append a filled item (ownership of its strings moves to the list). */
void *vss_bc_kind_append_(vss_bc_component *c, const vss_bc_kind_ *k, const void *item,
                          vss_error *e);
/* Free an item's strings and kept XML (not the item itself). */
void vss_bc_kind_free_item_(const vss_bc_kind_ *k, void *item);
/* Replace a string field with a copy of v (NULL allowed). */
int vss_bc_set_str_(char **field, const char *v, vss_error *e);

/* A logical path for a message ("" for none). */
static inline const char *vss_bc_lp_show_(const char *lp) { return lp ? lp : ""; }

#endif
