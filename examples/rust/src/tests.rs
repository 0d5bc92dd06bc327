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
        assert_eq!(id as usize, i + 1, "struct ids are 1..=26 in order");
        assert_eq!(size, struct_size(id) as usize, "size of struct id {id}");
    }
    assert_eq!(struct_size(sizes.len() as u32 + 1), 0, "a struct this crate does not mirror");
    assert_eq!(struct_size(0), 0);
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
    assert_eq!(SearchRequest::default().max_devices, 1);
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

    let copy = eta.clone();
    let err = eta.update(f64::NAN, 0).unwrap_err();
    assert_eq!(err.name, "TRAINEST_E_NOT_FINITE");
    assert_eq!(err.field.as_deref(), Some("step_s"));
    assert_eq!(eta.report(0.0).unwrap(), copy.report(0.0).unwrap(), "unchanged on error");
    assert!(eta.report_now().is_ok());

    let err = EtaTracker::new(&EtaConfig::default()).unwrap_err();
    assert_eq!(err.name, "TRAINEST_E_ZERO");
}
