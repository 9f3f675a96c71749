/* CRC-32 (IEEE 802.3, reflected, as GPT and zlib use it). */
#ifndef KEEL_CRC32_H
#define KEEL_CRC32_H

#include <keel/compiler.h>

/* Continues @crc (0 to start) over @len bytes at @buf; returns the CRC of
 * everything so far. */
uint32_t
crc32_update(uint32_t crc, const void *buf, size_t len);

#endif
