/* sodium_speed: libsodium's Ed25519 verification rate, the benchmark's bound.
 *
 *   sodium_speed [-seconds S] [-threads N]
 *
 * Each of N threads (default 1) verifies one valid signature over a
 * 600-byte message with crypto_sign_verify_detached in a loop for S seconds
 * (default 3), as `openssl speed` does for OpenSSL; the line printed,
 * "verify/s: <rate>", is the sum of the threads' rates.  Built and run by
 * `make bench` (tests/bench/bench.py), not installed. */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MSG_LEN 600
#define MAX_THREADS 1024
#define MAX_SECONDS 3600.0
/* Verifications between two looks at the clock: about 1 ms of work. */
#define CHECK_EVERY 32

struct worker {
    const unsigned char *pk;
    const unsigned char *sig;
    const unsigned char *msg;
    double seconds;
    unsigned long long count;
    double elapsed;
    int failed;
    pthread_t tid;
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *verify_loop(void *arg)
{
    struct worker *w = arg;
    double start = now(), t = start;

    while (t - start < w->seconds) {
        for (int i = 0; i < CHECK_EVERY; i++) {
            /* A valid signature that stops verifying means a broken build:
             * the rate would be that of the rejection path. */
            if (crypto_sign_verify_detached(w->sig, w->msg, MSG_LEN, w->pk) != 0) {
                w->failed = 1;
                return NULL;
            }
        }
        w->count += CHECK_EVERY;
        t = now();
    }
    w->elapsed = t - start;
    return NULL;
}

static int parse_args(int argc, char **argv, double *seconds, long *threads)
{
    for (int i = 1; i < argc; i++) {
        char *end;

        if (i + 1 >= argc)
            return -1;
        errno = 0;
        if (strcmp(argv[i], "-seconds") == 0) {
            *seconds = strtod(argv[++i], &end);
            if (errno || *end || !(*seconds > 0) || *seconds > MAX_SECONDS)
                return -1;
        } else if (strcmp(argv[i], "-threads") == 0) {
            *threads = strtol(argv[++i], &end, 10);
            if (errno || *end || *threads < 1 || *threads > MAX_THREADS)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    unsigned char sig[crypto_sign_BYTES], msg[MSG_LEN];
    struct worker *workers = NULL;
    double seconds = 3.0, total = 0.0;
    long threads = 1, started = 0;
    int rc = 1;

    if (parse_args(argc, argv, &seconds, &threads) != 0) {
        fprintf(stderr, "usage: sodium_speed [-seconds S (0 < S <= %.0f)] "
                "[-threads N (1 to %d)]\n", MAX_SECONDS, MAX_THREADS);
        return 2;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_speed: sodium_init failed\n");
        goto out;
    }
    randombytes_buf(msg, sizeof msg);
    if (crypto_sign_keypair(pk, sk) != 0 ||
        crypto_sign_detached(sig, NULL, msg, sizeof msg, sk) != 0) {
        fprintf(stderr, "sodium_speed: cannot make a key and a signature\n");
        goto out;
    }
    workers = calloc((size_t)threads, sizeof *workers);
    if (!workers) {
        fprintf(stderr, "sodium_speed: out of memory\n");
        goto out;
    }
    for (started = 0; started < threads; started++) {
        struct worker *w = &workers[started];
        int err;

        w->pk = pk;
        w->sig = sig;
        w->msg = msg;
        w->seconds = seconds;
        err = pthread_create(&w->tid, NULL, verify_loop, w);
        if (err != 0) {
            fprintf(stderr, "sodium_speed: pthread_create: %s\n", strerror(err));
            goto out;
        }
    }
    rc = 0;
out:
    /* Every thread started is joined, also when a later one failed to start. */
    for (long i = 0; i < started; i++) {
        pthread_join(workers[i].tid, NULL);
        if (workers[i].failed) {
            if (rc == 0)
                fprintf(stderr, "sodium_speed: a valid signature did not verify\n");
            rc = 1;
        } else if (workers[i].elapsed > 0) {
            total += (double)workers[i].count / workers[i].elapsed;
        }
    }
    if (rc == 0)
        printf("verify/s: %.1f\n", total);
    sodium_memzero(sk, sizeof sk);
    free(workers);
    return rc;
}
