#ifndef CTETHER_ODBC_SHIM_H
#define CTETHER_ODBC_SHIM_H

#include <sql.h>
#include <sqlext.h>

// Swift cannot import function-like macros; these keep the checks in one place.

static inline int ctether_SQL_SUCCEEDED(SQLRETURN rc) { return SQL_SUCCEEDED(rc); }

// Handles are pointers; SQL_NULL_HANDLE and friends come in as integers.
static inline SQLHANDLE ctether_SQL_NULL_HANDLE(void) { return SQL_NULL_HANDLE; }

// Attribute values passed as pointers are plain integers cast to SQLPOINTER.
static inline SQLPOINTER ctether_SQLPOINTER_FROM_ULEN(SQLULEN value) { return (SQLPOINTER)(uintptr_t)value; }

#endif
