/* What the files of the restore engine share: one step's run state
 * (restore_state.c: its helpers; restore_step.c: documents, writers,
 * targets and methods; restore_lay.c: the files). */
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
    size_t step; /* index in o->steps */
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
} rs_file;

/* A destination opened once per (root, replace). */
typedef struct rs_target {
    char *root;
    bool replace;
    vss_dest *t;
} rs_target;

typedef struct rs_run {
    const vss_restore_options *o;
    vss_backup_components *bc;
    vss_store *store;
    vss_store_reader *rd;
    rs_component *comps;
    size_t ncomps;
    rs_file *files;
    size_t nfiles;
    rs_target *targets;
    size_t ntargets;
    vss_dest_batch *batch; /* files laid, waiting for one durable commit */
    vss_store_info *before;   /* continues: the backups before steps[0], oldest first */
    size_t nbefore;
    char **swept; /* directories whose leftover temporaries were removed */
    size_t nswept;
    vss_restore_result *res;
    vss_progress p;
} rs_run;

/* ---- restore_state.c ---- */

/* A document path in Linux form (vss_document_path through o->root). */
int rs_resolve(const rs_run *r, const char *path, char **out, vss_error *e);
/* continues: whether a backup before this run's steps holds name whole
 * (and no later one of them deleted it), so an earlier run laid it. */
bool rs_laid_before(rs_run *r, const char *name);

/* ---- restore_lay.c ---- */

/* Gather the files of the selected components from every step's manifest
 * and add them to the result (restore_lay.c). */
int rs_gather(rs_run *r, vss_error *e);
/* RESTORE_IF_NOT_THERE: whether some whole file of component c is there. */
int rs_any_present(rs_run *r, size_t c, bool *present, vss_error *e);
/* Lay every file (whole and partial), then the directed targets. */
int rs_lay_all(rs_run *r, vss_error *e);

#endif
