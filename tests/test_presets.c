/* SPDX-License-Identifier: MIT */
/*
 * The presets against brute-force replays of each framework's own loop.
 *
 * Every simulation here is written from the framework's rules (DeepSpeed's
 * config resolution and engine, Megatron-LM's calculator, sampler and train
 * loop, accelerate's BatchSamplerShard with the Hugging Face Trainer's new and
 * legacy loops, Lightning's DistributedSampler and fit loop), never from
 * lib/plan.c. Samplers hand each rank a literal array of dataset indices,
 * loaders cut it into micro-batches, and the training loop is replayed
 * micro-batch by micro-batch with the framework's own counters and stepping
 * conditions. The library's plan must equal what the replay counts, field by
 * field, and must fail exactly where the framework fails, with the status the
 * library documents for that failure.
 *
 * Ranges swept (all combinations):
 *   counting:  samples N 1..120, data_parallel R 1..8, micro_batch m 1..8,
 *              grad_accum a 1..6, epochs E 1..3, last_micro_batch KEEP and
 *              DROP where the preset honours it;
 *   DeepSpeed resolution: global_batch G 0..40, m 0..8, a 0..6 (0 = not
 *              given), R 1..8, for N in {1, 37, 120}, E in {1, 2};
 *   Megatron resolution:  G 0..40, m 0..8, a 0..6, R 1..8, divisibility
 *              ERROR/ROUND_DOWN/ROUND_UP, for N in {1, 37, 120}, E in {1, 3}.
 *
 * Environment: TRAINEST_TEST_QUICK=1 shrinks the ranges (N 1..40, R 1..4,
 * E 1..2, G 0..24, and N = 37 only for the resolution sweeps) for slow
 * runners: about 0.06 s natively and 2 s under valgrind, against 0.6 s and
 * 15 s for the full ranges.
 *
 * Definitions the replays count by (they are the header's, made literal):
 * padded = duplicate positions the sampler adds per epoch; dropped = dataset
 * indices the sampler never hands out, plus positions (dataset or padding)
 * the loader skips. Per-epoch fields describe the first epoch on its own.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Megatron with ROUND_DOWN (decrease_batch_size_if_needed): train_iters is
 * train_samples // G with the global batch the user asked for, while every
 * iteration consumes the decreased G' = (G // (m * R)) * (m * R); the
 * difference is Megatron's skipped_train_samples. */

/* ---- Ranges --------------------------------------------------------------- */

