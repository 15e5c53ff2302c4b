/* The example's own native code: a benign checksum and a decoder whose
 * process-wide state a malformed input pollutes. */
#ifndef EXAMPLE_NATIVE_H_
#define EXAMPLE_NATIVE_H_

#include <stdint.h>

/* checksum_job: `rounds` rounds of integer mixing from `seed`. */
typedef struct checksum_job {
  uint32_t seed;
  uint32_t rounds;
  uint32_t result;
} checksum_job;

/* void fn(void*) shape for cgoguard.Call: arg is a checksum_job. */
void example_checksum(void* arg);

/* decode_job: output = table[input & 255]. A job with poison set is the
 * malformed input: the decoder corrupts its table pointer, then faults, and
 * every later decode faults too until decoder_init runs again. */
typedef struct decode_job {
  int32_t input;
  int32_t poison;
  int32_t output;
} decode_job;

void decoder_init(void);
void decoder_decode(void* arg);

#endif
