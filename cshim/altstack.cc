// Alternate signal stacks. Ordinary context.
//
// Why: a stack overflow leaves no room on the thread's own stack for the
// handler, so the kernel must switch stacks. Go gives each of its threads a
// 32 KiB signal stack; threads created by native code have none. The Go
// runtime treats an alternate stack that is disabled or freed under it as
// fatal ("non-Go code disabled sigaltstack"), so a stack big enough for our
// handler is never replaced, and we only free the ones we created.
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

#include "internal.h"

namespace cgoguard {
namespace {

// What we map for a thread that needs a stack: generous, since our handler
// may chain to another handler (the Go runtime's) on the same stack.
constexpr size_t kOurStackSize = 64 * 1024;

size_t page_size() {
  return static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

// The kernel's signal frame and the handler's own use (kHandlerStackBytes);
// 16 KiB leaves the previous handler room on a 32 KiB stack.
size_t altstack_needed() {
  return 4 * 1024 + kHandlerStackBytes;
}

int altstack_ensure(ThreadExtra* extra) {
  stack_t current;
  if (sigaltstack(nullptr, &current) != 0) return errno;
  if (current.ss_flags & SS_ONSTACK) return 0;  // running on it: leave it be
  if (!(current.ss_flags & SS_DISABLE) && current.ss_size >= altstack_needed()) return 0;

  size_t page = page_size();
  long system_min = sysconf(_SC_SIGSTKSZ);  // dynamic on recent glibc (AVX-512 state)
  size_t size = std::max(kOurStackSize,
                         static_cast<size_t>(system_min > 0 ? system_min : 0) + altstack_needed());
  size = (size + page - 1) / page * page;
  void* mem = mmap(nullptr, size + page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (mem == MAP_FAILED) return errno;
  // Guard page at the low end: overflowing the signal stack faults instead of
  // silently writing into whatever lies below.
  if (mprotect(mem, page, PROT_NONE) != 0) {
    int err = errno;
    munmap(mem, size + page);
    return err;
  }
  stack_t ours = {};
  ours.ss_sp = static_cast<char*>(mem) + page;
  ours.ss_size = size;
  if (sigaltstack(&ours, nullptr) != 0) {
    int err = errno;
    munmap(mem, size + page);
    return err;
  }
  extra->altstack = mem;
  extra->altstack_size = size + page;
  return 0;
}

void altstack_release(ThreadExtra* extra) {
  if (extra->altstack == nullptr) return;
  size_t page = page_size();
  stack_t current;
  if (sigaltstack(nullptr, &current) == 0 &&
      current.ss_sp == static_cast<char*>(extra->altstack) + page) {
    if (current.ss_flags & SS_ONSTACK) return;  // cannot happen at thread exit; never free it then
    stack_t off = {};
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, nullptr);
  }
  munmap(extra->altstack, extra->altstack_size);
  extra->altstack = nullptr;
}

}  // namespace cgoguard
