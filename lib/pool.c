/* pool.c - parallel-for over pthreads. */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

struct rb_pool {
	pthread_t *threads;
	int nthreads;           /* workers, not counting the caller */
	pthread_mutex_t mu;
	pthread_cond_t start, done;
	unsigned long gen;      /* bumped for every run */
	int busy;               /* workers still in the current run */
	int running;            /* started and not yet waited for */
	int quit;
	/* The current run. */
	rb_pool_fn fn;
	void *ctx;
	size_t n;
	atomic_size_t next;
};

int rb_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (n > 256 ? 256 : (int)n);
}

/* Take indices until none are left. */
static void drain(rb_pool *p)
{
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n)
		p->fn(p->ctx, i);
}

static void *worker(void *arg)
{
	rb_pool *p = arg;
	unsigned long seen = 0;

	/* Named, so that top -H and perf tell the workers from the caller. */
	(void)prctl(PR_SET_NAME, "rbaudit-worker", 0, 0, 0);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->quit && p->gen == seen)
			pthread_cond_wait(&p->start, &p->mu);
		if (p->quit)
			break;
		seen = p->gen;
		pthread_mutex_unlock(&p->mu);
		drain(p);
		pthread_mutex_lock(&p->mu);
		if (--p->busy == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int rb_pool_new(int workers, rb_pool **out, struct rb_err *e)
{
	rb_pool *p = calloc(1, sizeof(*p));
	int i;

	*out = NULL;
	if (p == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->start, NULL);
	pthread_cond_init(&p->done, NULL);
	atomic_init(&p->next, 0);
	if (workers > 0) {
		p->threads = calloc((size_t)workers, sizeof(*p->threads));
		if (p->threads == NULL) {
			rb_pool_free(p);
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		}
		for (i = 0; i < workers; i++) {
			if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
				break;
			p->nthreads++;
		}
	}
	*out = p;
	return 0;
}

void rb_pool_start(rb_pool *p, size_t n, rb_pool_fn fn, void *ctx)
{
	p->fn = fn;
	p->ctx = ctx;
	p->n = n;
	atomic_store(&p->next, 0);
	p->running = 1;
	if (p->nthreads == 0 || n == 0)
		return;
	pthread_mutex_lock(&p->mu);
	p->busy = p->nthreads;
	p->gen++;
	pthread_cond_broadcast(&p->start);
	pthread_mutex_unlock(&p->mu);
}

void rb_pool_wait(rb_pool *p)
{
	if (!p->running)
		return;
	p->running = 0;
	drain(p);
	pthread_mutex_lock(&p->mu);
	while (p->busy > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void rb_pool_run(rb_pool *p, size_t n, rb_pool_fn fn, void *ctx)
{
	rb_pool_start(p, n, fn, ctx);
	rb_pool_wait(p);
}

void rb_pool_free(rb_pool *p)
{
	int i;

	if (p == NULL)
		return;
	rb_pool_wait(p);
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->start);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	pthread_cond_destroy(&p->start);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
