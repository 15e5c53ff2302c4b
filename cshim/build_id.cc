// ORDINARY CONTEXT. The GNU build ID of the module that holds an address, so
// that a fault recorded by a stripped binary can be symbolized elsewhere
// against the unstripped binary or its separate debug file
// (.build-id/xx/rest.debug, as debuginfod and objcopy --only-keep-debug lay
// them out). dl_iterate_phdr takes the loader's lock: never call this from
// the signal handler (the handler records raw addresses only).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <string.h>

#include "internal.h"
#include "loaded_module.h"

namespace {

struct BuildIdSearch {
  uintptr_t pc;
  bool found;  // a module holds pc
  const unsigned char* id;
  size_t id_size;
};

// Finds the NT_GNU_BUILD_ID note among the module's PT_NOTE segments.
void find_build_id(const struct dl_phdr_info* info, BuildIdSearch* s) {
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const auto* p = reinterpret_cast<const unsigned char*>(info->dlpi_addr + ph.p_vaddr);
    const unsigned char* end = p + ph.p_memsz;
    const size_t align = ph.p_align > 4 ? 8 : 4;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(p);
      const unsigned char* name = p + sizeof(ElfW(Nhdr));
      const unsigned char* desc = name + ((note->n_namesz + align - 1) & ~(align - 1));
      const unsigned char* next = desc + ((note->n_descsz + align - 1) & ~(align - 1));
      if (next > end) break;
      if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
        s->id = desc;
        s->id_size = note->n_descsz;
        return;
      }
      p = next;
    }
  }
}

int visit_module(struct dl_phdr_info* info, size_t, void* arg) {
  auto* s = static_cast<BuildIdSearch*>(arg);
  if (!cgoguard::module_holds(info, s->pc)) return 0;
  s->found = true;
  find_build_id(info, s);
  return 1;  // stop iterating
}

}  // namespace

extern "C" int cgg_module_build_id(uintptr_t pc, char* out, size_t size) {
  if (out == nullptr || size == 0) return -EINVAL;
  out[0] = '\0';
  BuildIdSearch s = {pc, false, nullptr, 0};
  dl_iterate_phdr(visit_module, &s);
  if (!s.found) return -ENOENT;
  if (s.id == nullptr || s.id_size == 0) return -ENODATA;
  if (size < 2 * s.id_size + 1) return -ERANGE;
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < s.id_size; i++) {
    out[2 * i] = kHex[s.id[i] >> 4];
    out[2 * i + 1] = kHex[s.id[i] & 0xf];
  }
  out[2 * s.id_size] = '\0';
  return 0;
}
