// SPDX-License-Identifier: MIT
//! Unit tests against the installed library (`cargo test --offline`).
use super::*;

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs().max(1e-300)
}

fn seed() -> PlanRequest {
    PlanRequest { samples: 1000, global_batch: 10, grad_accum_steps: 2, ..Default::default() }
}

#[test]
fn header_and_library_versions_agree() {
    assert_eq!(version(), ffi::TRAINEST_VERSION_NUMBER);
    assert_eq!(version_string(), ffi::TRAINEST_VERSION_STRING);
}

#[test]
fn every_mirror_has_the_size_the_library_reports() {
    let sizes = mirror_sizes();
    for (i, &(id, size)) in sizes.iter().enumerate() {
        assert_eq!(id as usize, i + 1, "struct ids are 1..=29 in order");
        assert_eq!(size, struct_size(id) as usize, "size of struct id {id}");
    }
    assert_eq!(sizes.len(), 29);
    assert_eq!(struct_size(sizes.len() as u32 + 1), 0, "a struct this crate does not mirror");
    assert_eq!(struct_size(0), 0);
}

/// The offset of a field, without `offset_of!` (Rust 1.77; Debian has 1.63).
macro_rules! offset {
    ($t:ident, $f:ident) => {{
        let s = ffi::$t::default();
        (&s.$f as *const _ as usize) - (&s as *const _ as usize)
    }};
}

#[test]
fn frozen_offsets_and_members_appended_in_0_5_0_6_and_0_7() {
    // The offsets tests/test_api.c freezes.
    assert_eq!(offset!(trainest_plan_request, samples), 8);
    assert_eq!(offset!(trainest_plan_request, seq_len_tokens), 64);
    assert_eq!(offset!(trainest_plan_request, accum_tail), 84);
    assert_eq!(offset!(trainest_plan, requested_global_batch), 32);
    assert_eq!(offset!(trainest_plan, total_tokens), 200);
    assert_eq!(offset!(trainest_plan_suggestion, distance_ratio), 8);
    assert_eq!(offset!(trainest_estimate_request, params), 48);
    assert_eq!(offset!(trainest_estimate_request, recompute), 112);
    assert_eq!(offset!(trainest_estimate_request, startup_s), 232);
    assert_eq!(offset!(trainest_estimate, total_s), 64);
    assert_eq!(offset!(trainest_memory_request, headroom_ratio), 64);
    assert_eq!(offset!(trainest_search_result, total_s), 72);
    assert_eq!(offset!(trainest_eta, config), 8);
    assert_eq!(offset!(trainest_eta, invalid_field), 304); // appended in 0.5

    // 0.5 appended members: the first of each starts at the struct's 0.4 size.
    assert_eq!(offset!(trainest_plan_request, tensor_parallel), 88);
    assert_eq!(offset!(trainest_plan, tensor_parallel), 208);
    assert_eq!(offset!(trainest_estimate_request, activation_bytes_per_element), 240);
    assert_eq!(offset!(trainest_estimate, bubble_ratio), 184);
    assert_eq!(offset!(trainest_memory_request, recompute), 72);
    assert_eq!(offset!(trainest_memory, activation_bytes_per_micro_batch), 88);
    assert_eq!(offset!(trainest_search_request, max_tensor_parallel), 40);
    assert_eq!(offset!(trainest_search_result, tensor_parallel), 80);
    // The 0.5 struct.
    assert_eq!(offset!(trainest_layout_suggestion, changed), 4);
    assert_eq!(offset!(trainest_layout_suggestion, distance_ratio), 8);
    assert_eq!(offset!(trainest_layout_suggestion, devices), 16);
    assert_eq!(offset!(trainest_layout_suggestion, pipeline_parallel), 40);
    assert_eq!(size_of::<ffi::trainest_layout_suggestion>(), 48);
    // 0.6 appended explicit activation bytes to the estimate request and the
    // samples model to the ETA tracker, each at the struct's 0.5 size.
    assert_eq!(offset!(trainest_estimate_request, comm_activation_bytes_per_sample), 264);
    assert_eq!(offset!(trainest_eta, total_samples), 312);
    assert_eq!(offset!(trainest_eta, fit_cov_s), 360);
    assert_eq!(size_of::<ffi::trainest_eta>(), 368); // 304 in 0.4, 312 in 0.5
                                                     // 0.7 appended the loader workers to the estimate request at its 0.6
                                                     // size, and added the loader calibration's two structs.
    assert_eq!(offset!(trainest_estimate_request, data_worker_startup_s), 272);
    assert_eq!(offset!(trainest_estimate_request, data_persistent_workers), 280);
    assert_eq!(size_of::<ffi::trainest_estimate_request>(), 288); // 240 in 0.4, 264 in 0.5, 272 in 0.6
    assert_eq!(offset!(trainest_loader_observation, seconds), 32);
    assert_eq!(size_of::<ffi::trainest_loader_observation>(), 40);
    assert_eq!(offset!(trainest_loader_fit, worker_startup_s), 16);
    assert_eq!(size_of::<ffi::trainest_loader_fit>(), 56);
}

#[test]
fn defaults_come_from_the_library() {
    let p = PlanRequest::default();
    assert_eq!((p.data_parallel, p.epochs, p.preset), (1, 1, Preset::Plain));
    assert_eq!(p.divisibility, Divisibility::Error);
    let m = MemoryRequest::default();
    assert_eq!(
        (m.weight_bits_per_param, m.grad_bits_per_param, m.optimizer_bits_per_param),
        (16, 16, 96)
    );
    let e = EtaConfig::default();
    assert_eq!((e.warmup_steps, e.outlier_ratio), (5, 3.0));
    let s = SearchRequest::default();
    assert_eq!((s.max_devices, s.max_tensor_parallel, s.max_pipeline_parallel), (1, 0, 0));
    assert_eq!(RampupRequest::default().increment, 0);
    assert_eq!(CriticalRequest::default().noise_scale, 0.0);
    assert_eq!(m.recompute, Recompute::None);
    assert_eq!((p.tensor_parallel, p.pipeline_parallel, p.devices), (0, 0, 0));
    let t = EstimateRequest::default();
    assert_eq!(t.data_mode, DataMode::Overlap);
    assert_eq!((t.data_worker_startup_s, t.data_persistent_workers), (0.0, false));
}

