/* Everything a file-system entry carries that a restore must bring back,
 * read in one call: the lstat data, the content digest of a regular file
 * (XXH3-128 of its bytes, holes read as zeros), a symlink's text, the
 * extended attributes (POSIX ACLs included: they are the xattrs
 * system.posix_acl_access and system.posix_acl_default) and the inode
 * flags (FS_IOC_GETFLAGS, what lsattr shows). vss.tree.compare reads two
 * trees with it; it never follows a symlink and never opens anything but a
 * regular file or a directory (a FIFO or a device is not opened). */
#ifndef VSS_ENTRY_STAT_H
#define VSS_ENTRY_STAT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "base/digest.h"
#include "base/error.h"

/* What to read besides the lstat data (flags of vss_entry_stat_read). */
enum {
    VSS_ES_DIGEST = 1 << 0, /* regular files: content digest */
    VSS_ES_TARGET = 1 << 1, /* symlinks: the link text */
    VSS_ES_XATTRS = 1 << 2, /* every extended attribute, names and values */
    VSS_ES_FLAGS = 1 << 3,  /* regular files and directories: inode flags */
    VSS_ES_ALL = 0xF
};

typedef struct vss_xattr {
    char *name;  /* "user.comment", "system.posix_acl_access", ... */
    char *value; /* value bytes (NUL added past len for convenience) */
    size_t len;
} vss_xattr;

typedef struct vss_entry_stat {
    struct stat st; /* lstat */
    bool has_digest;
    vss_digest digest;
    char *target; /* symlink text, or NULL */
    vss_xattr *xattrs; /* sorted by name */
    size_t xattr_count;
    bool has_flags; /* false: not asked, not a file or directory, or the
                     * filesystem has no flags (ENOTTY, EOPNOTSUPP) */
    unsigned flags; /* FS_*_FL bits as the filesystem reports them */
    /* A part that could not be read (EACCES on the content, ...): its
     * errno and a message naming the path and the part; 0 when all read.
     * The rest is still filled. */
    int part_errno;
    char part_message[256];
} vss_entry_stat;

/* Read the entry at path (relative to dirfd, or absolute; AT_FDCWD).
 * Fails only when the entry cannot be lstat'ed (ENOENT...) or memory runs
 * out; trouble with one part (content, xattrs, flags) is reported in
 * part_errno/part_message with the other parts filled. Clear s with
 * vss_entry_stat_clear, also after a failure. */
int vss_entry_stat_read(vss_entry_stat *s, int dirfd, const char *path, unsigned what,
                        vss_error *e);
void vss_entry_stat_clear(vss_entry_stat *s);

/* The one-letter names chattr and lsattr use for the flags a user sets
 * (s u c S i a d A j t D T C P x F ...), in lsattr order, for the bits of
 * mask that have one; out holds at least 33 bytes. Bits without a letter
 * (e extents, ...) describe storage and are left out. */
void vss_inode_flags_letters(unsigned flags, char out[33]);
/* The bits vss_inode_flags_letters names: what chattr can set. */
unsigned vss_inode_flags_settable(void);

#endif
