/* What the files of a restore step share, that none of them owns: the
 * documents' paths in Linux form, what the backups before a step laid,
 * and the names of the file statuses. restore_lay.c (the files) and
 * restore_step.c (the step) both build on it, so neither needs the
 * other's insides. */

#include <stdlib.h>
#include <string.h>

#include "engine/restore_engine.h"

static const char *const file_status_names[] = {
    "", "restored", "failed", "exists", "at_reboot", "custom", "deleted", "skipped"};

const char *vss_restore_file_status_name(int status)
{
    if (status < VSS_RESTORE_FILE_RESTORED || status > VSS_RESTORE_FILE_SKIPPED)
        return "";
    return file_status_names[status];
}

/* path as the caller gave it, without its trailing slashes ("/" stays). */
static size_t path_len(const char *path, bool *dir)
{
    size_t n = strlen(path);
    *dir = n > 1 && path[n - 1] == '/';
    while (n > 1 && path[n - 1] == '/')
        n--;
    return n;
}

bool rs_path_match(const char *path, const char *name, bool *exact)
{
    bool dir;
    size_t n = path_len(path, &dir);
    *exact = false;
    if (n == 1 && path[0] == '/')
        return name[0] == '/';
    if (strncmp(name, path, n) != 0)
        return false;
    *exact = name[n] == '\0';
    return *exact || name[n] == '/';
}

bool rs_path_dir(const char *path)
{
    bool dir;
    path_len(path, &dir);
    return dir;
}

bool rs_path_wanted(const vss_restore_options *o, const char *name)
{
    bool exact;
    for (size_t i = 0; i < o->npaths; i++)
        if (rs_path_match(o->paths[i], name, &exact))
            return true;
    return o->npaths == 0;
}

int rs_resolve(const rs_run *r, const char *path, char **out, vss_error *e)
{
    return vss_document_path(r->o->root, path, out, e);
}

bool rs_laid_before(rs_run *r, const char *name)
{
    for (size_t i = r->nbefore; i-- > 0;) {
        const vss_store_entry *en =
            vss_store_reader_find(r->rd, r->before[i].id, VSS_STORE_ENTRY_FILE, name);
        if (en != NULL && en->kind != VSS_STORE_ENTRY_PARTIAL)
            return en->kind == VSS_STORE_ENTRY_FILE;
    }
    return false;
}

void rs_step_clear(vss_restore_step *s)
{
    for (size_t i = 0; i < s->nfiles; i++) {
        free(s->files[i].name);
        free(s->files[i].path);
        free(s->files[i].message);
    }
    free(s->files);
    for (size_t i = 0; i < s->ncomponents; i++) {
        vss_restore_component_result *c = &s->components[i];
        free(c->writer);
        free(c->logical_path);
        free(c->name);
        free(c->pre_restore_failure);
        free(c->post_restore_failure);
    }
    free(s->components);
    s->files = NULL;
    s->components = NULL;
    s->nfiles = s->ncomponents = 0;
    s->bytes = 0;
    s->restored = s->failed = 0;
    s->reboot_required = false;
}
