/* A small C library standing for a third-party one (a database, an image
 * codec): handles it allocates and frees, an errno-style parser, a struct
 * result and a callback API. It trusts its callers, as C libraries do: a NULL
 * or closed handle faults. */
#ifndef BND_H
#define BND_H

typedef struct bnd_handle bnd_handle;

struct bnd_stats {
  int items;
  long total;
  double mean;
};

bnd_handle* bnd_open(int items);
/* Frees the handle: a later use faults. */
void bnd_close(bnd_handle* h);
int bnd_count(const bnd_handle* h);
void bnd_bump(bnd_handle* h);
struct bnd_stats bnd_stats(const bnd_handle* h);
/* Parses a decimal number: sets errno to EINVAL (returns -1) for text that is
 * not one; faults on NULL. */
int bnd_parse(const char* s);
/* Calls fn(h, i, ctx) for every item. */
typedef void (*bnd_visit)(bnd_handle* h, int i, void* ctx);
void bnd_each(bnd_handle* h, bnd_visit fn, void* ctx);

#endif
