//! Human and JSON output.

use crate::model::Finding;
use serde::Serialize;
use std::fmt::Write;

#[derive(Serialize)]
struct JsonReport<'a> {
    findings: &'a [Finding],
    debug_locks: Option<u32>,
}

/// `{"findings": [...], "debug_locks": 1|0|null}`
pub fn json(findings: &[Finding], debug_locks: Option<u32>) -> String {
    let report = JsonReport {
        findings,
        debug_locks,
    };
    match serde_json::to_string_pretty(&report) {
        Ok(s) => s + "\n",
        // Serialising plain strings and numbers cannot fail.
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}

/// One block per finding, then the summary line(s).
pub fn text(findings: &[Finding], stats_given: bool, debug_locks: Option<u32>) -> String {
    let mut out = String::new();
    for (i, f) in findings.iter().enumerate() {
        let _ = writeln!(out, "[{}] {}", i + 1, f.kind);
        let _ = writeln!(out, "    header:   {}", f.header);
        if let Some(m) = &f.message {
            let _ = writeln!(out, "    message:  {m}");
        }
        match f.line {
            Some(l) => {
                let _ = writeln!(out, "    at:       {}:{}", f.file, l);
            }
            None => {
                let _ = writeln!(out, "    at:       {}", f.file);
            }
        }
        let _ = writeln!(out, "    test:     {}", f.test.as_deref().unwrap_or("-"));
        let task = f.task.as_ref().map_or("-".to_string(), |t| t.to_string());
        let _ = writeln!(out, "    task:     {task}");
        if !f.classes.is_empty() {
            let _ = writeln!(out, "    classes:  {}", f.classes.join(", "));
        }
        if !f.chain.is_empty() {
            let _ = writeln!(out, "    chain:");
            for e in &f.chain {
                let _ = writeln!(out, "      -> #{} {}", e.index, e.class);
                for fr in &e.frames {
                    let _ = writeln!(out, "           {fr}");
                }
            }
        }
        if let Some(s) = &f.scenario {
            let _ = writeln!(out, "    scenario:");
            for l in s.lines() {
                let _ = writeln!(out, "{}", format!("      {l}").trim_end());
            }
        }
        if !f.frames.is_empty() {
            let _ = writeln!(out, "    frames:");
            for fr in &f.frames {
                let _ = writeln!(out, "      {fr}");
            }
        }
        out.push('\n');
    }
    if findings.is_empty() {
        out.push_str("lockdep-inspect: no findings\n");
    } else {
        let _ = writeln!(out, "lockdep-inspect: {} finding(s)", findings.len());
    }
    if stats_given {
        match debug_locks {
            Some(v) => {
                let _ = writeln!(out, "debug_locks: {v}");
            }
            None => out.push_str("debug_locks: unknown (no debug_locks line)\n"),
        }
    }
    out
}