#[test]
fn seed_example() {
    let plan = plan(&seed()).unwrap();
    assert_eq!(plan.micro_batch, 5);
    assert_eq!(plan.global_batch, 10);
    assert_eq!(plan.optimizer_steps_per_epoch, 100);
    assert_eq!(plan.micro_steps_per_epoch, 200);
    assert_eq!(plan.total_optimizer_steps, 100);
    assert_eq!(plan.samples_per_epoch, 1000);
    assert_eq!(plan.sampler, Sampler::Pad, "the effective policy, never Default");
}

#[test]
fn non_divisible_request_is_an_error_naming_the_field() {
    let bad = PlanRequest { samples: 1000, global_batch: 10, micro_batch: 3, ..Default::default() };
    let err = plan(&bad).unwrap_err();
    assert_eq!(err.status, ffi::TRAINEST_E_NOT_DIVISIBLE);
    assert_eq!(err.name, "TRAINEST_E_NOT_DIVISIBLE");
    assert_eq!(err.field.as_deref(), Some("global_batch"));
    assert!(!err.message.is_empty());
    let shown = err.to_string();
    assert!(
        shown.contains("TRAINEST_E_NOT_DIVISIBLE") && shown.contains("global_batch"),
        "{shown}"
    );
    let boxed: Box<dyn std::error::Error> = Box::new(err);
    assert!(boxed.to_string().contains(&strerror(ffi::TRAINEST_E_NOT_DIVISIBLE)));

    // The suggestions repair it, nearest first.
    let sugg = suggest(&bad, 8).unwrap();
    assert!(!sugg.is_empty());
    for (i, s) in sugg.iter().enumerate() {
        let fixed = plan(&s.apply(&bad)).unwrap();
        assert_eq!(fixed.global_batch, s.global_batch);
        if i > 0 {
            assert!(s.distance_ratio >= sugg[i - 1].distance_ratio);
        }
    }
    assert!(suggest(&bad, 0).unwrap().is_empty());
}

#[test]
fn zero_samples_and_an_unknown_status() {
    let err = plan(&PlanRequest { samples: 0, ..seed() }).unwrap_err();
    assert_eq!(err.name, "TRAINEST_E_ZERO");
    assert_eq!(err.field.as_deref(), Some("samples"));
    assert_eq!(status_name(-9999), "TRAINEST_E_UNKNOWN_STATUS");
    assert_eq!(field_name(ffi::TRAINEST_FIELD_GLOBAL_BATCH), "global_batch");
}

fn full_estimate_request() -> EstimateRequest {
    EstimateRequest {
        floor_s: 0.004,
        fixed_s: 0.010,
        per_sample_s: 0.002,
        launch_lag_s: 0.001,
        optimizer_s: 0.020,
        data_samples_per_s: 200.0,
        h2d_bytes_per_sample: 1 << 20,
        h2d_bytes_per_s: 10e9,
        grad_bytes: 2_000_000_000,
        bus_bytes_per_s: 100e9,
        latency_s: 5e-6,
        comm_overlap_ratio: 0.5,
        eval_s_per_epoch: 30.0,
        checkpoint_s: 12.0,
        checkpoints_per_epoch: 2,
        startup_s: 90.0,
        ..Default::default()
    }
}

#[test]
fn estimate_breakdown_sums_to_total() {
    let pr = PlanRequest {
        samples: 100_000,
        global_batch: 256,
        micro_batch: 16,
        data_parallel: 4,
        epochs: 3,
        ..Default::default()
    };
    let e = estimate(&pr, &full_estimate_request()).unwrap();
    let parts = [e.compute_s, e.optimizer_s, e.transfer_s, e.data_stall_s, e.comm_s, e.overhead_s];
    assert!(parts.iter().all(|&x| x > 0.0), "every part is exercised: {e:?}");
    assert_eq!((e.bubble_s, e.tp_comm_s, e.p2p_s, e.bubble_ratio), (0.0, 0.0, 0.0, 0.0));
    let sum: f64 = parts.iter().sum();
    assert!(close(sum, e.total_s, 1e-12), "{sum} vs {}", e.total_s);
    assert!(close(e.overhead_s, 90.0 + 3.0 * (30.0 + 2.0 * 12.0), 1e-12));

    // A bad estimate field is blamed by name.
    let err = estimate(&pr, &EstimateRequest { fixed_s: -1.0, ..Default::default() }).unwrap_err();
    assert_eq!(err.name, "TRAINEST_E_OUT_OF_RANGE");
    assert_eq!(err.field.as_deref(), Some("fixed_s"));
}

/// The step model of docs/time-model.md, to make synthetic observations.
fn model(r: &EstimateRequest, m: u64, a: u64) -> f64 {
    let (m, a) = (m as f64, a as f64);
    let host = a * r.floor_s;
    let dev = r.launch_lag_s + a * (r.fixed_s + r.per_sample_s * m);
    host.max(dev) + r.optimizer_s
}

