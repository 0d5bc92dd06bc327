// SPDX-License-Identifier: MIT
//! The seed's worked example, then a request that does not split, repaired.
//! Run: `cargo run --offline --example plan`
use trainest::{plan, suggest, PlanRequest};

fn main() -> Result<(), trainest::Error> {
    let request =
        PlanRequest { samples: 1000, global_batch: 10, grad_accum_steps: 2, ..Default::default() };
    let p = plan(&request)?;
    println!(
        "micro-batch {}, {} steps/epoch, {} micro-steps/epoch",
        p.micro_batch, p.optimizer_steps_per_epoch, p.micro_steps_per_epoch
    );
    assert_eq!((p.micro_batch, p.optimizer_steps_per_epoch), (5, 100));

    let bad = PlanRequest { micro_batch: 3, grad_accum_steps: 0, ..request };
    println!("micro-batch 3: {}", plan(&bad).unwrap_err());
    for s in suggest(&bad, 4)? {
        let fixed = plan(&s.apply(&bad))?;
        println!(
            "  try {} = {} x {}: {} steps/epoch",
            s.global_batch, s.micro_batch, s.grad_accum_steps, fixed.optimizer_steps_per_epoch
        );
    }
    Ok(())
}
