/* Loading, parsing and saving a Backup Components Document. What the
 * model does not know is kept and written back; a loaded document saves
 * as itself with the model's changes (docxml.h, vss_xml_dump_merged). */
#include "documents/components_impl.h"
#include "base/array.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define BC_ATTR(n, k, f, en, fl, d) {n, k, offsetof(struct vss_backup_components, f), en, fl, d}
#define C_ATTR(n, k, f, en, fl, d) {n, k, offsetof(vss_bc_component, f), en, fl, d}

static const vss_xattr root_attrs[] = {
    BC_ATTR("version", VSS_XSTR, version, NULL, 0, 0),
    BC_ATTR("bootableSystemStateBackup", VSS_XBOOL, state.bootable_system_state, NULL, 0, 0),
    BC_ATTR("selectComponents", VSS_XBOOL, state.select_components, NULL, 0, 0),
    BC_ATTR("backupType", VSS_XENUM, state.backup_type, &vss_enum_backup_type, 0, 0),
    BC_ATTR("partialFileSupport", VSS_XBOOL, state.partial_file_support, NULL, 0, 0),
    BC_ATTR("snapshotSetId", VSS_XGUID, state.snapshot_set_id, NULL, 0, 0),
    BC_ATTR("restoreType", VSS_XENUM, state.restore_type, &vss_enum_restore_type,
            VSS_XOMIT_DEFAULT, VSS_RTYPE_UNDEFINED),
};
static const vss_xattr backup_metadata_attrs[] = {
    C_ATTR("metadata", VSS_XSTR, backup_metadata, NULL, 0, 0),
};
static const vss_xattr restore_metadata_attrs[] = {
    C_ATTR("metadata", VSS_XSTR, restore_metadata, NULL, 0, 0),
};

/* ---- XML load ---- */

static int load_metadata(xmlNodePtr n, const vss_xattr *spec, vss_bc_component *c,
                         vss_xextra **extra, vss_error *e)
{
    if (vss_xml_get_attrs(n, spec, 1, c, extra, e) != VSS_OK)
        return VSS_FAIL;
    for (xmlNodePtr k = n->children; k != NULL; k = k->next)
        if (!vss_xml_ignorable(k) && vss_xextra_add_node(extra, k, e) != VSS_OK)
            return VSS_FAIL;
    return VSS_OK;
}

static int load_child(vss_bc_component *c, const vss_bc_kind_ *k, xmlNodePtr n, vss_error *e)
{
    union {
        vss_bc_partial_file p;
        vss_bc_directed_target t;
        vss_bc_differenced_file d;
        vss_bc_restore_subcomponent r;
        vss_wm_file f;
    } u;
    void *item = &u;
    memset(&u, 0, sizeof u);
    vss_xml_defaults(k->spec, k->nspec, item);
    vss_xextra **extra = FIELD(item, k->extra, vss_xextra *);
    if (vss_xml_get_attrs(n, k->spec, k->nspec, item, extra, e) != VSS_OK) {
        vss_bc_kind_free_item_(k, item);
        return VSS_FAIL;
    }
    for (xmlNodePtr ch = n->children; ch != NULL; ch = ch->next)
        if (!vss_xml_ignorable(ch) && vss_xextra_add_node(extra, ch, e) != VSS_OK) {
            vss_bc_kind_free_item_(k, item);
            return VSS_FAIL;
        }
    if (vss_bc_kind_append_(c, k, item, e) == NULL) {
        vss_bc_kind_free_item_(k, item);
        return VSS_FAIL;
    }
    return VSS_OK;
}

