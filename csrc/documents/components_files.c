/* File-level operations of a component and their VSS rules (docs/model.md §6): partial
 * files, directed targets, differenced files, new targets and alternate
 * location mappings, restore subcomponents. Most need the writer's file
 * sets, from its attached metadata. */
#include "documents/components_impl.h"

#include <stdlib.h>
#include <string.h>

#include "files/fileset.h"
#include "ranges/ranges.h"
#include "base/mem.h"

/* The writer's metadata and its description of c, for a rule that needs
 * them; `what` names the operation in the error. */
static const vss_wm_component *need_wm(const vss_backup_components *bc,
                                       const vss_bc_component *c, const char *what,
                                       const vss_writer_metadata **wmp, vss_error *e)
{
    const vss_writer_metadata *wm = vss_bc_writer_metadata(bc, c->writer);
    if (wm == NULL) {
        vss_error_set(e, EINVAL,
                      "%s: needs writer %s's metadata (attach it with add_writer_metadata)", what,
                      c->writer->writer_id);
        return NULL;
    }
    const vss_wm_component *m = vss_wm_find_component(wm, c->logical_path, c->name);
    if (m == NULL)
        vss_error_set(e, ENOENT, "%s: component '%s' at logical path '%s' is not in writer "
                                   "%s's metadata",
                      what, c->name, vss_bc_lp_show_(c->logical_path), c->writer->writer_id);
    *wmp = wm;
    return m;
}

/* ---- paths, file sets and their overlap ---- */

static bool is_sep(char ch) { return ch == '\\' || ch == '/'; }

/* Visit the file sets of every component in m's set; stop when fn says so. */
typedef bool (*set_visit)(const vss_wm_component *owner, const vss_filedesc *d, void *arg);

static const vss_wm_component *visit_sets(const vss_writer_metadata *wm,
                                          const vss_wm_component *set, set_visit fn, void *arg,
                                          const vss_filedesc **hit)
{
    for (size_t i = 0; i < vss_wm_component_count(wm); i++) {
        const vss_wm_component *m = vss_wm_component_at(wm, i);
        if (set != NULL && !vss_wm_in_set(set, m))
            continue;
        const vss_wm_files *lists[] = {&m->files, &m->database_files, &m->log_files};
        for (size_t l = 0; l < 3; l++)
            for (size_t j = 0; j < lists[l]->count; j++)
                if (fn(m, &lists[l]->items[j].d, arg)) {
                    if (hit)
                        *hit = &lists[l]->items[j].d;
                    return m;
                }
    }
    return NULL;
}

static bool visit_same(const vss_wm_component *o, const vss_filedesc *d, void *arg)
{
    (void)o;
    return vss_filedesc_same_set(d, arg, 0);
}

static bool visit_overlap(const vss_wm_component *o, const vss_filedesc *d, void *arg)
{
    (void)o;
    return vss_filesets_overlap(d, arg);
}

typedef struct file_ref {
    const char *dir, *name;
} file_ref;

static bool visit_has_file(const vss_wm_component *o, const vss_filedesc *d, void *arg)
{
    (void)o;
    const file_ref *f = arg;
    return vss_fileset_has_file(d, f->dir, f->name);
}

/* ---- rules with file sets ---- */

static bool has_wildcard(const char *s) { return strpbrk(s, "*?") != NULL; }

/* Paths take no wildcards, but a Win32 device prefix "\\?\" is not one. */
static int check_dir(const char *what, const char *p, vss_error *e)
{
    if (p == NULL || *p == '\0')
        return vss_error_set(e, EINVAL, "%s: a path is required", what);
    if (has_wildcard(strncmp(p, "\\\\?\\", 4) == 0 ? p + 4 : p))
        return vss_error_set(e, EINVAL, "%s '%s': wildcards are not allowed in a path", what, p);
    return VSS_OK;
}

