// Where a fault must not be contained: the code of process-wide lock holders
// (the C library's allocator, the dynamic loader, stdio, exit handling) and
// of whatever the user names (a custom allocator). Builds, in ordinary
// context, the sorted table of address ranges that the handler looks faults
// up in (sigctx_declined.cc) and publishes it (shared_state.cc).
//
// Why: a fault inside such code happens with its lock held. Containing it
// jumps over the unlock, and the next malloc, dlopen or printf of any thread
// then waits forever: a hang, where declining ends the process as it would
// have ended without cgoguard (invariant 7 of the design).
//
// How the ranges are found, once at cgg_init and again when a name is added
// or cgg_decline_refresh asks:
//   1. dl_iterate_phdr lists the loaded modules (the program, its shared
//      objects, the loader itself).
//   2. The dynamic loader (the module at getauxval(AT_BASE)) and every module
//      the user named is declined whole: each executable PT_LOAD segment.
//   3. For every other module, the ELF file is read (the program through
//      /proc/self/exe) and its .symtab and .dynsym searched for the functions
//      listed below and those the user named; each match gives
//      [value, value + size). A module that defines `malloc` itself (jemalloc,
//      tcmalloc, a sanitizer's runtime) has its allocator entry points found
//      the same way.
//   4. A function found in 3 may end in a tail call (`free` jumps to the
//      allocator's internal _int_free): the callee then runs with no frame of
//      the entry point on the stack. So the code of each range is scanned for
//      direct jumps (x86-64 jmp/jcc rel32, arm64 b/b.cond) to the start of
//      another function of the module (an .eh_frame_hdr entry) that is not
//      itself a public function (for an IFUNC symbol, the implementation its
//      resolver chose), and those functions are added, and scanned in turn.
//      Direct calls need nothing: the caller's return address stays on the
//      stack, and the handler checks every frame between the fault and the
//      guard.
// A statically linked program carries the C library in its own .symtab:
// there the allocator's internal functions are found by name too (they are
// listed below), and so are the loader's (`_dl_*`). A stripped static
// program has no symbols left: nothing is found in it.
//
// The table is immutable once published; a rebuilt one replaces it and the
// old one is kept (a handler may still be reading it): rebuilds are rare.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "internal.h"