static bool quick(void)
{
    const char *q = getenv("TRAINEST_TEST_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

struct ranges {
    unsigned n_max, r_max, m_max, a_max, e_max, g_max;
};

static struct ranges ranges(void)
{
    struct ranges r = {120, 8, 8, 6, 3, 40};
    if (quick()) {
        r.n_max = 40;
        r.r_max = 4;
        r.e_max = 2;
        r.g_max = 24;
    }
    return r;
}

/* ---- Buffers -------------------------------------------------------------- */

#define N_MAX 1024u /* the largest dataset a replay holds (hand examples use 1000) */
#define R_MAX 8u
#define M_MAX 64u                                /* DeepSpeed derives m = G // R up to G */
#define POS_MAX (N_MAX + 2u * R_MAX * M_MAX)     /* positions one rank can get per epoch */
#define INITIAL_MAX (4u * R_MAX * M_MAX)         /* accelerate's initial_data after doubling */

/* What one rank sees in one epoch: the sampler's positions (dataset indices)
 * and the loader's micro-batches over them. */
struct rank_share {
    unsigned n_pos;
    unsigned pos[POS_MAX];
    unsigned n_batches;
    unsigned first[POS_MAX]; /* micro-batch b is pos[first[b]] .. pos[first[b] + size[b] - 1] */
    unsigned size[POS_MAX];
};

/* One epoch of data over all ranks. No preset shuffles, so every epoch is the same. */
static struct {
    unsigned N, R;
    struct rank_share rank[R_MAX];
    uint64_t padded, dropped; /* positions per epoch, counted from the arrays */
    bool ranks_differ;        /* loaders of different lengths: DDP would hang */
} g_data;

static void add_batch(struct rank_share *rs, const unsigned *idx, unsigned n)
{
    rs->first[rs->n_batches] = rs->n_pos;
    rs->size[rs->n_batches] = n;
    rs->n_batches++;
    for (unsigned i = 0; i < n; i++)
        rs->pos[rs->n_pos++] = idx[i];
}

/* torch.utils.data.DistributedSampler(shuffle=False, drop_last=False). */
static void distributed_sampler_pad(unsigned N, unsigned R)
{
    static unsigned indices[R_MAX * POS_MAX];
    const unsigned num_samples = N / R + (N % R != 0); /* math.ceil(len(dataset) / num_replicas) */
    const unsigned total_size = num_samples * R;
    for (unsigned i = 0; i < N; i++)
        indices[i] = i;
    /* indices += indices[:padding_size], or (indices * k)[:padding_size]
     * when padding_size > len(indices): the first indices, cyclically. */
    for (unsigned i = N; i < total_size; i++)
        indices[i] = indices[(i - N) % N];
    for (unsigned r = 0; r < R; r++) {
        struct rank_share *rs = &g_data.rank[r];
        rs->n_pos = 0;
        rs->n_batches = 0;
        for (unsigned i = r; i < total_size; i += R) /* indices[rank:total_size:num_replicas] */
            rs->pos[rs->n_pos++] = indices[i];
    }
}

/* DataLoader(batch_size=m, drop_last) over one rank's sampler output. */
static void torch_dataloader(struct rank_share *rs, unsigned m, bool drop_last)
{
    rs->n_batches = 0;
    for (unsigned start = 0; start < rs->n_pos; start += m) {
        const unsigned n = rs->n_pos - start < m ? rs->n_pos - start : m;
        if (n < m && drop_last)
            break;
        rs->first[rs->n_batches] = start;
        rs->size[rs->n_batches] = n;
        rs->n_batches++;
    }
}

/* accelerate's BatchSamplerShard._iter_with_no_split (split_batches=False,
 * even_batches=True) as process p runs it, over a torch BatchSampler of
 * range(N) with batch size m. */
static void accelerate_batch_sampler_shard(unsigned N, unsigned m, unsigned R, bool drop_last,
                                           unsigned p, struct rank_share *rs)
{
    static unsigned initial[INITIAL_MAX];
    unsigned n_initial = 0;
    unsigned batch[M_MAX], batch_len = 0;
    unsigned to_yield[M_MAX], to_yield_len = 0;
    unsigned idx = 0;

    rs->n_pos = 0;
    rs->n_batches = 0;
    /* for idx, batch in enumerate(self.batch_sampler): */
    for (unsigned start = 0, k = 0; start < N; start += m, k++) {
        batch_len = N - start < m ? N - start : m;
        if (batch_len < m && drop_last)
            break; /* BatchSampler(drop_last=True) never yields the short batch */
        for (unsigned j = 0; j < batch_len; j++)
            batch[j] = start + j;
        idx = k;
        if (!drop_last && idx < R) { /* gather the initial indices to circle back to */
            memcpy(initial + n_initial, batch, batch_len * sizeof *batch);
            n_initial += batch_len;
        }
        if (idx % R == p) {
            memcpy(to_yield, batch, batch_len * sizeof *batch);
            to_yield_len = batch_len;
        }
        if (idx % R == R - 1 && batch_len == m) {
            add_batch(rs, to_yield, to_yield_len);
            to_yield_len = 0;
        }
    }
    if (drop_last || n_initial == 0)
        return;
    if (to_yield_len == m)
        add_batch(rs, to_yield, to_yield_len);
    while (n_initial < R * m) { /* initial_data += initial_data */
        memcpy(initial + n_initial, initial, n_initial * sizeof *initial);
        n_initial *= 2;
    }
    if (batch_len == m) {
        batch_len = 0;
        idx++;
    }
    unsigned cycle = 0;
    while (idx % R != 0 || batch_len > 0) {
        unsigned end = cycle + m - batch_len;
        for (unsigned i = cycle; i < end && i < n_initial; i++) /* initial_data[cycle:end] */
            batch[batch_len++] = initial[i];
        if (idx % R == p)
            add_batch(rs, batch, batch_len);
        cycle = end;
        batch_len = 0;
        idx++;
    }
}

/* Count padding and drops from the arrays: duplicates, never-seen indices,
 * and positions the loaders leave out of their micro-batches. */
static void count_positions(void)
{
    static unsigned seen[N_MAX];
    memset(seen, 0, g_data.N * sizeof *seen);
    uint64_t total = 0, distinct = 0, in_batches = 0;
    g_data.ranks_differ = false;
    for (unsigned r = 0; r < g_data.R; r++) {
        const struct rank_share *rs = &g_data.rank[r];
        for (unsigned i = 0; i < rs->n_pos; i++)
            seen[rs->pos[i]]++;
        total += rs->n_pos;
        for (unsigned b = 0; b < rs->n_batches; b++)
            in_batches += rs->size[b];
        if (rs->n_batches != g_data.rank[0].n_batches)
            g_data.ranks_differ = true;
    }
    for (unsigned i = 0; i < g_data.N; i++)
        distinct += seen[i] != 0;
    g_data.padded = total - distinct;
    g_data.dropped = (g_data.N - distinct) + (total - in_batches);
}

/* DeepSpeed and Lightning: DistributedSampler, then each rank's DataLoader. */
static void build_distributed(unsigned N, unsigned R, unsigned m, bool drop_last)
{
    g_data.N = N;
    g_data.R = R;
    distributed_sampler_pad(N, R);
    for (unsigned r = 0; r < R; r++)
        torch_dataloader(&g_data.rank[r], m, drop_last);
    count_positions();
}

/* Hugging Face: accelerate deals whole batches to the processes. */
static void build_batch_shard(unsigned N, unsigned R, unsigned m, bool drop_last)
{
    g_data.N = N;
    g_data.R = R;
    for (unsigned p = 0; p < R; p++)
        accelerate_batch_sampler_shard(N, m, R, drop_last, p, &g_data.rank[p]);
    count_positions();
}

/* ---- Replaying a training loop -------------------------------------------- */

struct replay {
    unsigned epoch;                     /* 0-based, the epoch being replayed */
    uint64_t window_mb, window_samples; /* since the last optimizer step */
    uint64_t steps, micro_steps, samples;
    uint64_t e1_steps, e1_micro_steps, e1_samples;
    uint64_t e1_last_step_samples, e1_last_step_mb, e1_last_mb;
    bool ranks_differ;
};

static void replay_start(struct replay *rp)
{
    memset(rp, 0, sizeof *rp);
}

/* Every rank runs its micro-batch b (forward and backward). */
static void run_micro_batch(struct replay *rp, unsigned b)
{
    const unsigned size0 = g_data.rank[0].size[b];
    for (unsigned r = 0; r < g_data.R; r++) {
        const unsigned n = g_data.rank[r].size[b];
        if (n != size0)
            rp->ranks_differ = true;
        rp->window_samples += n;
        rp->samples += n;
        if (rp->epoch == 0)
            rp->e1_samples += n;
    }
    rp->window_mb++;
    rp->micro_steps++;
    if (rp->epoch == 0) {
        rp->e1_micro_steps++;
        rp->e1_last_mb = size0;
    }
}

static void optimizer_step(struct replay *rp)
{
    rp->steps++;
    if (rp->epoch == 0) {
        rp->e1_steps++;
        rp->e1_last_step_samples = rp->window_samples;
        rp->e1_last_step_mb = rp->window_mb;
    }
    rp->window_mb = 0;
    rp->window_samples = 0;
}

/* DeepSpeed: the user's loop runs every batch of every epoch through
 * engine.backward() and engine.step(); step() updates only at
 * is_gradient_accumulation_boundary(), (micro_steps + 1) % a == 0, and then
 * increments micro_steps, which nothing resets between epochs. */
static void replay_deepspeed(struct replay *rp, uint64_t a, uint64_t E)
{
    const unsigned L = g_data.rank[0].n_batches;
    uint64_t micro_steps = 0;
    replay_start(rp);
    for (rp->epoch = 0; rp->epoch < E; rp->epoch++)
        for (unsigned b = 0; b < L; b++) {
            run_micro_batch(rp, b);
            if ((micro_steps + 1) % a == 0)
                optimizer_step(rp);
            micro_steps++;
        }
}

/* Hugging Face Trainer, current loop: steps_in_epoch = len(loader);
 * max_steps = epochs * max(ceil(L / a), 1); inside an epoch it steps when
 * (step + 1) % a == 0 or step + 1 == steps_in_epoch, and stops training
 * once global_step >= max_steps. */
static void replay_hf(struct replay *rp, uint64_t a, uint64_t E)
{
    const unsigned L = g_data.rank[0].n_batches;
    uint64_t updates = L / a + (L % a > 0);
    if (updates < 1)
        updates = 1;
    const uint64_t max_steps = E * updates;
    uint64_t global_step = 0;
    replay_start(rp);
    for (rp->epoch = 0; rp->epoch < E; rp->epoch++)
        for (unsigned step = 0; step < L; step++) {
            run_micro_batch(rp, step);
            if ((step + 1) % a == 0 || step + 1 == L) {
                optimizer_step(rp);
                global_step++;
            }
            if (global_step >= max_steps)
                return; /* control.should_training_stop */
        }
}

/* Hugging Face Trainer, legacy loop: max_steps = epochs * max(L // a, 1);
 * total_batched_samples counts micro-batches across epochs; it steps when
 * total_batched_samples % a == 0, or on an epoch's last micro-batch when
 * the epoch has no more than a of them; once global_step >= max_steps the
 * step's on_step_end stops training, mid-epoch if need be. With stop false
 * the loop runs its epochs to their end (for "an epoch on its own"). */
static void replay_hf_legacy(struct replay *rp, uint64_t a, uint64_t E, bool stop)
{
    const unsigned L = g_data.rank[0].n_batches;
    uint64_t updates = L / a;
    if (updates < 1)
        updates = 1;
    const uint64_t max_steps = E * updates;
    uint64_t global_step = 0, total_batched_samples = 0;
    replay_start(rp);
    for (rp->epoch = 0; rp->epoch < E; rp->epoch++)
        for (unsigned step = 0; step < L; step++) {
            total_batched_samples++;
            run_micro_batch(rp, step);
            const bool short_epoch_end = L <= a && step + 1 == L;
            if (total_batched_samples % a == 0 || short_epoch_end) {
                optimizer_step(rp);
                global_step++;
                if (stop && global_step >= max_steps)
                    return;
            }
        }
}

/* Lightning: batch_idx restarts every epoch; the optimizer steps when
 * (batch_idx + 1) % accumulate_grad_batches == 0 or on the epoch's last
 * batch (the partial window steps). */
static void replay_lightning(struct replay *rp, uint64_t a, uint64_t E)
{
    const unsigned L = g_data.rank[0].n_batches;
    replay_start(rp);
    for (rp->epoch = 0; rp->epoch < E; rp->epoch++)
        for (unsigned batch_idx = 0; batch_idx < L; batch_idx++) {
            run_micro_batch(rp, batch_idx);
            if ((batch_idx + 1) % a == 0 || batch_idx + 1 == L)
                optimizer_step(rp);
        }
}

/* ---- Expected plans and the comparison ------------------------------------ */

struct expect {
    int status;
    uint64_t global_batch, micro_batch, grad_accum_steps;
    uint64_t samples_per_rank, micro_steps_per_epoch, optimizer_steps_per_epoch;
    uint64_t samples_per_epoch, samples_dropped_per_epoch, samples_padded_per_epoch;
    uint64_t last_step_samples, last_step_micro_batches, last_micro_batch_samples;
    uint64_t total_optimizer_steps, total_micro_steps, total_samples;
};

/* Per-epoch fields from epoch 1 of `first`, totals from `run`. */
static void expect_from_replay(struct expect *x, const struct replay *first,
                               const struct replay *run)
{
    const unsigned L = g_data.rank[0].n_batches;
    x->status = (L == 0 || run->steps == 0) ? TRAINEST_E_NO_STEPS : TRAINEST_OK;
    x->samples_per_rank = g_data.rank[0].n_pos;
    x->micro_steps_per_epoch = first->e1_micro_steps;
    x->optimizer_steps_per_epoch = first->e1_steps;
    x->samples_per_epoch = first->e1_samples;
    x->samples_dropped_per_epoch = g_data.dropped;
    x->samples_padded_per_epoch = g_data.padded;
    x->last_step_samples = first->e1_steps ? first->e1_last_step_samples : 0;
    x->last_step_micro_batches = first->e1_steps ? first->e1_last_step_mb : 0;
    x->last_micro_batch_samples = first->e1_last_mb;
    x->total_optimizer_steps = run->steps;
    x->total_micro_steps = run->micro_steps;
    x->total_samples = run->samples;
}

static const char *preset_name(uint32_t preset)
{
    static const char *const names[] = {"PLAIN", "DEEPSPEED", "MEGATRON", "HF", "HF_LEGACY",
                                        "LIGHTNING"};
    return preset < sizeof names / sizeof *names ? names[preset] : "?";
}

static void describe(char *buf, size_t n, const trainest_plan_request *rq)
{
    snprintf(buf, n,
             "%s N=%" PRIu64 " G=%" PRIu64 " m=%" PRIu64 " a=%" PRIu64 " R=%" PRIu64
             " E=%" PRIu64 " last_micro_batch=%" PRIu32 " divisibility=%" PRIu32,
             preset_name(rq->preset), rq->samples, rq->global_batch, rq->micro_batch,
             rq->grad_accum_steps, rq->data_parallel, rq->epochs, rq->last_micro_batch,
             rq->divisibility);
}

static void mismatch(const trainest_plan_request *rq, const char *what, uint64_t library,
                     uint64_t simulated, const char *file, int line)
{
    char ctx[256];
    describe(ctx, sizeof ctx, rq);
    print_error("%s: %s: library %" PRIu64 ", simulated %" PRIu64 "\n", ctx, what, library,
                simulated);
    _fail(file, line);
}

#define EXPECT_EQ(what, library, simulated)                                                    \
    do {                                                                                       \
        if ((uint64_t)(library) != (uint64_t)(simulated))                                      \
            mismatch(rq, (what), (library), (simulated), __FILE__, __LINE__);                  \
    } while (0)

#define EXPECT_FIELD(f) EXPECT_EQ(#f, p.f, x->f)

/* What each preset reports as its effective layers (the header's enums). */
static uint32_t preset_sampler(uint32_t preset)
{
    switch (preset) {
    case TRAINEST_PRESET_MEGATRON:
        return TRAINEST_SAMPLER_DROP; /* MegatronPretrainingSampler(drop_last=True) */
    case TRAINEST_PRESET_HF:
    case TRAINEST_PRESET_HF_LEGACY:
        return TRAINEST_SAMPLER_BATCH_SHARD;
    default:
        return TRAINEST_SAMPLER_PAD; /* DistributedSampler(drop_last=False) */
    }
}

static uint32_t preset_accum_tail(uint32_t preset)
{
    switch (preset) {
    case TRAINEST_PRESET_HF:
    case TRAINEST_PRESET_LIGHTNING:
        return TRAINEST_ACCUM_TAIL_STEP;
    default: /* DeepSpeed and Megatron step across epochs; legacy HF's tail runs unstepped */
        return TRAINEST_ACCUM_TAIL_CARRY;
    }
}

/* Run the library on rq and hold it to x. */
static void check_plan(const trainest_plan_request *rq, const struct expect *x)
{
    trainest_plan p;
    const int st = tu_plan(&p, rq);
    if (st != x->status) {
        char ctx[256];
        describe(ctx, sizeof ctx, rq);
        print_error("%s: library %s, simulated %s\n", ctx, trainest_status_name(st),
                    trainest_status_name(x->status));
        fail();
    }
    if (st != TRAINEST_OK) {
        EXPECT_EQ("invalid_field is set on failure", p.invalid_field != TRAINEST_FIELD_NONE, 1);
        return;
    }
    EXPECT_EQ("invalid_field", p.invalid_field, TRAINEST_FIELD_NONE);
    EXPECT_EQ("preset", p.preset, rq->preset);
    EXPECT_EQ("sampler", p.sampler, preset_sampler(rq->preset));
    EXPECT_EQ("last_micro_batch", p.last_micro_batch,
              rq->preset == TRAINEST_PRESET_MEGATRON ? TRAINEST_LAST_MICRO_BATCH_DROP
              : rq->last_micro_batch                 ? rq->last_micro_batch
                                                     : TRAINEST_LAST_MICRO_BATCH_KEEP);
    EXPECT_EQ("accum_tail", p.accum_tail, preset_accum_tail(rq->preset));
    EXPECT_EQ("requested_global_batch", p.requested_global_batch, rq->global_batch);
    EXPECT_EQ("data_parallel", p.data_parallel, rq->data_parallel);
    EXPECT_EQ("samples", p.samples, rq->samples);
    EXPECT_EQ("epochs", p.epochs, rq->epochs);
    EXPECT_FIELD(global_batch);
    EXPECT_FIELD(micro_batch);
    EXPECT_FIELD(grad_accum_steps);
    EXPECT_EQ("global_batch == micro_batch * grad_accum_steps * data_parallel", p.global_batch,
              p.micro_batch * p.grad_accum_steps * p.data_parallel);
    EXPECT_EQ("samples_per_epoch == samples - dropped + padded", p.samples_per_epoch,
              p.samples - p.samples_dropped_per_epoch + p.samples_padded_per_epoch);
    EXPECT_FIELD(samples_per_rank);
    EXPECT_FIELD(micro_steps_per_epoch);
    EXPECT_FIELD(optimizer_steps_per_epoch);
    EXPECT_FIELD(samples_per_epoch);
    EXPECT_FIELD(samples_dropped_per_epoch);
    EXPECT_FIELD(samples_padded_per_epoch);
    EXPECT_FIELD(last_step_samples);
    EXPECT_FIELD(last_step_micro_batches);
    EXPECT_FIELD(last_micro_batch_samples);
    EXPECT_FIELD(total_optimizer_steps);
    EXPECT_FIELD(total_micro_steps);
    EXPECT_FIELD(total_samples);
}

static trainest_plan_request request(uint32_t preset, uint64_t N, uint64_t G, uint64_t m,
                                     uint64_t a, uint64_t R, uint64_t E, uint32_t last_micro_batch)
{
    trainest_plan_request rq = tu_request(N, G, m, a, R);
    rq.preset = preset;
    rq.epochs = E;
    rq.last_micro_batch = last_micro_batch;
    return rq;
}

static const uint32_t last_micro_batch_modes[] = {TRAINEST_LAST_MICRO_BATCH_DEFAULT,
                                                  TRAINEST_LAST_MICRO_BATCH_DROP};

static bool drops_last(uint32_t last_micro_batch)
{
    return last_micro_batch == TRAINEST_LAST_MICRO_BATCH_DROP;
}

/* ---- DeepSpeed ------------------------------------------------------------ */

/* deepspeed/runtime/config.py, _set_batch_related_parameters then
 * _batch_assertion. Returns a status; fills the resolved batch on success. */
static int deepspeed_config(uint64_t G, uint64_t m, uint64_t a, uint64_t R, struct expect *x)
{
    const bool all_given = G && m && a;
    if (all_given) {
        /* nothing to derive */
    } else if (G && m) {
        a = G / m / R;
    } else if (G && a) {
        m = G / R / a;
    } else if (m && a) {
        G = m * a * R;
    } else if (G) {
        a = 1;
        m = G / R;
    } else if (m) {
        G = m * R;
        a = 1;
    } else {
        /* "Either train_batch_size or train_micro_batch_size_per_gpu needs to be provided" */
        return TRAINEST_E_UNDERSPECIFIED;
    }
    if (!(G > 0 && m > 0 && a > 0 && G == m * a * R))
        return all_given ? TRAINEST_E_INCONSISTENT : TRAINEST_E_NOT_DIVISIBLE;
    x->global_batch = G;
    x->micro_batch = m;
    x->grad_accum_steps = a;
    return TRAINEST_OK;
}

static void check_deepspeed(const trainest_plan_request *rq)
{
    struct expect x;
    memset(&x, 0, sizeof x);
    x.status = deepspeed_config(rq->global_batch, rq->micro_batch, rq->grad_accum_steps,
                                rq->data_parallel, &x);
    if (x.status == TRAINEST_OK) {
        struct replay rp;
        build_distributed((unsigned)rq->samples, (unsigned)rq->data_parallel,
                          (unsigned)x.micro_batch, drops_last(rq->last_micro_batch));
        assert_false(g_data.ranks_differ);
        replay_deepspeed(&rp, x.grad_accum_steps, rq->epochs);
        assert_false(rp.ranks_differ);
        expect_from_replay(&x, &rp, &rp);
    }
    check_plan(rq, &x);
}

static void test_deepspeed_matches_engine_replay(void **state)
{
    (void)state;
    const struct ranges rg = ranges();
    for (unsigned N = 1; N <= rg.n_max; N++)
        for (unsigned R = 1; R <= rg.r_max; R++)
            for (unsigned m = 1; m <= rg.m_max; m++)
                for (unsigned d = 0; d < 2; d++) {
                    const uint32_t lmb = last_micro_batch_modes[d];
                    build_distributed(N, R, m, drops_last(lmb));
                    assert_false(g_data.ranks_differ);
                    for (unsigned a = 1; a <= rg.a_max; a++)
                        for (unsigned E = 1; E <= rg.e_max; E++) {
                            struct replay rp;
                            struct expect x;
                            replay_deepspeed(&rp, a, E);
                            assert_false(rp.ranks_differ);
                            expect_from_replay(&x, &rp, &rp);
                            x.global_batch = (uint64_t)m * a * R;
                            x.micro_batch = m;
                            x.grad_accum_steps = a;
                            /* m and a given; and all three, consistent */
                            trainest_plan_request rq =
                                request(TRAINEST_PRESET_DEEPSPEED, N, 0, m, a, R, E, lmb);
                            check_plan(&rq, &x);
                            rq.global_batch = x.global_batch;
                            check_plan(&rq, &x);
                        }
                }
}

static void test_deepspeed_resolution_matches_config_rules(void **state)
{
    (void)state;
    const struct ranges rg = ranges();
    static const unsigned full_ns[] = {1, 37, 120}, quick_ns[] = {37};
    const unsigned *ns = quick() ? quick_ns : full_ns;
    const unsigned n_ns = quick() ? 1 : 3;
    for (unsigned i = 0; i < n_ns; i++)
        for (unsigned R = 1; R <= rg.r_max; R++)
            for (unsigned G = 0; G <= rg.g_max; G++)
                for (unsigned m = 0; m <= rg.m_max; m++)
                    for (unsigned a = 0; a <= rg.a_max; a++)
                        for (unsigned E = 1; E <= 2; E++)
                            for (unsigned d = 0; d < 2; d++) {
                                const trainest_plan_request rq =
                                    request(TRAINEST_PRESET_DEEPSPEED, ns[i], G, m, a, R, E,
                                            last_micro_batch_modes[d]);
                                check_deepspeed(&rq);
                            }
}

static void test_deepspeed_hand_examples(void **state)
{
    (void)state;
    trainest_plan p;
    trainest_plan_request rq;

    /* G=10, m=3, R=1: a = (10 // 3) // 1 = 3, and 3 * 3 * 1 = 9 != 10. */
    rq = request(TRAINEST_PRESET_DEEPSPEED, 1000, 10, 3, 0, 1, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_NOT_DIVISIBLE);
    check_deepspeed(&rq);
    /* G=12, m=3, R=2: a = (12 // 3) // 2 = 2, and 3 * 2 * 2 = 12. */
    rq = request(TRAINEST_PRESET_DEEPSPEED, 1000, 12, 3, 0, 2, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.grad_accum_steps, 2);
    /* G=8, a=3, R=1: m = (8 // 1) // 3 = 2, and 2 * 3 = 6 != 8. */
    rq = request(TRAINEST_PRESET_DEEPSPEED, 1000, 8, 0, 3, 1, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_NOT_DIVISIBLE);
    /* G only, 16 over R=2: a = 1, m = 8. */
    rq = request(TRAINEST_PRESET_DEEPSPEED, 1000, 16, 0, 0, 2, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.micro_batch, 8);
    assert_int_equal(p.grad_accum_steps, 1);
    /* G only, 3 over R=4: m = 0. */
    rq = request(TRAINEST_PRESET_DEEPSPEED, 1000, 3, 0, 0, 4, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_NOT_DIVISIBLE);
    /* m only, 4 over R=2: G = 8, a = 1. */
    rq = request(TRAINEST_PRESET_DEEPSPEED, 1000, 0, 4, 0, 2, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.global_batch, 8);
    /* Only a, or nothing: DeepSpeed refuses. */
    rq = request(TRAINEST_PRESET_DEEPSPEED, 1000, 0, 0, 2, 1, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_UNDERSPECIFIED);
    rq = request(TRAINEST_PRESET_DEEPSPEED, 1000, 0, 0, 0, 1, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_UNDERSPECIFIED);
    /* All three given and 3 * 3 * 1 = 9 != 12: the user's own inconsistency. */
    rq = request(TRAINEST_PRESET_DEEPSPEED, 1000, 12, 3, 3, 1, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_INCONSISTENT);

    /* N=1000, m=8, a=4, R=2, E=3: each rank gets 500 samples, 63 batches
     * (62 of 8 and one of 4) per epoch, 189 in all; the global counter
     * steps at every 4th: 189 // 4 = 47 (Lightning would take 48, a per-epoch
     * drop 45). Epoch 1 alone: 63 // 4 = 15 steps of 4 full batches (64). */
    rq = request(TRAINEST_PRESET_DEEPSPEED, 1000, 0, 8, 4, 2, 3, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.global_batch, 64);
    assert_int_equal(p.samples_per_rank, 500);
    assert_int_equal(p.micro_steps_per_epoch, 63);
    assert_int_equal(p.optimizer_steps_per_epoch, 15);
    assert_int_equal(p.last_step_samples, 64);
    assert_int_equal(p.last_micro_batch_samples, 4);
    assert_int_equal(p.total_optimizer_steps, 47);
    assert_int_equal(p.total_micro_steps, 189);
    assert_int_equal(p.total_samples, 3000);
    check_deepspeed(&rq);
    /* dataloader_drop_last: 62 batches per epoch, 4 * 2 samples dropped,
     * 186 micro-steps, 46 steps. */
    rq.last_micro_batch = TRAINEST_LAST_MICRO_BATCH_DROP;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.micro_steps_per_epoch, 62);
    assert_int_equal(p.samples_dropped_per_epoch, 8);
    assert_int_equal(p.total_optimizer_steps, 46);
    check_deepspeed(&rq);
    /* N=10, R=4: ceil(10/4) = 3 each, the first 2 indices padded again;
     * m=2, a=3, E=1: 2 batches per rank, no boundary reached: no step. */
    rq = request(TRAINEST_PRESET_DEEPSPEED, 10, 0, 2, 3, 4, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_NO_STEPS);
    check_deepspeed(&rq);
    /* The same over E=2: micro-steps 1..4, one boundary at 3, in epoch 2. */
    rq.epochs = 2;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.samples_padded_per_epoch, 2);
    assert_int_equal(p.optimizer_steps_per_epoch, 0);
    assert_int_equal(p.last_step_samples, 0);
    assert_int_equal(p.total_optimizer_steps, 1);
    check_deepspeed(&rq);
}

