/* Loading, parsing and saving a Writer Metadata Document. What the model
 * does not know is kept and written back; a loaded document saves as
 * itself with the model's changes (docxml.h, vss_xml_dump_merged). */
#include "documents/metadata_impl.h"
#include "base/array.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define FILE_ATTR(n, k, f, fl, d) {n, k, offsetof(vss_wm_file, f), NULL, fl, d}

static const vss_xattr root_attrs[] = {
    {"version", VSS_XSTR, offsetof(struct vss_writer_metadata, version), NULL, 0, 0},
    {"backupSchema", VSS_XU32, offsetof(struct vss_writer_metadata, backup_schema), NULL,
     VSS_XOMIT_DEFAULT, 0},
};
/* FILE_LIST: Windows leaves recursive out when it is "no". */
static const vss_xattr file_list_attrs[] = {
    FILE_ATTR("path", VSS_XSTR, d.path, VSS_XREQUIRED, 0),
    FILE_ATTR("filespec", VSS_XSTR, d.filespec, VSS_XREQUIRED, 0),
    FILE_ATTR("recursive", VSS_XBOOL, d.recursive, VSS_XOMIT_DEFAULT, 0),
    FILE_ATTR("alternatePath", VSS_XSTR, d.alternate_location, 0, 0),
    FILE_ATTR("filespecBackupType", VSS_XU32, d.backup_type_mask, 0, VSS_FSBT_DEFAULT),
};
static const vss_xattr database_file_attrs[] = {
    FILE_ATTR("path", VSS_XSTR, d.path, VSS_XREQUIRED, 0),
    FILE_ATTR("filespec", VSS_XSTR, d.filespec, VSS_XREQUIRED, 0),
    FILE_ATTR("filespecBackupType", VSS_XU32, d.backup_type_mask, 0, VSS_FSBT_DEFAULT),
};
static const vss_xattr exclude_attrs[] = {
    FILE_ATTR("path", VSS_XSTR, d.path, VSS_XREQUIRED, 0),
    FILE_ATTR("filespec", VSS_XSTR, d.filespec, VSS_XREQUIRED, 0),
    FILE_ATTR("recursive", VSS_XBOOL, d.recursive, 0, 0),
};
static const vss_xattr include_attrs[] = {
    FILE_ATTR("path", VSS_XSTR, d.path, VSS_XREQUIRED, 0),
    FILE_ATTR("filespec", VSS_XSTR, d.filespec, VSS_XREQUIRED, 0),
    FILE_ATTR("recursive", VSS_XBOOL, d.recursive, 0, 0),
    FILE_ATTR("alternatePath", VSS_XSTR, d.alternate_location, 0, 0),
};

/* ---- XML load ---- */

static int load_file(xmlNodePtr n, const vss_xattr *spec, size_t nspec, vss_wm_files *list,
                     vss_error *e)
{
    vss_wm_file *f = vss_wm_files_push_(list, e);
    if (f == NULL)
        return VSS_FAIL;
    vss_xml_defaults(spec, nspec, f);
    f->d.backup_type_mask = VSS_FSBT_DEFAULT;
    return vss_xml_get_attrs(n, spec, nspec, f, &f->extra, e);
}