namespace cgoguard {
namespace {

// The C library's allocator: public entry points, then glibc's internal
// functions (found by name only where a .symtab lists them: a static
// program, an unstripped libc).
const char* const kAllocatorFunctions[] = {
    "malloc", "free", "cfree", "calloc", "realloc", "reallocarray", "memalign", "posix_memalign",
    "aligned_alloc", "valloc", "pvalloc", "malloc_usable_size", "mallinfo", "mallinfo2",
    "malloc_trim", "malloc_stats", "malloc_info", "mallopt", "__libc_malloc", "__libc_free",
    "__libc_calloc", "__libc_realloc", "__libc_memalign", "__libc_valloc", "__libc_pvalloc",
    "__libc_mallinfo", "__libc_mallopt", "__libc_reallocarray", "__malloc_fork_lock_parent",
    "__malloc_fork_unlock_parent", "__malloc_fork_unlock_child", "__malloc_arena_thread_freeres",
    "_int_malloc", "_int_free", "_int_realloc", "_int_memalign", "_mid_memalign", "sysmalloc",
    "systrim", "malloc_consolidate", "malloc_printerr", "unlink_chunk", "tcache_init",
    "tcache_thread_shutdown", "arena_get2", "arena_get_retry", "_int_new_arena", "get_free_list",
    "reused_arena", "new_heap", "alloc_new_heap", "heap_trim", "shrink_heap", "ptmalloc_init",
    "malloc_hook_ini", "realloc_hook_ini", "memalign_hook_ini", "mtrim", "int_mallinfo",
    "munmap_chunk", "mremap_chunk", "_int_free_merge_chunk", "_int_free_create_chunk",
    "_int_free_maybe_consolidate", "__libc_calloc2",
    // jemalloc's and tcmalloc's own names for their entry points.
    "je_malloc", "je_free", "tc_malloc", "tc_free", "mallocx", "rallocx", "xallocx", "sdallocx",
    "dallocx", "nallocx", "malloc_usable_size"};

// The dynamic loader's entry points in the C library (glibc >= 2.34 has
// dlopen and friends in libc.so.6; the loader's own code is declined whole).
// dl_iterate_phdr runs its callback with the loader's lock held.
const char* const kLoaderFunctions[] = {"dlopen",
                                        "dlmopen",
                                        "dlclose",
                                        "dlsym",
                                        "dlvsym",
                                        "dladdr",
                                        "dladdr1",
                                        "dlinfo",
                                        "dlerror",
                                        "dl_iterate_phdr",
                                        "__libc_dlopen_mode",
                                        "__libc_dlsym",
                                        "__libc_dlvsym",
                                        "__libc_dlclose",
                                        "_dl_catch_exception",
                                        "_dl_catch_error",
                                        "_dl_signal_exception",
                                        "_dl_signal_error",
                                        "__dl_iterate_phdr",
                                        "_dl_find_dso_for_object"};

// stdio functions that lock a FILE (or the list of all FILEs) while they run.
const char* const kStdioFunctions[] = {"printf",
                                       "fprintf",
                                       "vprintf",
                                       "vfprintf",
                                       "__printf_chk",
                                       "__fprintf_chk",
                                       "__vprintf_chk",
                                       "__vfprintf_chk",
                                       "puts",
                                       "fputs",
                                       "fputc",
                                       "putc",
                                       "putchar",
                                       "fputs_unlocked",
                                       "fwrite",
                                       "fread",
                                       "fgets",
                                       "fgetc",
                                       "getc",
                                       "getchar",
                                       "ungetc",
                                       "getline",
                                       "getdelim",
                                       "__getdelim",
                                       "fflush",
                                       "fclose",
                                       "fcloseall",
                                       "fopen",
                                       "fopen64",
                                       "fdopen",
                                       "freopen",
                                       "freopen64",
                                       "fseek",
                                       "fseeko",
                                       "fseeko64",
                                       "ftell",
                                       "ftello",
                                       "ftello64",
                                       "rewind",
                                       "fgetpos",
                                       "fsetpos",
                                       "fscanf",
                                       "scanf",
                                       "vfscanf",
                                       "vscanf",
                                       "__isoc99_fscanf",
                                       "__isoc99_scanf",
                                       "__isoc99_vfscanf",
                                       "__isoc99_vscanf",
                                       "__isoc23_fscanf",
                                       "__isoc23_scanf",
                                       "setvbuf",
                                       "setbuf",
                                       "setbuffer",
                                       "setlinebuf",
                                       "perror",
                                       "fputwc",
                                       "fgetwc",
                                       "putwc",
                                       "getwc",
                                       "fputws",
                                       "fgetws",
                                       "fwprintf",
                                       "vfwprintf",
                                       "wprintf",
                                       "vwprintf",
                                       "flockfile",
                                       "funlockfile",
                                       "ftrylockfile",
                                       "__uflow",
                                       "__overflow",
                                       "_IO_flush_all",
                                       "_IO_cleanup",
                                       "_IO_puts",
                                       "_IO_fwrite",
                                       "_IO_fread",
                                       "_IO_fgets",
                                       "_IO_getline",
                                       "_IO_fflush",
                                       "_IO_new_fclose",
                                       "_IO_new_fopen",
                                       "_IO_new_fdopen",
                                       "_IO_file_xsputn",
                                       "_IO_file_overflow",
                                       "_IO_file_sync",
                                       "__vfprintf_internal",
                                       "__vfwprintf_internal",
                                       "__vfscanf_internal"};

// Exit handling, which runs the handlers of atexit, __cxa_atexit and TLS
// destructors under the exit lock, and other process-wide lock holders.
const char* const kExitFunctions[] = {"exit",
                                      "atexit",
                                      "__cxa_atexit",
                                      "__cxa_finalize",
                                      "__cxa_thread_atexit_impl",
                                      "__call_tls_dtors",
                                      "on_exit",
                                      "quick_exit",
                                      "at_quick_exit",
                                      "__run_exit_handlers",
                                      "__new_exitfn",
                                      "__libc_atexit",
                                      "fork",
                                      "_Fork",
                                      "__libc_fork",
                                      "setenv",
                                      "unsetenv",
                                      "putenv",
                                      "clearenv",
                                      "tzset",
                                      "__tz_convert"};

// DWARF pointer encodings of .eh_frame_hdr (the LSB's DW_EH_PE_*).
constexpr uint8_t kPeUdata4 = 0x03;
constexpr uint8_t kPeSdata4 = 0x0b;
constexpr uint8_t kPePcrel = 0x10;
constexpr uint8_t kPeDatarel = 0x30;

// One address range [start, end).
struct Range {
  uintptr_t start;
  uintptr_t end;
};

// What the user asked for (guarded by build_mutex).
std::mutex build_mutex;
std::vector<std::string> user_modules;
std::vector<std::string> user_symbols;
bool built = false;  // a table was built: names added from now on rebuild it
constexpr size_t kMaxUserNames = 256;

// A loaded module, as dl_iterate_phdr describes it.
struct Module {
  std::string path;         // "" for the vdso and anything without a file
  uintptr_t base;           // dlpi_addr
  std::vector<Range> code;  // executable PT_LOAD segments
  uintptr_t eh_frame_hdr;   // address of PT_GNU_EH_FRAME, or 0
  bool program;
};

int collect_module(struct dl_phdr_info* info, size_t, void* arg) {
  auto* modules = static_cast<std::vector<Module>*>(arg);
  Module m;
  m.program = info->dlpi_name == nullptr || info->dlpi_name[0] == '\0';
  m.path = m.program ? "/proc/self/exe" : info->dlpi_name;
  m.base = info->dlpi_addr;
  m.eh_frame_hdr = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) != 0) {
      m.code.push_back({m.base + ph.p_vaddr, m.base + ph.p_vaddr + ph.p_memsz});
    } else if (ph.p_type == PT_GNU_EH_FRAME) {
      m.eh_frame_hdr = m.base + ph.p_vaddr;
    }
  }
  // Only the first entry without a name is the program; the vdso has a name
  // but no file, and others may lack one (a module loaded from memory).
  if (m.program && !modules->empty()) m.path.clear();
  modules->push_back(std::move(m));
  return 0;
}

