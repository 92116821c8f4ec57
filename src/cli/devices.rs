//! `hhsim devices`: every adapter wgpu finds, with backend, type, f64 and subgroup support and
//! key limits, and which one `--backend auto` picks.

use crate::backend::gpu::list_adapters;
use crate::error::Result;

pub fn run() -> Result<()> {
    let (adapters, picked, why) = list_adapters();
    if adapters.is_empty() {
        println!("no GPU adapter found: --backend auto runs on the CPU reference backend.");
        println!(
            "On a machine without a GPU, install Mesa's software Vulkan driver: apt-get install -y mesa-vulkan-drivers"
        );
        return Ok(());
    }
    println!(
        "  #  {:<36} {:<8} {:<14} {:<4} {:<9} {:>16} {:>14}",
        "adapter", "backend", "type", "f64", "subgroups", "max binding MiB", "max groups/dim"
    );
    for (k, a) in adapters.iter().enumerate() {
        let mark = if Some(k) == picked { "*" } else { " " };
        println!(
            "{mark}{k:>2}  {:<36} {:<8} {:<14} {:<4} {:<9} {:>16} {:>14}",
            a.name,
            a.backend,
            a.device_type,
            if a.f64 { "yes" } else { "no" },
            if a.subgroups { "yes" } else { "no" },
            a.max_storage_buffer_binding_size >> 20,
            a.max_compute_workgroups_per_dimension
        );
    }
    if let Some(k) = picked {
        println!(
            "\n* --backend auto picks #{k}, {}: {why}.",
            adapters[k].name
        );
        if !adapters[k].f64 {
            let other = adapters.iter().position(|a| a.f64);
            match other {
                Some(j) => println!(
                    "  --precision f64 picks #{j}, {}, the best adapter with f64.",
                    adapters[j].name
                ),
                None => println!(
                    "  No adapter has f64: --precision f64 needs the CPU backend or Mesa's Vulkan driver."
                ),
            }
        }
    }
    Ok(())
}