/* ---- Megatron ------------------------------------------------------------- */

struct megatron_run {
    uint64_t iterations, micro_steps, rank0_samples, samples;
    uint64_t distinct; /* dataset indices run at least once */
    uint64_t last_step_samples, last_step_mb, last_mb;
    bool sampler_ran_out;
};

/* megatron/training: --train-samples N * E over one stream (the dataset's
 * index wraps the epochs), train_iters = train_samples // global_batch_size
 * (the --global-batch-size argument), `while iteration < train_iters`, and
 * per iteration num_microbatches draws from MegatronPretrainingSampler
 * (drop_last=True): m * R consecutive stream positions, rank r taking the
 * slice [r * m, (r + 1) * m). */
static void megatron_train(uint64_t N, uint64_t E, uint64_t global_batch_arg, uint64_t m,
                           uint64_t R, uint64_t num_microbatches, struct megatron_run *o)
{
    const uint64_t train_samples = N * E;
    const uint64_t train_iters = train_samples / global_batch_arg;
    uint64_t consumed = 0; /* the sampler walks range(consumed_samples, total_samples) */
    static unsigned seen[N_MAX];
    memset(o, 0, sizeof *o);
    memset(seen, 0, N * sizeof *seen);
    for (uint64_t iteration = 0; iteration < train_iters; iteration++) {
        uint64_t step_samples = 0;
        for (uint64_t k = 0; k < num_microbatches; k++) {
            static unsigned batch[R_MAX * M_MAX];
            uint64_t n = 0;
            while (n < m * R && consumed < train_samples)
                batch[n++] = (unsigned)(consumed++ % N);
            if (n < m * R) { /* the short batch is never yielded: the loop would fail */
                o->sampler_ran_out = true;
                return;
            }
            for (uint64_t r = 0; r < R; r++) {
                uint64_t mine = 0;
                for (uint64_t i = r * m; i < (r + 1) * m; i++) {
                    o->distinct += seen[batch[i]]++ == 0;
                    mine++;
                }
                step_samples += mine;
                o->samples += mine;
                if (r == 0) {
                    o->rank0_samples += mine;
                    o->last_mb = mine;
                }
            }
            o->micro_steps++;
        }
        o->iterations++;
        o->last_step_samples = step_samples;
        o->last_step_mb = num_microbatches;
    }
}