static int check_name(const char *what, const char *n, vss_error *e)
{
    if (n == NULL || *n == '\0')
        return vss_error_set(e, EINVAL, "%s: a file name is required", what);
    if (has_wildcard(n) || strpbrk(n, "\\/") != NULL)
        return vss_error_set(e, EINVAL, "%s '%s': a file name without wildcards or separators",
                             what, n);
    return VSS_OK;
}

static int check_ranges(const char *what, const char *s, vss_ranges **out, vss_error *e)
{
    vss_ranges *r = NULL;
    if (s == NULL || *s == '\0')
        return vss_error_set(e, EINVAL, "%s: a range list is required", what);
    if (vss_ranges_parse(s, strlen(s), VSS_RANGES_NO_ZERO, &r, e) != VSS_OK) {
        char msg[sizeof e->message];
        if (e) {
            snprintf(msg, sizeof msg, "%s: %.400s", what, e->message);
            memcpy(e->message, msg, sizeof msg);
        }
        return VSS_FAIL;
    }
    if (out)
        *out = r;
    else
        vss_ranges_free(r);
    return VSS_OK;
}

/* §6.1: an inline list, or a ranges file ("File=" optional). Since any
 * string that fails the grammar could be read as a path, a bare path must
 * look like one (absolute, a drive, or an environment variable), and a
 * string that starts like a list must be a valid list. */
static int check_partial_ranges(const char *ranges, vss_error *e)
{
    const char *ref = NULL;
    if (ranges == NULL || *ranges == '\0')
        return vss_error_set(e, EINVAL, "ranges: a range list or a ranges file is required");
    const char *p = ranges + strspn(ranges, " \t");
    if (*p >= '0' && *p <= '9')
        return check_ranges("ranges", ranges, NULL, e);
    if (!vss_ranges_file_reference(ranges, &ref) || ref == NULL || *ref == '\0')
        return vss_error_set(e, EINVAL, "ranges '%s': names no ranges file", ranges);
    bool drive = ((ref[0] | 0x20) >= 'a' && (ref[0] | 0x20) <= 'z') && ref[1] == ':';
    if (!(is_sep(ref[0]) || ref[0] == '%' || drive))
        return vss_error_set(e, EINVAL,
                             "ranges '%s': neither a range list nor the full path of a ranges "
                             "file",
                             ranges);
    return VSS_OK;
}

int vss_bc_add_partial_file(vss_backup_components *bc, vss_bc_component *c, const char *path,
                            const char *filename, const char *ranges, const char *metadata,
                            vss_error *e)
{
    if (!bc->state.partial_file_support)
        return vss_error_set(e, EINVAL, "add_partial_file: the backup state does not enable "
                                          "partial file support");
    if (check_dir("path", path, e) != VSS_OK || check_name("filename", filename, e) != VSS_OK)
        return VSS_FAIL;
    if (check_partial_ranges(ranges, e) != VSS_OK)
        return VSS_FAIL;
    /* §6.4: a file is either partial or differenced, never both. */
    for (size_t i = 0; i < c->differenced_file_count; i++) {
        const vss_bc_differenced_file *df = &c->differenced_files[i];
        vss_filedesc d = {.path = df->path, .filespec = df->filespec, .recursive = df->recursive};
        if (vss_fileset_has_file(&d, path, filename))
            return vss_error_set(e, EINVAL, "partial file %s\\%s is already a differenced file "
                                              "(%s\\%s)",
                                 path, filename, df->path, df->filespec);
    }
    vss_bc_partial_file p = {0};
    if (vss_strdup_opt(&p.path, path, e) != VSS_OK ||
        vss_strdup_opt(&p.filename, filename, e) != VSS_OK ||
        vss_strdup_opt(&p.ranges, ranges, e) != VSS_OK ||
        vss_strdup_opt(&p.metadata, metadata, e) != VSS_OK ||
        vss_bc_kind_append_(c, &vss_bc_kinds_[K_PARTIAL], &p, e) == NULL) {
        vss_bc_kind_free_item_(&vss_bc_kinds_[K_PARTIAL], &p);
        return VSS_FAIL;
    }
    return VSS_OK;
}