const char* base_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return path.c_str() + (slash == std::string::npos ? 0 : slash + 1);
}

// Whether the user's module name `want` names the module at `path`: the same
// path, the same file name, or the file name with a version suffix
// ("libjemalloc.so" names "libjemalloc.so.2").
bool names_module(const std::string& want, const std::string& path) {
  if (path.empty()) return false;
  if (want == path) return true;
  if (want.find('/') != std::string::npos) return false;
  const char* name = base_name(path);
  size_t n = want.size();
  return strncmp(name, want.c_str(), n) == 0 && (name[n] == '\0' || name[n] == '.');
}

// The sorted start addresses of the functions that have unwind information
// (the .eh_frame_hdr search table), read from the loaded image. Empty when
// the table uses an encoding other than GCC's and binutils' usual one.
std::vector<uintptr_t> function_starts(uintptr_t hdr) {
  std::vector<uintptr_t> starts;
  if (hdr == 0) return starts;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(hdr);
  // version 1; eh_frame_ptr: pcrel|sdata4; fde_count: udata4; table:
  // datarel|sdata4 (relative to the header).
  if (p[0] != 1 || p[1] != (kPePcrel | kPeSdata4) || p[2] != kPeUdata4 ||
      p[3] != (kPeDatarel | kPeSdata4)) {
    return starts;
  }
  uint32_t count;
  memcpy(&count, p + 8, sizeof count);
  const uint8_t* table = p + 12;
  starts.reserve(count);
  for (uint32_t i = 0; i < count; i++) {
    int32_t loc;
    memcpy(&loc, table + 8 * static_cast<size_t>(i), sizeof loc);
    starts.push_back(hdr + static_cast<intptr_t>(loc));
  }
  std::sort(starts.begin(), starts.end());
  return starts;
}

