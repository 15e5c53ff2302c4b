/* A SQLite loadable extension with a function that faults: crash_at(x)
 * returns x, except for x = 42, where it writes through a null pointer. It
 * runs inside sqlite3_step, under SQLite's own frames (the VDBE) and with the
 * connection's mutex held. crashext_probe_from_other_thread tells whether
 * that mutex is still held afterwards, from a thread of its own. */
#include <pthread.h>
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

static sqlite3* faulted_db;

static void crash_at(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  (void)argc;
  int x = sqlite3_value_int(argv[0]);
  if (x == 42) {
    faulted_db = sqlite3_context_db_handle(ctx);
    *(volatile int*)0 = x;
  }
  sqlite3_result_int(ctx, x);
}

static void* probe(void* arg) {
  int* rc = arg;
  sqlite3_mutex* m = sqlite3_db_mutex(faulted_db);
  *rc = sqlite3_mutex_try(m);
  if (*rc == SQLITE_OK) sqlite3_mutex_leave(m);
  return NULL;
}

/* SQLITE_OK: the mutex of the connection that faulted is free; SQLITE_BUSY:
 * another thread holds it; -1: no fault yet; -2: the thread failed. */
int crashext_probe_from_other_thread(void) {
  if (faulted_db == NULL) return -1;
  pthread_t t;
  int rc = -2;
  if (pthread_create(&t, NULL, probe, &rc) != 0) return -2;
  pthread_join(t, NULL);
  return rc;
}

int sqlite3_crashext_init(sqlite3* db, char** err, const sqlite3_api_routines* api) {
  (void)err;
  SQLITE_EXTENSION_INIT2(api);
  return sqlite3_create_function(db, "crash_at", 1, SQLITE_UTF8, NULL, crash_at, NULL, NULL);
}