int vss_bc_set_ranges_file_path(vss_backup_components *bc, vss_bc_component *c, size_t index,
                                const char *ranges_file, vss_error *e)
{
    (void)bc;
    if (index >= c->partial_file_count)
        return vss_error_set(e, ERANGE, "partial file %zu: component '%s' has %zu", index,
                             c->name, c->partial_file_count);
    if (check_dir("ranges file", ranges_file, e) != VSS_OK)
        return VSS_FAIL;
    return vss_bc_set_str_(&c->partial_files[index].ranges, ranges_file, e);
}

int vss_bc_add_directed_target(vss_backup_components *bc, vss_bc_component *c,
                               const char *src_path, const char *src_filename,
                               const char *src_ranges, const char *dst_path,
                               const char *dst_filename, const char *dst_ranges, vss_error *e)
{
    if (c->restore_target != VSS_RT_DIRECTED)
        return vss_error_set(e, EINVAL, "add_directed_target: component '%s' has restore "
                                          "target %s; set it to directed first",
                             c->name, vss_enum_name(&vss_enum_restore_target, c->restore_target));
    if (check_dir("source path", src_path, e) != VSS_OK ||
        check_name("source file name", src_filename, e) != VSS_OK ||
        check_dir("destination path", dst_path, e) != VSS_OK ||
        check_name("destination file name", dst_filename, e) != VSS_OK)
        return VSS_FAIL;
    vss_ranges *src = NULL, *dst = NULL;
    vss_range_copy *plan = NULL;
    size_t n = 0;
    int rc = VSS_FAIL;
    if (check_ranges("source ranges", src_ranges, &src, e) != VSS_OK ||
        check_ranges("destination ranges", dst_ranges, &dst, e) != VSS_OK ||
        vss_ranges_map(src, dst, &plan, &n, e) != VSS_OK)
        goto out;
    const vss_writer_metadata *wm;
    const vss_wm_component *m = need_wm(bc, c, "add_directed_target", &wm, e);
    if (m == NULL)
        goto out;
    file_ref f = {src_path, src_filename};
    if (visit_sets(wm, m, visit_has_file, &f, NULL) == NULL) {
        vss_error_set(e, ENOENT, "directed target source %s\\%s: not in a file set of "
                                   "component '%s'",
                      src_path, src_filename, c->name);
        goto out;
    }
    /* A partially backed-up file can only be remapped by its own ranges. */
    for (size_t i = 0; i < c->partial_file_count; i++) {
        const vss_bc_partial_file *p = &c->partial_files[i];
        const char *ref;
        if (!vss_path_equal(p->path, src_path, 0) || strcmp(p->filename, src_filename) != 0 ||
            vss_ranges_file_reference(p->ranges, &ref))
            continue;
        vss_ranges *pr = NULL;
        char *a = NULL, *b = NULL;
        bool same = vss_ranges_parse(p->ranges, strlen(p->ranges), 0, &pr, NULL) == VSS_OK &&
                    (a = vss_ranges_format(pr, NULL)) != NULL &&
                    (b = vss_ranges_format(src, NULL)) != NULL && strcmp(a, b) == 0;
        vss_ranges_free(pr);
        free(a);
        free(b);
        if (!same) {
            vss_error_set(e, EINVAL, "source ranges '%s' of partial file %s\\%s: must be the "
                                       "ranges it was backed up with ('%s')",
                          src_ranges, src_path, src_filename, p->ranges);
            goto out;
        }
    }
    vss_bc_directed_target t = {0};
    if (vss_strdup_opt(&t.src_path, src_path, e) != VSS_OK ||
        vss_strdup_opt(&t.src_filename, src_filename, e) != VSS_OK ||
        vss_strdup_opt(&t.src_ranges, src_ranges, e) != VSS_OK ||
        vss_strdup_opt(&t.dst_path, dst_path, e) != VSS_OK ||
        vss_strdup_opt(&t.dst_filename, dst_filename, e) != VSS_OK ||
        vss_strdup_opt(&t.dst_ranges, dst_ranges, e) != VSS_OK ||
        vss_bc_kind_append_(c, &vss_bc_kinds_[K_DIRECTED], &t, e) == NULL) {
        vss_bc_kind_free_item_(&vss_bc_kinds_[K_DIRECTED], &t);
        goto out;
    }
    rc = VSS_OK;
out:
    vss_ranges_free(src);
    vss_ranges_free(dst);
    free(plan);
    return rc;
}