#[test]
fn calibrate_recovers_synthetic_parameters() {
    let truth = EstimateRequest {
        floor_s: 0.018,
        fixed_s: 0.005,
        per_sample_s: 0.004,
        launch_lag_s: 0.003,
        optimizer_s: 0.002,
        ..Default::default()
    };
    let mut obs = Vec::new();
    for &m in &[1u64, 2, 4, 8, 16, 32, 64, 128] {
        for &a in &[1u64, 2, 4, 8] {
            obs.push(Observation {
                micro_batch: m,
                grad_accum_steps: a,
                step_s: model(&truth, m, a),
            });
        }
    }
    let fit = calibrate(&obs, None).unwrap();
    assert!(close(fit.floor_s, truth.floor_s, 1e-6), "{fit:?}");
    assert!(close(fit.fixed_s, truth.fixed_s, 1e-6), "{fit:?}");
    assert!(close(fit.per_sample_s, truth.per_sample_s, 1e-6), "{fit:?}");
    assert!(close(fit.launch_lag_s, truth.launch_lag_s, 1e-5), "{fit:?}");
    assert!(close(fit.optimizer_s, truth.optimizer_s, 1e-5), "{fit:?}");
    assert_eq!(fit.flags, ffi::TRAINEST_FIT_FLOOR_FITTED | ffi::TRAINEST_FIT_LAUNCH_LAG_FITTED);
    assert_eq!(fit.observations, obs.len() as u64);
    assert!(fit.max_residual_ratio < 1e-9);

    // The fit plugs straight into an estimate.
    let pr = PlanRequest { samples: 1024, global_batch: 64, micro_batch: 16, ..Default::default() };
    let e = estimate(&pr, &fit.apply(&EstimateRequest::default())).unwrap();
    assert!(close(e.step_s, model(&truth, 16, 4), 1e-6));

    // Known optimizer time; and errors that name the element.
    let fit = calibrate(&obs, Some(0.002)).unwrap();
    assert!(close(fit.optimizer_s, 0.002, 0.0));
    let err = calibrate(&obs[..1], None).unwrap_err();
    assert_eq!(err.name, "TRAINEST_E_TOO_FEW_POINTS");
    assert_eq!(err.field.as_deref(), Some("observations"));
    let mut bad = obs.clone();
    bad[3].step_s = f64::NAN;
    let err = calibrate(&bad, None).unwrap_err();
    assert_eq!(err.name, "TRAINEST_E_NOT_FINITE");
    assert_eq!(err.index, Some(3));
    assert_eq!(err.field.as_deref(), Some("observation.step_s"));
}

#[test]
fn tradeoff_lists_every_divisor() {
    let pr = PlanRequest {
        samples: 10_000,
        global_batch: 64,
        max_micro_batch: 16,
        ..Default::default()
    };
    let er = EstimateRequest {
        fixed_s: 0.01,
        per_sample_s: 0.001,
        optimizer_s: 0.005,
        ..Default::default()
    };
    let t = tradeoff(&pr, &er).unwrap();
    assert_eq!(t.summary.candidates, 7); // 1 2 4 8 16 32 64
    let ms: Vec<u64> = t.points.iter().map(|p| p.micro_batch).collect();
    assert_eq!(ms, vec![1, 2, 4, 8, 16, 32, 64]);
    assert_eq!(t.summary.recommended_micro_batch, 16);
    assert_eq!(t.summary.recommended_grad_accum_steps, 4);
    assert!(t.points.iter().all(|p| p.fits == (p.micro_batch <= 16)));
}

#[test]
fn memory_fit_and_search() {
    let mr = MemoryRequest {
        params: 1_000_000_000,
        activation_bytes_per_sample: 1 << 30,
        device_memory_bytes: 80 << 30,
        ..Default::default()
    };
    let m = memory(&mr, 8, 1).unwrap();
    assert_eq!(m.weights_bytes, 2_000_000_000);
    assert_eq!(m.total_bytes, 16_000_000_000 + (8u64 << 30));
    assert!(m.fits);
    let m0 = memory(&mr, 0, 1).unwrap();
    assert_eq!(m0.max_micro_batch, ((80u64 << 30) - 16_000_000_000) >> 30);

    let pts: Vec<MemoryPoint> = [1u64, 2, 4, 8]
        .iter()
        .map(|&b| MemoryPoint { micro_batch: b, peak_bytes: 5_000_000 + 300_000 * b })
        .collect();
    let fit = fit_memory(&pts).unwrap();
    assert_eq!((fit.static_bytes, fit.per_sample_bytes, fit.points), (5_000_000, 300_000, 4));

    let pr = PlanRequest { samples: 50_000, global_batch: 64, ..Default::default() };
    let er = EstimateRequest {
        fixed_s: 0.01,
        per_sample_s: 0.001,
        optimizer_s: 0.005,
        ..Default::default()
    };
    let sr = SearchRequest {
        global_batch_min: 32,
        global_batch_max: 128,
        global_batch_step: 32,
        max_devices: 4,
        ..Default::default()
    };
    let s = search(&pr, &er, &mr, &sr, 5).unwrap();
    assert_eq!(s.results.len(), 5);
    assert!(s.summary.feasible >= 5);
    for w in s.results.windows(2) {
        assert!(w[0].total_s <= w[1].total_s);
    }
    for r in &s.results {
        assert_eq!(r.global_batch, r.micro_batch * r.grad_accum_steps * r.data_parallel);
        assert!(r.memory_bytes <= 80 << 30);
    }
    let err = search(&pr, &er, &mr, &SearchRequest { max_devices: 0, ..sr }, 5).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("max_devices"));
}

