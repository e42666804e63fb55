#include "documents/docxml.h"

#include "base/fileio.h"
#include "base/mem.h"
#include "base/array.h"
#include "base/guid.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlsave.h>

/* Documents are a few MB at most (WM3.xml, the System Writer, is 2 MB). */
#define VSS_XML_MAX_FILE (256u << 20)

struct vss_xextra {
    xmlNodePtr node; /* the element this was loaded from (in the model's source) */
    xmlAttrPtr *attrs;
    size_t nattrs, capattrs;
    xmlNodePtr *nodes;
    size_t nnodes, capnodes;
};

void vss_xextra_free(vss_xextra *x)
{
    if (x == NULL)
        return;
    free(x->attrs);
    free(x->nodes);
    free(x);
}

static vss_xextra *xextra_get(vss_xextra **x, vss_error *e)
{
    if (*x == NULL && (*x = calloc(1, sizeof **x)) == NULL)
        vss_error_set(e, ENOMEM, "out of memory");
    return *x;
}

int vss_xextra_add_node(vss_xextra **x, xmlNodePtr child, vss_error *e)
{
    vss_xextra *xx = xextra_get(x, e);
    if (xx == NULL || VSS_GROW(xx->nodes, xx->capnodes, xx->nnodes, e) != VSS_OK)
        return VSS_FAIL;
    xx->nodes[xx->nnodes++] = child;
    return VSS_OK;
}

static int xextra_add_attr(vss_xextra **x, xmlAttrPtr a, vss_error *e)
{
    vss_xextra *xx = xextra_get(x, e);
    if (xx == NULL || VSS_GROW(xx->attrs, xx->capattrs, xx->nattrs, e) != VSS_OK)
        return VSS_FAIL;
    xx->attrs[xx->nattrs++] = a;
    return VSS_OK;
}

/* Link n (unlinked, of parent's document) into parent after prev (NULL:
 * first). Never merges it with a text node next to it, as xmlAddChild and
 * xmlAdd*Sibling do (freeing it): each node must stay the one it is. */
static void link_after(xmlNodePtr parent, xmlNodePtr prev, xmlNodePtr n)
{
    xmlNodePtr next = prev != NULL ? prev->next : parent->children;
    n->parent = parent;
    n->prev = prev;
    n->next = next;
    if (prev != NULL)
        prev->next = n;
    else
        parent->children = n;
    if (next != NULL)
        next->prev = n;
    else
        parent->last = n;
}

/* Point each node of a copied subtree at the node it was copied from, so
 * that a save finds the original again (vss_xml_dump_merged). */
static void map_copy(xmlNodePtr copy, xmlNodePtr orig)
{
    for (; copy != NULL && orig != NULL; copy = copy->next, orig = orig->next) {
        copy->_private = orig;
        if (copy->type == XML_ELEMENT_NODE)
            map_copy(copy->children, orig->children);
    }
}

int vss_xextra_put_nodes(const vss_xextra *x, xmlNodePtr node, vss_error *e)
{
    for (size_t i = 0; x != NULL && i < x->nnodes; i++) {
        xmlNodePtr copy = xmlDocCopyNode(x->nodes[i], node->doc, 1);
        if (copy == NULL)
            return vss_error_set(e, ENOMEM, "out of memory");
        link_after(node, node->last, copy);
        /* The copy declares the namespaces it uses; drop the ones its new
         * ancestors already declare. */
        xmlDOMWrapReconcileNamespaces(NULL, copy, 1 /* XML_DOM_RECONNS_REMOVEREDUND */);
        copy->_private = x->nodes[i];
        if (copy->type == XML_ELEMENT_NODE)
            map_copy(copy->children, x->nodes[i]->children);
    }
    return VSS_OK;
}

bool vss_xextra_read_under(const vss_xextra *x, const char *parent)
{
    return x != NULL && x->node != NULL && x->node->parent != NULL &&
           vss_xml_is(x->node->parent, parent);
}

bool vss_xml_is(xmlNodePtr node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, name) == 0;
}