int vss_bc_add_differenced_files_by_last_modify_time(vss_backup_components *bc,
                                                     vss_bc_component *c, const char *path,
                                                     const char *filespec, bool recursive,
                                                     uint64_t last_modify_time, vss_error *e)
{
    const char *what = "add_differenced_files_by_last_modify_time";
    int t = bc->state.backup_type;
    if (t != VSS_BT_INCREMENTAL && t != VSS_BT_DIFFERENTIAL)
        return vss_error_set(e, EINVAL, "%s: only in an incremental or differential backup "
                                          "(this one is %s)",
                             what, vss_enum_name(&vss_enum_backup_type, t));
    const vss_writer_metadata *wm;
    const vss_wm_component *m = need_wm(bc, c, what, &wm, e);
    if (m == NULL)
        return VSS_FAIL;
    uint32_t schema = vss_wm_backup_schema(wm);
    uint32_t need = VSS_BS_LAST_MODIFY |
                    (t == VSS_BT_INCREMENTAL ? VSS_BS_INCREMENTAL : VSS_BS_DIFFERENTIAL);
    if ((schema & need) != need)
        return vss_error_set(e, EINVAL, "%s: writer's backup schema %u lacks last_modify and "
                                          "%s",
                             what, (unsigned)schema, vss_enum_name(&vss_enum_backup_type, t));
    vss_filedesc d;
    if (vss_filedesc_init(&d, path, filespec, recursive, NULL, VSS_FSBT_DEFAULT, e) != VSS_OK)
        return VSS_FAIL;
    int rc = VSS_FAIL;
    const vss_filedesc *hit = NULL;
    /* Exactly a file set of this component, or new files overlapping no
     * file set of the writer at all (§6.4). */
    if (visit_sets(wm, m, visit_same, &d, NULL) == NULL) {
        const vss_wm_component *o = visit_sets(wm, NULL, visit_overlap, &d, &hit);
        if (o != NULL) {
            vss_error_set(e, EINVAL, "differenced files %s\\%s partially overlap file set "
                                       "%s\\%s of component '%s'",
                          path, filespec, hit->path, hit->filespec, o->name);
            goto out;
        }
    }
    for (size_t i = 0; i < c->partial_file_count; i++) {
        if (vss_fileset_has_file(&d, c->partial_files[i].path, c->partial_files[i].filename)) {
            vss_error_set(e, EINVAL, "differenced files %s\\%s include partial file %s\\%s",
                          path, filespec, c->partial_files[i].path, c->partial_files[i].filename);
            goto out;
        }
    }
    vss_bc_differenced_file df = {.recursive = recursive, .last_modify_time = last_modify_time};
    if (vss_strdup_opt(&df.path, path, e) != VSS_OK ||
        vss_strdup_opt(&df.filespec, filespec, e) != VSS_OK ||
        vss_bc_kind_append_(c, &vss_bc_kinds_[K_DIFFERENCED], &df, e) == NULL) {
        vss_bc_kind_free_item_(&vss_bc_kinds_[K_DIFFERENCED], &df);
        goto out;
    }
    rc = VSS_OK;
out:
    vss_filedesc_clear(&d);
    return rc;
}

