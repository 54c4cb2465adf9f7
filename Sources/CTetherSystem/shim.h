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

static inline int ctether_errno(void) { return errno; }

#endif
