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

static inline int ctether_errno(void) { return errno; }

// Names the calling thread (at most 15 bytes show), so tests and operators can tell our threads apart.
static inline int ctether_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

// The running Swift task, or NULL outside one: the Swift runtime's own entry point (part of
// its stable ABI, unretained result), declared with its calling convention. The pool keys
// leases by task on every borrow; through the generic `withUnsafeCurrentTask` that took a
// sixth of the pool's time per borrow.
__attribute__((swiftcall)) extern const void *swift_task_getCurrent(void);
static inline const void *ctether_current_task(void) { return swift_task_getCurrent(); }

#endif