// A module's ELF file, mapped read-only while its symbols are read.
struct ElfFile {
  const uint8_t* data = nullptr;
  size_t size = 0;
  ~ElfFile() {
    if (data != nullptr) munmap(const_cast<uint8_t*>(data), size);
  }
  bool open_path(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof(ElfW(Ehdr)))) {
      close(fd);
      return false;
    }
    void* mem = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (mem == MAP_FAILED) return false;
    data = static_cast<const uint8_t*>(mem);
    size = static_cast<size_t>(st.st_size);
    const auto* eh = reinterpret_cast<const ElfW(Ehdr)*>(data);
    return memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
           eh->e_shoff != 0 && eh->e_shentsize == sizeof(ElfW(Shdr)) &&
           eh->e_shoff + static_cast<size_t>(eh->e_shnum) * sizeof(ElfW(Shdr)) <= size;
  }
  const ElfW(Shdr) * sections(size_t* n) const {
    const auto* eh = reinterpret_cast<const ElfW(Ehdr)*>(data);
    *n = eh->e_shnum;
    return reinterpret_cast<const ElfW(Shdr)*>(data + eh->e_shoff);
  }
};

// What one module's scan found.
struct ModuleScan {
  std::vector<Range> found;              // named functions
  std::vector<uintptr_t> public_starts;  // starts of global and weak functions (sorted once found)
  std::vector<Range> jump_sections;      // executable sections a tail call may land in
};

// Wanted names, and the length of the longest: Init scans every function
// of every module (a large program has 100,000), most of them with names
// longer than any wanted one, which is_wanted rejects after that many
// characters, without hashing them.
struct WantedNames {
  std::unordered_set<std::string_view> names;  // views of static names and user_symbols
  size_t max_length = 0;
  void add(std::string_view n) {
    names.insert(n);
    max_length = std::max(max_length, n.size());
  }
};

// Whether a symbol's name is wanted. Versioned names in a .symtab
// ("malloc@@GLIBC_2.2.5") count as the name before the '@'.
bool is_wanted(const char* name, const WantedNames& wanted) {
  size_t n = 0;
  while (n <= wanted.max_length && name[n] != '\0' && name[n] != '@') n++;
  return n <= wanted.max_length && wanted.names.count(std::string_view(name, n)) != 0;
}

// Reads the module's symbol tables: the ranges of the wanted functions, the
// starts of every public function, and its code sections without the PLT.
void scan_symbols(const Module& m, const WantedNames& wanted, bool loader_prefix, ModuleScan* out) {
  ElfFile file;
  if (m.path.empty() || !file.open_path(m.path)) return;
  size_t nsec;
  const ElfW(Shdr)* sec = file.sections(&nsec);
  const auto* eh = reinterpret_cast<const ElfW(Ehdr)*>(file.data);
  const char* shstr = nullptr;
  if (eh->e_shstrndx < nsec && sec[eh->e_shstrndx].sh_offset < file.size) {
    shstr = reinterpret_cast<const char*>(file.data + sec[eh->e_shstrndx].sh_offset);
  }
  // A position-dependent program is loaded at its link addresses (base 0).
  uintptr_t base = m.base;
  for (size_t i = 0; i < nsec; i++) {
    const ElfW(Shdr)& s = sec[i];
    if (s.sh_type == SHT_PROGBITS && (s.sh_flags & SHF_EXECINSTR) != 0 && shstr != nullptr) {
      const char* name = shstr + s.sh_name;
      if (strncmp(name, ".plt", 4) != 0 && strcmp(name, ".iplt") != 0) {
        out->jump_sections.push_back({base + s.sh_addr, base + s.sh_addr + s.sh_size});
      }
    }
    if (s.sh_type != SHT_SYMTAB && s.sh_type != SHT_DYNSYM) continue;
    if (s.sh_link >= nsec || s.sh_entsize != sizeof(ElfW(Sym))) continue;
    const ElfW(Shdr)& strsec = sec[s.sh_link];
    if (s.sh_offset + s.sh_size > file.size || strsec.sh_offset + strsec.sh_size > file.size) {
      continue;
    }
    const auto* syms = reinterpret_cast<const ElfW(Sym)*>(file.data + s.sh_offset);
    const char* strs = reinterpret_cast<const char*>(file.data + strsec.sh_offset);
    size_t nsyms = s.sh_size / sizeof(ElfW(Sym));
    for (size_t k = 0; k < nsyms; k++) {
      const ElfW(Sym)& sym = syms[k];
      int type = ELF64_ST_TYPE(sym.st_info);
      if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
          sym.st_value == 0 || sym.st_name >= strsec.sh_size) {
        continue;
      }
      uintptr_t start = base + sym.st_value;
      int bind = ELF64_ST_BIND(sym.st_info);
      bool is_public = bind == STB_GLOBAL || bind == STB_WEAK;
      const char* name = strs + sym.st_name;
      if (type == STT_GNU_IFUNC) {
        // The symbol's value is its resolver; callers run the implementation
        // the resolver chose (memset's for this CPU), an unnamed local
        // function entered from everywhere as the public name is. dlsym
        // returns that implementation (ordinary context, at cgg_init; nil in
        // a static program, where none is added).
        if (is_public) {
          std::string plain(name, strcspn(name, "@"));
          void* impl = dlsym(RTLD_DEFAULT, plain.c_str());
          if (impl != nullptr) out->public_starts.push_back(reinterpret_cast<uintptr_t>(impl));
        }
        continue;
      }
      if (is_public) out->public_starts.push_back(start);
      if (sym.st_size == 0) continue;
      bool want = (loader_prefix && strncmp(name, "_dl_", 4) == 0) || is_wanted(name, wanted);
      if (want) out->found.push_back({start, start + sym.st_size});
    }
  }
}

