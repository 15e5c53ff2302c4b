// cgg_cgo_symbolizer, the symbolizer function for Go's runtime.SetCgoTraceback
// (its traceback function is in sigctx_cgo_traceback.cc). Ordinary context:
// it allocates and symbolizes through cgg_symbolize.
#include <stdlib.h>

#include "internal.h"

namespace {

// The argument layout runtime.SetCgoTraceback documents (version 0).
struct CgoSymbolizerArg {
  uintptr_t pc;
  const char* file;
  uintptr_t lineno;
  const char* func;
  uintptr_t entry;
  uintptr_t more;
  uintptr_t data;
};

}  // namespace

extern "C" {

void cgg_cgo_symbolizer(void* p) {
  auto* arg = static_cast<CgoSymbolizerArg*>(p);
  // The previous call's strings live in the buffer remembered in `data`.
  free(reinterpret_cast<void*>(arg->data));
  arg->data = 0;
  arg->file = nullptr;
  arg->func = nullptr;
  arg->lineno = 0;
  arg->entry = 0;
  arg->more = 0;
  if (arg->pc == 0) return;  // end of a traceback
  auto* sym = static_cast<cgg_symbol*>(malloc(sizeof(cgg_symbol)));
  if (sym == nullptr) return;
  arg->data = reinterpret_cast<uintptr_t>(sym);
  // The pcs from cgg_cgo_traceback are already call sites: no adjustment.
  if (cgg_symbolize(arg->pc, 0, sym) != 0) return;
  if (sym->function[0] != '\0') {
    arg->func = sym->function;
    arg->entry = sym->function_offset != 0 ? arg->pc - sym->function_offset : 0;
  }
  if (sym->file[0] != '\0') {
    arg->file = sym->file;
    arg->lineno = static_cast<uintptr_t>(sym->line);
  }
}

}  // extern "C"