bool vss_xml_ignorable(xmlNodePtr node)
{
    if (node->type != XML_TEXT_NODE)
        return false;
    for (const xmlChar *p = node->content; p && *p; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            return false;
    return true;
}

static int xml_read_file(const char *path, char **buf, size_t *len, vss_error *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vss_error_sys(e, errno, "open '%s'", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return vss_error_sys(e, err, "stat '%s'", path);
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > VSS_XML_MAX_FILE) {
        close(fd);
        return vss_error_set(e, EINVAL, "'%s': not a regular file of at most %u bytes", path,
                             VSS_XML_MAX_FILE);
    }
    size_t size = (size_t)st.st_size;
    char *p = malloc(size + 1);
    if (p == NULL) {
        close(fd);
        return vss_error_set(e, ENOMEM, "out of memory reading '%s'", path);
    }
    ssize_t r = vss_read_full(fd, p, size);
    if (r < 0 || (size_t)r != size) {
        int err = r < 0 ? errno : EIO;
        free(p);
        close(fd);
        return vss_error_sys(e, err, "read '%s'", path);
    }
    close(fd);
    p[size] = '\0';
    *buf = p;
    *len = size;
    return VSS_OK;
}

int vss_xml_parse(const char *buf, size_t len, const char *root, const char *ns, xmlDocPtr *out,
                  vss_error *e)
{
    *out = NULL;
    if (len > INT32_MAX)
        return vss_error_set(e, EINVAL, "document too large");
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt == NULL)
        return vss_error_set(e, ENOMEM, "out of memory");
    /* No network, no entity substitution, no DTD loading: documents are
     * data from elsewhere, never a reason to fetch or expand anything. */
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, NULL, opts);
    if (doc == NULL) {
        xmlErrorPtr err = xmlCtxtGetLastError(ctxt);
        char msg[256] = "not well-formed";
        if (err != NULL && err->message != NULL) {
            snprintf(msg, sizeof msg, "%s", err->message);
            msg[strcspn(msg, "\n")] = '\0';
        }
        int line = err ? err->line : 0;
        xmlFreeParserCtxt(ctxt);
        return vss_error_set(e, EINVAL, "XML error at line %d: %s", line, msg);
    }
    xmlFreeParserCtxt(ctxt);
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        xmlFreeDoc(doc);
        return vss_error_set(e, EINVAL, "DOCTYPE not allowed in a VSS document (line 1)");
    }
    xmlNodePtr r = xmlDocGetRootElement(doc);
    if (r == NULL || !vss_xml_is(r, root)) {
        int line = r ? xmlGetLineNo(r) : 1;
        int rc = vss_error_set(e, EINVAL, "root element <%s> at line %d: expected <%s>",
                               r ? (const char *)r->name : "", line, root);
        xmlFreeDoc(doc);
        return rc;
    }
    if (r->ns != NULL && r->ns->href != NULL && strcmp((const char *)r->ns->href, ns) != 0) {
        int rc = vss_error_set(e, EINVAL, "<%s> at line %ld: namespace '%s', expected '%s'", root,
                               xmlGetLineNo(r), (const char *)r->ns->href, ns);
        xmlFreeDoc(doc);
        return rc;
    }
    *out = doc;
    return VSS_OK;
}

