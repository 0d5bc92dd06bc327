// SPDX-License-Identifier: MIT
//! The seed's worked example, then a request that does not split, repaired;
//! then a device layout that does not split, repaired and timed.
//! Run: `cargo run --offline --example plan`
use trainest::{estimate, layout_suggest, plan, suggest, EstimateRequest, PlanRequest};

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

    // GPT-3 175B's layout (Megatron): TP 8 x PP 16 does not divide 1000 GPUs.
    let gpt3 = PlanRequest {
        samples: 1_000_000,
        global_batch: 1536,
        micro_batch: 1,
        seq_len_tokens: 2048,
        devices: 1000,
        tensor_parallel: 8,
        pipeline_parallel: 16,
        layers: 96,
        hidden: 12288,
        ..Default::default()
    };
    println!("1000 GPUs: {}", plan(&gpt3).unwrap_err());
    let fixed = layout_suggest(&gpt3, 1)?[0].apply(&gpt3);
    let p = plan(&fixed)?;
    let time = EstimateRequest { per_sample_s: 0.5, bus_bytes_per_s: 300e9, ..Default::default() };
    let e = estimate(&fixed, &time)?;
    println!(
        "  try {} = DP {} x TP {} x PP {}: {} micro-batches per step, bubble {:.1} %",
        p.devices,
        p.data_parallel,
        p.tensor_parallel,
        p.pipeline_parallel,
        p.micro_batches_per_step,
        100.0 * e.bubble_ratio
    );
    assert_eq!((p.devices, p.micro_batches_per_step), (1024, 192));
    Ok(())
}