static int load_component(vss_writer_metadata *wm, xmlNodePtr n, int type, vss_error *e)
{
    vss_wm_component *c = calloc(1, sizeof *c);
    if (c == NULL || VSS_GROW(wm->components, wm->capcomponents, wm->ncomponents, e) != VSS_OK) {
        free(c);
        return vss_error_set(e, ENOMEM, "out of memory");
    }
    vss_xml_defaults(vss_wm_component_attrs_, vss_wm_component_nattrs_, c);
    c->type = type;
    if (vss_xml_get_attrs(n, vss_wm_component_attrs_, vss_wm_component_nattrs_, c, &c->extra, e) !=
        VSS_OK) {
        vss_wm_component_free_(c);
        return VSS_FAIL;
    }
    if (c->logical_path && *c->logical_path == '\0') {
        free(c->logical_path);
        c->logical_path = NULL;
    }
    if (vss_wm_find_component(wm, c->logical_path, c->name) != NULL) {
        int rc = vss_error_set(e, EINVAL, "<%s> at line %ld: duplicate component '%s' at "
                                            "logical path '%s'",
                               (const char *)n->name, xmlGetLineNo(n), c->name,
                               vss_wm_lp_show_(c->logical_path));
        vss_wm_component_free_(c);
        return rc;
    }
    wm->components[wm->ncomponents++] = c;
    for (xmlNodePtr k = n->children; k != NULL; k = k->next) {
        int rc;
        if (vss_xml_ignorable(k))
            continue;
        if (type == VSS_CT_FILEGROUP && vss_xml_is(k, "FILE_LIST"))
            rc = load_file(k, file_list_attrs, ARRAY_LEN(file_list_attrs), &c->files, e);
        else if (type == VSS_CT_DATABASE && vss_xml_is(k, "DATABASE_FILES"))
            rc = load_file(k, database_file_attrs, ARRAY_LEN(database_file_attrs),
                           &c->database_files, e);
        else if (type == VSS_CT_DATABASE && vss_xml_is(k, "DATABASE_LOGFILES"))
            rc = load_file(k, database_file_attrs, ARRAY_LEN(database_file_attrs), &c->log_files,
                           e);
        else if (vss_xml_is(k, "DEPENDENCY")) {
            rc = VSS_GROW(c->dependencies, c->dependency_cap, c->dependency_count, e);
            if (rc == VSS_OK) {
                vss_wm_dependency *d = &c->dependencies[c->dependency_count++];
                memset(d, 0, sizeof *d);
                rc = vss_xml_get_attrs(k, vss_wm_dependency_attrs_, vss_wm_dependency_nattrs_, d,
                                       &d->extra, e);
            }
        } else
            rc = vss_xextra_add_node(&c->extra, k, e);
        if (rc != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

static int load_locations(vss_writer_metadata *wm, xmlNodePtr n, vss_error *e)
{
    if (vss_xml_get_attrs(n, NULL, 0, NULL, &wm->locations_extra, e) != VSS_OK)
        return VSS_FAIL;
    for (xmlNodePtr k = n->children; k != NULL; k = k->next) {
        int rc;
        if (vss_xml_ignorable(k))
            continue;
        if (vss_xml_is(k, "FILE_GROUP"))
            rc = load_component(wm, k, VSS_CT_FILEGROUP, e);
        else if (vss_xml_is(k, "DATABASE"))
            rc = load_component(wm, k, VSS_CT_DATABASE, e);
        else if (vss_xml_is(k, "EXCLUDE_FILES"))
            rc = load_file(k, exclude_attrs, ARRAY_LEN(exclude_attrs), &wm->exclude, e);
        else if (vss_xml_is(k, "EXCLUDE_FILES_FROM_SNAPSHOT"))
            rc = load_file(k, exclude_attrs, ARRAY_LEN(exclude_attrs), &wm->exclude_snapshot, e);
        else if (vss_xml_is(k, "INCLUDE_FILES"))
            rc = load_file(k, include_attrs, ARRAY_LEN(include_attrs), &wm->include, e);
        else
            rc = vss_xextra_add_node(&wm->locations_extra, k, e);
        if (rc != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

static int load_restore(vss_writer_metadata *wm, xmlNodePtr n, vss_error *e)
{
    if (wm->restore.present)
        return vss_error_set(e, EINVAL, "<RESTORE_METHOD> at line %ld: a second one",
                             xmlGetLineNo(n));
    wm->restore.present = true;
    if (vss_xml_get_attrs(n, vss_wm_restore_attrs_, vss_wm_restore_nattrs_, &wm->restore,
                          &wm->restore_extra, e) != VSS_OK)
        return VSS_FAIL;
    for (xmlNodePtr k = n->children; k != NULL; k = k->next) {
        int rc = VSS_OK;
        if (vss_xml_is(k, "ALTERNATE_LOCATION_MAPPING"))
            rc = load_file(k, include_attrs, ARRAY_LEN(include_attrs), &wm->mappings, e);
        else if (!vss_xml_ignorable(k))
            rc = vss_xextra_add_node(&wm->restore_extra, k, e);
        if (rc != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

static int load_doc(vss_writer_metadata *wm, xmlNodePtr root, vss_error *e)
{
    free(wm->version);
    wm->version = NULL;
    if (vss_xml_get_attrs(root, root_attrs, ARRAY_LEN(root_attrs), wm, &wm->root_extra, e) !=
        VSS_OK)
        return VSS_FAIL;
    bool have_id = false;
    for (xmlNodePtr k = root->children; k != NULL; k = k->next) {
        int rc;
        if (vss_xml_ignorable(k))
            continue;
        if (vss_xml_is(k, "IDENTIFICATION") && !have_id) {
            have_id = true;
            rc = vss_xml_get_attrs(k, vss_wm_identity_attrs_, vss_wm_identity_nattrs_, &wm->id,
                                   &wm->id_extra, e);
        } else if (vss_xml_is(k, "RESTORE_METHOD"))
            rc = load_restore(wm, k, e);
        else if (vss_xml_is(k, "BACKUP_LOCATIONS") && wm->locations_extra == NULL &&
                 wm->ncomponents == 0)
            rc = load_locations(wm, k, e);
        else if (vss_xml_is(k, "ALTERNATE_LOCATION_MAPPING"))
            rc = load_file(k, include_attrs, ARRAY_LEN(include_attrs), &wm->mappings, e);
        else
            rc = vss_xextra_add_node(&wm->root_extra, k, e);
        if (rc != VSS_OK)
            return VSS_FAIL;
    }
    if (!have_id)
        return vss_error_set(e, EINVAL, "<WRITER_METADATA> at line %ld: no <IDENTIFICATION>",
                             xmlGetLineNo(root));
    return VSS_OK;
}

/* The model of a parsed document, which it keeps (and frees on failure).
 * Errors start with path when there is one. */
static int from_doc(xmlDocPtr doc, const char *path, vss_writer_metadata **out, vss_error *e)
{
    vss_writer_metadata *wm = vss_wm_alloc_(e);
    if (wm == NULL) {
        xmlFreeDoc(doc);
        if (path)
            vss_xml_prefix_error(e, path);
        return VSS_FAIL;
    }
    wm->source = doc;
    if (load_doc(wm, xmlDocGetRootElement(doc), e) != VSS_OK) {
        vss_wm_free(wm);
        if (path)
            vss_xml_prefix_error(e, path);
        return VSS_FAIL;
    }
    *out = wm;
    return VSS_OK;
}

int vss_wm_parse(const char *xml, size_t len, vss_writer_metadata **out, vss_error *e)
{
    xmlDocPtr doc;
    *out = NULL;
    if (vss_xml_parse(xml, len, "WRITER_METADATA", VSS_WMD_NAMESPACE, &doc, e) != VSS_OK)
        return VSS_FAIL;
    return from_doc(doc, NULL, out, e);
}

int vss_wm_load(const char *path, vss_writer_metadata **out, vss_error *e)
{
    xmlDocPtr doc;
    *out = NULL;
    if (vss_xml_load(path, "WRITER_METADATA", VSS_WMD_NAMESPACE, &doc, e) != VSS_OK)
        return VSS_FAIL;
    return from_doc(doc, path, out, e);
}

/* ---- XML save ---- */

static xmlNodePtr add_el(xmlNodePtr parent, const char *name, vss_error *e)
{
    xmlNodePtr n = xmlNewChild(parent, xmlDocGetRootElement(parent->doc)->ns,
                               (const xmlChar *)name, NULL);
    if (n == NULL)
        vss_error_set(e, ENOMEM, "out of memory");
    return n;
}

static int save_files(xmlNodePtr parent, const char *name, const vss_xattr *spec, size_t nspec,
                      const vss_wm_files *list, vss_error *e)
{
    for (size_t i = 0; i < list->count; i++) {
        const vss_wm_file *f = &list->items[i];
        xmlNodePtr n = add_el(parent, name, e);
        if (n == NULL || vss_xml_set_attrs(n, spec, nspec, f, f->extra, e) != VSS_OK)
            return VSS_FAIL;
        if (vss_xextra_put_nodes(f->extra, n, e) != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

/* Whether mapping i goes inside RESTORE_METHOD: where it was read from;
 * a new one where the one before it is (so a load reads them in the same
 * order), the root when none is before it. */
static bool mapping_in_restore(const vss_writer_metadata *wm, size_t i)
{
    for (;; i--) {
        const vss_xextra *x = wm->mappings.items[i].extra;
        if (vss_xextra_read_under(x, "RESTORE_METHOD"))
            return true;
        if (vss_xextra_read_under(x, "WRITER_METADATA") || i == 0)
            return false;
    }
}

/* The mappings that go inside RESTORE_METHOD (in_restore) or not. */
static int save_mappings(xmlNodePtr parent, const vss_writer_metadata *wm, bool in_restore,
                         vss_error *e)
{
    for (size_t i = 0; i < wm->mappings.count; i++) {
        const vss_wm_file *f = &wm->mappings.items[i];
        if (mapping_in_restore(wm, i) != in_restore)
            continue;
        xmlNodePtr n = add_el(parent, "ALTERNATE_LOCATION_MAPPING", e);
        if (n == NULL ||
            vss_xml_set_attrs(n, include_attrs, ARRAY_LEN(include_attrs), f, f->extra, e) !=
                VSS_OK ||
            vss_xextra_put_nodes(f->extra, n, e) != VSS_OK)
            return VSS_FAIL;
    }
    return VSS_OK;
}

static int save_component(xmlNodePtr parent, const vss_wm_component *c, vss_error *e)
{
    xmlNodePtr n = add_el(parent, c->type == VSS_CT_DATABASE ? "DATABASE" : "FILE_GROUP", e);
    if (n == NULL ||
        vss_xml_set_attrs(n, vss_wm_component_attrs_, vss_wm_component_nattrs_, c, c->extra, e) !=
            VSS_OK ||
        save_files(n, "FILE_LIST", file_list_attrs, ARRAY_LEN(file_list_attrs), &c->files, e) !=
            VSS_OK ||
        save_files(n, "DATABASE_FILES", database_file_attrs, ARRAY_LEN(database_file_attrs),
                   &c->database_files, e) != VSS_OK ||
        save_files(n, "DATABASE_LOGFILES", database_file_attrs, ARRAY_LEN(database_file_attrs),
                   &c->log_files, e) != VSS_OK)
        return VSS_FAIL;
    for (size_t i = 0; i < c->dependency_count; i++) {
        xmlNodePtr d = add_el(n, "DEPENDENCY", e);
        if (d == NULL ||
            vss_xml_set_attrs(d, vss_wm_dependency_attrs_, vss_wm_dependency_nattrs_,
                              &c->dependencies[i], c->dependencies[i].extra, e) != VSS_OK ||
            vss_xextra_put_nodes(c->dependencies[i].extra, d, e) != VSS_OK)
            return VSS_FAIL;
    }
    return vss_xextra_put_nodes(c->extra, n, e);
}

static int save_doc(const vss_writer_metadata *wm, xmlNodePtr root, vss_error *e)
{
    if (vss_xml_set_attrs(root, root_attrs, ARRAY_LEN(root_attrs), wm, wm->root_extra, e) !=
        VSS_OK)
        return VSS_FAIL;
    xmlNodePtr id = add_el(root, "IDENTIFICATION", e);
    if (id == NULL ||
        vss_xml_set_attrs(id, vss_wm_identity_attrs_, vss_wm_identity_nattrs_, &wm->id,
                          wm->id_extra, e) != VSS_OK ||
        vss_xextra_put_nodes(wm->id_extra, id, e) != VSS_OK)
        return VSS_FAIL;
    if (wm->restore.present) {
        xmlNodePtr r = add_el(root, "RESTORE_METHOD", e);
        if (r == NULL ||
            vss_xml_set_attrs(r, vss_wm_restore_attrs_, vss_wm_restore_nattrs_, &wm->restore,
                              wm->restore_extra, e) != VSS_OK ||
            save_mappings(r, wm, true, e) != VSS_OK ||
            vss_xextra_put_nodes(wm->restore_extra, r, e) != VSS_OK)
            return VSS_FAIL;
    }
    /* A new document always has BACKUP_LOCATIONS; a loaded one that had
     * none gets one when something goes in it. */
    bool empty = wm->ncomponents == 0 && wm->include.count == 0 && wm->exclude.count == 0 &&
                 wm->exclude_snapshot.count == 0;
    if (wm->source != NULL && wm->locations_extra == NULL && empty)
        return save_mappings(root, wm, false, e) == VSS_OK
                   ? vss_xextra_put_nodes(wm->root_extra, root, e)
                   : VSS_FAIL;
    xmlNodePtr loc = add_el(root, "BACKUP_LOCATIONS", e);
    if (loc == NULL || vss_xml_set_attrs(loc, NULL, 0, NULL, wm->locations_extra, e) != VSS_OK)
        return VSS_FAIL;
    for (size_t i = 0; i < wm->ncomponents; i++)
        if (save_component(loc, wm->components[i], e) != VSS_OK)
            return VSS_FAIL;
    if (save_files(loc, "INCLUDE_FILES", include_attrs, ARRAY_LEN(include_attrs), &wm->include,
                   e) != VSS_OK ||
        save_files(loc, "EXCLUDE_FILES", exclude_attrs, ARRAY_LEN(exclude_attrs), &wm->exclude,
                   e) != VSS_OK ||
        save_files(loc, "EXCLUDE_FILES_FROM_SNAPSHOT", exclude_attrs, ARRAY_LEN(exclude_attrs),
                   &wm->exclude_snapshot, e) != VSS_OK ||
        vss_xextra_put_nodes(wm->locations_extra, loc, e) != VSS_OK ||
        save_mappings(root, wm, false, e) != VSS_OK)
        return VSS_FAIL;
    return vss_xextra_put_nodes(wm->root_extra, root, e);
}

char *vss_wm_xml(const vss_writer_metadata *wm, size_t *len, vss_error *e)
{
    xmlDocPtr doc = vss_xml_new_doc("WRITER_METADATA", VSS_WMD_NAMESPACE);
    if (doc == NULL) {
        vss_error_set(e, ENOMEM, "out of memory");
        return NULL;
    }
    char *out = NULL;
    if (save_doc(wm, xmlDocGetRootElement(doc), e) == VSS_OK)
        out = vss_xml_dump_merged(doc, wm->source, len, e);
    xmlFreeDoc(doc);
    return out;
}

int vss_wm_save(const vss_writer_metadata *wm, const char *path, vss_error *e)
{
    size_t len;
    char *xml = vss_wm_xml(wm, &len, e);
    if (xml == NULL)
        return VSS_FAIL;
    int rc = vss_xml_write_file(path, xml, len, e);
    free(xml);
    return rc;
}