bool within(const std::vector<Range>& ranges, uintptr_t addr) {
  for (const Range& r : ranges) {
    if (addr >= r.start && addr < r.end) return true;
  }
  return false;
}

// Direct jumps out of [r.start, r.end) whose target lies outside it:
// x86-64 jmp rel32 (e9) and jcc rel32 (0f 8x); arm64 b and b.cond. On x86-64
// the bytes are scanned without decoding instructions, so a jump may be
// seen inside another instruction's bytes; the caller accepts only targets
// that start a function, which random bytes almost never hit.
void jump_targets(const Range& r, std::vector<uintptr_t>* out) {
  const uint8_t* code = reinterpret_cast<const uint8_t*>(r.start);
  size_t n = r.end - r.start;
#if defined(__x86_64__)
  for (size_t i = 0; i + 5 <= n; i++) {
    size_t len = 0;
    if (code[i] == 0xe9) {
      len = 5;
    } else if (code[i] == 0x0f && i + 6 <= n && (code[i + 1] & 0xf0) == 0x80) {
      len = 6;
    } else {
      continue;
    }
    int32_t rel;
    memcpy(&rel, code + i + len - 4, sizeof rel);
    uintptr_t target = r.start + i + len + static_cast<intptr_t>(rel);
    if (target < r.start || target >= r.end) out->push_back(target);
  }
#elif defined(__aarch64__)
  for (size_t i = 0; i + 4 <= n; i += 4) {
    uint32_t insn;
    memcpy(&insn, code + i, sizeof insn);
    intptr_t offset;
    if ((insn & 0xfc000000u) == 0x14000000u) {  // b imm26
      offset = static_cast<intptr_t>(static_cast<int32_t>(insn << 6) >> 6) * 4;
    } else if ((insn & 0xff000010u) == 0x54000000u) {  // b.cond imm19
      offset = static_cast<intptr_t>(static_cast<int32_t>((insn >> 5) << 13) >> 13) * 4;
    } else {
      continue;
    }
    uintptr_t target = r.start + i + offset;
    if (target < r.start || target >= r.end) out->push_back(target);
  }
#else
  (void)code;
  (void)n;
  (void)out;
#endif
}

