// Whether a loaded module holds an address, asked of the modules
// dl_iterate_phdr lists: the build ID lookup (build_id.cc) and the module of
// a frame in a statically linked program (symbolize.cc). Ordinary context
// (dl_iterate_phdr takes the loader's lock). Not installed.
#ifndef CGOGUARD_CSHIM_LOADED_MODULE_H_
#define CGOGUARD_CSHIM_LOADED_MODULE_H_

#include <link.h>
#include <stdint.h>

namespace cgoguard {

// True when one of the PT_LOAD segments of the module `info` describes holds
// `addr`.
inline bool module_holds(const struct dl_phdr_info* info, uintptr_t addr) {
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    if (addr >= start && addr < start + ph.p_memsz) return true;
  }
  return false;
}

}  // namespace cgoguard

#endif  // CGOGUARD_CSHIM_LOADED_MODULE_H_
