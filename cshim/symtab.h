// Function names from ELF symbol tables, without debug information: what
// names a fault's frames (and makes its fingerprint) before the symbolizer
// thread has loaded the debug information, which for a large program takes
// up to a second. Ordinary context only (it opens and maps files). Not
// installed.
#ifndef CGOGUARD_CSHIM_SYMTAB_H_
#define CGOGUARD_CSHIM_SYMTAB_H_

#include <stdint.h>

#include <string>
#include <vector>

namespace cgoguard {

// One address to name. addr is in the file's own address space (a symbol's
// st_value): the run-time address minus the module's load bias.
struct SymtabQuery {
  uintptr_t addr = 0;
  bool found = false;
  uintptr_t start = 0;  // st_value of the symbol found
  std::string name;     // as the symbol table has it (mangled)
};

// Names every query from the ELF symbol table (.symtab) of the file at path,
// or, when that file has none (a stripped shared object such as libc), from
// the symbol table of its separate debug file found by build_id (lowercase
// hex) under /usr/lib/debug/.build-id. One pass over the table for all the
// queries. Among symbols that hold an address, a global one is preferred to
// a weak one, a weak one to a local one, then the first in the table, so
// that a name does not depend on the order of aliases.
void symtab_lookup(const std::string& path, const std::string& build_id,
                   std::vector<SymtabQuery*>* queries);

}  // namespace cgoguard

#endif  // CGOGUARD_CSHIM_SYMTAB_H_
