// Reads a "kB" field (VmRSS, VmHWM, ...) of /proc/self/status: shared by the
// tests and the benchmarks, header-only so the benchmarks need no GoogleTest.
#ifndef CGOGUARD_TESTS_PROC_STATUS_H_
#define CGOGUARD_TESTS_PROC_STATUS_H_

#include <fstream>
#include <string>

namespace cgg_test {

// The value of `field` in KiB, or -1 if absent.
inline long StatusKiB(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string key = std::string(field) + ":";
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) == 0) return std::stol(line.substr(key.size()));
  }
  return -1;
}

}  // namespace cgg_test

#endif  // CGOGUARD_TESTS_PROC_STATUS_H_
