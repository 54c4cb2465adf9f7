#ifndef CTETHER_SYSTEM_SHIM_H
#define CTETHER_SYSTEM_SHIM_H

// Glibc's Swift module does not export these Linux interfaces; the event loop needs them.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <sys/prctl.h>
#include <stdint.h>
#include <time.h>

static inline int ctether_errno(void) { return errno; }

// Names the calling thread (at most 15 bytes show), so tests and operators can tell our threads apart.
static inline int ctether_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

// The running Swift task, or NULL outside one: the Swift runtime's own entry point (part of
// its stable ABI, unretained result), declared with its calling convention. The pool keys
// leases by task on every borrow; through the generic `withUnsafeCurrentTask` that took a
// sixth of the pool's time per borrow.
__attribute__((swiftcall)) extern const void *swift_task_getCurrent(void);
static inline const void *ctether_current_task(void) { return swift_task_getCurrent(); }

// Nanoseconds on CLOCK_BOOTTIME, the clock Swift's ContinuousClock reads on Linux. The pool reads
// the time on every return; `ContinuousClock.now` from outside the runtime took five calls and a
// metadata lookup around this one read.
static inline int64_t ctether_boottime_nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_BOOTTIME, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

// A cancellation handler around synchronous code in a Swift task, through the two runtime
// entry points (part of its ABI) that `withTaskCancellationHandler` calls: that function wraps
// its operation in async calls, three executor switches per use. The runtime calls a handler
// with its context in the Swift context register, so a C callback is reached through
// `ctether_run_cancellation`. The record lives on the task's last-in first-out allocator: add
// and remove it around code that allocates nothing there (synchronous code).
struct ctether_cancellation {
    void (*callback)(const void *first, const void *second);
    const void *first;
    const void *second;
};
__attribute__((swiftcall)) extern void *swift_task_addCancellationHandler(
    __attribute__((swiftcall)) void (*handler)(void *__attribute__((swift_context)) context), void *context);
__attribute__((swiftcall)) extern void swift_task_removeCancellationHandler(void *record);
__attribute__((swiftcall)) static void ctether_run_cancellation(void *__attribute__((swift_context)) context) {
    const struct ctether_cancellation *cancellation = context;
    cancellation->callback(cancellation->first, cancellation->second);
}
// Calls `cancellation`'s callback at once if the task is cancelled already; must run in a task.
static inline void *ctether_add_cancellation(struct ctether_cancellation *cancellation) {
    return swift_task_addCancellationHandler(ctether_run_cancellation, cancellation);
}
// A callback running on another thread finishes before this returns.
static inline void ctether_remove_cancellation(void *record) { swift_task_removeCancellationHandler(record); }

#endif
