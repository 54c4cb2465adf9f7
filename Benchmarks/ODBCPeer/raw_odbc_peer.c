/*
 * The raw-ODBC peer of `make bench-odbc`: unixODBC and the driver used directly from C.
 * Each worker thread opens its own connection, prepares `SELECT 1` once, then executes,
 * fetches and reads the value in a loop until the time is up. No pool, no hops.
 *
 *   raw_odbc_peer CONNECT_STRING WORKERS SECONDS [WARMUP_SECONDS]
 *
 * With WARMUP_SECONDS, each worker first runs the same loop that long without counting.
 * Prints two lines: the queries per second of all workers together (each worker's count over
 * its own loop time, summed, so connecting is not counted), then `cpu_us_per_query=X`, the
 * process's CPU time (user and system) from the moment the first worker starts counting to
 * the moment the last one stops, per counted query.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sql.h>
#include <sqlext.h>

static SQLHENV environment;
static const char *connect_string;
static double seconds, warmup;
static volatile int failed;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(SQLSMALLINT type, SQLHANDLE handle, const char *step) {
    SQLCHAR state[6] = {0}, message[512] = {0};
    SQLINTEGER native = 0;
    SQLSMALLINT length = 0;
    SQLGetDiagRec(type, handle, 1, state, &native, message, sizeof message, &length);
    fprintf(stderr, "raw_odbc_peer: %s failed [%s] %s\n", step, state, message);
    failed = 1;
}

/* The process's CPU time while the workers count (see the top of this file). */
static atomic_int counting, finished;
static double window_opened, window_closed;
static int worker_count;

static double process_cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec
           + usage.ru_stime.tv_usec / 1e6;
}

struct tally {
    long count;
    double seconds;
};

/* Executes, fetches and reads `SELECT 1` until `end`; returns how many times. */
static long loop(SQLHSTMT statement, double end) {
    long count = 0;
    while (!failed && now() < end) {
        SQLBIGINT value = 0;
        SQLLEN indicator = 0;
        if (!SQL_SUCCEEDED(SQLExecute(statement)) || !SQL_SUCCEEDED(SQLFetch(statement))
            || !SQL_SUCCEEDED(SQLGetData(statement, 1, SQL_C_SBIGINT, &value, sizeof value, &indicator))
            || value != 1) {
            report(SQL_HANDLE_STMT, statement, "SELECT 1");
            break;
        }
        SQLFreeStmt(statement, SQL_CLOSE);
        count++;
    }
    return count;
}

static void *worker(void *argument) {
    struct tally *tally = argument;
    SQLHDBC connection;
    SQLHSTMT statement;
    SQLAllocHandle(SQL_HANDLE_DBC, environment, &connection);
    SQLSetConnectAttr(connection, SQL_ATTR_LOGIN_TIMEOUT, (SQLPOINTER)10, 0);
    if (!SQL_SUCCEEDED(SQLDriverConnect(connection, NULL, (SQLCHAR *)connect_string, SQL_NTS, NULL, 0, NULL,
                                        SQL_DRIVER_NOPROMPT))) {
        report(SQL_HANDLE_DBC, connection, "SQLDriverConnect");
        return NULL;
    }
    SQLAllocHandle(SQL_HANDLE_STMT, connection, &statement);
    if (!SQL_SUCCEEDED(SQLPrepare(statement, (SQLCHAR *)"SELECT 1", SQL_NTS))) {
        report(SQL_HANDLE_STMT, statement, "SQLPrepare");
        return NULL;
    }
    if (warmup > 0) {
        loop(statement, now() + warmup);
    }
    if (atomic_fetch_add(&counting, 1) == 0) {
        window_opened = process_cpu_seconds();
    }
    double begin = now();
    tally->count = loop(statement, begin + seconds);
    tally->seconds = now() - begin;
    if (atomic_fetch_add(&finished, 1) == worker_count - 1) {
        window_closed = process_cpu_seconds();
    }
    SQLFreeHandle(SQL_HANDLE_STMT, statement);
    SQLDisconnect(connection);
    SQLFreeHandle(SQL_HANDLE_DBC, connection);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: raw_odbc_peer CONNECT_STRING WORKERS SECONDS [WARMUP_SECONDS]\n");
        return 2;
    }
    connect_string = argv[1];
    int workers = atoi(argv[2]);
    worker_count = workers;
    seconds = atof(argv[3]);
    warmup = argc == 5 ? atof(argv[4]) : 0;
    if (workers < 1 || workers > 256 || seconds <= 0 || warmup < 0) {
        fprintf(stderr, "raw_odbc_peer: WORKERS must be 1...256, SECONDS positive, WARMUP_SECONDS not negative\n");
        return 2;
    }
    SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &environment);
    SQLSetEnvAttr(environment, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
    pthread_t threads[256];
    struct tally tallies[256] = {{0}};
    for (int i = 0; i < workers; i++) {
        pthread_create(&threads[i], NULL, worker, &tallies[i]);
    }
    double rate = 0;
    long queries = 0;
    for (int i = 0; i < workers; i++) {
        pthread_join(threads[i], NULL);
        rate += tallies[i].seconds > 0 ? tallies[i].count / tallies[i].seconds : 0;
        queries += tallies[i].count;
    }
    if (failed) {
        return 1;
    }
    printf("%.0f\n", rate);
    printf("cpu_us_per_query=%.2f\n", queries > 0 ? (window_closed - window_opened) / queries * 1e6 : 0.0);
    return 0;
}
