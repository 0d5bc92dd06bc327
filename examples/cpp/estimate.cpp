// SPDX-License-Identifier: MIT
//
// estimate.cpp: libtrainest from C++17, through the installed C header.
//
// Plans the seed's worked example, calibrates the step-time model from
// measured steps and estimates the run with it, searches the fastest plans
// that fit in memory, and times a tensor- and pipeline-parallel run (with a
// device count repaired to a valid layout). Exits 1 if any result is not
// the expected one.
//
// Build against an installed trainest (one line):
//   c++ -std=c++17 -Wall -Wextra -pedantic -Werror estimate.cpp
//       $(pkg-config --cflags --libs trainest)
//       -Wl,-rpath,$(pkg-config --variable=libdir trainest) -o estimate
#include <trainest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// A failed call as an exception: "what: TRAINEST_E_... (message), field name".
struct trainest_error : std::runtime_error {
    trainest_error(int st, const std::string &text) : std::runtime_error(text), status(st) {}
    int status; // the trainest_status
};

[[noreturn]] void fail(int status, const char *what, std::uint32_t invalid_field)
{
    std::string text = std::string(what) + ": " + trainest_status_name(status) + " (" +
                       trainest_strerror(status) + ")";
    if (invalid_field != TRAINEST_FIELD_NONE)
        text += std::string(", field ") + trainest_field_name(invalid_field);
    throw trainest_error(status, text);
}

void check(int status, const char *what)
{
    if (status != TRAINEST_OK)
        fail(status, what, TRAINEST_FIELD_NONE);
}

// The output is taken by reference and read here, after the call has filled
// it: `check(f(&out), "f", out.invalid_field)` would be a bug, since C++
// may evaluate out.invalid_field before calling f.
template <typename Out> void check(int status, const char *what, const Out &out)
{
    if (status != TRAINEST_OK)
        fail(status, what, out.invalid_field);
}

// An output struct, zeroed, with struct_size set: the library writes at most that many bytes.
template <typename T> T sized()
{
    T t{};
    t.struct_size = sizeof(T);
    return t;
}

int failures = 0;

void expect(bool ok, const std::string &what)
{
    if (!ok) {
        std::cerr << "estimate: wrong result: " << what << '\n';
        ++failures;
    }
}

bool close(double got, double want, double rel = 1e-9)
{
    return std::fabs(got - want) <= rel * std::fabs(want);
}

trainest_plan_request seed_request()
{
    trainest_plan_request rq;
    check(trainest_plan_request_init(&rq, sizeof rq), "trainest_plan_request_init");
    rq.samples = 1000;
    rq.global_batch = 10;
    rq.grad_accum_steps = 2; // micro_batch is derived
    return rq;
}

void plan_seed()
{
    const trainest_plan_request rq = seed_request();
    auto plan = sized<trainest_plan>();
    check(trainest_plan_compute(&plan, &rq), "trainest_plan_compute", plan);
    std::cout << "plan: 1000 samples, global batch 10 = micro-batch " << plan.micro_batch
              << " x accumulation " << plan.grad_accum_steps << ": "
              << plan.optimizer_steps_per_epoch << " steps, " << plan.micro_steps_per_epoch
              << " micro-steps per epoch\n";
    expect(plan.micro_batch == 5, "micro_batch 5");
    expect(plan.optimizer_steps_per_epoch == 100, "100 optimizer steps");
    expect(plan.micro_steps_per_epoch == 200, "200 micro-steps");

    // A micro-batch of 3 does not divide 10: an exception naming the field,
    // then the nearest plans that work.
    trainest_plan_request bad = rq;
    bad.grad_accum_steps = 0;
    bad.micro_batch = 3;
    try {
        auto p = sized<trainest_plan>();
        check(trainest_plan_compute(&p, &bad), "trainest_plan_compute", p);
        expect(false, "a non-divisible request was accepted");
    } catch (const trainest_error &e) {
        std::cout << "  micro-batch 3: " << e.what() << '\n';
        expect(e.status == TRAINEST_E_NOT_DIVISIBLE, "TRAINEST_E_NOT_DIVISIBLE");
        expect(std::string(e.what()).find("field global_batch") != std::string::npos,
               "the error names global_batch");
    }
    std::array<trainest_plan_suggestion, 4> sugg{};
    sugg[0].struct_size = sizeof sugg[0]; // the array's stride
    std::uint32_t count = 0;
    check(trainest_plan_suggest(sugg.data(), static_cast<std::uint32_t>(sugg.size()), &count, &bad),
          "trainest_plan_suggest");
    expect(count > 0, "suggestions for a repairable request");
    for (std::uint32_t i = 0; i < count; ++i)
        std::cout << "  try global batch " << sugg[i].global_batch << " = " << sugg[i].micro_batch
                  << " x " << sugg[i].grad_accum_steps << '\n';
}

