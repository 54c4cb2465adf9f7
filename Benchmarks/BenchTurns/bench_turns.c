#include "bench_turns.h"

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct bench_turns {
    const volatile char *word;
    char side;
    _Atomic char seen;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    /* Written by the watcher only; read after the run, under the lock. */
    double counted_cpu;
};

static double process_cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec
           + usage.ru_stime.tv_usec / 1e6;
}

static void *watch(void *argument) {
    struct bench_turns *turns = argument;
    /* Two milliseconds between looks: a turn lasts about a second, and each worker times its
       own turns; looking more often costs the side that runs a wake-up each time. */
    const struct timespec pause = {0, 2000000};
    char last = 0;
    double opened = 0;
    while (last != 'x') {
        char now = *turns->word;
        if (now != last) {
            if (now == turns->side) {
                opened = process_cpu_seconds();
            }
            pthread_mutex_lock(&turns->lock);
            if (last == turns->side) {
                turns->counted_cpu += process_cpu_seconds() - opened;
            }
            atomic_store_explicit(&turns->seen, now, memory_order_relaxed);
            pthread_cond_broadcast(&turns->changed);
            pthread_mutex_unlock(&turns->lock);
            last = now;
        }
        nanosleep(&pause, NULL);
    }
    return NULL;
}

struct bench_turns *bench_turns_open(const char *path, char side) {
    int descriptor = open(path, O_RDONLY);
    const volatile char *word =
        descriptor < 0 ? MAP_FAILED : mmap(NULL, 1, PROT_READ, MAP_SHARED, descriptor, 0);
    if (descriptor >= 0) {
        close(descriptor);
    }
    if (word == MAP_FAILED) {
        fprintf(stderr, "bench turns: cannot map %s\n", path);
        return NULL;
    }
    struct bench_turns *turns = calloc(1, sizeof *turns);
    turns->word = word;
    turns->side = (char)tolower(side);
    pthread_mutex_init(&turns->lock, NULL);
    pthread_cond_init(&turns->changed, NULL);
    pthread_t watcher;
    pthread_create(&watcher, NULL, watch, turns);
    pthread_detach(watcher);
    return turns;
}

char bench_turns_seen(const struct bench_turns *turns) {
    return atomic_load_explicit(&turns->seen, memory_order_relaxed);
}

int bench_turns_wait(struct bench_turns *turns, char *turn) {
    pthread_mutex_lock(&turns->lock);
    char seen;
    while ((seen = bench_turns_seen(turns)) != 'x' && tolower(seen) != turns->side) {
        pthread_cond_wait(&turns->changed, &turns->lock);
    }
    pthread_mutex_unlock(&turns->lock);
    *turn = seen;
    return seen == 'x' ? -1 : seen == turns->side;
}

double bench_turns_counted_cpu(struct bench_turns *turns) {
    pthread_mutex_lock(&turns->lock);
    double cpu = turns->counted_cpu;
    pthread_mutex_unlock(&turns->lock);
    return cpu;
}