/* New targets and used mappings name a file set of the component's set. */
static int add_relocation(vss_backup_components *bc, vss_bc_component *c, int kind,
                          const char *what, const char *path, const char *filespec,
                          bool recursive, const char *to, vss_error *e)
{
    const vss_writer_metadata *wm;
    const vss_wm_component *m = need_wm(bc, c, what, &wm, e);
    if (m == NULL)
        return VSS_FAIL;
    if (kind == K_NEW_TARGET && !(vss_wm_backup_schema(wm) & VSS_BS_WRITER_SUPPORTS_NEW_TARGET))
        return vss_error_set(e, EINVAL, "%s: writer '%s' does not support new targets (backup "
                                          "schema lacks writer_supports_new_target)",
                             what, vss_wm_get_identity(wm)->name);
    if (check_dir("alternate path", to, e) != VSS_OK)
        return VSS_FAIL;
    vss_wm_file f = {0};
    if (vss_filedesc_init(&f.d, path, filespec, recursive, to, VSS_FSBT_DEFAULT, e) != VSS_OK)
        return VSS_FAIL;
    if (visit_sets(wm, m, visit_same, &f.d, NULL) == NULL) {
        vss_error_set(e, ENOENT, "%s: %s\\%s (recursive=%s) is not a file set of component "
                                   "'%s'",
                      what, path, filespec, recursive ? "yes" : "no", c->name);
        vss_filedesc_clear(&f.d);
        return VSS_FAIL;
    }
    if (vss_bc_kind_append_(c, &vss_bc_kinds_[kind], &f, e) == NULL) {
        vss_filedesc_clear(&f.d);
        return VSS_FAIL;
    }
    return VSS_OK;
}

int vss_bc_add_new_target(vss_backup_components *bc, vss_bc_component *c, const char *path,
                          const char *filespec, bool recursive, const char *alternate_path,
                          vss_error *e)
{
    return add_relocation(bc, c, K_NEW_TARGET, "add_new_target", path, filespec, recursive,
                          alternate_path, e);
}

int vss_bc_add_alternative_location_mapping(vss_backup_components *bc, vss_bc_component *c,
                                            const char *path, const char *filespec,
                                            bool recursive, const char *destination,
                                            vss_error *e)
{
    return add_relocation(bc, c, K_MAPPING, "add_alternative_location_mapping", path, filespec,
                          recursive, destination, e);
}

int vss_bc_add_restore_subcomponent(vss_backup_components *bc, vss_bc_component *c,
                                    const char *logical_path, const char *name, bool repair,
                                    vss_error *e)
{
    const vss_writer_metadata *wm;
    const vss_wm_component *m = need_wm(bc, c, "add_restore_subcomponent", &wm, e);
    if (m == NULL)
        return VSS_FAIL;
    const char *lp = logical_path && *logical_path ? logical_path : NULL;
    const vss_wm_component *s = name ? vss_wm_find_component(wm, lp, name) : NULL;
    if (s == NULL || s == m || !vss_wm_in_set(m, s))
        return vss_error_set(e, ENOENT, "restore subcomponent '%s' at logical path '%s': not a "
                                          "subcomponent of '%s'",
                             name ? name : "", vss_bc_lp_show_(lp), c->name);
    if (!s->selectable_for_restore)
        return vss_error_set(e, EINVAL, "restore subcomponent '%s': not selectable for restore",
                             name);
    vss_bc_restore_subcomponent r = {.repair = repair};
    if (vss_strdup_opt(&r.logical_path, lp, e) != VSS_OK ||
        vss_strdup_opt(&r.name, name, e) != VSS_OK ||
        vss_bc_kind_append_(c, &vss_bc_kinds_[K_SUBCOMPONENT], &r, e) == NULL) {
        vss_bc_kind_free_item_(&vss_bc_kinds_[K_SUBCOMPONENT], &r);
        return VSS_FAIL;
    }
    return VSS_OK;
}
