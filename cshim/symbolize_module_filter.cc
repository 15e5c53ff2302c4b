// The dl_iterate_phdr wrapper behind the symbolizer's per-module
// libbacktrace states (symbolize.cc). Linked only into libcgoguard.so
// (CMakeLists.txt) and into Go programs (cshim.go), both with
// -Wl,--wrap=dl_iterate_phdr, so that every call of dl_iterate_phdr in them
// lands here. libcgoguard.a leaves this file out: its users link without the
// option, and __real_dl_iterate_phdr would be undefined there.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <link.h>
#include <stddef.h>
#include <string.h>

#include "loaded_module.h"
#include "symbolize_module_filter.h"

// The loader's dl_iterate_phdr: under --wrap the linker binds this name to it
// (a strong reference, so that a static program pulls it from libc.a).
extern "C" int __real_dl_iterate_phdr(int (*)(struct dl_phdr_info*, size_t, void*), void*);

namespace cgoguard {
namespace {

// Set only on the symbolizer thread, around its lookups. Initial-exec TLS:
// reading it allocates nothing and takes no lock, so the wrapper is as safe
// as dl_iterate_phdr itself for any caller, the unwinder of a static program
// included.
__attribute__((tls_model("initial-exec"))) thread_local const LoadingModule* loading_module =
    nullptr;

struct FilteredWalk {
  const LoadingModule* module;
  int (*callback)(struct dl_phdr_info*, size_t, void*);
  void* data;
};

int list_loading_module_only(struct dl_phdr_info* info, size_t size, void* arg) {
  auto* walk = static_cast<FilteredWalk*>(arg);
  const bool program_entry = info->dlpi_name == nullptr || info->dlpi_name[0] == '\0';
  if (walk->module->program) return program_entry ? walk->callback(info, size, walk->data) : 0;
  if (program_entry || !module_holds(info, walk->module->pc)) return 0;
  // libbacktrace reads the entry without a name as the program: from the
  // file its state was created with (this module's own) at this entry's
  // load address.
  struct dl_phdr_info renamed;
  memset(&renamed, 0, sizeof renamed);
  size_t n = size < sizeof renamed ? size : sizeof renamed;
  memcpy(&renamed, info, n);
  renamed.dlpi_name = "";
  return walk->callback(&renamed, n, walk->data);
}

}  // namespace
}  // namespace cgoguard

extern "C" {

void cgg_symbolize_load_only_module(const cgoguard::LoadingModule* module) {
  cgoguard::loading_module = module;
}

// Every call of dl_iterate_phdr in the linked program or library: it reads a
// thread-local pointer, then calls the loader's.
__attribute__((visibility("hidden"))) int __wrap_dl_iterate_phdr(
    int (*callback)(struct dl_phdr_info*, size_t, void*), void* data) {
  const cgoguard::LoadingModule* module = cgoguard::loading_module;
  if (module == nullptr) return __real_dl_iterate_phdr(callback, data);
  cgoguard::FilteredWalk walk = {module, callback, data};
  return __real_dl_iterate_phdr(cgoguard::list_loading_module_only, &walk);
}

}  // extern "C"