/* megatron/core/num_microbatches_calculator.py, ConstantNumMicroBatchesCalculator,
 * mapped to the library's statuses. Fills x's batch and the arguments the
 * training loop sees. */
static int megatron_config(const trainest_plan_request *rq, struct expect *x,
                           uint64_t *global_batch_arg)
{
    const uint64_t R = rq->data_parallel, m = rq->micro_batch;
    uint64_t G = rq->global_batch, a = rq->grad_accum_steps;
    /* The preset fixes the sampler, the loader's last batch and the tail;
     * Megatron can only decrease a batch, never grow it. */
    if (rq->sampler || rq->last_micro_batch || rq->accum_tail ||
        rq->divisibility == TRAINEST_DIVISIBILITY_ROUND_UP)
        return TRAINEST_E_PRESET_CONFLICT;
    if (!m)
        return TRAINEST_E_UNDERSPECIFIED; /* --micro-batch-size is required */
    if (!G) {
        /* --global-batch-size defaults to micro_batch_size * data_parallel_size;
         * the library multiplies in a requested accumulation. */
        a = a ? a : 1;
        G = m * a * R;
        *global_batch_arg = G;
    } else {
        *global_batch_arg = G;
        const uint64_t mbs_times_dp = m * R;
        uint64_t running = G;
        if (G % mbs_times_dp != 0) {
            if (rq->divisibility != TRAINEST_DIVISIBILITY_ROUND_DOWN)
                return TRAINEST_E_NOT_DIVISIBLE; /* the calculator's assertion */
            running = G / mbs_times_dp * mbs_times_dp; /* decrease_batch_size_if_needed */
        }
        const uint64_t num_micro_batches = running / mbs_times_dp;
        if (num_micro_batches < 1)
            return TRAINEST_E_NOT_DIVISIBLE; /* "number of microbatches should be at least 1" */
        /* Megatron has no accumulation flag; the library holds a requested one
         * to the derived count (global_batch == m * a * R after rounding). */
        if (a && a != num_micro_batches)
            return TRAINEST_E_INCONSISTENT;
        a = num_micro_batches;
        G = running;
    }
    x->global_batch = G;
    x->micro_batch = m;
    x->grad_accum_steps = a;
    return TRAINEST_OK;
}