// Adds to `ranges` the functions that the ranges' code tail-calls, and the
// functions those tail-call, within the module (step 4 above).
void add_tail_callees(const Module& m, const ModuleScan& scan, std::vector<Range>* ranges) {
  std::vector<uintptr_t> starts = function_starts(m.eh_frame_hdr);
  if (starts.empty()) return;
  constexpr size_t kMaxAdded = 1024;
  constexpr uintptr_t kMaxFunctionBytes = 256 * 1024;
  std::set<uintptr_t> seen;
  for (const Range& r : *ranges) seen.insert(r.start);
  std::vector<Range> work = *ranges;
  size_t added = 0;
  while (!work.empty() && added < kMaxAdded) {
    Range r = work.back();
    work.pop_back();
    if (!within(m.code, r.start) || !within(m.code, r.end - 1)) continue;
    std::vector<uintptr_t> targets;
    jump_targets(r, &targets);
    for (uintptr_t t : targets) {
      if (seen.count(t) != 0 || !within(scan.jump_sections, t)) continue;
      auto it = std::lower_bound(starts.begin(), starts.end(), t);
      if (it == starts.end() || *it != t) continue;  // not a function's start
      // A public function the lists do not name (memset, say) is entered
      // from everywhere: declining it would decline all its faults.
      if (std::binary_search(scan.public_starts.begin(), scan.public_starts.end(), t)) continue;
      auto next = std::upper_bound(starts.begin(), starts.end(), t);
      uintptr_t end = next == starts.end() ? t + 1 : *next;
      if (end - t > kMaxFunctionBytes) continue;
      seen.insert(t);
      ranges->push_back({t, end});
      work.push_back({t, end});
      if (++added >= kMaxAdded) break;
    }
  }
}

// Builds and publishes the table (build_mutex held). Returns 0 or -ENOMEM.
int rebuild_locked() {
  std::vector<Module> modules;
  dl_iterate_phdr(collect_module, &modules);
  uintptr_t loader_base = static_cast<uintptr_t>(getauxval(AT_BASE));

  WantedNames wanted;
  for (const char* n : kAllocatorFunctions) wanted.add(n);
  for (const char* n : kLoaderFunctions) wanted.add(n);
  for (const char* n : kStdioFunctions) wanted.add(n);
  for (const char* n : kExitFunctions) wanted.add(n);
  for (const std::string& n : user_symbols) wanted.add(n);

  std::vector<Range> all;
  for (const Module& m : modules) {
    bool whole = !m.program && loader_base != 0 && m.base == loader_base;
    for (const std::string& want : user_modules) whole = whole || names_module(want, m.path);
    if (whole) {
      all.insert(all.end(), m.code.begin(), m.code.end());
      continue;
    }
    // A static program (no loader mapped) holds the loader's code itself.
    bool static_program = m.program && loader_base == 0;
    ModuleScan scan;
    scan_symbols(m, wanted, static_program, &scan);
    if (scan.found.empty()) continue;
    std::sort(scan.public_starts.begin(), scan.public_starts.end());
    add_tail_callees(m, scan, &scan.found);
    all.insert(all.end(), scan.found.begin(), scan.found.end());
  }

  std::sort(all.begin(), all.end(),
            [](const Range& a, const Range& b) { return a.start < b.start; });
  std::vector<Range> merged;
  for (const Range& r : all) {
    if (!merged.empty() && r.start <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, r.end);
    } else {
      merged.push_back(r);
    }
  }

  // The handler reads the table: plain memory from mmap, never freed.
  size_t bytes = sizeof(DeclinedRegions) + merged.size() * sizeof(DeclinedRegions::Range);
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return -ENOMEM;
  auto* table = static_cast<DeclinedRegions*>(mem);
  table->count = merged.size();
  for (size_t i = 0; i < merged.size(); i++) {
    table->ranges[i].start = merged[i].start;
    table->ranges[i].end = merged[i].end;
  }
  mprotect(mem, bytes, PROT_READ);
  publish_declined_regions(table);
  built = true;
  return 0;
}

int add_name(std::vector<std::string>* list, const char* name) {
  if (name == nullptr || name[0] == '\0') return -EINVAL;
  std::lock_guard<std::mutex> lock(build_mutex);
  if (std::find(list->begin(), list->end(), name) == list->end()) {
    if (user_modules.size() + user_symbols.size() >= kMaxUserNames) return -ENOSPC;
    list->push_back(name);
  }
  return built ? rebuild_locked() : 0;
}

}  // namespace

int build_declined_regions() {
  std::lock_guard<std::mutex> lock(build_mutex);
  return rebuild_locked();
}

}  // namespace cgoguard

using namespace cgoguard;

extern "C" {

int cgg_decline_module(const char* name) {
  return add_name(&user_modules, name);
}

int cgg_decline_symbol(const char* name) {
  return add_name(&user_symbols, name);
}

int cgg_decline_refresh(void) {
  std::lock_guard<std::mutex> lock(build_mutex);
  if (!built) return -EPERM;
  return rebuild_locked();
}

}  // extern "C"
