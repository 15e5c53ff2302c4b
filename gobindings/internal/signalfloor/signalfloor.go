//go:build cgo && linux && (amd64 || arm64)

// Package signalfloor measures what the kernel alone costs for a native
// fault reached from Go: a cgo call to code that faults once (SIGSEGV),
// with a bare handler that moves the interrupted pc past the faulting
// instruction and returns. No cgoguard code runs; what remains is the cgo
// call, the trap, the signal's delivery (the signal frame with the FPU
// state) and sigreturn — the floor under a contained fault from Call. For
// benchmarks only.
package signalfloor

/*
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

void signalfloor_fault(void);
extern char signalfloor_fault_insn[];
extern char signalfloor_fault_resume[];

#if defined(__x86_64__)
__asm__(
    "  .text\n"
    "  .p2align 4\n"
    "  .globl signalfloor_fault\n"
    "  .type signalfloor_fault, @function\n"
    "signalfloor_fault:\n"
    "  xorl %eax, %eax\n"
    "signalfloor_fault_insn:\n"
    "  movl %eax, (%rax)\n"
    "signalfloor_fault_resume:\n"
    "  ret\n"
    "  .size signalfloor_fault, .-signalfloor_fault\n");
#elif defined(__aarch64__)
__asm__(
    "  .text\n"
    "  .p2align 4\n"
    "  .globl signalfloor_fault\n"
    "  .type signalfloor_fault, %function\n"
    "signalfloor_fault:\n"
    "  mov x9, #0\n"
    "signalfloor_fault_insn:\n"
    "  str wzr, [x9]\n"
    "signalfloor_fault_resume:\n"
    "  ret\n"
    "  .size signalfloor_fault, .-signalfloor_fault\n");
#endif

static struct sigaction signalfloor_previous;

static uintptr_t signalfloor_pc(ucontext_t* uc) {
#if defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#else
	return (uintptr_t)uc->uc_mcontext.pc;
#endif
}

static void signalfloor_handler(int signo, siginfo_t* info, void* ucontext) {
	ucontext_t* uc = (ucontext_t*)ucontext;
	if (signalfloor_pc(uc) == (uintptr_t)signalfloor_fault_insn) {
#if defined(__x86_64__)
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)signalfloor_fault_resume;
#else
		uc->uc_mcontext.pc = (uintptr_t)signalfloor_fault_resume;
#endif
		return;
	}
	// Any other SIGSEGV (a nil dereference in Go code, say) goes to the
	// action this one displaced, exactly as delivered.
	if (signalfloor_previous.sa_flags & SA_SIGINFO) {
		signalfloor_previous.sa_sigaction(signo, info, ucontext);
	} else if (signalfloor_previous.sa_handler != SIG_DFL && signalfloor_previous.sa_handler != SIG_IGN) {
		signalfloor_previous.sa_handler(signo);
	}
}

// As cgoguard installs its own: SA_SIGINFO | SA_ONSTACK (the alternate
// stack the Go runtime gives every thread), a full mask.
static int signalfloor_install(void) {
	struct sigaction action;
	memset(&action, 0, sizeof action);
	action.sa_sigaction = signalfloor_handler;
	action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigfillset(&action.sa_mask);
	return sigaction(SIGSEGV, &action, &signalfloor_previous);
}

static int signalfloor_restore(void) {
	return sigaction(SIGSEGV, &signalfloor_previous, NULL);
}
*/
import "C"

import "errors"

// Install makes SIGSEGV go to the bare handler (anything but Fault's own
// fault is passed on to the action it displaced); Restore puts that action
// back. Between the two, Fault is safe to call.
func Install() error {
	if C.signalfloor_install() != 0 {
		return errors.New("signalfloor: sigaction failed")
	}
	return nil
}

// Restore puts back the SIGSEGV action Install displaced.
func Restore() {
	C.signalfloor_restore()
}

// Fault makes one cgo call to code that writes to address 0; the bare
// handler resumes it after the faulting instruction.
func Fault() {
	C.signalfloor_fault()
}
