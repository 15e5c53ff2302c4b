// Symbolization of fault addresses: function, file, line, module and
// offsets; per-address caching.
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace {

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Line `line` (1-based) of `path`.
std::string SourceLine(const std::string& path, int line) {
  std::ifstream in(path);
  std::string text;
  for (int i = 0; i < line && std::getline(in, text); i++) {
  }
  return text;
}

cgg_fault NullWriteFault() {
  cgg_fault f;
  EXPECT_EQ(cgg_call(cgg_fx_null_write, nullptr, &f), SIGSEGV);
  return f;
}

TEST(Symbolize, FaultingPcOfAFixture) {
  cgg_fault f = NullWriteFault();
  cgg_symbol s;
  ASSERT_EQ(cgg_symbolize(f.pc, 0, &s), 0);
  EXPECT_EQ(s.pc, f.pc);
  EXPECT_STREQ(s.function, "cgg_fx_null_write");
  EXPECT_TRUE(EndsWith(s.file, "tests/fixtures/fixtures.c")) << s.file;
  // The line is the faulting store of the fixture.
  ASSERT_GT(s.line, 0);
  EXPECT_NE(SourceLine(s.file, s.line).find("*p = 42;"), std::string::npos)
      << s.file << ":" << s.line << ": " << SourceLine(s.file, s.line);
  EXPECT_TRUE(EndsWith(s.module, "libcgg_fixtures.so")) << s.module;
  Dl_info info;
  ASSERT_NE(dladdr(reinterpret_cast<void*>(f.pc), &info), 0);
  EXPECT_EQ(s.module_offset, f.pc - reinterpret_cast<uintptr_t>(info.dli_fbase));
  // The fixture's store is its first instruction (offset 0 at -O1); the
  // return-address test below checks a nonzero offset.
  EXPECT_EQ(s.function_offset, f.pc - reinterpret_cast<uintptr_t>(info.dli_saddr));
}

// A return address resolves to the line of its call.
TEST(Symbolize, ReturnAddressGivesTheCallLine) {
  cgg_fault f = NullWriteFault();
  ASSERT_GE(f.nframes, 2);
  cgg_symbol s;
  ASSERT_EQ(cgg_symbolize(f.frames[1], 1, &s), 0);
  EXPECT_STREQ(s.function, "cgg_call");
  // cgg_call is written in assembly on x86-64, in C++ elsewhere.
#if defined(__x86_64__)
  const char* file = "cshim/guard_call_x86_64.S";
  const char* call = "call *%r11  /* fn(arg) */";
#else
  const char* file = "cshim/guard.cc";
  const char* call = "(fn, arg, &site)";
#endif
  EXPECT_TRUE(EndsWith(s.file, file)) << s.file;
  EXPECT_NE(SourceLine(s.file, s.line).find(call), std::string::npos) << s.file << ":" << s.line;
  EXPECT_NE(strstr(s.module, "libcgoguard.so"), nullptr) << s.module;
  Dl_info info;
  ASSERT_NE(dladdr(reinterpret_cast<void*>(f.frames[1]), &info), 0);
  EXPECT_EQ(s.module_offset, f.frames[1] - reinterpret_cast<uintptr_t>(info.dli_fbase));
  EXPECT_EQ(s.function_offset, f.frames[1] - reinterpret_cast<uintptr_t>(&cgg_call));
  EXPECT_GT(s.function_offset, 0u);
}

// This very test binary is a module too.
__attribute__((noinline)) void SymbolizeTarget(void*) {
  cgg_fx_null_write(nullptr);
  __asm__ volatile("" ::: "memory");
}

TEST(Symbolize, FrameInTheExecutable) {
  cgg_fault f;
  ASSERT_EQ(cgg_call(SymbolizeTarget, nullptr, &f), SIGSEGV);
  std::vector<cgg_symbol> symbols(CGG_MAX_FRAMES);
  int n = cgg_symbolize_fault(&f, symbols.data(), CGG_MAX_FRAMES);
  ASSERT_GE(n, 3);
  EXPECT_STREQ(symbols[0].function, "cgg_fx_null_write");
  EXPECT_NE(std::string(symbols[1].function).find("SymbolizeTarget"), std::string::npos)
      << symbols[1].function;
  // dladdr names the executable as it was started (argv[0], possibly
  // relative); it must be this very file.
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  ASSERT_GT(len, 0);
  exe[len] = '\0';
  char module[PATH_MAX];
  ASSERT_NE(realpath(symbols[1].module, module), nullptr) << symbols[1].module;
  EXPECT_STREQ(module, exe);
  EXPECT_TRUE(EndsWith(symbols[1].file, "symbolize_test.cc")) << symbols[1].file;
  EXPECT_STREQ(symbols[2].function, "cgg_call");
}

TEST(Symbolize, ResultsAreCachedPerAddress) {
  cgg_fault f = NullWriteFault();
  cgg_symbol_cache_clear();
  EXPECT_EQ(cgg_symbol_cache_size(), 0u);
  cgg_symbol first, second;
  ASSERT_EQ(cgg_symbolize(f.pc, 0, &first), 0);
  EXPECT_EQ(cgg_symbol_cache_size(), 1u);
  ASSERT_EQ(cgg_symbolize(f.pc, 0, &second), 0);
  EXPECT_EQ(cgg_symbol_cache_size(), 1u);
  EXPECT_EQ(memcmp(&first, &second, sizeof first), 0);
  // As a return address it is a different lookup (the call's line).
  cgg_symbol as_ra;
  ASSERT_EQ(cgg_symbolize(f.pc, 1, &as_ra), 0);
  EXPECT_EQ(cgg_symbol_cache_size(), 2u);
  // A whole fault adds its frames (the pc is cached already).
  std::vector<cgg_symbol> symbols(CGG_MAX_FRAMES);
  int n = cgg_symbolize_fault(&f, symbols.data(), CGG_MAX_FRAMES);
  EXPECT_EQ(cgg_symbol_cache_size(), static_cast<size_t>(n) + 1);
  EXPECT_EQ(memcmp(&symbols[0], &first, sizeof first), 0);
  // Misses are cached too.
  cgg_symbol none;
  EXPECT_EQ(cgg_symbolize(0x1000, 0, &none), -ENOENT);
  EXPECT_EQ(cgg_symbol_cache_size(), static_cast<size_t>(n) + 2);
  cgg_symbol_cache_clear();
  EXPECT_EQ(cgg_symbol_cache_size(), 0u);
  // And it fills again with the same answer.
  cgg_symbol third;
  ASSERT_EQ(cgg_symbolize(f.pc, 0, &third), 0);
  EXPECT_EQ(memcmp(&first, &third, sizeof first), 0);
}

// Symbolizing from several threads at once gives the same answers.
TEST(Symbolize, ConcurrentThreadsAgree) {
  cgg_fault f;
  int depth = 10;
  ASSERT_EQ(cgg_call(cgg_fx_deep_null_write, &depth, &f), SIGSEGV);
  cgg_symbol_cache_clear();
  std::vector<std::vector<cgg_symbol>> results(4, std::vector<cgg_symbol>(CGG_MAX_FRAMES));
  std::vector<int> counts(4, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; i++) {
    threads.emplace_back([&, i] {
      counts[static_cast<size_t>(i)] =
          cgg_symbolize_fault(&f, results[static_cast<size_t>(i)].data(), CGG_MAX_FRAMES);
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_GE(counts[0], 12);
  EXPECT_STREQ(results[0][1].function, "deep");
  for (int i = 1; i < 4; i++) {
    ASSERT_EQ(counts[static_cast<size_t>(i)], counts[0]);
    for (int k = 0; k < counts[0]; k++) {
      EXPECT_EQ(memcmp(&results[static_cast<size_t>(i)][static_cast<size_t>(k)],
                       &results[0][static_cast<size_t>(k)], sizeof(cgg_symbol)),
                0)
          << "thread " << i << " frame " << k;
    }
  }
}

// ---- The program's debug information from another file ----

// The objcopy that reads this program's ELF files (CMake's, for the target).
#ifdef CGG_OBJCOPY
constexpr const char* kObjcopy = CGG_OBJCOPY;
#else
constexpr const char* kObjcopy = "objcopy";
#endif

std::string ExecutablePath() {
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len <= 0) return "";
  return std::string(exe, static_cast<size_t>(len));
}

// In a fresh process (a death-test child re-executes this binary): points
// the symbolizer at a copy of this program without its DWARF, then
// symbolizes a fault through a function of the program. Exits 0 when the
// copy was read for the program (names from its symbol table, no source
// line) and the fixtures library as before (with its source lines).
void SymbolizeWithAProgramCopyWithoutDwarf() {
  char dir[] = "/tmp/cgg-debugfile-XXXXXX";
  if (mkdtemp(dir) == nullptr) _exit(2);
  std::string copy = std::string(dir) + "/program";
  std::string command =
      std::string(kObjcopy) + " --strip-debug '" + ExecutablePath() + "' '" + copy + "'";
  if (system(command.c_str()) != 0) _exit(3);
  int rc = cgg_symbolize_set_program_debug_file(copy.c_str());
  // The shim keeps the file open: it may go away now.
  unlink(copy.c_str());
  rmdir(dir);
  if (rc != 0) {
    fprintf(stderr, "cgg_symbolize_set_program_debug_file: %d\n", rc);
    _exit(4);
  }
  cgg_fault f;
  if (cgg_call(SymbolizeTarget, nullptr, &f) != SIGSEGV) _exit(5);
  std::vector<cgg_symbol> symbols(CGG_MAX_FRAMES);
  if (cgg_symbolize_fault(&f, symbols.data(), CGG_MAX_FRAMES) < 3) _exit(6);
  const cgg_symbol& fixture = symbols[0];
  const cgg_symbol& program = symbols[1];
  fprintf(stderr, "fixture %s %s:%d; program %s %s:%d\n", fixture.function, fixture.file,
          fixture.line, program.function, program.file, program.line);
  bool ok = strcmp(fixture.function, "cgg_fx_null_write") == 0 &&
            EndsWith(fixture.file, "tests/fixtures/fixtures.c") && fixture.line > 0 &&
            strstr(program.function, "SymbolizeTarget") != nullptr && program.file[0] == '\0' &&
            program.line == 0;
  _exit(ok ? 0 : 1);
}

TEST(ProgramDebugFile, IsReadForTheProgramInsteadOfTheProgramItself) {
  std::string found = std::string("command -v ") + kObjcopy + " >/dev/null 2>&1";
  if (system(found.c_str()) != 0) GTEST_SKIP() << kObjcopy << " not installed";
  // The child re-executes this test up to here: nothing symbolized yet.
  EXPECT_EXIT(SymbolizeWithAProgramCopyWithoutDwarf(), testing::ExitedWithCode(0), "");
  // Without the copy, the same frame has its source line (the baseline the
  // child's empty line is measured against).
  cgg_fault f;
  ASSERT_EQ(cgg_call(SymbolizeTarget, nullptr, &f), SIGSEGV);
  std::vector<cgg_symbol> symbols(CGG_MAX_FRAMES);
  ASSERT_GE(cgg_symbolize_fault(&f, symbols.data(), CGG_MAX_FRAMES), 3);
  EXPECT_TRUE(EndsWith(symbols[1].file, "symbolize_test.cc")) << symbols[1].file;
}

TEST(ProgramDebugFile, ClearErrors) {
  EXPECT_EQ(cgg_symbolize_set_program_debug_file(nullptr), -EINVAL);
  EXPECT_EQ(cgg_symbolize_set_program_debug_file(""), -EINVAL);
  EXPECT_EQ(cgg_symbolize_set_program_debug_file("/nonexistent/program.debug"), -ENOENT);
  char text[] = "/tmp/cgg-not-elf-XXXXXX";
  int fd = mkstemp(text);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "not ELF\n", 8), 8);
  close(fd);
  EXPECT_EQ(cgg_symbolize_set_program_debug_file(text), -ENOEXEC);
  unlink(text);
  // Once a symbolization ran, the program's debug information is loaded.
  cgg_symbol s;
  ASSERT_EQ(cgg_symbolize(reinterpret_cast<uintptr_t>(&cgg_call), 0, &s), 0);
  EXPECT_EQ(cgg_symbolize_set_program_debug_file(ExecutablePath().c_str()), -EBUSY);
}

// ---- Only the modules that hold a frame are read ----

// Mappings in /proc/self/maps whose path contains `part`: libbacktrace keeps
// a view of each module's string table it read (and of a separate debug file
// it found) mapped, beside the loader's own mappings of the module.
int CountMappings(const char* part) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  int n = 0;
  while (std::getline(maps, line)) {
    if (line.find(part) != std::string::npos) n++;
  }
  return n;
}