static int load_component(vss_bc_writer *w, xmlNodePtr n, vss_error *e)
{
    vss_bc_component *c = calloc(1, sizeof *c);
    if (c == NULL || VSS_GROW(w->components, w->component_cap, w->component_count, e) != VSS_OK) {
        free(c);
        return vss_error_set(e, ENOMEM, "out of memory");
    }
    vss_xml_defaults(vss_bc_component_attrs_, vss_bc_component_nattrs_, c);
    c->writer = w;
    w->components[w->component_count++] = c;
    if (vss_xml_get_attrs(n, vss_bc_component_attrs_, vss_bc_component_nattrs_, c, &c->extra, e) !=
        VSS_OK)
        return VSS_FAIL;
    if (c->logical_path && *c->logical_path == '\0') {
        free(c->logical_path);
        c->logical_path = NULL;
    }
    for (xmlNodePtr k = n->children; k != NULL; k = k->next) {
        int rc = VSS_OK;
        size_t i = 0;
        if (vss_xml_ignorable(k))
            continue;
        if (vss_xml_is(k, "BACKUP_METADATA") && c->backup_metadata_extra == NULL)
            rc = load_metadata(k, backup_metadata_attrs, c, &c->backup_metadata_extra, e);
        else if (vss_xml_is(k, "RESTORE_METADATA") && c->restore_metadata_extra == NULL)
            rc = load_metadata(k, restore_metadata_attrs, c, &c->restore_metadata_extra, e);
        else {
            while (i < K_COUNT && !vss_xml_is(k, vss_bc_kinds_[i].element))
                i++;
            rc = i < K_COUNT ? load_child(c, &vss_bc_kinds_[i], k, e)
                                      : vss_xextra_add_node(&c->extra, k, e);
        }
        if (rc != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

static int load_writer(vss_backup_components *bc, xmlNodePtr n, vss_error *e)
{
    vss_bc_writer *w = calloc(1, sizeof *w);
    if (w == NULL || VSS_GROW(bc->writers, bc->capwriters, bc->nwriters, e) != VSS_OK) {
        free(w);
        return vss_error_set(e, ENOMEM, "out of memory");
    }
    bc->writers[bc->nwriters++] = w;
    if (vss_xml_get_attrs(n, vss_bc_writer_attrs_, vss_bc_writer_nattrs_, w, &w->extra, e) !=
        VSS_OK)
        return VSS_FAIL;
    for (xmlNodePtr k = n->children; k != NULL; k = k->next) {
        int rc = VSS_OK;
        if (vss_xml_is(k, "COMPONENT"))
            rc = load_component(w, k, e);
        else if (!vss_xml_ignorable(k))
            rc = vss_xextra_add_node(&w->extra, k, e);
        if (rc != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

/* The model of a parsed document, which it keeps (and frees on failure).
 * Errors start with path when there is one. */
static int from_doc(xmlDocPtr doc, const char *path, vss_backup_components **out, vss_error *e)
{
    vss_backup_components *bc = vss_bc_alloc_(e);
    if (bc == NULL) {
        xmlFreeDoc(doc);
        if (path)
            vss_xml_prefix_error(e, path);
        return VSS_FAIL;
    }
    bc->source = doc;
    free(bc->version);
    vss_xml_defaults(root_attrs, ARRAY_LEN(root_attrs), bc);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    int rc = vss_xml_get_attrs(root, root_attrs, ARRAY_LEN(root_attrs), bc, &bc->root_extra, e);
    for (xmlNodePtr k = root->children; k != NULL && rc == VSS_OK; k = k->next) {
        if (vss_xml_is(k, "WRITER_COMPONENTS"))
            rc = load_writer(bc, k, e);
        else if (!vss_xml_ignorable(k))
            rc = vss_xextra_add_node(&bc->root_extra, k, e);
    }
    if (rc != VSS_OK) {
        vss_bc_free(bc);
        if (path)
            vss_xml_prefix_error(e, path);
        return VSS_FAIL;
    }
    *out = bc;
    return VSS_OK;
}

int vss_bc_parse(const char *xml, size_t len, vss_backup_components **out, vss_error *e)
{
    xmlDocPtr doc;
    *out = NULL;
    if (vss_xml_parse(xml, len, "BACKUP_COMPONENTS", VSS_BCD_NAMESPACE, &doc, e) != VSS_OK)
        return VSS_FAIL;
    return from_doc(doc, NULL, out, e);
}

int vss_bc_load(const char *path, vss_backup_components **out, vss_error *e)
{
    xmlDocPtr doc;
    *out = NULL;
    if (vss_xml_load(path, "BACKUP_COMPONENTS", VSS_BCD_NAMESPACE, &doc, e) != VSS_OK)
        return VSS_FAIL;
    return from_doc(doc, path, out, e);
}

/* ---- XML save ---- */

static xmlNodePtr add_el(xmlNodePtr parent, const char *name, const vss_xattr *spec, size_t n,
                         const void *obj, const vss_xextra *extra, vss_error *e)
{
    xmlNodePtr el = xmlNewChild(parent, xmlDocGetRootElement(parent->doc)->ns,
                                (const xmlChar *)name, NULL);
    if (el == NULL) {
        vss_error_set(e, ENOMEM, "out of memory");
        return NULL;
    }
    if (vss_xml_set_attrs(el, spec, n, obj, extra, e) != VSS_OK)
        return NULL;
    return el;
}

static int save_component(xmlNodePtr parent, const vss_bc_component *c, vss_error *e)
{
    xmlNodePtr n = add_el(parent, "COMPONENT", vss_bc_component_attrs_, vss_bc_component_nattrs_, c,
                          c->extra, e);
    if (n == NULL)
        return VSS_FAIL;
    if (c->backup_metadata || c->backup_metadata_extra) {
        xmlNodePtr m = add_el(n, "BACKUP_METADATA", backup_metadata_attrs, 1, c,
                              c->backup_metadata_extra, e);
        if (m == NULL || vss_xextra_put_nodes(c->backup_metadata_extra, m, e) != VSS_OK)
            return VSS_FAIL;
    }
    if (c->restore_metadata || c->restore_metadata_extra) {
        xmlNodePtr m = add_el(n, "RESTORE_METADATA", restore_metadata_attrs, 1, c,
                              c->restore_metadata_extra, e);
        if (m == NULL || vss_xextra_put_nodes(c->restore_metadata_extra, m, e) != VSS_OK)
            return VSS_FAIL;
    }
    for (size_t i = 0; i < K_COUNT; i++) {
        const vss_bc_kind_ *k = &vss_bc_kinds_[i];
        const char *items = *FIELD(c, k->items, const char *);
        size_t count = *FIELD(c, k->count, const size_t);
        for (size_t j = 0; j < count; j++) {
            const char *it = items + j * k->size;
            const vss_xextra *x = *FIELD(it, k->extra, vss_xextra *const);
            xmlNodePtr el = add_el(n, k->element, k->spec, k->nspec, it, x, e);
            if (el == NULL || vss_xextra_put_nodes(x, el, e) != VSS_OK)
                return VSS_FAIL;
        }
    }
    return vss_xextra_put_nodes(c->extra, n, e);
}

char *vss_bc_xml(const vss_backup_components *bc, size_t *len, vss_error *e)
{
    xmlDocPtr doc = vss_xml_new_doc("BACKUP_COMPONENTS", VSS_BCD_NAMESPACE);
    if (doc == NULL) {
        vss_error_set(e, ENOMEM, "out of memory");
        return NULL;
    }
    xmlNodePtr root = xmlDocGetRootElement(doc);
    int rc = vss_xml_set_attrs(root, root_attrs, ARRAY_LEN(root_attrs), bc, bc->root_extra, e);
    for (size_t i = 0; i < bc->nwriters && rc == VSS_OK; i++) {
        const vss_bc_writer *w = bc->writers[i];
        xmlNodePtr wn = add_el(root, "WRITER_COMPONENTS", vss_bc_writer_attrs_,
                               vss_bc_writer_nattrs_, w, w->extra, e);
        rc = wn ? VSS_OK : VSS_FAIL;
        for (size_t j = 0; j < w->component_count && rc == VSS_OK; j++)
            rc = save_component(wn, w->components[j], e);
        if (rc == VSS_OK)
            rc = vss_xextra_put_nodes(w->extra, wn, e);
    }
    if (rc == VSS_OK)
        rc = vss_xextra_put_nodes(bc->root_extra, root, e);
    char *out = rc == VSS_OK ? vss_xml_dump_merged(doc, bc->source, len, e) : NULL;
    xmlFreeDoc(doc);
    return out;
}

int vss_bc_save(const vss_backup_components *bc, const char *path, vss_error *e)
{
    size_t len;
    char *xml = vss_bc_xml(bc, &len, e);
    if (xml == NULL)
        return VSS_FAIL;
    int rc = vss_xml_write_file(path, xml, len, e);
    free(xml);
    return rc;
}
