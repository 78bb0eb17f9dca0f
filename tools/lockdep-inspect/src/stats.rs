//! `/proc/lockdep_stats`: is `debug_locks` still 1?

use crate::model::{Finding, Kind};

/// The value of the ` debug_locks:   1` line and its 1-based line number,
/// or `None` when there is no such line.
pub fn debug_locks(text: &str) -> Option<(u32, usize)> {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("debug_locks:") {
            if let Ok(v) = rest.trim().parse::<u32>() {
                return Some((v, i + 1));
            }
        }
    }
    None
}

/// The finding a stats dump yields, if any: `lockdep turned off` when
/// debug_locks is 0 or missing.  `log_findings` (from the console logs)
/// are used to say what probably turned lockdep off.
pub fn stats_finding(
    file: &str,
    text: &str,
    log_findings: &[Finding],
) -> (Option<u32>, Option<Finding>) {
    match debug_locks(text) {
        Some((v, _)) if v != 0 => (Some(v), None),
        Some((v, line)) => {
            let mut f = Finding::new(Kind::LockdepTurnedOff, "debug_locks: 0", file, Some(line));
            let cause = log_findings
                .iter()
                .find(|f| f.kind.turns_lockdep_off())
                .map(|c| {
                    format!(
                        "; probably by the {} report at {}:{}",
                        c.kind,
                        c.file,
                        c.line.unwrap_or(0)
                    )
                })
                .unwrap_or_else(|| "; no report in the log explains it".to_string());
            f.message = Some(format!(
                "debug_locks is 0 in {file}: lockdep turned itself off during the run, \
                 so locking after that point was not checked{cause}"
            ));
            (Some(v), Some(f))
        }
        None => {
            let mut f = Finding::new(
                Kind::LockdepTurnedOff,
                "no debug_locks line in lockdep_stats",
                file,
                None,
            );
            f.message = Some(format!(
                "{file} has no \"debug_locks:\" line: the kernel was built without \
                 lockdep (CONFIG_PROVE_LOCKING) or the file is not a /proc/lockdep_stats dump"
            ));
            (None, Some(f))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let s = " lock-classes:                         1633 [max: 8192]\n debug_locks:                             1\n";
        assert_eq!(debug_locks(s), Some((1, 2)));
        assert_eq!(debug_locks("debug_locks:0"), Some((0, 1)));
        assert_eq!(debug_locks(" chain lookup misses: 1\n"), None);
        let (v, f) = stats_finding("s", s, &[]);
        assert_eq!(v, Some(1));
        assert!(f.is_none());
    }
}
