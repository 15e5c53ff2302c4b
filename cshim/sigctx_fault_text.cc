// SIGNAL CONTEXT. Describes a fault as text ("SIGSEGV: address not mapped to
// object") from static tables. Safe in the handler: no allocation, no stdio —
// only reads of constant strings and byte copies into the caller's buffer.
#include <signal.h>

#include "internal.h"
#include "signal_table.h"

namespace cgoguard {
namespace {

struct CodeText {
  int signo;
  int code;
  const char* text;
};

// si_code meanings from <bits/siginfo-consts.h>, for the signals we contain.
constexpr CodeText kCodeTexts[] = {
    {SIGSEGV, SEGV_MAPERR, "address not mapped to object"},
    {SIGSEGV, SEGV_ACCERR, "invalid permissions for mapped object"},
#ifdef SEGV_BNDERR
    {SIGSEGV, SEGV_BNDERR, "failed address bound checks"},
#endif
#ifdef SEGV_PKUERR
    {SIGSEGV, SEGV_PKUERR, "access denied by memory protection keys"},
#endif
    {SIGSEGV, SI_KERNEL, "general protection fault"},
    {SIGBUS, BUS_ADRALN, "invalid address alignment"},
    {SIGBUS, BUS_ADRERR, "nonexistent physical address"},
    {SIGBUS, BUS_OBJERR, "object-specific hardware error"},
    {SIGFPE, FPE_INTDIV, "integer divide by zero"},
    {SIGFPE, FPE_INTOVF, "integer overflow"},
    {SIGFPE, FPE_FLTDIV, "floating-point divide by zero"},
    {SIGFPE, FPE_FLTOVF, "floating-point overflow"},
    {SIGFPE, FPE_FLTUND, "floating-point underflow"},
    {SIGFPE, FPE_FLTRES, "floating-point inexact result"},
    {SIGFPE, FPE_FLTINV, "floating-point invalid operation"},
    {SIGILL, ILL_ILLOPC, "illegal opcode"},
    {SIGILL, ILL_ILLOPN, "illegal operand"},
    {SIGILL, ILL_ILLADR, "illegal addressing mode"},
    {SIGILL, ILL_ILLTRP, "illegal trap"},
    {SIGILL, ILL_PRVOPC, "privileged opcode"},
    {SIGILL, ILL_PRVREG, "privileged register"},
    {SIGILL, ILL_COPROC, "coprocessor error"},
    {SIGILL, ILL_BADSTK, "internal stack error"},
    {SIGTRAP, TRAP_BRKPT, "breakpoint"},
    {SIGTRAP, TRAP_TRACE, "trace trap"},
    {SIGTRAP, SI_KERNEL, "breakpoint instruction"},
    {SIGABRT, SI_TKILL, "abort() called"},
    {SIGABRT, SI_USER, "abort signal sent by kill()"},
};

const char* signal_name(int signo) {
  const SignalInfo* s = find_signal(signo);
  return s != nullptr ? s->name : "signal";
}

// Appends src to buf[*len..size-1], always leaving buf NUL-terminated.
void append(char* buf, size_t size, size_t* len, const char* src) {
  while (*src != '\0' && *len + 1 < size) buf[(*len)++] = *src++;
  buf[*len] = '\0';
}

}  // namespace

void describe_fault(int signo, int code, char* buf, size_t size) {
  if (size == 0) return;
  size_t len = 0;
  buf[0] = '\0';
  append(buf, size, &len, signal_name(signo));
  const char* detail = "unknown cause";
  for (const CodeText& entry : kCodeTexts) {
    if (entry.signo == signo && entry.code == code) {
      detail = entry.text;
      break;
    }
  }
  append(buf, size, &len, ": ");
  append(buf, size, &len, detail);
}

}  // namespace cgoguard
