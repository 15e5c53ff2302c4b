// The parser the guard-macro snippet guards: "crash" makes it read through
// NULL.
#include <string.h>

int parse(const char* s) {
  if (strcmp(s, "crash") == 0) {
    volatile const int* nothing = NULL;
    return *nothing;
  }
  return (int)strlen(s);
}