// In a fresh process: symbolizes a fault whose frames lie in the fixtures
// library, the shim and this program. Exits 0 when the fixtures library was
// read and libm (loaded, but holding no frame), and any separate debug file
// of the system's libraries, were not.
void SymbolizeAndCountModulesRead() {
  const int fixtures_before = CountMappings("libcgg_fixtures.so");
  const int others_before = CountMappings("libm.so") + CountMappings("/usr/lib/debug/");
  cgg_fault f;
  if (cgg_call(SymbolizeTarget, nullptr, &f) != SIGSEGV) _exit(2);
  std::vector<cgg_symbol> symbols(CGG_MAX_FRAMES);
  if (cgg_symbolize_fault(&f, symbols.data(), CGG_MAX_FRAMES) < 3) _exit(3);
  const int fixtures_after = CountMappings("libcgg_fixtures.so");
  const int others_after = CountMappings("libm.so") + CountMappings("/usr/lib/debug/");
  fprintf(stderr, "fixtures library mappings %d -> %d, libm and debug files %d -> %d; %s %s:%d\n",
          fixtures_before, fixtures_after, others_before, others_after, symbols[0].function,
          symbols[0].file, symbols[0].line);
  bool ok = fixtures_after > fixtures_before && others_after == others_before &&
            strcmp(symbols[0].function, "cgg_fx_null_write") == 0 &&
            EndsWith(symbols[0].file, "tests/fixtures/fixtures.c") && symbols[0].line > 0;
  _exit(ok ? 0 : 1);
}

