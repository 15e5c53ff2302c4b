// The README's C quick start, inside functions the package's test calls
// (through quickstart_c.go).
#include <cgoguard/cgoguard.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int parse(const char* s);

// The C program's decode_frame: a frame whose first byte is 0 makes it
// write through NULL.
static void decode_frame(void* frame) {
  if (((volatile char*)frame)[0] == 0) *(volatile int*)(uintptr_t)((volatile char*)frame)[0] = 1;
}

// Runs the quick start's call over a frame; returns cgg_call's result.
int docsnippets_c_quickstart(char first_byte) {
  char frame[1] = {first_byte};
  // The snippet as the README shows it, untouched by clang-format.
  // clang-format off

#include <stdio.h>
#include <cgoguard/cgoguard.h>

cgg_fault f;
int rc = cgg_call(decode_frame, &frame, &f);   /* void decode_frame(void*) */
if (rc > 0) {                                   /* a signal number */
  fprintf(stderr, "decode_frame: %s at %#lx\n", f.what, (unsigned long)f.addr);
  cgg_symbol sym[CGG_MAX_FRAMES];  /* 100 KB: on a small thread stack, malloc it */
  int n = cgg_symbolize_fault(&f, sym, CGG_MAX_FRAMES);  /* ordinary context, cached */
  for (int i = 0; i < n; i++) fprintf(stderr, "  %s (%s:%d)\n", sym[i].function, sym[i].file, sym[i].line);
} else if (rc == CGG_CXX_EXCEPTION) {
  fprintf(stderr, "decode_frame threw: %s\n", f.what);
}
  // clang-format on

  return rc;
}

// clang-format off
static int guarded_parse(const char* s, int* result, cgg_fault* fault) {
  return CGG_GUARD(fault, *result = parse(s));   /* 0, or the signal number */
}
// clang-format on

// Runs the quick start's CGG_GUARD form; returns its result.
int docsnippets_c_guard(const char* s, int* result) {
  cgg_fault fault;
  return guarded_parse(s, result, &fault);
}