// The step-time model with launch floor 0: lag + a * (fixed + per_sample * m) + optimizer.
constexpr double fixed_s = 0.010, per_sample_s = 0.002, optimizer_s = 0.020;

double step_time(std::uint64_t m, std::uint64_t a)
{
    return static_cast<double>(a) * (fixed_s + per_sample_s * static_cast<double>(m)) + optimizer_s;
}

// The nine parts of total_s (bubble_s, tp_comm_s and p2p_s are 0 without model parallelism).
double breakdown(const trainest_estimate &e)
{
    return e.compute_s + e.optimizer_s + e.transfer_s + e.data_stall_s + e.comm_s + e.overhead_s +
           e.bubble_s + e.tp_comm_s + e.p2p_s;
}

void calibrate_and_estimate()
{
    // "Measured" optimizer steps at several micro-batches and accumulations.
    std::vector<trainest_step_observation> obs;
    for (std::uint64_t m : {1u, 2u, 4u, 8u, 16u, 32u})
        for (std::uint64_t a : {1u, 2u, 4u}) {
            auto o = sized<trainest_step_observation>();
            o.micro_batch = m;
            o.grad_accum_steps = a;
            o.step_s = step_time(m, a);
            obs.push_back(o);
        }
    auto fit = sized<trainest_step_fit>();
    const auto n = static_cast<std::uint32_t>(obs.size());
    check(trainest_step_calibrate(&fit, obs.data(), n, nullptr), "trainest_step_calibrate", fit);
    std::cout << std::setprecision(6) << "calibrate: fixed " << fit.fixed_s << " s, per sample "
              << fit.per_sample_s << " s, optimizer " << fit.optimizer_s << " s (max residual "
              << fit.max_residual_ratio << ")\n";
    expect(close(fit.fixed_s, fixed_s, 1e-6), "fitted fixed_s");
    expect(close(fit.per_sample_s, per_sample_s, 1e-6), "fitted per_sample_s");
    expect(close(fit.optimizer_s + fit.launch_lag_s, optimizer_s, 1e-6), "fitted per-step time");

    trainest_estimate_request er;
    check(trainest_estimate_request_init(&er, sizeof er), "trainest_estimate_request_init");
    er.floor_s = fit.floor_s;
    er.fixed_s = fit.fixed_s;
    er.per_sample_s = fit.per_sample_s;
    er.launch_lag_s = fit.launch_lag_s;
    er.optimizer_s = fit.optimizer_s;
    er.eval_s_per_epoch = 4;
    er.startup_s = 30;

    const trainest_plan_request rq = seed_request();
    auto est = sized<trainest_estimate>();
    check(trainest_estimate_run(&est, &rq, &er), "trainest_estimate_run", est);
    std::cout << "estimate: step " << est.step_s << " s, total " << est.total_s << " s (compute "
              << est.compute_s << ", optimizer " << est.optimizer_s << ", overhead "
              << est.overhead_s << ")\n";
    // 100 steps of 2 micro-batches of 5: 100 * (2 * (0.010 + 5 * 0.002) + 0.020) = 6 s, + 34 s.
    expect(close(est.step_s, 0.06, 1e-6), "step_s 0.06");
    expect(close(est.total_s, 40.0, 1e-6), "total_s 40");
    expect(close(breakdown(est), est.total_s, 1e-12), "the breakdown sums to total_s");
}

