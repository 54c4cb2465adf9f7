#ifndef CTETHER_ODBC_SHIM_H
#define CTETHER_ODBC_SHIM_H

#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sql.h>
#include <sqlext.h>
#include <sqlucode.h>

// Swift cannot import function-like macros, nor integer constants that ODBC passes as
// pointers; these keep the checks and casts in one place.

static inline int ctether_SQL_SUCCEEDED(SQLRETURN rc) { return SQL_SUCCEEDED(rc); }

// Handles are pointers; SQL_NULL_HANDLE and friends come in as integers.
static inline SQLHANDLE ctether_SQL_NULL_HANDLE(void) { return SQL_NULL_HANDLE; }

// Attribute values passed as pointers are plain integers cast to SQLPOINTER.
static inline SQLPOINTER ctether_SQLPOINTER_FROM_ULEN(SQLULEN value) { return (SQLPOINTER)(uintptr_t)value; }

// The integer an attribute pointer carries, for attributes read back with SQLGetConnectAttr.
static inline SQLULEN ctether_ULEN_FROM_SQLPOINTER(SQLPOINTER value) { return (SQLULEN)(uintptr_t)value; }

// The kernel's id for the calling thread; connection threads record theirs so tests can see
// them come and go in /proc/self/task.
static inline int ctether_gettid(void) { return (int)syscall(SYS_gettid); }

// Names the calling thread (the kernel keeps 15 bytes); prctl is variadic, which Swift cannot
// call, and glibc declares pthread_setname_np only under _GNU_SOURCE.
static inline void ctether_name_thread(const char *name) { prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0); }

#endif
