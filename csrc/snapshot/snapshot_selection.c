/* The selection every provider keeps: the paths added to a snapshot, and
 * which original paths it therefore holds. Shared by all the providers,
 * so it is a file of its own that none of them owns. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/snapshot_internal.h"

int vss_provider_add_selection(vss_snapshot *snap, const char *path, vss_error *e)
{
    for (size_t i = 0; i < snap->nselection; i++)
        if (strcmp(snap->selection[i], path) == 0)
            return VSS_OK;
    char **grown = realloc(snap->selection, (snap->nselection + 1) * sizeof *grown);
    if (grown == NULL)
        return vss_error_set(e, ENOMEM, "out of memory adding '%s'", path);
    snap->selection = grown;
    if ((grown[snap->nselection] = strdup(path)) == NULL)
        return vss_error_set(e, ENOMEM, "out of memory adding '%s'", path);
    snap->nselection++;
    return VSS_OK;
}

/* Paths beneath a selection, and the directories leading to one, are in. */
int vss_provider_path_selected(const vss_snapshot *snap, const char *original, char **out,
                               vss_error *e)
{
    for (size_t i = 0; i < snap->nselection; i++)
        if (vss_fspath_within(original, snap->selection[i]) ||
            vss_fspath_within(snap->selection[i], original))
            return vss_path_translate(original, snap->original, snap->root, out, e);
    return vss_error_set(e, VSS_OBJECT_NOT_FOUND, "'%s' was not added to the snapshot set", original);
}
