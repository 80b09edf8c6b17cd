/*
 * pool.h - a fixed set of worker threads running parallel-for loops.
 *
 * rb_pool_run(p, n, fn, ctx) calls fn(ctx, i) once for every i in [0, n),
 * spread over the pool's threads and the calling thread, and returns when
 * all calls are done.  fn must be safe to run concurrently for different i.
 * One rb_pool_run at a time per pool.  The pool is the caller's: free it
 * with rb_pool_free (NULL accepted), which joins the threads.
 */
#ifndef RB_POOL_H
#define RB_POOL_H

#include <stddef.h>

#include "err.h"

typedef struct rb_pool rb_pool;
typedef void (*rb_pool_fn)(void *ctx, size_t i);

/* A pool of threads - 1 workers (threads <= 1: everything runs inline). */
int rb_pool_new(int threads, rb_pool **out, struct rb_err *e);
void rb_pool_run(rb_pool *p, size_t n, rb_pool_fn fn, void *ctx);
void rb_pool_free(rb_pool *p);

/* Number of online CPUs, at least 1. */
int rb_ncpu(void);

#endif