int vss_xml_load(const char *path, const char *root, const char *ns, xmlDocPtr *out,
                 vss_error *e)
{
    char *buf = NULL; /* set on VSS_OK; inlined, gcc cannot see that */
    size_t len = 0;
    if (xml_read_file(path, &buf, &len, e) != VSS_OK)
        return VSS_FAIL;
    int rc = vss_xml_parse(buf, len, root, ns, out, e);
    free(buf);
    if (rc != VSS_OK)
        vss_xml_prefix_error(e, path);
    return rc;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

void vss_xml_defaults(const vss_xattr *spec, size_t n, void *obj)
{
    char *base = obj;
    for (size_t i = 0; i < n; i++) {
        void *f = base + spec[i].offset;
        switch (spec[i].kind) {
        case VSS_XSTR:
        case VSS_XGUID: *(char **)f = NULL; break;
        case VSS_XBOOL: *(bool *)f = spec[i].def != 0; break;
        case VSS_XU32: *(uint32_t *)f = (uint32_t)spec[i].def; break;
        case VSS_XU64: *(uint64_t *)f = (uint64_t)spec[i].def; break;
        case VSS_XENUM: *(int *)f = (int)spec[i].def; break;
        }
    }
}

void vss_xml_free_strings(const vss_xattr *spec, size_t n, void *obj)
{
    char *base = obj;
    for (size_t i = 0; i < n; i++) {
        if (spec[i].kind == VSS_XSTR || spec[i].kind == VSS_XGUID) {
            char **f = (char **)(base + spec[i].offset);
            free(*f);
            *f = NULL;
        }
    }
}

static int set_field(const vss_xattr *s, void *f, const char *v, xmlNodePtr node, vss_error *e)
{
    uint64_t u;
    int64_t ev;
    switch (s->kind) {
    case VSS_XGUID:
        if (!vss_guid_valid(v))
            break;
        /* fall through */
    case VSS_XSTR:
        free(*(char **)f);
        return vss_strdup_opt((char **)f, v, e);
    case VSS_XBOOL:
        if (strcasecmp(v, "yes") != 0 && strcasecmp(v, "no") != 0)
            break;
        *(bool *)f = strcasecmp(v, "yes") == 0;
        return VSS_OK;
    case VSS_XU32:
        if (!parse_u64(v, UINT32_MAX, &u))
            break;
        *(uint32_t *)f = (uint32_t)u;
        return VSS_OK;
    case VSS_XU64:
        if (!parse_u64(v, UINT64_MAX, &u))
            break;
        *(uint64_t *)f = u;
        return VSS_OK;
    case VSS_XENUM:
        if (!vss_enum_from_xml(s->en, v, &ev))
            break;
        *(int *)f = (int)ev;
        return VSS_OK;
    }
    static const char *const expected[] = {"a string", "a GUID", "yes or no", "a decimal 32-bit number",
                                           "a decimal 64-bit number", "a value of "};
    return vss_error_set(e, EINVAL, "<%s %s=\"%.64s\"> at line %ld: expected %s%s",
                         (const char *)node->name, s->name, v, xmlGetLineNo(node),
                         expected[s->kind], s->kind == VSS_XENUM ? s->en->name : "");
}

int vss_xml_get_attrs(xmlNodePtr node, const vss_xattr *spec, size_t n, void *obj,
                      vss_xextra **extra, vss_error *e)
{
    char *base = obj;
    uint64_t seen = 0; /* tables are short: at most 64 attributes */
    if (extra != NULL) {
        if (xextra_get(extra, e) == NULL)
            return VSS_FAIL;
        (*extra)->node = node;
    }
    for (xmlAttrPtr a = node->properties; a != NULL; a = a->next) {
        size_t i = 0;
        while (i < n && (a->ns != NULL || strcmp((const char *)a->name, spec[i].name) != 0))
            i++;
        if (i == n) {
            if (xextra_add_attr(extra, a, e) != VSS_OK)
                return VSS_FAIL;
            continue;
        }
        /* Single text child: the common case, read in place (WM3 has 19,000
         * FILE_LIST elements). Otherwise let libxml2 join the pieces. */
        const char *v;
        xmlChar *joined = NULL;
        if (a->children && a->children->type == XML_TEXT_NODE && a->children->next == NULL)
            v = (const char *)a->children->content;
        else
            v = (const char *)(joined = xmlNodeListGetString(node->doc, a->children, 1));
        int rc = set_field(&spec[i], base + spec[i].offset, v ? v : "", node, e);
        xmlFree(joined);
        if (rc != VSS_OK)
            return VSS_FAIL;
        seen |= UINT64_C(1) << i;
    }
    for (size_t i = 0; i < n; i++)
        if ((spec[i].flags & VSS_XREQUIRED) && !(seen & (UINT64_C(1) << i)))
            return vss_error_set(e, EINVAL, "<%s> at line %ld: missing attribute %s",
                                 (const char *)node->name, xmlGetLineNo(node), spec[i].name);
    return VSS_OK;
}

/* An attribute's value without copying when it is one text node (the
 * common case: WM3 has 19,000 FILE_LISTs); else joined into *joined. */
static const xmlChar *attr_value(xmlAttrPtr a, xmlChar **joined)
{
    *joined = NULL;
    if (a->children == NULL)
        return (const xmlChar *)"";
    if (a->children->type == XML_TEXT_NODE && a->children->next == NULL)
        return a->children->content;
    *joined = xmlNodeListGetString(a->doc, a->children, 1);
    return *joined;
}

/* Whether v, an attribute's text in the element a model was read from
 * (NULL: absent), reads as the field's value. A string read as "" and
 * one the model dropped (NULL) count as the same. */
static bool reads_as(const vss_xattr *s, const void *f, const char *v)
{
    uint64_t u;
    int64_t ev;
    switch (s->kind) {
    case VSS_XSTR:
    case VSS_XGUID: {
        const char *m = *(char *const *)f;
        if (v == NULL)
            return m == NULL;
        return strcmp(m ? m : "", v) == 0;
    }
    case VSS_XBOOL: {
        bool b = s->def != 0;
        if (v != NULL) {
            if (strcasecmp(v, "yes") != 0 && strcasecmp(v, "no") != 0)
                return false;
            b = strcasecmp(v, "yes") == 0;
        }
        return b == *(const bool *)f;
    }
    case VSS_XU32:
        u = (uint32_t)s->def;
        return (v == NULL || parse_u64(v, UINT32_MAX, &u)) && (uint32_t)u == *(const uint32_t *)f;
    case VSS_XU64:
        u = (uint64_t)s->def;
        return (v == NULL || parse_u64(v, UINT64_MAX, &u)) && u == *(const uint64_t *)f;
    case VSS_XENUM:
        ev = s->def;
        return (v == NULL || vss_enum_from_xml(s->en, v, &ev)) && (int)ev == *(const int *)f;
    }
    return false;
}

int vss_xml_set_attrs(xmlNodePtr node, const vss_xattr *spec, size_t n, const void *obj,
                      const vss_xextra *extra, vss_error *e)
{
    const char *base = obj;
    /* A model read from a document: the new element stands for the one it
     * was read from (vss_xml_dump_merged), and an attribute whose value
     * the model still holds keeps the spelling it had there (or its
     * absence): "Yes", "0003855" and a left-out default stay as written. */
    xmlNodePtr orig = extra != NULL ? extra->node : NULL;
    node->_private = orig;
    for (size_t i = 0; i < n; i++) {
        const void *f = base + spec[i].offset;
        if (orig != NULL) {
            xmlAttrPtr oa = xmlHasNsProp(orig, (const xmlChar *)spec[i].name, NULL);
            xmlChar *joined = NULL;
            const xmlChar *ov = oa ? attr_value(oa, &joined) : NULL;
            if (oa != NULL && ov == NULL)
                return vss_error_set(e, ENOMEM, "out of memory");
            if (reads_as(&spec[i], f, (const char *)ov)) {
                xmlAttrPtr a = ov ? xmlNewProp(node, (const xmlChar *)spec[i].name, ov) : NULL;
                xmlFree(joined);
                if (oa != NULL && a == NULL)
                    return vss_error_set(e, ENOMEM, "out of memory");
                continue;
            }
            xmlFree(joined);
        }
        const char *v = NULL;
        char num[24];
        bool dflt = false;
        switch (spec[i].kind) {
        case VSS_XSTR:
        case VSS_XGUID: v = *(char *const *)f; break;
        case VSS_XBOOL:
            v = *(const bool *)f ? "yes" : "no";
            dflt = *(const bool *)f == (spec[i].def != 0);
            break;
        case VSS_XU32:
            snprintf(num, sizeof num, "%" PRIu32, *(const uint32_t *)f);
            v = num;
            dflt = *(const uint32_t *)f == (uint32_t)spec[i].def;
            break;
        case VSS_XU64:
            snprintf(num, sizeof num, "%" PRIu64, *(const uint64_t *)f);
            v = num;
            dflt = *(const uint64_t *)f == (uint64_t)spec[i].def;
            break;
        case VSS_XENUM:
            v = vss_enum_xml(spec[i].en, *(const int *)f);
            dflt = *(const int *)f == (int)spec[i].def;
            if (v == NULL)
                return vss_error_set(e, EINVAL, "%s: value %d has no spelling", spec[i].name,
                                     *(const int *)f);
            break;
        }
        if (v == NULL || (dflt && (spec[i].flags & VSS_XOMIT_DEFAULT)))
            continue;
        if (xmlNewProp(node, (const xmlChar *)spec[i].name, (const xmlChar *)v) == NULL)
            return vss_error_set(e, ENOMEM, "out of memory");
    }
    for (size_t i = 0; extra != NULL && i < extra->nattrs; i++) {
        xmlAttrPtr a = extra->attrs[i];
        xmlNsPtr ns = NULL;
        if (a->ns != NULL) {
            ns = xmlSearchNsByHref(node->doc, node, a->ns->href);
            if (ns == NULL)
                ns = xmlNewNs(node, a->ns->href, a->ns->prefix);
        }
        xmlChar *v = xmlNodeListGetString(a->doc, a->children, 1);
        xmlAttrPtr copy = xmlNewNsProp(node, ns, a->name, v ? v : (const xmlChar *)"");
        xmlFree(v);
        if (copy == NULL)
            return vss_error_set(e, ENOMEM, "out of memory");
    }
    return VSS_OK;
}

xmlDocPtr vss_xml_new_doc(const char *root, const char *ns)
{
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    if (doc == NULL)
        return NULL;
    /* Element and attribute names interned once, not copied per node. */
    if ((doc->dict = xmlDictCreate()) == NULL) {
        xmlFreeDoc(doc);
        return NULL;
    }
    xmlNodePtr r = xmlNewDocNode(doc, NULL, (const xmlChar *)root, NULL);
    if (r == NULL) {
        xmlFreeDoc(doc);
        return NULL;
    }
    xmlDocSetRootElement(doc, r);
    xmlNsPtr n = xmlNewNs(r, (const xmlChar *)ns, NULL);
    if (n == NULL) {
        xmlFreeDoc(doc);
        return NULL;
    }
    xmlSetNs(r, n);
    return doc;
}

static char *dump(xmlDocPtr doc, int options, size_t *len, vss_error *e);

char *vss_xml_dump(xmlDocPtr doc, size_t *len, vss_error *e)
{
    return dump(doc, XML_SAVE_FORMAT, len, e);
}

/* ---- saving a document that was loaded ----
 *
 * A model read from a document saves that document with the model's
 * changes applied, not a new one: the save builds a fresh tree from the
 * model (gen) as for a new document, whose elements point (_private) at
 * the elements they were read from in the source (vss_xml_set_attrs,
 * vss_xextra_put_nodes); then, in a copy of the source, every element
 * gen still has takes gen's attribute values and keeps its place,
 * namespace declarations, attribute order and the whitespace around it;
 * an element gen no longer has goes (with the whitespace before it), and
 * an element new in gen goes after the element gen puts before it. */

static int oom(vss_error *e)
{
    return vss_error_set(e, ENOMEM, "out of memory");
}

static xmlChar *attr_text(xmlAttrPtr a)
{
    xmlChar *v = xmlNodeListGetString(a->doc, a->children, 1);
    return v ? v : xmlStrdup((const xmlChar *)"");
}

/* c (in the output) takes the attributes of g: same name and namespace
 * keep their place, the others go, g's new ones come last. */
static int merge_attrs(xmlNodePtr c, xmlNodePtr g, vss_error *e)
{
    xmlAttrPtr next;
    for (xmlAttrPtr a = c->properties; a != NULL; a = next) {
        next = a->next;
        xmlAttrPtr ga = xmlHasNsProp(g, a->name, a->ns ? a->ns->href : NULL);
        if (ga == NULL) {
            xmlRemoveProp(a);
            continue;
        }
        xmlChar *gj, *cj;
        const xmlChar *gv = attr_value(ga, &gj), *cv = attr_value(a, &cj);
        int rc = gv && cv ? VSS_OK : oom(e);
        if (rc == VSS_OK && !xmlStrEqual(gv, cv) && xmlSetNsProp(c, a->ns, a->name, gv) == NULL)
            rc = oom(e);
        xmlFree(gj);
        xmlFree(cj);
        if (rc != VSS_OK)
            return rc;
    }
    for (xmlAttrPtr ga = g->properties; ga != NULL; ga = ga->next) {
        if (xmlHasNsProp(c, ga->name, ga->ns ? ga->ns->href : NULL) != NULL)
            continue;
        xmlNsPtr ns = NULL;
        if (ga->ns != NULL && (ns = xmlSearchNsByHref(c->doc, c, ga->ns->href)) == NULL &&
            (ns = xmlNewNs(c, ga->ns->href, ga->ns->prefix)) == NULL)
            return oom(e);
        xmlChar *gv = attr_text(ga);
        xmlAttrPtr na = gv ? xmlNewNsProp(c, ns, ga->name, gv) : NULL;
        xmlFree(gv);
        if (na == NULL)
            return oom(e);
    }
    return VSS_OK;
}

/* A new element's subtree takes the namespace of where it now is: the
 * model's elements all live in their parent's namespace. */
static void take_parent_ns(xmlNodePtr n)
{
    if (n->type != XML_ELEMENT_NODE)
        return;
    if (n->nsDef != NULL) {
        xmlFreeNsList(n->nsDef);
        n->nsDef = NULL;
    }
    n->ns = n->parent->ns;
    for (xmlNodePtr k = n->children; k != NULL; k = k->next)
        take_parent_ns(k);
}

/* Indent the children of a new element whose line starts with ws
 * ("\n" and the indentation of the element): one tab more when the
 * document indents with tabs, else two spaces. */
static int indent_new(xmlNodePtr n, const xmlChar *ws, vss_error *e)
{
    if (n->type != XML_ELEMENT_NODE || n->children == NULL || xmlStrchr(ws, '\n') == NULL)
        return VSS_OK;
    for (xmlNodePtr k = n->children; k != NULL; k = k->next)
        if (k->type != XML_ELEMENT_NODE)
            return VSS_OK; /* text of its own: left as it is */
    xmlChar *inner = xmlStrncatNew(ws, (const xmlChar *)(xmlStrchr(ws, '\t') ? "\t" : "  "), -1);
    if (inner == NULL)
        return oom(e);
    int rc = VSS_OK;
    for (xmlNodePtr k = n->children; k != NULL && rc == VSS_OK; k = k->next) {
        xmlNodePtr t = xmlNewDocText(n->doc, inner);
        if (t == NULL)
            rc = oom(e);
        else {
            link_after(n, k->prev, t);
            rc = indent_new(k, inner, e);
        }
    }
    xmlFree(inner);
    xmlNodePtr t = rc == VSS_OK ? xmlNewDocText(n->doc, ws) : NULL;
    if (rc == VSS_OK && t == NULL)
        rc = oom(e);
    if (t != NULL)
        link_after(n, n->last, t);
    return rc;
}

/* Move gen's new node n into c, after anchor (an output node, or NULL:
 * first), with the indentation its neighbours have. */
static int insert_new(xmlNodePtr c, xmlNodePtr anchor, xmlNodePtr n, vss_error *e)
{
    xmlUnlinkNode(n);
    if (xmlDOMWrapAdoptNode(NULL, n->doc, n, c->doc, c, 0) != 0)
        return oom(e);
    xmlNodePtr first = c->children;
    while (first != NULL && vss_xml_ignorable(first))
        first = first->next;
    xmlNodePtr ws = NULL; /* the whitespace to copy between the neighbours */
    if (anchor != NULL) {
        ws = anchor->prev;
        link_after(c, anchor, n);
    } else if (first != NULL) {
        ws = first->prev;
        link_after(c, first->prev, n);
    } else
        link_after(c, c->last, n);
    take_parent_ns(n);
    if (ws != NULL && vss_xml_ignorable(ws)) {
        xmlNodePtr copy = xmlNewDocText(c->doc, ws->content);
        if (copy == NULL)
            return oom(e);
        /* after anchor: the copy goes between it and n; before first:
         * between n and first */
        link_after(c, anchor != NULL ? anchor : n, copy);
        return indent_new(n, ws->content, e);
    }
    return VSS_OK;
}

/* o: an element of the source; c: its copy in the output; g: the element
 * of gen that stands for it. */
static int merge(xmlNodePtr o, xmlNodePtr c, xmlNodePtr g, vss_error *e)
{
    if (merge_attrs(c, g, e) != VSS_OK)
        return VSS_FAIL;
    /* Which child of g stands for each child of o: marked on o's child,
     * moved at once to its copy so the source is left as it was. */
    for (xmlNodePtr gk = g->children; gk != NULL; gk = gk->next) {
        xmlNodePtr ok = gk->_private;
        if (ok != NULL && ok->parent == o && ok->_private == NULL)
            ok->_private = gk;
    }
    xmlNodePtr ok, ck;
    for (ok = o->children, ck = c->children; ok != NULL && ck != NULL;
         ok = ok->next, ck = ck->next) {
        ck->_private = ok->_private;
        ok->_private = NULL;
    }
    xmlNodePtr okn, ckn;
    for (ok = o->children, ck = c->children; ok != NULL && ck != NULL; ok = okn, ck = ckn) {
        okn = ok->next;
        ckn = ck->next;
        xmlNodePtr gk = ck->_private;
        ck->_private = NULL;
        if (gk != NULL) {
            gk->_private = ck; /* kept: new ones go after it */
            if (ck->type == XML_ELEMENT_NODE && merge(ok, ck, gk, e) != VSS_OK)
                return VSS_FAIL;
        } else if (!vss_xml_ignorable(ck)) {
            xmlNodePtr ws = ck->prev;
            if (ws != NULL && vss_xml_ignorable(ws)) {
                xmlUnlinkNode(ws);
                xmlFreeNode(ws);
            }
            xmlUnlinkNode(ck);
            xmlFreeNode(ck);
        }
    }
    xmlNodePtr anchor = NULL, gkn;
    for (xmlNodePtr gk = g->children; gk != NULL; gk = gkn) {
        gkn = gk->next;
        xmlNodePtr kept = gk->_private;
        if (kept != NULL && kept->doc == c->doc) {
            anchor = kept;
            continue;
        }
        if (insert_new(c, anchor, gk, e) != VSS_OK)
            return VSS_FAIL;
        anchor = gk;
    }
    return VSS_OK;
}

/* xmlCopyDoc, but the copy shares the source's dictionary: names are not
 * copied one by one (half the cost of saving WM3's 19,000 FILE_LISTs). */
static xmlDocPtr copy_doc(xmlDocPtr source)
{
    xmlDocPtr out = xmlNewDoc(source->version ? source->version : (const xmlChar *)"1.0");
    if (out == NULL)
        return NULL;
    if (source->dict != NULL) {
        out->dict = source->dict;
        xmlDictReference(out->dict);
    }
    for (xmlNodePtr n = source->children; n != NULL; n = n->next) {
        xmlNodePtr copy = xmlDocCopyNode(n, out, 1);
        if (copy == NULL || xmlAddChild((xmlNodePtr)out, copy) == NULL) {
            xmlFreeNode(copy);
            xmlFreeDoc(out);
            return NULL;
        }
    }
    return out;
}

char *vss_xml_dump_merged(xmlDocPtr gen, xmlDocPtr source, size_t *len, vss_error *e)
{
    if (source == NULL)
        return vss_xml_dump(gen, len, e);
    xmlDocPtr out = copy_doc(source);
    if (out == NULL) {
        oom(e);
        return NULL;
    }
    char *s = NULL;
    /* Not reformatted: the whitespace is the source's. */
    if (merge(xmlDocGetRootElement(source), xmlDocGetRootElement(out),
              xmlDocGetRootElement(gen), e) == VSS_OK)
        s = dump(out, 0, len, e);
    xmlFreeDoc(out);
    return s;
}

static char *dump(xmlDocPtr doc, int options, size_t *len, vss_error *e)
{
    xmlBufferPtr b = xmlBufferCreate();
    if (b == NULL) {
        vss_error_set(e, ENOMEM, "out of memory");
        return NULL;
    }
    xmlSaveCtxtPtr s = xmlSaveToBuffer(b, "UTF-8", options | XML_SAVE_NO_DECL);
    if (s == NULL || xmlSaveDoc(s, doc) < 0) {
        if (s)
            xmlSaveClose(s);
        xmlBufferFree(b);
        vss_error_set(e, ENOMEM, "cannot serialize the document");
        return NULL;
    }
    xmlSaveClose(s);
    size_t n = (size_t)xmlBufferLength(b);
    char *out = malloc(n + 1);
    if (out == NULL) {
        xmlBufferFree(b);
        vss_error_set(e, ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(out, xmlBufferContent(b), n);
    out[n] = '\0';
    xmlBufferFree(b);
    *len = n;
    return out;
}

typedef struct write_ctx {
    const char *buf;
    size_t len;
} write_ctx;

static int write_buf(int fd, const void *ctx)
{
    const write_ctx *w = ctx;
    return vss_write_full(fd, w->buf, w->len);
}

int vss_xml_write_file(const char *path, const char *buf, size_t len, vss_error *e)
{
    write_ctx w = {buf, len};
    return vss_file_replace(path, write_buf, &w, "document", e);
}

void vss_xml_prefix_error(vss_error *e, const char *path)
{
    if (e == NULL)
        return;
    char msg[sizeof e->message];
    snprintf(msg, sizeof msg, "%.200s: %.300s", path, e->message);
    memcpy(e->message, msg, sizeof msg);
}