#[test]
fn failures_daly_interval() {
    let f = failures(&FailureRequest {
        work_s: 30.0 * 86400.0,
        devices: 1,
        mtbf_hours_per_device: 24.0,
        checkpoint_write_s: 300.0,
        restart_s: 600.0,
        ..Default::default()
    })
    .unwrap();
    let minutes = f.checkpoint_interval_s / 60.0;
    assert!((minutes - 116.7).abs() < 0.05, "Daly interval {minutes} min");
    assert!(close(f.job_mtbf_s, 86400.0, 1e-12));
    assert!(f.expected_total_s > 30.0 * 86400.0);
    assert!(f.p50_total_s <= f.p90_total_s);

    let young = failures(&FailureRequest {
        interval_rule: IntervalRule::Young,
        work_s: 30.0 * 86400.0,
        devices: 1,
        mtbf_hours_per_device: 24.0,
        checkpoint_write_s: 300.0,
        ..Default::default()
    })
    .unwrap();
    assert!(close(young.checkpoint_interval_s, 7200.0, 1e-12)); // sqrt(2 * 300 * 86400)

    let err =
        failures(&FailureRequest { work_s: 1.0, devices: 0, ..Default::default() }).unwrap_err();
    assert_eq!(err.name, "TRAINEST_E_ZERO");
}

#[test]
fn rampup_and_critical_batch() {
    let target = PlanRequest {
        preset: Preset::Megatron,
        samples: 1_000_000,
        global_batch: 1024,
        micro_batch: 4,
        data_parallel: 8,
        ..Default::default()
    };
    let r = rampup(
        &target,
        &RampupRequest { start_global_batch: 32, increment: 32, ramp_samples: 300_000 },
        None,
    )
    .unwrap();
    assert_eq!(r.increments, 31);
    assert_eq!(r.total_steps, r.rampup_steps + r.steps_after);
    assert_eq!(r.total_s, 0.0);
    let err =
        rampup(&PlanRequest { preset: Preset::Plain, ..target }, &RampupRequest::default(), None)
            .unwrap_err();
    assert_eq!(err.name, "TRAINEST_E_PRESET_CONFLICT");

    let pr = PlanRequest {
        samples: 1_000_000,
        global_batch: 256,
        max_micro_batch: 32,
        ..Default::default()
    };
    let er = EstimateRequest {
        fixed_s: 0.01,
        per_sample_s: 0.001,
        optimizer_s: 0.005,
        ..Default::default()
    };
    let c = critical(
        &pr,
        &er,
        None,
        &CriticalRequest { noise_scale: 1000.0, min_steps: 5000.0, ..Default::default() },
    )
    .unwrap();
    assert!(close(c.critical_batch, 1000.0, 1e-12));
    assert!(close(c.steps_to_target, (5000.0f64 * (1.0 + 1000.0 / 256.0)).ceil(), 1e-12));
    assert!(c.best_time_to_target_s <= c.time_to_target_s);
    let err =
        critical(&pr, &er, None, &CriticalRequest { noise_scale: 1000.0, ..Default::default() })
            .unwrap_err();
    assert_eq!(err.name, "TRAINEST_E_UNDERSPECIFIED");
}

#[test]
fn eta_tracker() {
    let mut eta = EtaTracker::new(&EtaConfig { total_steps: 1000, ..Default::default() }).unwrap();
    for i in 0..100 {
        // A steady 0.5 s step after a slow warm-up, and one checkpoint stall.
        let step_s = if i < 5 {
            3.0
        } else if i == 50 {
            20.0
        } else {
            0.5
        };
        eta.update(step_s, 32).unwrap();
    }
    let r = eta.report(1_000_000.0).unwrap();
    assert_eq!((r.steps_done, r.steps_remaining, r.samples_done), (100, 900, 3200));
    assert_eq!(r.outliers, 1);
    assert!(close(r.progress_ratio, 0.1, 1e-12));
    assert!(close(r.step_s, 0.5, 1e-9), "{r:?}");
    assert!(close(r.remaining_s, 450.0, 1e-6), "{r:?}");
    assert!(close(r.elapsed_s, 5.0 * 3.0 + 20.0 + 94.0 * 0.5, 1e-12));
    assert!(close(r.finish_p50_unix_s, 1_000_000.0 + r.remaining_p50_s, 1e-15));

    let bad = EtaTracker::new(&EtaConfig { total_steps: 0, ..Default::default() }).unwrap_err();
    assert_eq!((bad.name.as_str(), bad.field.as_deref()), ("TRAINEST_E_ZERO", Some("total_steps")));
    let copy = eta.clone();
    let err = eta.update(f64::NAN, 0).unwrap_err();
    assert_eq!(err.name, "TRAINEST_E_NOT_FINITE");
    assert_eq!(err.field.as_deref(), Some("step_s"));
    assert_eq!(eta.report(0.0).unwrap(), copy.report(0.0).unwrap(), "unchanged on error");
    assert!(eta.report_now().is_ok());

    let err = EtaTracker::new(&EtaConfig::default()).unwrap_err();
    assert_eq!(err.name, "TRAINEST_E_ZERO");
}

/// tests/test_eta.c's ramp-up: the batch grows from 64 by 64 every 2000
/// samples to 512, the last step partial; each step takes a + b * batch.
fn ramp_trace(total: u64, a: f64, b: f64) -> Vec<(u64, f64)> {
    let mut steps = Vec::new();
    let mut done = 0;
    while done < total {
        let g = (64 + 64 * (done / 2000)).min(512).min(total - done);
        steps.push((g, a + b * g as f64));
        done += g;
    }
    steps
}