static void check_megatron(const trainest_plan_request *rq)
{
    struct expect xv, *x = &xv;
    uint64_t global_batch_arg = 0;
    memset(x, 0, sizeof *x);
    x->status = megatron_config(rq, x, &global_batch_arg);
    if (x->status == TRAINEST_OK) {
        const uint64_t N = rq->samples, R = rq->data_parallel, m = x->micro_batch;
        struct megatron_run alone, run;
        megatron_train(N, 1, global_batch_arg, m, R, x->grad_accum_steps, &alone);
        megatron_train(N, rq->epochs, global_batch_arg, m, R, x->grad_accum_steps, &run);
        assert_false(alone.sampler_ran_out || run.sampler_ran_out);
        x->status = run.iterations ? TRAINEST_OK : TRAINEST_E_NO_STEPS;
        x->samples_per_rank = alone.rank0_samples;
        x->micro_steps_per_epoch = alone.micro_steps;
        x->optimizer_steps_per_epoch = alone.iterations;
        x->samples_per_epoch = alone.samples;
        x->samples_dropped_per_epoch = N - alone.distinct;
        x->samples_padded_per_epoch = alone.samples - alone.distinct;
        x->last_step_samples = alone.last_step_samples;
        x->last_step_micro_batches = alone.last_step_mb;
        /* The stream has no epoch ends: every micro-batch a rank runs is full. */
        x->last_micro_batch_samples = run.last_mb;
        x->total_optimizer_steps = run.iterations;
        x->total_micro_steps = run.micro_steps;
        x->total_samples = run.samples;
    }
    check_plan(rq, x);
}

