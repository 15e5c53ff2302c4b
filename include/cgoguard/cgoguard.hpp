// cgoguard.hpp — a thin, header-only C++ layer over cgoguard.h.
//
//   cgg_fault fault;
//   int rc = cgoguard::call([&] { decoder.decode(packet); }, &fault);
//   if (rc != 0) for (const cgg_symbol& s : cgoguard::symbolize(fault)) ...
#ifndef CGOGUARD_CGOGUARD_HPP_
#define CGOGUARD_CGOGUARD_HPP_

#include <type_traits>
#include <utility>
#include <vector>

#include "cgoguard/cgoguard.h"

namespace cgoguard {

// Runs fn() under a guard: cgg_call with a callable instead of a C function.
// Returns 0, the signal number of a contained fault, CGG_CXX_EXCEPTION for an
// exception that escaped fn, or -errno when the guard could not be armed.
template <class Fn>
int call(Fn&& fn, cgg_fault* out = nullptr) {
  using Callable = std::remove_reference_t<Fn>;
  return cgg_call([](void* p) { (*static_cast<Callable*>(p))(); },
                  const_cast<void*>(static_cast<const void*>(&fn)), out);
}

// Symbolizes every frame of a fault (ordinary context only; cached).
inline std::vector<cgg_symbol> symbolize(const cgg_fault& fault) {
  std::vector<cgg_symbol> symbols(static_cast<size_t>(fault.nframes > 0 ? fault.nframes : 0));
  int n = cgg_symbolize_fault(&fault, symbols.data(), static_cast<int>(symbols.size()));
  symbols.resize(static_cast<size_t>(n > 0 ? n : 0));
  return symbols;
}

}  // namespace cgoguard

#endif  // CGOGUARD_CGOGUARD_HPP_
