/* Expanding one file set for a backup, on top of the walker. */
#include "engine/backup_files.h"

#include <string.h>

#include "files/walker.h"

int vss_backup_walk(const vss_filedesc *d, const char *read_root, const char *original_root,
                    const vss_filedesc *excludes, size_t nexcludes, vss_backup_file_fn fn,
                    void *ud, vss_error *e)
{
    /* The walker compares excludes with the originals only when it walks an
     * alternate location, so whatever read_root is (a snapshot, an
     * alternate location or the set itself) it is walked as one. */
    vss_filedesc walked = *d;
    walked.alternate_location = (char *)read_root;
    vss_walk_options o = {.original_root = original_root,
                          .excludes = excludes,
                          .exclude_count = nexcludes};
    vss_walker *w;
    if (vss_walker_open(&w, &walked, &o, e) != VSS_OK)
        return VSS_FAIL;
    const vss_walk_entry *en;
    int rc = VSS_OK;
    while (rc == VSS_OK && vss_walker_next(w, &en) == 1) {
        if (en->kind == VSS_ENTRY_ERROR) {
            rc = vss_error_set(e, en->code ? en->code : EIO, "%s", en->message);
            if (e != NULL)
                e->sys_errno = en->sys_errno;
        } else {
            vss_backup_file f = {.path = en->path,
                                 .original = en->original,
                                 .size = (uint64_t)en->st.st_size,
                                 .mtime = en->st.st_mtim,
                                 .kind = (int)en->kind,
                                 .mode = (uint32_t)en->st.st_mode,
                                 .dev = (uint64_t)en->st.st_dev,
                                 .ino = (uint64_t)en->st.st_ino,
                                 .nlink = (uint64_t)en->st.st_nlink,
                                 .ctime = en->st.st_ctim,
                                 .uid = (uint32_t)en->st.st_uid,
                                 .gid = (uint32_t)en->st.st_gid};
            rc = fn(ud, &f, e);
        }
    }
    vss_walker_free(w);
    return rc;
}

