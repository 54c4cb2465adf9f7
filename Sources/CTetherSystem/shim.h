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

#endif
