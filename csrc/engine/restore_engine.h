/* What the files of the restore engine share: one step's run state
 * (restore_state.c: its helpers; restore_step.c: documents, writers,
 * targets and methods; restore_lay.c: the files), and the step as the
 * chain (restore_chain.c) runs it. */
#ifndef VSS_RESTORE_ENGINE_H
#define VSS_RESTORE_ENGINE_H

#include "engine/restore.h"
#include "dest/dest.h"
#include "store/store.h"

/* One file set of a component as it is restored: where its files were
 * (d.path, Linux form) and where they go: beneath the directory `root`,
 * at `prefix` (relative, "" for none) followed by each file's name
 * relative to d.path. */
typedef struct rs_set {
    vss_filedesc d;
    const vss_filedesc *doc; /* as the stored metadata writes it */
    int how;                 /* VSS_RT_ORIGINAL, VSS_RT_ALTERNATE, or 0 for a new target */
    char *root, *prefix;
} rs_set;

typedef struct rs_component {
    vss_bc_component *bcc;
    vss_backup_components *bc; /* the BCD bcc is in: the step's, or an older one's */
    const char *from; /* the backup it is restored as of: its last success */
    const vss_writer_metadata *wm;
    const vss_wm_restore_method *method;
    vss_writer *live; /* the writer told, NULL when none */
    rs_set *sets;
    size_t nsets;
    int target;   /* VSS_RT_* */
    bool replace; /* whole files may replace existing ones */
    bool skipped; /* vetoed in pre_restore: nothing laid */
    bool refused; /* RESTORE_IF_NOT_THERE found its files there */
    size_t restored, failed, total;
} rs_component;

typedef struct rs_layer {
    size_t step; /* index in ids */
    const vss_store_entry *en;
} rs_layer;

/* One backed-up file: the entries of the steps that make its content, from
 * its last whole copy on (or only partial ones: laid over the file in
 * place). */
typedef struct rs_file {
    const char *name;
    size_t comp, set;
    rs_layer *layers;
    size_t nlayers;
    bool deleted;  /* the last step recorded it gone */
    bool directed; /* its component directs it: laid by the directed targets only */
    size_t result; /* its index in the result */
    unsigned lost; /* VSS_DEST_LOST_*: what of its metadata could not be given */
} rs_file;

/* A destination opened once per (root, replace). */
typedef struct rs_target {
    char *root;
    bool replace;
    vss_dest *t;
} rs_target;

/* The backups one step lays, and where it stands in its chain. */
typedef struct rs_plan {
    const char *const *ids; /* oldest first; the last one's documents rule */
    size_t nids;
    /* more_follow: more steps of this chain follow (each component gets
     * additional_restores). continues: an earlier step laid the previous
     * point in time (the backups before ids[0] in its chain): what it
     * laid is replaced, and partial files are laid over it. A file whose
     * backups here hold only partial copies, and that no earlier backup
     * holds whole, fails (ECHAIN): what stands in its place is no point
     * of the chain. */
    bool more_follow, continues;
    /* The BCDs of ids[0 .. nids-2], oldest first (NULL when nids is 1):
     * a component that failed in ids[nids-1], or is not in it, is laid as
     * of the newest of these in which it succeeded (bases are per
     * component). Those not in the last BCD have their writers' stored
     * metadata attached. */
    vss_backup_components *const *older;
    /* The chain checked that every select entry names something (a
     * component may fail in this step's backup and come from another). */
    bool select_checked;
} rs_plan;

typedef struct rs_run {
    const vss_restore_options *o;
    const char *const *ids; /* the plan's */
    size_t nids;
    vss_backup_components *const *older; /* the plan's */
    bool select_checked;                  /* the plan's */
    bool more_follow, continues;
    vss_backup_components *bc;
    vss_store_reader *rd;
    rs_component *comps;
    size_t ncomps;
    rs_file *files;
    size_t nfiles;
    rs_target *targets;
    size_t ntargets;
    vss_dest_batch *batch; /* files laid, waiting for one durable commit */
    vss_store_info *before;   /* continues: the backups before ids[0], oldest first */
    size_t nbefore;
    char **swept; /* directories whose leftover temporaries were removed */
    size_t nswept;
    /* laid at the end, indices into files: hard links (once the files they
     * name are in place), inode flags, then directories' own metadata
     * (after their content; deepest first), directories gone (rmdir) */
    size_t *links, *flagged, *dirs, *rmdirs;
    size_t nlinks, nflagged, ndirs, nrmdirs;
    size_t nodes; /* symlinks, fifos, devices made (durable at the end) */
    vss_restore_step *res;
    vss_progress p;
} rs_run;

/* ---- restore_state.c ---- */

/* Free what a step laid (files, components; not its documents). */
void rs_step_clear(vss_restore_step *s);

/* A document path in Linux form (vss_document_path through o->root). */
int rs_resolve(const rs_run *r, const char *path, char **out, vss_error *e);
/* continues: whether a backup before this run's steps holds name whole
 * (and no later one of them deleted it), so an earlier run laid it. */
bool rs_laid_before(rs_run *r, const char *name);

/* Restore by path (o->paths): whether stored name is path itself
 * (*exact) or lies beneath it; a path's trailing slashes do not count
 * here (rs_path_dir says whether it had one), and "/" holds everything. */
bool rs_path_match(const char *path, const char *name, bool *exact);
bool rs_path_dir(const char *path);
/* Whether o (by its paths; every name when it has none) wants name. */
bool rs_path_wanted(const vss_restore_options *o, const char *name);

/* ---- restore_lay.c ---- */

/* Restore by path: drop the chosen components that own no stored entry
 * the paths want (in the run's backups), no longer selected for restore
 * in the step's BCD. Before the writers hear of the step. */
int rs_paths_prune(rs_run *r, vss_error *e);

/* Collect the files of the selected components from every step's manifest
 * and add them to the result (restore_lay.c). */
int rs_collect(rs_run *r, vss_error *e);
/* RESTORE_IF_NOT_THERE: whether some whole file of component c is there. */
int rs_any_present(rs_run *r, size_t c, bool *present, vss_error *e);
/* Lay every file (whole and partial), then the directed targets. */
int rs_lay_all(rs_run *r, vss_error *e);

/* ---- restore_step.c ---- */

/* One step: the components chosen from bc (its last backup's BCD,
 * each writer's stored metadata attached), identify and pre_restore to
 * ws (NULL: nobody is told), the files of the plan's backups laid,
 * file restore status, post_restore. o is checked (vss_restore). Fails
 * (nothing written) on a missing backup, bad documents or a file set
 * escaping; once files are being laid it returns VSS_OK and s says what
 * became of each. s's files and components are filled; rs_step_clear
 * frees them (done here on failure). */
int rs_run_step(vss_writers *ws, vss_backup_components *bc, vss_store_reader *rd,
                const vss_restore_options *o, const rs_plan *plan, vss_restore_step *s,
                vss_error *e);

#endif