static void test_megatron_matches_sampler_replay(void **state)
{
    (void)state;
    const struct ranges rg = ranges();
    for (unsigned N = 1; N <= rg.n_max; N++)
        for (unsigned R = 1; R <= rg.r_max; R++)
            for (unsigned m = 1; m <= rg.m_max; m++)
                for (unsigned a = 1; a <= rg.a_max; a++)
                    for (unsigned E = 1; E <= rg.e_max; E++) {
                        /* G given (a derived), and G left to default (a given) */
                        trainest_plan_request rq = request(TRAINEST_PRESET_MEGATRON, N,
                                                           (uint64_t)m * a * R, m, 0, R, E, 0);
                        check_megatron(&rq);
                        rq.global_batch = 0;
                        rq.grad_accum_steps = a;
                        check_megatron(&rq);
                    }
}

static void test_megatron_resolution_matches_calculator(void **state)
{
    (void)state;
    const struct ranges rg = ranges();
    static const unsigned full_ns[] = {1, 37, 120}, quick_ns[] = {37};
    const unsigned *ns = quick() ? quick_ns : full_ns;
    const unsigned n_ns = quick() ? 1 : 3;
    for (unsigned i = 0; i < n_ns; i++)
        for (unsigned R = 1; R <= rg.r_max; R++)
            for (unsigned G = 0; G <= rg.g_max; G++)
                for (unsigned m = 0; m <= rg.m_max; m++)
                    for (unsigned a = 0; a <= rg.a_max; a++)
                        for (uint32_t div = 0; div <= TRAINEST_DIVISIBILITY_ROUND_UP; div++)
                            for (unsigned E = 1; E <= 3; E += 2) {
                                trainest_plan_request rq =
                                    request(TRAINEST_PRESET_MEGATRON, ns[i], G, m, a, R, E, 0);
                                rq.divisibility = div;
                                check_megatron(&rq);
                            }
}

static void test_megatron_hand_examples(void **state)
{
    (void)state;
    trainest_plan p;
    trainest_plan_request rq;

    /* G=10, m=3, R=1: 10 % 3 != 0, the calculator asserts. */
    rq = request(TRAINEST_PRESET_MEGATRON, 100, 10, 3, 0, 1, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_NOT_DIVISIBLE);
    /* decrease_batch_size_if_needed: G' = 9, 3 micro-batches. */
    rq.divisibility = TRAINEST_DIVISIBILITY_ROUND_DOWN;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.global_batch, 9);
    assert_int_equal(p.grad_accum_steps, 3);
    /* train_iters = 100 // 10 = 10 iterations of 9 samples; 10 samples unused. */
    assert_int_equal(p.total_optimizer_steps, 10);
    assert_int_equal(p.total_samples, 90);
    /* ... but ROUND_UP is not Megatron's. */
    rq.divisibility = TRAINEST_DIVISIBILITY_ROUND_UP;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_PRESET_CONFLICT);
    /* G=5, m=3, R=2: fewer samples than one micro-batch over the replicas,
     * with or without rounding down. */
    rq = request(TRAINEST_PRESET_MEGATRON, 100, 5, 3, 0, 2, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_NOT_DIVISIBLE);
    rq.divisibility = TRAINEST_DIVISIBILITY_ROUND_DOWN;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_NOT_DIVISIBLE);
    /* No micro-batch: Megatron requires one. */
    rq = request(TRAINEST_PRESET_MEGATRON, 100, 8, 0, 0, 1, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_UNDERSPECIFIED);
    /* The loader's last batch is Megatron's to fix. */
    rq = request(TRAINEST_PRESET_MEGATRON, 100, 8, 2, 0, 1, 1, TRAINEST_LAST_MICRO_BATCH_KEEP);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_PRESET_CONFLICT);

    /* N=1000, G=64, m=4, R=2: a = 64 / 8 = 8. One epoch: 1000 // 64 = 15
     * iterations (960 samples, 40 unused). Three epochs are one stream of
     * 3000: 46 iterations, more than 3 * 15 = 45. */
    rq = request(TRAINEST_PRESET_MEGATRON, 1000, 64, 4, 0, 2, 3, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.grad_accum_steps, 8);
    assert_int_equal(p.optimizer_steps_per_epoch, 15);
    assert_int_equal(p.samples_per_epoch, 960);
    assert_int_equal(p.samples_dropped_per_epoch, 40);
    assert_int_equal(p.micro_steps_per_epoch, 120);
    assert_int_equal(p.total_optimizer_steps, 46);
    assert_int_equal(p.total_micro_steps, 368);
    assert_int_equal(p.total_samples, 2944);
    check_megatron(&rq);
    /* N=40, G=64: no iteration in one epoch; two epochs make 80 >= 64. */
    rq = request(TRAINEST_PRESET_MEGATRON, 40, 64, 4, 0, 2, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_NO_STEPS);
    rq.epochs = 2;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.optimizer_steps_per_epoch, 0);
    assert_int_equal(p.last_step_samples, 0);
    assert_int_equal(p.total_optimizer_steps, 1);
    check_megatron(&rq);
}

/* ---- Hugging Face ----------------------------------------------------------- */

static void expect_hf(const trainest_plan_request *rq, struct expect *x)
{
    struct replay first, run;
    if (rq->preset == TRAINEST_PRESET_HF) {
        replay_hf(&run, rq->grad_accum_steps, rq->epochs);
        first = run;
    } else {
        /* the first epoch run to its end, then the run as HF stops it */
        replay_hf_legacy(&first, rq->grad_accum_steps, 1, false);
        replay_hf_legacy(&run, rq->grad_accum_steps, rq->epochs, true);
        assert_false(first.ranks_differ);
    }
    assert_false(run.ranks_differ);
    expect_from_replay(x, &first, &run);
    x->global_batch = rq->micro_batch * rq->grad_accum_steps * rq->data_parallel;
    x->micro_batch = rq->micro_batch;
    x->grad_accum_steps = rq->grad_accum_steps;

    /* HF's own max_steps is the run's step count. */
    const uint64_t L = g_data.rank[0].n_batches;
    uint64_t updates = rq->preset == TRAINEST_PRESET_HF ? L / rq->grad_accum_steps +
                                                              (L % rq->grad_accum_steps > 0)
                                                        : L / rq->grad_accum_steps;
    if (updates < 1)
        updates = 1;
    if (L)
        assert_int_equal(run.steps, rq->epochs * updates);
}

static void check_hf(const trainest_plan_request *rq)
{
    struct expect x;
    build_batch_shard((unsigned)rq->samples, (unsigned)rq->data_parallel,
                      (unsigned)rq->micro_batch, drops_last(rq->last_micro_batch));
    assert_false(g_data.ranks_differ);
    expect_hf(rq, &x);
    check_plan(rq, &x);
}