#[test]
fn eta_set_samples_follows_a_ramp() {
    let total = 200_000;
    let steps = ramp_trace(total, 0.01, 0.0005);
    let config = EtaConfig { total_steps: steps.len() as u64, ..Default::default() };
    let mut with = EtaTracker::new(&config).unwrap();
    let mut without = EtaTracker::new(&config).unwrap();
    with.set_samples(total, 0).unwrap();
    for &(g, t) in &steps[..100] {
        with.update(t, g).unwrap();
        without.update(t, g).unwrap();
    }
    let truth: f64 = steps[100..].iter().map(|s| s.1).sum();
    let (r, r0) = (with.report(0.0).unwrap(), without.report(0.0).unwrap());
    assert_eq!(r.outliers, 0, "the growing batch is no pause");
    assert_eq!(r.steps_remaining, r0.steps_remaining);
    assert!(r.remaining_s > r0.remaining_s, "{r:?} {r0:?}");
    assert!(close(r.remaining_s, truth, 1e-9), "{} vs {truth}", r.remaining_s);
    assert!(r0.remaining_s < 0.7 * truth, "the mean step so far says far too little");
    assert_eq!(with.clone().report(0.0).unwrap(), r, "a clone keeps the samples model");

    // Resuming: the samples done before tracking count.
    let resumed = EtaConfig { steps_done: 50, ..config };
    let mut eta = EtaTracker::new(&resumed).unwrap();
    eta.set_samples(total, steps[..50].iter().map(|s| s.0).sum()).unwrap();
    for &(g, t) in &steps[50..200] {
        eta.update(t, g).unwrap();
    }
    let truth: f64 = steps[200..].iter().map(|s| s.1).sum();
    assert!(close(eta.report(0.0).unwrap().remaining_s, truth, 1e-9));
    // A step without its samples: back to remaining steps x the mean step.
    eta.update(steps[200].1, 0).unwrap();
    let r = eta.report(0.0).unwrap();
    assert!(close(r.remaining_s, r.steps_remaining as f64 * r.step_s, 1e-12));
}

#[test]
fn eta_set_samples_errors() {
    let mut eta = EtaTracker::new(&EtaConfig { total_steps: 100, ..Default::default() }).unwrap();
    let copy = eta.clone();
    let err = eta.set_samples(0, 0).unwrap_err();
    assert_eq!(err.status, ffi::TRAINEST_E_ZERO);
    assert_eq!(
        (err.name.as_str(), err.field.as_deref()),
        ("TRAINEST_E_ZERO", Some("eta.total_samples"))
    );
    let err = eta.set_samples(10, 11).unwrap_err();
    assert_eq!(
        (err.name.as_str(), err.field.as_deref()),
        ("TRAINEST_E_INCONSISTENT", Some("eta.samples_done"))
    );
    let same = |a: &EtaTracker, b: &EtaTracker| {
        let bytes = |t: &EtaTracker| unsafe {
            std::slice::from_raw_parts(
                &t.state as *const ffi::trainest_eta as *const u8,
                size_of::<ffi::trainest_eta>(),
            )
            .to_vec()
        };
        bytes(a) == bytes(b)
    };
    assert!(same(&eta, &copy), "unchanged on error");
    eta.set_samples(10, 10).unwrap(); // every sample done is fine

    // Not an initialised tracker.
    let mut blank = EtaTracker { state: ffi::trainest_eta::sized() };
    let err = blank.set_samples(10, 0).unwrap_err();
    assert_eq!(
        (err.name.as_str(), err.field.as_deref()),
        ("TRAINEST_E_UNSUPPORTED", Some("eta_state"))
    );
    // A tracker of the 0.5 size has no room for the samples.
    let mut old = ffi::trainest_eta::default();
    let c = EtaConfig { total_steps: 100, ..Default::default() }.make_c();
    assert_eq!(unsafe { ffi::trainest_eta_init(&mut old, 312, &c) }, ffi::TRAINEST_OK);
    let mut old = EtaTracker { state: old };
    let err = old.set_samples(10, 0).unwrap_err();
    assert_eq!(
        (err.name.as_str(), err.field.as_deref()),
        ("TRAINEST_E_STRUCT_SIZE", Some("eta_state"))
    );
    assert_eq!((old.state.total_samples, old.state.fit_cov_s), (0, 0.0), "nothing past 312 bytes");
}

// ------------------------------------------------------------------ model parallelism (0.5)

fn bad_layout() -> PlanRequest {
    PlanRequest {
        samples: 100_000,
        global_batch: 960,
        devices: 100,
        tensor_parallel: 8,
        pipeline_parallel: 4,
        layers: 32,
        hidden: 4096,
        ..Default::default()
    }
}

#[test]
fn bad_layout_is_an_error_and_layout_suggest_repairs_it() {
    let err = plan(&bad_layout()).unwrap_err();
    assert_eq!(err.status, ffi::TRAINEST_E_BAD_LAYOUT);
    assert_eq!(err.name, "TRAINEST_E_BAD_LAYOUT");
    assert_eq!(err.field.as_deref(), Some("devices"));
    assert!(err.to_string().contains("field devices"), "{err}");

    let got = layout_suggest(&bad_layout(), 16).unwrap();
    let first = got[0];
    assert_eq!((first.devices, first.data_parallel), (96, 3));
    assert_eq!((first.tensor_parallel, first.pipeline_parallel), (8, 4));
    assert_eq!(first.changed, ffi::TRAINEST_CHANGED_DEVICES);
    assert!(close(first.distance_ratio, 0.04, 1e-12));
    assert!(got.iter().any(|s| (s.devices, s.tensor_parallel, s.pipeline_parallel) == (128, 8, 4)));
    for (i, s) in got.iter().enumerate() {
        assert_eq!(s.data_parallel * s.tensor_parallel * s.pipeline_parallel, s.devices);
        if i > 0 {
            assert!(got[i - 1].distance_ratio <= s.distance_ratio);
        }
        // The repair is of the layout only: the batch may not split over the
        // new data-parallel size; suggest() repairs the batch.
        let repaired = s.apply(&bad_layout());
        let p = match plan(&repaired) {
            Ok(p) => p,
            Err(err) => {
                assert_eq!(
                    (err.status, err.field.as_deref()),
                    (ffi::TRAINEST_E_NOT_DIVISIBLE, Some("global_batch"))
                );
                plan(&suggest(&repaired, 1).unwrap()[0].apply(&repaired)).unwrap()
            }
        };
        assert_eq!((p.devices, p.data_parallel), (s.devices, s.data_parallel));
        assert_eq!(
            (p.tensor_parallel, p.pipeline_parallel),
            (s.tensor_parallel, s.pipeline_parallel)
        );
    }
    assert!(layout_suggest(&bad_layout(), 0).unwrap().is_empty());

    // The model must split too: layers over the stages.
    let err = plan(&PlanRequest { devices: 128, layers: 30, ..bad_layout() }).unwrap_err();
    assert_eq!((err.status, err.field.as_deref()), (ffi::TRAINEST_E_BAD_LAYOUT, Some("layers")));
}