TEST(ModuleStates, OnlyModulesThatHoldAFrameAreRead) {
  ASSERT_GT(CountMappings("libm.so"), 0) << "libm is not loaded: nothing to prove";
  EXPECT_EXIT(SymbolizeAndCountModulesRead(), testing::ExitedWithCode(0), "");
}

}  // namespace

namespace {

std::string BuildId(uintptr_t pc) {
  char id[CGG_BUILD_ID_SIZE];
  EXPECT_EQ(cgg_module_build_id(pc, id, sizeof id), 0);
  return id;
}

// Each module's GNU build ID, for symbolizing stripped binaries offline.
TEST(ModuleBuildId, NamesTheModuleThatHoldsThePc) {
  std::string fixtures = BuildId(reinterpret_cast<uintptr_t>(&cgg_fx_null_write));
  EXPECT_EQ(fixtures.size(), 40u) << fixtures;  // SHA-1, as GNU ld emits it
  EXPECT_EQ(fixtures.find_first_not_of("0123456789abcdef"), std::string::npos) << fixtures;
  EXPECT_EQ(BuildId(reinterpret_cast<uintptr_t>(&cgg_fx_cxx_throw)), fixtures);
  std::string shim = BuildId(reinterpret_cast<uintptr_t>(&cgg_call));
  EXPECT_EQ(shim.size(), 40u);
  EXPECT_NE(shim, fixtures);
}

TEST(ModuleBuildId, ClearErrors) {
  char id[CGG_BUILD_ID_SIZE];
  const uintptr_t pc = reinterpret_cast<uintptr_t>(&cgg_call);
  EXPECT_EQ(cgg_module_build_id(pc, nullptr, sizeof id), -EINVAL);
  EXPECT_EQ(cgg_module_build_id(pc, id, 0), -EINVAL);
  EXPECT_EQ(cgg_module_build_id(pc, id, 8), -ERANGE);
  EXPECT_STREQ(id, "");
  EXPECT_EQ(cgg_module_build_id(0x10, id, sizeof id), -ENOENT);
  EXPECT_STREQ(id, "");
}

}  // namespace

