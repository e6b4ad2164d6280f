//! How `doctor` shows what it found: one line per check, ✓ or ✗, what a network check tried
//! under it, and for each ✗ the fix in one sentence; or all of it as one JSON document.

use super::{Report, Status};
use std::fmt::Write;

pub fn text(r: &Report) -> String {
    let mut out = String::new();
    for l in &r.checks {
        let mark = match l.status {
            Status::Pass => "✓",
            Status::Fail => "✗",
        };
        let _ = writeln!(out, "{mark} {}", l.summary);
        if let Some(t) = &l.tried {
            let _ = writeln!(out, "    tried: {t}");
        }
        if let Some(f) = &l.fix {
            let _ = writeln!(out, "    fix: {f}");
        }
    }
    let failed = r.checks.iter().filter(|l| l.status == Status::Fail).count();
    if failed == 0 {
        let _ = writeln!(out, "all {} checks passed", r.checks.len());
    } else {
        let _ = writeln!(out, "{failed} of {} checks failed", r.checks.len());
    }
    out
}

pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
