/* GUIDs: the identifiers of writers, writer instances and snapshot sets. */
#ifndef VSS_GUID_H
#define VSS_GUID_H

#include <stdbool.h>

/* A GUID as the documents write it: 8-4-4-4-12 hex digits, no braces. */
bool vss_guid_valid(const char *s);

#endif
