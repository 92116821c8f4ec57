//! Memory a run will need, estimated from its sizes before anything is allocated: the host's
//! against the memory the machine has available, and each GPU buffer against the adapter's
//! binding limits. A run that cannot fit is refused in one line naming the bytes and the option
//! to change, instead of dying part-way through.

use crate::error::{Error, Result};

/// A run's host memory, part by part.
#[derive(Debug, Default)]
pub struct Estimate {
    /// (what, bytes, the option that changes it)
    parts: Vec<(String, f64, &'static str)>,
}

impl Estimate {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `count` items of `each` bytes (in f64: counts from user input may overflow u64).
    pub fn add(&mut self, what: &str, count: f64, each: f64, option: &'static str) -> &mut Self {
        self.parts.push((what.to_string(), count * each, option));
        self
    }

    /// Bytes in all.
    pub fn total(&self) -> f64 {
        self.parts.iter().map(|p| p.1).sum()
    }

    /// Refused when the total exceeds the memory available now.
    pub fn check(&self) -> Result<()> {
        match available_bytes() {
            Some(limit) => self.check_against(limit as f64),
            None => Ok(()),
        }
    }

    /// Refused when the total exceeds `limit` bytes, naming the largest part and its option.
    pub fn check_against(&self, limit: f64) -> Result<()> {
        let total = self.total();
        if total <= limit {
            return Ok(());
        }
        let (what, bytes, option) = self
            .parts
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .expect("a total above the limit has parts");
        Err(Error::TooLarge {
            message: format!(
                "this run needs ≈ {} of memory ({what}: {}) but {} is available; reduce {option}",
                human(total),
                human(*bytes),
                human(limit)
            ),
        })
    }
}

/// A GPU buffer of `bytes` against the adapter's limit on one storage binding.
pub fn check_binding(what: &str, bytes: f64, limit: u64, option: &str) -> Result<()> {
    if bytes <= limit as f64 {
        return Ok(());
    }
    Err(Error::TooLarge {
        message: format!(
            "the GPU buffer of the {what} would be {} but the adapter binds at most {} per buffer; reduce {option}, or use --backend cpu",
            human(bytes),
            human(limit as f64)
        ),
    })
}

/// The memory the machine can give a new allocation now (`MemAvailable` of /proc/meminfo,
/// plus free swap); `None` where that is not known.
pub fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    };
    Some(field("MemAvailable:")? + field("SwapFree:").unwrap_or(0))
}

/// The peak resident memory of this process so far (`VmHWM`), where known [bytes].
pub fn peak_resident_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Bytes for people: 1.5 GiB, 12.0 MiB.
pub fn human(bytes: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut x = bytes;
    let mut unit = 0;
    while x >= 1024.0 && unit + 1 < UNITS.len() {
        x /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{x:.0} B")
    } else if x.is_finite() {
        format!("{x:.1} {}", UNITS[unit])
    } else {
        "an unbounded amount".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_estimate_over_the_limit_names_its_largest_part() {
        let mut e = Estimate::new();
        e.add("states", 1e3, 8.0, "the neurons")
            .add("trace", 1e12, 8.0, "--record-every");
        let message = e.check_against(1e9).unwrap_err().to_string();
        assert!(
            message.contains("trace: 7.3 TiB") && message.contains("--record-every"),
            "{message}"
        );
        assert!(e.check_against(1e14).is_ok());
        assert_eq!(e.check_against(1.0).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn the_machine_reports_its_memory() {
        // Linux, where CI runs, has /proc: the check is live there.
        let available = available_bytes().expect("/proc/meminfo");
        assert!(available > 1 << 20, "{available}");
        assert!(peak_resident_bytes().expect("/proc/self/status") > 0);
    }
}
