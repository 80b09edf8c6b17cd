/*
 * pool.h - a fixed set of worker threads running parallel-for loops.
 *
 * rb_pool_start(p, n, fn, ctx) hands fn(ctx, i) for every i in [0, n) to the
 * pool's workers and returns at once; rb_pool_wait(p) lets the calling
 * thread take the indices still left, then returns when every call is done.
 * Between the two the caller is free to do other work (the verifier reads
 * the next batch and runs the in-order checks of the last one there).
 * rb_pool_run is start then wait.  fn must be safe to run concurrently for
 * different i.  One run at a time per pool.  The pool is the caller's: free
 * it with rb_pool_free (NULL accepted), which finishes a started run and
 * joins the threads.
 */
#ifndef RB_POOL_H
#define RB_POOL_H

#include <stddef.h>

#include "err.h"

typedef struct rb_pool rb_pool;
typedef void (*rb_pool_fn)(void *ctx, size_t i);

/* A pool of `workers` threads; 0 runs everything in rb_pool_wait. */
int rb_pool_new(int workers, rb_pool **out, struct rb_err *e);
void rb_pool_start(rb_pool *p, size_t n, rb_pool_fn fn, void *ctx);
void rb_pool_wait(rb_pool *p);
void rb_pool_run(rb_pool *p, size_t n, rb_pool_fn fn, void *ctx);
void rb_pool_free(rb_pool *p);

/* Number of online CPUs, at least 1. */
int rb_ncpu(void);

#endif
