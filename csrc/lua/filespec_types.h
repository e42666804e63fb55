/* The three Lua types of vss.filespec (vss.FileDesc, vss.PathMap,
 * vss.Walker) live in three files: filespec.c (vss.FileDesc and the
 * module) uses pathmap.c and walker.c, which use neither it nor each
 * other. The document bindings hand out file sets as vss.FileDesc. */
#ifndef VSS_LUA_FILESPEC_TYPES_H
#define VSS_LUA_FILESPEC_TYPES_H

#include "files/filespec.h"
#include "files/walker.h"
#include "binding.h"

#define VSS_FILEDESC_T "vss.FileDesc"
#define VSS_PATHMAP_T "vss.PathMap"
#define VSS_WALKER_T "vss.Walker"

vss_filedesc *vss_lua_checkfiledesc(lua_State *L, int idx);
/* Push an empty vss.FileDesc (its __gc frees whatever is put in it). */
vss_filedesc *vss_lua_newfiledesc(lua_State *L);
/* A vss.PathMap at idx, or NULL when it is something else. */
vss_pathmap *vss_lua_topathmap(lua_State *L, int idx);

/* Read a file descriptor from a table at idx ({path=, filespec=, ...} or a
 * list {path, filespec, ...}); raises naming argument arg and, when what is
 * not NULL, the place (e.g. "excludes[2]"). */
void vss_lua_tofiledesc(lua_State *L, int idx, int arg, const char *what, vss_filedesc *out);

void vss_lua_register_pathmap(lua_State *L);
void vss_lua_register_walker(lua_State *L);
int vss_lua_path_map(lua_State *L); /* vss.filespec.path_map{...} */
/* Open a walk of d and push what d:walk returns: next, walker, nil,
 * walker | nil, message, code. With a map, the paths of d and of o's
 * excludes are a document's, resolved through it (vss_walk_paths_resolve);
 * without, they are walked as written. */
int vss_lua_walk_open(lua_State *L, const vss_filedesc *d, const vss_pathmap *map,
                      vss_walk_options *o);

#endif
