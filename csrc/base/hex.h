/* Hexadecimal digits, as digests and snapshot ids write them, and the %XX
 * escapes that keep any byte string on one line of a manifest. */
#ifndef VSS_HEX_H
#define VSS_HEX_H

#include <stdbool.h>
#include <stddef.h>

/* The value of one hex digit (either case), or -1. */
int vss_hex_value(char c);

/* Write n bytes as 2n lowercase hex digits and a NUL into out. */
void vss_hex_encode(const void *bytes, size_t n, char *out);

/* Write n bytes with every byte outside printable ASCII ('!'..'~'), every
 * '%' and every byte of `also` (a manifest's own separators) as %XX.
 * out must hold 3n+1 bytes; returns the length written (NUL not counted). */
size_t vss_percent_encode(const void *bytes, size_t n, const char *also, char *out);

/* Decode the %XX escapes of s[0..n) into out (n+1 bytes, NUL-terminated).
 * False, with *bad the offset of the escape, when one is malformed or
 * stands for NUL (the strings decoded are C strings). */
bool vss_percent_decode(const char *s, size_t n, char *out, size_t *bad);

#endif
