/* Hexadecimal digits, as digests, snapshot ids and manifests write them. */
#ifndef VSS_HEX_H
#define VSS_HEX_H

#include <stddef.h>

/* The value of one hex digit (either case), or -1. */
int vss_hex_value(char c);

/* Write n bytes as 2n lowercase hex digits and a NUL into out. */
void vss_hex_encode(const void *bytes, size_t n, char *out);

#endif