static void sweep_hf(uint32_t preset)
{
    const struct ranges rg = ranges();
    for (unsigned N = 1; N <= rg.n_max; N++)
        for (unsigned R = 1; R <= rg.r_max; R++)
            for (unsigned m = 1; m <= rg.m_max; m++)
                for (unsigned d = 0; d < 2; d++) {
                    const uint32_t lmb = last_micro_batch_modes[d];
                    build_batch_shard(N, R, m, drops_last(lmb));
                    assert_false(g_data.ranks_differ);
                    /* every micro-batch is full: even_batches fills, drop_last cuts */
                    for (unsigned b = 0; b < g_data.rank[0].n_batches; b++)
                        assert_int_equal(g_data.rank[0].size[b], m);
                    for (unsigned a = 1; a <= rg.a_max; a++)
                        for (unsigned E = 1; E <= rg.e_max; E++) {
                            struct expect x;
                            const trainest_plan_request rq =
                                request(preset, N, 0, m, a, R, E, lmb);
                            expect_hf(&rq, &x);
                            check_plan(&rq, &x);
                        }
                }
}

static void test_hf_matches_trainer_replay(void **state)
{
    (void)state;
    sweep_hf(TRAINEST_PRESET_HF);
}

static void test_hf_legacy_matches_trainer_replay(void **state)
{
    (void)state;
    sweep_hf(TRAINEST_PRESET_HF_LEGACY);
}

static void test_hf_batch_shard_hand_example(void **state)
{
    (void)state;
    /* N=5, m=2, R=2: batches [0 1] [2 3] [4]. Process 0 gets [0 1] and the
     * short [4] completed from the start, [4 0]; process 1 gets [2 3] and the
     * missing batch of the last round, cycled on: [1 2]. */
    build_batch_shard(5, 2, 2, false);
    assert_int_equal(g_data.rank[0].n_batches, 2);
    assert_int_equal(g_data.rank[1].n_batches, 2);
    static const unsigned want0[] = {0, 1, 4, 0}, want1[] = {2, 3, 1, 2};
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(g_data.rank[0].pos[i], want0[i]);
        assert_int_equal(g_data.rank[1].pos[i], want1[i]);
    }
    assert_int_equal(g_data.padded, 3);
    assert_int_equal(g_data.dropped, 0);
    /* With drop_last: 2 full batches, one round: [0 1] and [2 3]. */
    build_batch_shard(5, 2, 2, true);
    assert_int_equal(g_data.rank[0].n_batches, 1);
    assert_int_equal(g_data.rank[1].pos[1], 3);
    assert_int_equal(g_data.dropped, 1);
    /* N=3, m=4, R=2: one short batch, [0 1 2] completed to [0 1 2 0];
     * process 1 gets [1 2 0 1]. */
    build_batch_shard(3, 2, 4, false);
    static const unsigned want2[] = {1, 2, 0, 1};
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(g_data.rank[1].pos[i], want2[i]);
    assert_int_equal(g_data.padded, 5);
}

static void test_hf_hand_examples(void **state)
{
    (void)state;
    trainest_plan p;
    trainest_plan_request rq;

    /* N=1000, m=8, R=2, a=4: 125 batches of 8, dealt round-robin: process 0
     * gets 63, process 1 62 and one batch cycled from index 0 (8 padded).
     * L = 63. New: ceil(63 / 4) = 16 updates (15 windows of 4, then 3 batches:
     * 3 * 8 * 2 = 48 samples). */
    rq = request(TRAINEST_PRESET_HF, 1000, 0, 8, 4, 2, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.sampler, TRAINEST_SAMPLER_BATCH_SHARD);
    assert_int_equal(p.micro_steps_per_epoch, 63);
    assert_int_equal(p.samples_per_rank, 504);
    assert_int_equal(p.samples_padded_per_epoch, 8);
    assert_int_equal(p.samples_per_epoch, 1008);
    assert_int_equal(p.optimizer_steps_per_epoch, 16);
    assert_int_equal(p.last_step_micro_batches, 3);
    assert_int_equal(p.last_step_samples, 48);
    assert_int_equal(p.total_optimizer_steps, 16);
    assert_int_equal(p.total_samples, 1008);
    check_hf(&rq);
    rq.epochs = 3;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.total_optimizer_steps, 48);
    assert_int_equal(p.total_micro_steps, 189);
    check_hf(&rq);

    /* Legacy: 63 // 4 = 15 updates = max_steps for E=1; the 15th step is at
     * micro-batch 60, and training stops there: 60 * 8 * 2 = 960 samples. */
    rq = request(TRAINEST_PRESET_HF_LEGACY, 1000, 0, 8, 4, 2, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.micro_steps_per_epoch, 63);
    assert_int_equal(p.optimizer_steps_per_epoch, 15);
    assert_int_equal(p.last_step_samples, 64);
    assert_int_equal(p.total_optimizer_steps, 15);
    assert_int_equal(p.total_micro_steps, 60);
    assert_int_equal(p.total_samples, 960);
    check_hf(&rq);
    /* E=3: max_steps 45; the counter runs across epochs, step 45 is at
     * micro-batch 180 of 189. */
    rq.epochs = 3;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.total_optimizer_steps, 45);
    assert_int_equal(p.total_micro_steps, 180);
    assert_int_equal(p.total_samples, 2880);
    check_hf(&rq);

    /* dataloader_drop_last: 125 // 2 = 62 batches each, the 125th dropped. */
    rq = request(TRAINEST_PRESET_HF, 1000, 0, 8, 4, 2, 1, TRAINEST_LAST_MICRO_BATCH_DROP);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.micro_steps_per_epoch, 62);
    assert_int_equal(p.samples_dropped_per_epoch, 8);
    assert_int_equal(p.samples_per_epoch, 992);
    assert_int_equal(p.optimizer_steps_per_epoch, 16);
    assert_int_equal(p.last_step_samples, 32);
    check_hf(&rq);

    /* Legacy, L=2 < a=3, E=3: max_steps = 3 * max(0, 1) = 3. Steps at
     * micro-batch 2 (epoch end), 3 (counter % 3), 4 (epoch end): stop. */
    rq = request(TRAINEST_PRESET_HF_LEGACY, 4, 0, 2, 3, 1, 3, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.optimizer_steps_per_epoch, 1);
    assert_int_equal(p.last_step_micro_batches, 2);
    assert_int_equal(p.total_optimizer_steps, 3);
    assert_int_equal(p.total_micro_steps, 4);
    check_hf(&rq);

    /* drop_last with fewer full batches than processes: nothing to run. */
    rq = request(TRAINEST_PRESET_HF, 5, 0, 2, 1, 4, 1, TRAINEST_LAST_MICRO_BATCH_DROP);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_NO_STEPS);
    check_hf(&rq);
}

/* ---- Lightning -------------------------------------------------------------- */

static void check_lightning(const trainest_plan_request *rq, bool build)
{
    struct replay rp;
    struct expect x;
    if (build) {
        build_distributed((unsigned)rq->samples, (unsigned)rq->data_parallel,
                          (unsigned)rq->micro_batch, drops_last(rq->last_micro_batch));
        assert_false(g_data.ranks_differ);
    }
    replay_lightning(&rp, rq->grad_accum_steps, rq->epochs);
    assert_false(rp.ranks_differ);
    expect_from_replay(&x, &rp, &rp);
    x.global_batch = rq->micro_batch * rq->grad_accum_steps * rq->data_parallel;
    x.micro_batch = rq->micro_batch;
    x.grad_accum_steps = rq->grad_accum_steps;
    /* Trainer.estimated_stepping_batches = ceil(L / a) * max(max_epochs, 1) */
    const uint64_t L = g_data.rank[0].n_batches, a = rq->grad_accum_steps;
    const uint64_t estimated = (L / a + (L % a != 0)) * (rq->epochs > 1 ? rq->epochs : 1);
    assert_int_equal(rp.steps, estimated);
    check_plan(rq, &x);
}

