// ORDINARY CONTEXT. Reads ELF symbol tables: see symtab.h.
//
// The table is mapped for one pass and unmapped again: a Go program's
// symbol table holds every Go function too (several MiB in a 40 MB binary),
// and keeping it mapped would keep the pages it touched resident. Results
// are cached by the caller, per address.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "symtab.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cgoguard {
namespace {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
      void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        data_ = static_cast<const unsigned char*>(p);
        size_ = static_cast<size_t>(st.st_size);
      }
    }
    close(fd);
  }
  ~MappedFile() {
    if (data_ != nullptr) munmap(const_cast<unsigned char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // The bytes [off, off+n) of the file, or null when they are not all in it.
  const unsigned char* at(uint64_t off, uint64_t n) const {
    if (data_ == nullptr || off > size_ || n > size_ - off) return nullptr;
    return data_ + off;
  }

 private:
  const unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

int binding_rank(unsigned char info) {
  switch (ELF64_ST_BIND(info)) {
    case STB_GLOBAL:
      return 3;
    case STB_WEAK:
      return 2;
    default:
      return 1;
  }
}

// Scans the file's SHT_SYMTAB; false when it has none (or is not a 64-bit
// ELF file).
bool scan(const MappedFile& file, std::vector<SymtabQuery*>* queries) {
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(file.at(0, sizeof(Elf64_Ehdr)));
  if (eh == nullptr || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
      eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr)) {
    return false;
  }
  const auto* sh =
      reinterpret_cast<const Elf64_Shdr*>(file.at(eh->e_shoff, eh->e_shnum * sizeof(Elf64_Shdr)));
  if (sh == nullptr) return false;
  const Elf64_Shdr* symtab = nullptr;
  for (int i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type == SHT_SYMTAB) symtab = &sh[i];
  }
  if (symtab == nullptr || symtab->sh_link >= eh->e_shnum ||
      symtab->sh_entsize != sizeof(Elf64_Sym)) {
    return false;
  }
  const Elf64_Shdr& strtab = sh[symtab->sh_link];
  const auto* syms =
      reinterpret_cast<const Elf64_Sym*>(file.at(symtab->sh_offset, symtab->sh_size));
  const auto* strs = reinterpret_cast<const char*>(file.at(strtab.sh_offset, strtab.sh_size));
  if (syms == nullptr || strs == nullptr) return false;
  const size_t n = symtab->sh_size / sizeof(Elf64_Sym);
  std::vector<const Elf64_Sym*> best(queries->size(), nullptr);
  for (size_t k = 0; k < n; k++) {
    const Elf64_Sym& s = syms[k];
    const unsigned type = ELF64_ST_TYPE(s.st_info);
    if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF || s.st_size == 0 ||
        s.st_name >= strtab.sh_size) {
      continue;
    }
    for (size_t q = 0; q < queries->size(); q++) {
      const uintptr_t addr = (*queries)[q]->addr;
      if (addr < s.st_value || addr - s.st_value >= s.st_size) continue;
      if (best[q] == nullptr || binding_rank(s.st_info) > binding_rank(best[q]->st_info)) {
        best[q] = &s;
      }
    }
  }
  for (size_t q = 0; q < queries->size(); q++) {
    const Elf64_Sym* s = best[q];
    if (s == nullptr) continue;
    SymtabQuery* query = (*queries)[q];
    query->found = true;
    query->start = s->st_value;
    query->name.assign(strs + s->st_name, strnlen(strs + s->st_name, strtab.sh_size - s->st_name));
  }
  return true;
}

}  // namespace

void symtab_lookup(const std::string& path, const std::string& build_id,
                   std::vector<SymtabQuery*>* queries) {
  if (queries->empty()) return;
  {
    MappedFile file(path);
    if (scan(file, queries)) return;
  }
  if (build_id.size() < 3) return;
  MappedFile debug("/usr/lib/debug/.build-id/" + build_id.substr(0, 2) + "/" + build_id.substr(2) +
                   ".debug");
  scan(debug, queries);
}

}  // namespace cgoguard
