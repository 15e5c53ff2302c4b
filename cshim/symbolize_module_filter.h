// The symbolizer's way to make libbacktrace read one module at a time
// (symbolize.cc says why): a dl_iterate_phdr wrapper that lists only the
// module the calling thread is loading. Internal; not installed.
#ifndef CGOGUARD_CSHIM_SYMBOLIZE_MODULE_FILTER_H_
#define CGOGUARD_CSHIM_SYMBOLIZE_MODULE_FILTER_H_

#include <stdint.h>

#include "internal.h"

namespace cgoguard {

// The module a thread is loading.
struct LoadingModule {
  uintptr_t pc;  // an address inside the module
  bool program;  // the program itself (its dl_iterate_phdr entry has no name)
};

}  // namespace cgoguard

// Until called again with NULL, dl_iterate_phdr on the calling thread lists
// only `module` (a shared object under the empty name libbacktrace takes for
// the program's). Defined by symbolize_module_filter.cc, which is linked only
// where dl_iterate_phdr is wrapped (libcgoguard.so, Go programs); elsewhere
// the weak reference is null. Ordinary context.
extern "C" CGG_INTERNAL void cgg_symbolize_load_only_module(const cgoguard::LoadingModule* module)
    __attribute__((weak));

#endif  // CGOGUARD_CSHIM_SYMBOLIZE_MODULE_FILTER_H_