void search_plans()
{
    trainest_plan_request rq;
    check(trainest_plan_request_init(&rq, sizeof rq), "trainest_plan_request_init");
    rq.samples = 50000;

    trainest_estimate_request er;
    check(trainest_estimate_request_init(&er, sizeof er), "trainest_estimate_request_init");
    er.fixed_s = fixed_s;
    er.per_sample_s = per_sample_s;
    er.optimizer_s = optimizer_s;

    trainest_memory_request mr;
    check(trainest_memory_request_init(&mr, sizeof mr), "trainest_memory_request_init");
    mr.params = 1000000000;                       // 16 bytes per parameter: 16 GB of states
    mr.activation_bytes_per_sample = 1ull << 30;  // 1 GiB per sample
    mr.device_memory_bytes = 80ull << 30;         // an 80 GiB device

    trainest_search_request sr;
    check(trainest_search_request_init(&sr, sizeof sr), "trainest_search_request_init");
    sr.global_batch_min = 32;
    sr.global_batch_max = 128;
    sr.global_batch_step = 32;
    sr.max_devices = 4;

    auto summary = sized<trainest_search>();
    std::array<trainest_search_result, 5> best{};
    best[0].struct_size = sizeof best[0];
    std::uint32_t count = 0;
    check(trainest_search_run(&summary, best.data(), static_cast<std::uint32_t>(best.size()),
                              &count, &rq, &er, &mr, &sr),
          "trainest_search_run", summary);
    std::cout << "search: " << summary.feasible << " feasible of " << summary.candidates_evaluated
              << " candidates (" << summary.rejected_does_not_fit << " do not fit)\n";
    for (std::uint32_t i = 0; i < count; ++i) {
        const trainest_search_result &r = best[i];
        std::cout << "  G " << std::setw(3) << r.global_batch << " = " << std::setw(2)
                  << r.micro_batch << " x " << r.grad_accum_steps << " x " << r.data_parallel
                  << "  " << std::setw(5) << r.total_optimizer_steps << " steps  "
                  << std::fixed << std::setprecision(1) << std::setw(7) << r.total_s << " s  "
                  << static_cast<double>(r.memory_bytes) / (1ull << 30) << " GiB\n"
                  << std::defaultfloat;
        expect(r.global_batch == r.micro_batch * r.grad_accum_steps * r.data_parallel,
               "G = m * a * R");
        expect(r.memory_bytes <= mr.device_memory_bytes, "the plan fits in memory");
        expect(i == 0 || best[i - 1].total_s <= r.total_s, "sorted by total_s");
    }
    expect(count == best.size(), "five plans found");
    // The most devices and the fewest, largest micro-batches win: G 128 = 32 x 1 x 4.
    expect(count > 0 && best[0].global_batch == 128 && best[0].micro_batch == 32 &&
               best[0].data_parallel == 4,
           "the fastest plan is 32 x 1 x 4");
}