#[test]
fn pipeline_estimate_1f1b_and_interleaved() {
    let (fixed, per, seq, hidden, p2p_bw, m) = (0.004, 0.002, 1024.0, 4096.0, 5e10, 4u64);
    for &pp in &[1u64, 2, 4, 8] {
        for &v in &[1u64, 2, 4] {
            for &mb in &[8u64, 32] {
                if v > 1 && pp == 1 {
                    continue;
                }
                let pr = PlanRequest {
                    samples: 4096 * 8,
                    micro_batch: m,
                    grad_accum_steps: mb,
                    devices: pp,
                    pipeline_parallel: pp,
                    virtual_stages: v,
                    seq_len_tokens: seq as u64,
                    hidden: hidden as u64,
                    layers: 64,
                    ..Default::default()
                };
                let er = EstimateRequest {
                    fixed_s: fixed,
                    per_sample_s: per,
                    bus_bytes_per_s: 1e11,
                    p2p_bytes_per_s: p2p_bw,
                    ..Default::default()
                };
                let e = estimate(&pr, &er).unwrap();
                let (ppf, vf, mbf) = (pp as f64, v as f64, mb as f64);
                let p2p =
                    if pp > 1 { 2.0 * vf * m as f64 * seq * hidden * 2.0 / p2p_bw } else { 0.0 };
                let stage = (fixed + per * m as f64) / ppf + p2p;
                assert!(close(e.stage_s, stage, 1e-12), "pp {pp} v {v}: {e:?}");
                assert!(close(e.step_s, (mbf + (ppf - 1.0) / vf) * stage, 1e-12));
                assert!(close(e.bubble_ratio, (ppf - 1.0) / (vf * mbf), 1e-12) || pp == 1);
                assert!(pp > 1 || e.bubble_ratio == 0.0);
                let sum = e.compute_s
                    + e.optimizer_s
                    + e.transfer_s
                    + e.data_stall_s
                    + e.comm_s
                    + e.overhead_s
                    + e.bubble_s
                    + e.tp_comm_s
                    + e.p2p_s;
                assert!(close(sum, e.total_s, 1e-12));
                assert_eq!(plan(&pr).unwrap().micro_batches_per_step, mb);
            }
        }
    }
}

#[test]
fn comm_activation_bytes_per_sample_stands_in_for_seq_times_hidden() {
    // 0.6: one layer's activations of one sample, in bytes, given directly.
    let (seq, hidden) = (2048u64, 8192u64);
    let bare = PlanRequest {
        samples: 100_000,
        global_batch: 64,
        micro_batch: 2,
        devices: 64,
        tensor_parallel: 2,
        layers: 32,
        ..Default::default()
    };
    let shaped = PlanRequest { seq_len_tokens: seq, hidden, ..bare };
    let er = EstimateRequest {
        fixed_s: 0.01,
        per_sample_s: 0.003,
        bus_bytes_per_s: 1e11,
        tp_bytes_per_s: 2e11,
        latency_s: 5e-6,
        ..Default::default()
    };
    assert_eq!(er.comm_activation_bytes_per_sample, 0, "0 = from the plan's shape");
    let want = estimate(&shaped, &er).unwrap(); // 2 bytes per element by default
    let explicit = EstimateRequest { comm_activation_bytes_per_sample: seq * hidden * 2, ..er };
    let got = estimate(&bare, &explicit).unwrap();
    assert!(want.tp_comm_s > 0.0);
    assert!(close(got.tp_comm_s, want.tp_comm_s, 1e-12), "{got:?} {want:?}");
    assert!(close(got.total_s, want.total_s, 1e-12));
    assert_eq!(
        field_name(ffi::TRAINEST_FIELD_COMM_ACTIVATION_BYTES_PER_SAMPLE),
        "comm_activation_bytes_per_sample"
    );
    // Tensor parallelism still counts its all-reduces per layer.
    let err = estimate(&PlanRequest { layers: 0, ..bare }, &explicit).unwrap_err();
    assert_eq!(
        (err.name.as_str(), err.field.as_deref()),
        ("TRAINEST_E_UNDERSPECIFIED", Some("layers"))
    );
}

