#include "bnd.h"

#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>

struct bnd_handle {
  int items;
  int bumps;
  long values[64];
};

bnd_handle* bnd_open(int items) {
  void* p =
      mmap(NULL, sizeof(bnd_handle), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  bnd_handle* h = p;
  h->items = items > 64 ? 64 : items;
  for (int i = 0; i < h->items; i++) h->values[i] = i + 1;
  return h;
}

/* The pages stay reserved, inaccessible: a use after close faults every time
 * (unmapped, they could be mapped again by the next allocation). */
void bnd_close(bnd_handle* h) {
  mprotect(h, sizeof(bnd_handle), PROT_NONE);
}

int bnd_count(const bnd_handle* h) {
  return h->items;
}

void bnd_bump(bnd_handle* h) {
  h->bumps++;
}

struct bnd_stats bnd_stats(const bnd_handle* h) {
  struct bnd_stats s = {h->items, 0, 0};
  for (int i = 0; i < h->items; i++) s.total += h->values[i];
  if (h->items > 0) s.mean = (double)s.total / h->items;
  return s;
}

int bnd_parse(const char* s) {
  int n = 0;
  if (*s == 0) {
    errno = EINVAL;
    return -1;
  }
  for (; *s; s++) {
    if (*s < '0' || *s > '9') {
      errno = EINVAL;
      return -1;
    }
    n = n * 10 + (*s - '0');
  }
  return n;
}

void bnd_each(bnd_handle* h, bnd_visit fn, void* ctx) {
  for (int i = 0; i < h->items; i++) fn(h, i, ctx);
}