// Tensor parallel 8 x pipeline parallel 4 on 100 GPUs does not divide: the
// nearest valid layout is 96 GPUs (DP 3). Then the pipeline's bubble is
// (PP - 1) / (v * M) for M micro-batches per step and v virtual stages.
void model_parallel_estimate()
{
    trainest_plan_request rq;
    check(trainest_plan_request_init(&rq, sizeof rq), "trainest_plan_request_init");
    rq.samples = 960000;
    rq.global_batch = 384;
    rq.micro_batch = 1;
    rq.seq_len_tokens = 2048;
    rq.devices = 100;
    rq.tensor_parallel = 8;
    rq.pipeline_parallel = 4;
    rq.layers = 32;
    rq.hidden = 4096;
    rq.attention_heads = 32;

    auto plan = sized<trainest_plan>();
    const int st = trainest_plan_compute(&plan, &rq);
    expect(st == TRAINEST_E_BAD_LAYOUT && plan.invalid_field == TRAINEST_FIELD_DEVICES,
           "100 GPUs do not split into TP 8 x PP 4");
    std::array<trainest_layout_suggestion, 4> layouts{};
    layouts[0].struct_size = sizeof layouts[0];
    std::uint32_t count = 0;
    const auto capacity = static_cast<std::uint32_t>(layouts.size());
    check(trainest_layout_suggest(layouts.data(), capacity, &count, &rq),
          "trainest_layout_suggest");
    expect(count > 0 && layouts[0].devices == 96 && layouts[0].data_parallel == 3,
           "the nearest layout is 96 GPUs = 3 x 8 x 4");
    if (count == 0)
        return;
    rq.devices = layouts[0].devices;
    std::cout << "model parallel: " << trainest_status_name(st) << " for 100 GPUs; "
              << layouts[0].devices << " = DP " << layouts[0].data_parallel << " x TP "
              << layouts[0].tensor_parallel << " x PP " << layouts[0].pipeline_parallel << '\n';

    trainest_estimate_request er;
    check(trainest_estimate_request_init(&er, sizeof er), "trainest_estimate_request_init");
    er.fixed_s = 0.05;
    er.per_sample_s = 0.4;        // one sample on one GPU, before the TP x PP split
    er.bus_bytes_per_s = 300e9;   // within a node: tensor-parallel all-reduces
    er.p2p_bytes_per_s = 25e9;    // between pipeline stages
    for (std::uint64_t v : {1u, 2u}) {
        rq.virtual_stages = v;
        check(trainest_plan_compute(&plan, &rq), "trainest_plan_compute", plan);
        auto est = sized<trainest_estimate>();
        check(trainest_estimate_run(&est, &rq, &er), "trainest_estimate_run", est);
        const double M = static_cast<double>(plan.micro_batches_per_step);
        std::cout << std::setprecision(4) << "  virtual stages " << v << ": "
                  << plan.micro_batches_per_step << " micro-batches per step, bubble "
                  << 100 * est.bubble_ratio << " %, step " << est.step_s << " s (stage "
                  << est.stage_s << " s; tensor-parallel " << 100 * est.tp_comm_s / est.total_s
                  << " %, pipeline transfers " << 100 * est.p2p_s / est.total_s
                  << " % of the run)\n";
        expect(plan.micro_batches_per_step == 128, "384 / (1 x DP 3) = 128 micro-batches");
        expect(close(est.bubble_ratio, 3.0 / (static_cast<double>(v) * M), 1e-12),
               "bubble_ratio = (PP - 1) / (v M)");
        expect(close(est.step_s, (M + 3.0 / static_cast<double>(v)) * est.stage_s, 1e-12),
               "step = (M + (PP - 1) / v) stages");
        expect(est.tp_comm_s > 0 && est.p2p_s > 0, "tensor- and pipeline-parallel communication");
        expect(close(breakdown(est), est.total_s, 1e-12), "the nine parts sum to total_s");
    }
}

} // namespace

int main()
{
    std::cout << "libtrainest " << trainest_version_string() << " (header "
              << TRAINEST_VERSION_STRING << ")\n";
    try {
        plan_seed();
        calibrate_and_estimate();
        search_plans();
        model_parallel_estimate();
    } catch (const std::exception &e) {
        std::cerr << "estimate: " << e.what() << '\n';
        return 1;
    }
    if (failures) {
        std::cerr << "estimate: " << failures << " check(s) failed\n";
        return 1;
    }
    return 0;
}