#[test]
fn memory_for_plan_splits_by_tp_pp_and_counts_micro_batches_in_flight() {
    // The boundary: 4 micro-batches in flight, each m * 64 / (TP * PP) bytes.
    let mr = MemoryRequest {
        static_bytes: 1000,
        activation_bytes_per_sample: 64,
        device_memory_bytes: 2000,
        ..Default::default()
    };
    let pr = PlanRequest {
        samples: 100_000,
        micro_batch: 1,
        grad_accum_steps: 4,
        devices: 8,
        tensor_parallel: 2,
        pipeline_parallel: 4,
        ..Default::default()
    };
    let m = memory_for_plan(&mr, &pr).unwrap();
    assert_eq!((m.max_micro_batch, m.activation_bytes_per_micro_batch), (31, 8));
    assert_eq!(m.micro_batches_in_flight, 4.0);
    let m = memory_for_plan(&mr, &PlanRequest { micro_batch: 31, ..pr }).unwrap();
    assert!(m.fits);
    assert_eq!(m.total_bytes, 1000 + 4 * 31 * 8);
    assert!(!memory_for_plan(&mr, &PlanRequest { micro_batch: 32, ..pr }).unwrap().fits);

    // GPT-3 175B states over TP 8 x PP 16, then ZeRO-1 over DP 8.
    let mr = MemoryRequest {
        params: 175_000_000_000,
        zero_stage: 1,
        activation_bytes_per_sample: 1_000_000,
        ..Default::default()
    };
    let pr = PlanRequest {
        samples: 1_000_000,
        global_batch: 1536,
        micro_batch: 1,
        devices: 1024,
        tensor_parallel: 8,
        pipeline_parallel: 16,
        ..Default::default()
    };
    let m = memory_for_plan(&mr, &pr).unwrap();
    let shard = (175_000_000_000u64 + 127) / 128;
    assert_eq!((m.weights_bytes, m.grads_bytes), (2 * shard, 2 * shard));
    assert_eq!(m.optimizer_bytes, (shard + 7) / 8 * 12);
    assert_eq!(m.micro_batches_in_flight, 16.0);
    assert_eq!(m.activation_bytes, (16 * 1_000_000 + 127) / 128);

    // Activations from the model shape (Korthikanti et al. 2022), by recompute.
    let pr = PlanRequest {
        samples: 100_000,
        global_batch: 64,
        micro_batch: 2,
        seq_len_tokens: 2048,
        hidden: 12288,
        attention_heads: 96,
        layers: 96,
        devices: 64,
        tensor_parallel: 8,
        pipeline_parallel: 8,
        ..Default::default()
    };
    let (s, b, h, a, t, l) = (2048.0, 2.0, 12288.0, 96.0, 8.0, 12.0);
    for &(rc, want) in &[
        (Recompute::None, s * b * h * (34.0 + 5.0 * a * s / h) / t * l),
        (Recompute::Selective, 34.0 * s * b * h / t * l),
        (Recompute::Full, 2.0 * s * b * h / t * l),
    ] {
        let mr = MemoryRequest { params: 1000, recompute: rc, ..Default::default() };
        let m = memory_for_plan(&mr, &pr).unwrap();
        assert!(close(m.activation_bytes_per_micro_batch as f64, want, 1e-12), "{rc:?}: {m:?}");
        assert!(close(m.activation_bytes as f64, 8.0 * want, 1e-12));
    }
    let mr = MemoryRequest { params: 1000, ..Default::default() };
    let err = memory_for_plan(&mr, &PlanRequest { attention_heads: 0, ..pr }).unwrap_err();
    assert_eq!(
        (err.name.as_str(), err.field.as_deref()),
        ("TRAINEST_E_UNDERSPECIFIED", Some("attention_heads"))
    );
}

#[test]
fn search_over_layouts() {
    let pr = PlanRequest {
        samples: 4096,
        seq_len_tokens: 256,
        hidden: 512,
        attention_heads: 8,
        layers: 8,
        ..Default::default()
    };
    let er = EstimateRequest {
        fixed_s: 0.002,
        per_sample_s: 0.001,
        floor_s: 0.003,
        optimizer_s: 0.004,
        grad_bytes: 100_000_000,
        latency_s: 1e-5,
        bus_bytes_per_s: 1e11,
        ..Default::default()
    };
    let mr = MemoryRequest {
        params: 50_000_000,
        zero_stage: 1,
        device_memory_bytes: 2_000_000_000,
        ..Default::default()
    };
    let sr = SearchRequest {
        global_batch_min: 16,
        global_batch_max: 64,
        global_batch_step: 16,
        max_devices: 16,
        max_tensor_parallel: 4,
        max_pipeline_parallel: 4,
        devices_per_node: 2,
    };
    let s = search(&pr, &er, &mr, &sr, 20).unwrap();
    assert_eq!(s.results.len(), 20);
    assert!(s.results.iter().any(|r| r.tensor_parallel > 1 || r.pipeline_parallel > 1));
    for w in s.results.windows(2) {
        assert!(w[0].total_s <= w[1].total_s);
    }
    for r in &s.results {
        assert!(r.tensor_parallel <= 2, "TP stays within a node of 2");
        assert!(r.data_parallel * r.tensor_parallel * r.pipeline_parallel <= 16);
        let one = PlanRequest {
            global_batch: r.global_batch,
            micro_batch: r.micro_batch,
            data_parallel: r.data_parallel,
            tensor_parallel: r.tensor_parallel,
            pipeline_parallel: r.pipeline_parallel,
            ..pr
        };
        assert_eq!(estimate(&one, &er).unwrap().total_s, r.total_s);
        assert_eq!(memory_for_plan(&mr, &one).unwrap().total_bytes, r.memory_bytes);
    }
    let data_only = SearchRequest { max_tensor_parallel: 0, max_pipeline_parallel: 0, ..sr };
    let d = search(&pr, &er, &mr, &data_only, 20).unwrap();
    assert!(d.results.iter().all(|r| r.tensor_parallel == 1 && r.pipeline_parallel == 1));
    assert!(d.summary.candidates_evaluated < s.summary.candidates_evaluated);
}

// ------------------------------------------------------------------ loader workers (0.7)

/// ResNet-50 (224 px) on an H200 host: one epoch of 4096 samples in batches
/// of 128 read from the DataLoader alone with 4 and with 12 workers
/// (tests/data/h200-train-steps.jsonl, the "loader" lines).
const RESNET_LOADER: [(u64, f64); 2] = [(4, 1.847286309999987), (12, 1.97837707299999)];

fn resnet_loader() -> Vec<LoaderObservation> {
    RESNET_LOADER
        .iter()
        .map(|&(workers, seconds)| LoaderObservation {
            workers,
            batch_size: 128,
            samples: 4096,
            seconds,
        })
        .collect()
}

