// SPDX-License-Identifier: MIT
// Plan a run, then add failures and checkpoints to its time.
use trainest::{failures, plan, FailureRequest, PlanRequest};

fn main() -> Result<(), trainest::Error> {
    let p = plan(&PlanRequest {
        samples: 1_000_000,
        global_batch: 1024,
        micro_batch: 8,
        devices: 64,
        ..Default::default()
    })?;
    println!(
        "{} accumulation steps, {} steps per epoch",
        p.grad_accum_steps, p.optimizer_steps_per_epoch
    );

    let run = failures(&FailureRequest {
        work_s: 14.0 * 86400.0, // two weeks of compute
        devices: 1024,
        mtbf_hours_per_device: 50_000.0,
        checkpoint_write_s: 60.0,
        restart_s: 600.0,
        ..Default::default()
    })?;
    println!(
        "{:.0} interruptions expected, checkpoint every {:.0} min, {:.1} days (p90 {:.1})",
        run.expected_interruptions,
        run.checkpoint_interval_s / 60.0,
        run.expected_total_s / 86400.0,
        run.p90_total_s / 86400.0
    );
    if let Err(e) = plan(&PlanRequest { devices: 48, ..Default::default() }) {
        println!("no samples: {e}");
    }
    Ok(())
}
