// Single-threaded encode and reconstruct (m lost data shards) throughput of Intel ISA-L's
// ec_encode_data, for the shapes of bench/CloudSecReq.Erasure.Bench. GB/s = 10^9 data bytes
// (k x shard) per second, best of 5 batches of ~0.2 s after 0.3 s of warm-up.
// Build and run: see run.sh.
#include <isa-l/erasure_code.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXN 32

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct {
    int len, k, rows;
    unsigned char *tables;
    unsigned char **in, **out;
} job;

static void run(job *j) { ec_encode_data(j->len, j->k, j->rows, j->tables, j->in, j->out); }

static double measure(job *j, double data_bytes) {
    double start = now();
    while (now() - start < 0.3) run(j);
    double best = 0;
    for (int b = 0; b < 5; b++) {
        long calls = 0;
        double t0 = now(), t;
        do { run(j); calls++; } while ((t = now()) - t0 < 0.2);
        double gbps = calls * data_bytes / (t - t0) / 1e9;
        if (gbps > best) best = gbps;
    }
    return best;
}

int main(void) {
    int shapes[3][2] = {{4, 2}, {8, 4}, {12, 4}};
    int sizes[2] = {64 * 1024, 1024 * 1024};
    printf("library,shape,shard_kib,encode_gbps,reconstruct_gbps\n");
    for (int s = 0; s < 3; s++) {
        for (int z = 0; z < 2; z++) {
            int k = shapes[s][0], m = shapes[s][1], n = k + m, len = sizes[z];
            unsigned char *buffers[MAXN];
            for (int i = 0; i < n; i++) {
                if (posix_memalign((void **)&buffers[i], 64, len)) return 1;
                for (int b = 0; b < len; b++) buffers[i][b] = rand();
            }
            unsigned char a[MAXN * MAXN], tables[32 * MAXN * MAXN];
            gf_gen_cauchy1_matrix(a, n, k);
            ec_init_tables(k, m, &a[k * k], tables);
            job enc = {len, k, m, tables, buffers, buffers + k};
            double encode = measure(&enc, (double)k * len);

            // Lose data shards 0..m-1: invert the rows of the k survivors (m..n-1), keep the
            // rows of the lost ones, exactly as ISA-L's erasure_code_perf does.
            unsigned char b[MAXN * MAXN], inv[MAXN * MAXN], d[MAXN * MAXN], dtables[32 * MAXN * MAXN];
            unsigned char *survivors[MAXN], *lost[MAXN];
            for (int r = 0; r < k; r++) {
                memcpy(&b[r * k], &a[(m + r) * k], k);
                survivors[r] = buffers[m + r];
            }
            if (gf_invert_matrix(b, inv, k) < 0) return 2;
            for (int r = 0; r < m; r++) {
                memcpy(&d[r * k], &inv[r * k], k);
                if (posix_memalign((void **)&lost[r], 64, len)) return 1;
            }
            ec_init_tables(k, m, d, dtables);
            job dec = {len, k, m, dtables, survivors, lost};
            double rebuild = measure(&dec, (double)k * len);
            for (int r = 0; r < m; r++) {
                if (memcmp(lost[r], buffers[r], len) != 0) { fprintf(stderr, "ISA-L rebuild mismatch\n"); return 3; }
                free(lost[r]);
            }
            printf("isa-l,%d+%d,%d,%.2f,%.2f\n", k, m, len / 1024, encode, rebuild);
            fflush(stdout);
            for (int i = 0; i < n; i++) free(buffers[i]);
        }
    }
    return 0;
}