/// Loader workers by brute force: micro-batch k is ready at (k mod W + 1)
/// startup + (k / W + 1) m / rate; the device takes them in order,
/// consume_s each. The epoch's wall time less its busy time.
fn workers_epoch_stall(
    batches: u64,
    m: u64,
    w: u64,
    startup_s: f64,
    rate: f64,
    consume_s: f64,
) -> f64 {
    let mut t = 0.0f64;
    for k in 0..batches {
        let ready = (k % w + 1) as f64 * startup_s + (k / w + 1) as f64 * m as f64 / rate;
        t = ready.max(t) + consume_s;
    }
    t - batches as f64 * consume_s
}

#[test]
fn loader_calibrate_resnet50() {
    let fit = loader_calibrate(&resnet_loader()).unwrap();
    // 32 batches: 4 s + 1024 u with 4 workers, 12 s + 256 u with 12.
    let (t4, t12) = (RESNET_LOADER[0].1, RESNET_LOADER[1].1);
    let startup_s = (4.0 * t12 - t4) / 44.0;
    assert!(close(fit.worker_startup_s, startup_s, 1e-9), "{fit:?}");
    assert!(close(fit.samples_per_s_per_worker, 1024.0 / (t4 - 4.0 * startup_s), 1e-9), "{fit:?}");
    assert!(fit.max_residual_ratio < 1e-9);
    assert!(fit.mean_residual_ratio <= fit.max_residual_ratio);
    assert_eq!(fit.observations, 2);

    // With next to no compute, an epoch takes what the loader alone took.
    let pr = PlanRequest { samples: 4096, global_batch: 128, ..Default::default() };
    for &(workers, seconds) in &RESNET_LOADER {
        let rq = fit.apply(&EstimateRequest {
            fixed_s: 1e-9,
            data_workers: workers,
            ..Default::default()
        });
        assert_eq!(rq.data_mode, DataMode::Workers);
        let e = estimate(&pr, &rq).unwrap();
        assert!(close(e.total_s, seconds, 1e-7), "{workers} workers: {} vs {seconds}", e.total_s);
    }
}

#[test]
fn workers_mode_matches_a_brute_force_loader() {
    let pr = PlanRequest { samples: 4096, global_batch: 128, epochs: 3, ..Default::default() };
    let consume = 0.0003 * 128.0;
    for &w in &[1u64, 4, 12, 31] {
        let one = workers_epoch_stall(32, 128, w, 0.1379, 790.0, consume);
        for &persistent in &[false, true] {
            let rq = EstimateRequest {
                per_sample_s: 0.0003,
                data_mode: DataMode::Workers,
                data_workers: w,
                data_samples_per_s_per_worker: 790.0,
                data_worker_startup_s: 0.1379,
                data_persistent_workers: persistent,
                ..Default::default()
            };
            let e = estimate(&pr, &rq).unwrap();
            let later =
                if persistent { workers_epoch_stall(32, 128, w, 0.0, 790.0, consume) } else { one };
            assert!(close(e.data_stall_s, one + 2.0 * later, 1e-9), "{w} {persistent}: {e:?}");
            assert!(close(e.total_s, 96.0 * consume + one + 2.0 * later, 1e-9), "{w} {persistent}");
        }
    }
}

#[test]
fn loader_errors_name_the_field_and_element() {
    let pr = PlanRequest { samples: 4096, global_batch: 128, ..Default::default() };
    let base = EstimateRequest { per_sample_s: 0.0003, ..Default::default() };
    let cases: [(EstimateRequest, &str, &str); 3] = [
        (
            EstimateRequest { data_worker_startup_s: 0.1, ..base },
            "TRAINEST_E_INCONSISTENT",
            "data_worker_startup_s",
        ),
        (
            EstimateRequest { data_persistent_workers: true, ..base },
            "TRAINEST_E_INCONSISTENT",
            "data_persistent_workers",
        ),
        (
            EstimateRequest { data_mode: DataMode::Workers, ..base },
            "TRAINEST_E_ZERO",
            "data_workers",
        ),
    ];
    for (rq, name, field) in cases {
        let err = estimate(&pr, &rq).unwrap_err();
        assert_eq!((err.name.as_str(), err.field.as_deref()), (name, Some(field)));
    }

    let good = resnet_loader();
    let mut bad = good.clone();
    bad[1].batch_size = 0;
    let err = loader_calibrate(&bad).unwrap_err();
    assert_eq!(err.name, "TRAINEST_E_ZERO");
    assert_eq!((err.field.as_deref(), err.index), (Some("loader_observation.batch_size"), Some(1)));
    let mut bad = good.clone();
    bad[0].seconds = f64::NAN;
    let err = loader_calibrate(&bad).unwrap_err();
    assert_eq!(err.name, "TRAINEST_E_NOT_FINITE");
    assert_eq!((err.field.as_deref(), err.index), (Some("loader_observation.seconds"), Some(0)));
    let err = loader_calibrate(&good[..1]).unwrap_err();
    assert_eq!((err.name.as_str(), err.index), ("TRAINEST_E_TOO_FEW_POINTS", None));
    assert_eq!(err.field.as_deref(), Some("observations"));
    let err = loader_calibrate(&[good[0], good[0]]).unwrap_err();
    assert_eq!(err.name, "TRAINEST_E_TOO_FEW_POINTS");
    let many: Vec<LoaderObservation> = good.iter().cycle().take(65).copied().collect();
    assert_eq!(loader_calibrate(&many).unwrap_err().name, "TRAINEST_E_OUT_OF_RANGE");
    assert_eq!(loader_calibrate(&many[..64]).unwrap().observations, 64);
    // s + 128 u and 2 s + 256 u: one line through the origin.
    let unidentifiable = [
        LoaderObservation { workers: 1, batch_size: 128, samples: 128, seconds: 1.0 },
        LoaderObservation { workers: 2, batch_size: 128, samples: 512, seconds: 2.0 },
    ];
    assert_eq!(loader_calibrate(&unidentifiable).unwrap_err().name, "TRAINEST_E_UNIDENTIFIABLE");
}
