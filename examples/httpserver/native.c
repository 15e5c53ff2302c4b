#include "native.h"

void example_checksum(void* arg) {
  checksum_job* job = (checksum_job*)arg;
  uint32_t h = job->seed ^ 2166136261u;
  for (uint32_t i = 0; i < job->rounds; i++) {
    h ^= i;
    h *= 16777619u;
  }
  job->result = h;
}

static int32_t decoder_table_storage[256];
/* The decoder's state, shared by every call in the process. */
static int32_t* decoder_table;

void decoder_init(void) {
  for (int i = 0; i < 256; i++) decoder_table_storage[i] = (i * 7) & 255;
  __atomic_store_n(&decoder_table, decoder_table_storage, __ATOMIC_RELEASE);
}

__attribute__((noinline)) static int32_t lookup(const int32_t* table, int32_t input) {
  return table[input & 255];
}

void decoder_decode(void* arg) {
  decode_job* job = (decode_job*)arg;
  if (job->poison) {
    /* The bug: a malformed input clobbers the shared table pointer. */
    __atomic_store_n(&decoder_table, (int32_t*)0, __ATOMIC_RELEASE);
  }
  job->output = lookup(__atomic_load_n(&decoder_table, __ATOMIC_ACQUIRE), job->input);
}