static void test_lightning_matches_fit_loop_replay(void **state)
{
    (void)state;
    const struct ranges rg = ranges();
    for (unsigned N = 1; N <= rg.n_max; N++)
        for (unsigned R = 1; R <= rg.r_max; R++)
            for (unsigned m = 1; m <= rg.m_max; m++)
                for (unsigned d = 0; d < 2; d++) {
                    const uint32_t lmb = last_micro_batch_modes[d];
                    build_distributed(N, R, m, drops_last(lmb));
                    assert_false(g_data.ranks_differ);
                    for (unsigned a = 1; a <= rg.a_max; a++)
                        for (unsigned E = 1; E <= rg.e_max; E++) {
                            const trainest_plan_request rq =
                                request(TRAINEST_PRESET_LIGHTNING, N, 0, m, a, R, E, lmb);
                            check_lightning(&rq, false);
                        }
                }
}

static void test_lightning_hand_examples(void **state)
{
    (void)state;
    trainest_plan p;
    trainest_plan_request rq;

    /* N=1000, m=8, R=2, a=4: 500 per rank, 62 batches of 8 and one of 4:
     * L = 63, ceil(63 / 4) = 16 steps, the last with 3 batches:
     * (8 + 8 + 4) * 2 = 40 samples. E=3: 48. */
    rq = request(TRAINEST_PRESET_LIGHTNING, 1000, 0, 8, 4, 2, 3, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.sampler, TRAINEST_SAMPLER_PAD);
    assert_int_equal(p.samples_per_rank, 500);
    assert_int_equal(p.micro_steps_per_epoch, 63);
    assert_int_equal(p.optimizer_steps_per_epoch, 16);
    assert_int_equal(p.last_step_micro_batches, 3);
    assert_int_equal(p.last_step_samples, 40);
    assert_int_equal(p.last_micro_batch_samples, 4);
    assert_int_equal(p.samples_padded_per_epoch, 0);
    assert_int_equal(p.total_optimizer_steps, 48);
    assert_int_equal(p.total_samples, 3000);
    check_lightning(&rq, true);
    /* drop_last: 62 batches, 4 * 2 samples dropped, still 16 steps, the last
     * with 2 batches: 32 samples. */
    rq.last_micro_batch = TRAINEST_LAST_MICRO_BATCH_DROP;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.micro_steps_per_epoch, 62);
    assert_int_equal(p.samples_dropped_per_epoch, 8);
    assert_int_equal(p.optimizer_steps_per_epoch, 16);
    assert_int_equal(p.last_step_samples, 32);
    check_lightning(&rq, true);
    /* N=10, R=4: 3 per rank, indices 0 and 1 padded again; m=2, a=1: batches
     * of 2 and 1, 2 steps per epoch, 12 samples per epoch. */
    rq = request(TRAINEST_PRESET_LIGHTNING, 10, 0, 2, 1, 4, 1, 0);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.samples_padded_per_epoch, 2);
    assert_int_equal(p.samples_per_epoch, 12);
    assert_int_equal(p.optimizer_steps_per_epoch, 2);
    assert_int_equal(p.last_micro_batch_samples, 1);
    check_lightning(&rq, true);
    /* drop_last with 3 per rank and m=4: no batch. */
    rq = request(TRAINEST_PRESET_LIGHTNING, 10, 0, 4, 1, 4, 1, TRAINEST_LAST_MICRO_BATCH_DROP);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_NO_STEPS);
    check_lightning(&rq, true);
}

/* ---- Fixed layers ------------------------------------------------------------ */

/* A preset fixes the layers its framework fixes: the sampler (every preset
 * injects its own), the accumulation tail (every loop has its own), the
 * loader's last batch for Megatron only, and the divisibility policy where
 * the framework has no such choice (DeepSpeed: none; Megatron: no rounding up). */
static void test_presets_reject_fixed_layers(void **state)
{
    (void)state;
    static const uint32_t presets[] = {TRAINEST_PRESET_DEEPSPEED, TRAINEST_PRESET_MEGATRON,
                                       TRAINEST_PRESET_HF, TRAINEST_PRESET_HF_LEGACY,
                                       TRAINEST_PRESET_LIGHTNING};
    for (unsigned i = 0; i < sizeof presets / sizeof *presets; i++) {
        const uint32_t preset = presets[i];
        trainest_plan p;
        trainest_plan_request base = request(preset, 100, 8, 2, 2, 2, 1, 0);
        trainest_plan_request rq;
        assert_int_equal(tu_plan(&p, &base), TRAINEST_OK);
        for (uint32_t v = 1; v <= TRAINEST_SAMPLER_BATCH_SHARD; v++) {
            rq = base;
            rq.sampler = v;
            assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_PRESET_CONFLICT);
            assert_int_equal(p.invalid_field, TRAINEST_FIELD_SAMPLER);
        }
        for (uint32_t v = 1; v <= TRAINEST_ACCUM_TAIL_CARRY; v++) {
            rq = base;
            rq.accum_tail = v;
            assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_PRESET_CONFLICT);
            assert_int_equal(p.invalid_field, TRAINEST_FIELD_ACCUM_TAIL);
        }
        for (uint32_t v = 1; v <= TRAINEST_LAST_MICRO_BATCH_DROP; v++) {
            rq = base;
            rq.last_micro_batch = v;
            if (preset == TRAINEST_PRESET_MEGATRON) {
                assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_PRESET_CONFLICT);
                assert_int_equal(p.invalid_field, TRAINEST_FIELD_LAST_MICRO_BATCH);
            } else {
                assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
                assert_int_equal(p.last_micro_batch, v);
            }
        }
        for (uint32_t v = 1; v <= TRAINEST_DIVISIBILITY_ROUND_UP; v++) {
            rq = base;
            rq.divisibility = v;
            const bool fixed = preset == TRAINEST_PRESET_DEEPSPEED ||
                               (preset == TRAINEST_PRESET_MEGATRON &&
                                v == TRAINEST_DIVISIBILITY_ROUND_UP);
            if (fixed) {
                assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_PRESET_CONFLICT);
                assert_int_equal(p.invalid_field, TRAINEST_FIELD_DIVISIBILITY);
            } else {
                assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deepspeed_matches_engine_replay),
        cmocka_unit_test(test_deepspeed_resolution_matches_config_rules),
        cmocka_unit_test(test_deepspeed_hand_examples),
        cmocka_unit_test(test_megatron_matches_sampler_replay),
        cmocka_unit_test(test_megatron_resolution_matches_calculator),
        cmocka_unit_test(test_megatron_hand_examples),
        cmocka_unit_test(test_hf_matches_trainer_replay),
        cmocka_unit_test(test_hf_legacy_matches_trainer_replay),
        cmocka_unit_test(test_hf_batch_shard_hand_example),
        cmocka_unit_test(test_hf_hand_examples),
        cmocka_unit_test(test_lightning_matches_fit_loop_replay),
        cmocka_unit_test(test_lightning_hand_examples),
        cmocka_unit_test(test_presets_reject_fixed_layers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