namespace {

// Internal linkage: in the executable's symbol table, not in its dynamic
// symbol table, so dladdr cannot name it.
__attribute__((noinline)) void SymtabOnlyTarget(void*) {
  cgg_fx_null_write(nullptr);
  __asm__ volatile("" ::: "memory");
}

// cgg_symbolize_symbols names frames from the symbol tables alone: the
// functions, modules and offsets that cgg_symbolize gives, no file or line.
TEST(SymbolTables, NameFramesWithoutDebugInformation) {
  cgg_fault f;
  ASSERT_EQ(cgg_call(SymtabOnlyTarget, nullptr, &f), SIGSEGV);
  ASSERT_GE(f.nframes, 3);
  const unsigned char ra[3] = {0, 1, 1};
  cgg_symbol quick[3];
  ASSERT_EQ(cgg_symbolize_symbols(f.frames, ra, 3, quick), 3);
  EXPECT_STREQ(quick[0].function, "cgg_fx_null_write");
  EXPECT_NE(strstr(quick[1].function, "SymtabOnlyTarget"), nullptr) << quick[1].function;
  EXPECT_STREQ(quick[2].function, "cgg_call");
  for (int i = 0; i < 3; i++) {
    EXPECT_STREQ(quick[i].file, "") << i;
    EXPECT_EQ(quick[i].line, 0) << i;
    cgg_symbol full;
    ASSERT_EQ(cgg_symbolize(f.frames[i], ra[i], &full), 0);
    EXPECT_STREQ(quick[i].function, full.function) << i;
    EXPECT_STREQ(quick[i].module, full.module) << i;
    EXPECT_EQ(quick[i].module_offset, full.module_offset) << i;
    EXPECT_EQ(quick[i].function_offset, full.function_offset) << i;
  }
  cgg_symbol nowhere;
  EXPECT_EQ(
      cgg_symbolize_symbols(reinterpret_cast<const uintptr_t*>(&f.addr), nullptr, 1, &nowhere), 0);
  EXPECT_STREQ(nowhere.module, "");
  EXPECT_EQ(cgg_symbolize_symbols(nullptr, nullptr, 1, quick), -EINVAL);
}

// A warm-up loads the debug information on the symbolizer thread without
// anyone waiting for it.
TEST(SymbolTables, WarmUpEndsWarm) {
  const uintptr_t pcs[1] = {reinterpret_cast<uintptr_t>(&cgg_fx_null_write)};
  ASSERT_EQ(cgg_symbolize_warm_up(pcs, 1), 0);
  cgg_symbolizer_wait_warm();
  EXPECT_EQ(cgg_symbolizer_warm(), 1);
  EXPECT_EQ(cgg_symbolize_warm_up(nullptr, 1), -EINVAL);
}

}  // namespace
