/* What the two VSS documents share: reading and writing XML safely with
 * libxml2 (no network, no DTD, so no entity expansion), a table-driven
 * mapping between element attributes and C struct fields, and keeping the
 * attributes and child elements a model does not know so that a save
 * carries them on. A model read from a document saves that document with
 * its changes (vss_xml_dump_merged), so a round trip gives canonically the
 * same XML. Only the document layer (metadata.c, components.c) includes
 * this header (and the C tests of that layer); libxml2 stays in this room. */
#ifndef VSS_DOCXML_H
#define VSS_DOCXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "documents/enums.h"
#include "base/error.h"

/* What a model keeps of the element it was read from: the element itself
 * (so that a save writes the document it came from, vss_xml_dump_merged)
 * and its unknown attributes and child nodes. They point into the parsed
 * document, which the owning model keeps alive until it is freed. */
typedef struct vss_xextra vss_xextra;
void vss_xextra_free(vss_xextra *x);

enum vss_xkind { VSS_XSTR, VSS_XGUID, VSS_XBOOL, VSS_XU32, VSS_XU64, VSS_XENUM };
enum {
    VSS_XREQUIRED = 1u << 0, /* load fails when absent */
    VSS_XOMIT_DEFAULT = 1u << 1, /* save leaves it out when it holds def */
};

/* One attribute <-> one struct field. VSS_XSTR/VSS_XGUID: char * (NULL =
 * absent); VSS_XBOOL: bool; VSS_XU32: uint32_t; VSS_XU64: uint64_t;
 * VSS_XENUM: int, spelled through en. */
typedef struct vss_xattr {
    const char *name;
    enum vss_xkind kind;
    size_t offset;
    const vss_enum *en;
    unsigned flags;
    int64_t def;
} vss_xattr;

/* Parse a document (file contents or a string). Rejects a root other than
 * `root`, a namespace other than `ns` (an absent one is tolerated), and any
 * DTD. Errors name the line. */
int vss_xml_parse(const char *buf, size_t len, const char *root, const char *ns, xmlDocPtr *out,
                  vss_error *e);
/* Read path and parse it as vss_xml_parse does; parse errors start with
 * the path (read errors name it already). */
int vss_xml_load(const char *path, const char *root, const char *ns, xmlDocPtr *out,
                 vss_error *e);

/* Fill the fields of obj from node's attributes by the table; *extra
 * (allocated) remembers node, and the attributes not in the table. Errors name element, attribute and line. */
int vss_xml_get_attrs(xmlNodePtr node, const vss_xattr *spec, size_t n, void *obj,
                      vss_xextra **extra, vss_error *e);
/* Set the table's fields as attributes, then the unknown ones. With the
 * element the object was read from (extra), node stands for it, and a
 * field that still holds what its attribute there reads as keeps that
 * attribute's spelling, or its absence. */
int vss_xml_set_attrs(xmlNodePtr node, const vss_xattr *spec, size_t n, const void *obj,
                      const vss_xextra *extra, vss_error *e);
/* Fill fields with the table's defaults (strings NULL). */
void vss_xml_defaults(const vss_xattr *spec, size_t n, void *obj);
/* Free the string fields of the table. */
void vss_xml_free_strings(const vss_xattr *spec, size_t n, void *obj);

/* Remember an unknown child element (or comment) of the element. */
int vss_xextra_add_node(vss_xextra **x, xmlNodePtr child, vss_error *e);
/* Copy the remembered child nodes under node (after the known ones). */
int vss_xextra_put_nodes(const vss_xextra *x, xmlNodePtr node, vss_error *e);

/* Whether the element x was read from sat in an element named parent. */
bool vss_xextra_read_under(const vss_xextra *x, const char *parent);

/* Element name without namespace, and whether a node is an element named so. */
bool vss_xml_is(xmlNodePtr node, const char *name);
/* Text of a node that only whitespace separates from its siblings. */
bool vss_xml_ignorable(xmlNodePtr node);

/* A new document whose root element is `root` in the default namespace ns. */
xmlDocPtr vss_xml_new_doc(const char *root, const char *ns);
/* Serialize (indented, no XML declaration, UTF-8). malloc'd string. */
char *vss_xml_dump(xmlDocPtr doc, size_t *len, vss_error *e);
/* Serialize gen, a document built from a model. When the model was read
 * from source, the output is source with the model's changes: what gen
 * still has keeps its place, namespaces, attribute order, spelling and
 * whitespace; what gen lacks goes; what gen adds goes in after what gen
 * puts before it. No XML declaration, UTF-8. malloc'd string. source is
 * left as it was, but its nodes' _private serve as marks during the call:
 * one model is not saved from two threads at once. */
char *vss_xml_dump_merged(xmlDocPtr gen, xmlDocPtr source, size_t *len, vss_error *e);
/* Write a buffer to path durably: temp file, fsync, rename, fsync dir. */
int vss_xml_write_file(const char *path, const char *buf, size_t len, vss_error *e);

/* Put "<path>: " in front of e's message. */
void vss_xml_prefix_error(vss_error *e, const char *path);

#endif
