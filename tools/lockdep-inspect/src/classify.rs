//! Recognises the first line of each kind of report (Linux 6.12 formats,
//! with a few older spellings).

use crate::line::{comm_colon_pid, comm_slash_pid};
use crate::model::{Kind, Task};

/// What a line means when it is not simply part of the report in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Header {
    /// Starts a new report of this kind; the task if the header names one.
    Start(Kind, Option<Task>),
    /// `------------[ cut here ]------------`: a WARN()/BUG()/UBSAN report
    /// follows; its kind is known from the next lines.
    CutHere,
    /// `WARNING: CPU: 0 PID: 1 at file:line func`: the __warn() line.
    WarnCpu(Option<u32>),
    /// `Oops: ...` / `general protection fault...`: follows a `BUG:` line
    /// for page faults and `kernel BUG at`.
    Oops,
    /// `Kernel panic - not syncing: ...`: usually the end of another report.
    Panic,
    /// lockdep switching itself off: `turning off the locking correctness
    /// validator.`, `INFO: lockdep is turned off.`, `Disabling lock
    /// debugging due to kernel taint`.
    TurnOff(TurnOff),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnOff {
    /// "turning off the locking correctness validator."
    Validator,
    /// "INFO: lockdep is turned off."
    IsOff,
    /// "Disabling lock debugging due to kernel taint"
    Taint,
}

/// Test markers written by the guest suite into /dev/kmsg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    Begin(String),
    End(String),
}

pub fn marker(content: &str) -> Option<Marker> {
    let pos = content.find("rloop-test: ")?;
    let rest = &content[pos + "rloop-test: ".len()..];
    if let Some(name) = rest.strip_prefix("begin ") {
        let name = name.split_whitespace().next()?;
        return Some(Marker::Begin(name.to_string()));
    }
    if let Some(name) = rest.strip_prefix("end ") {
        let name = name.split_whitespace().next()?;
        return Some(Marker::End(name.to_string()));
    }
    None
}

pub fn classify(content: &str) -> Option<Header> {
    let t = content.trim();
    if t.is_empty() {
        return None;
    }
    if t.starts_with("------------[ cut here ]------------") {
        return Some(Header::CutHere);
    }
    if let Some(h) = lockdep_header(t) {
        return Some(h);
    }
    if let Some(rest) = t.strip_prefix("WARNING: CPU: ") {
        let pid = rest
            .split_once("PID: ")
            .and_then(|(_, r)| r.split_whitespace().next())
            .and_then(|p| p.parse::<u32>().ok());
        return Some(Header::WarnCpu(pid));
    }
    if t.starts_with("WARNING: at ") {
        // pre-3.x spelling of the __warn() line
        return Some(Header::WarnCpu(None));
    }
    if let Some(h) = bug_header(t) {
        return Some(h);
    }
    if let Some(rest) = t.strip_prefix("INFO: task ") {
        if let Some(pos) = rest.find(" blocked for more than ") {
            return Some(Header::Start(Kind::HungTask, comm_colon_pid(&rest[..pos])));
        }
    }
    if is_rcu_stall(t) {
        return Some(Header::Start(Kind::RcuStall, None));
    }
    if t.contains("Watchdog detected hard LOCKUP on cpu") {
        return Some(Header::Start(Kind::SoftLockup, None));
    }
    if t.starts_with("Oops: ") || t.starts_with("general protection fault") {
        return Some(Header::Oops);
    }
    if t.starts_with("Kernel panic - not syncing") {
        return Some(Header::Panic);
    }
    if t.starts_with("UBSAN: ") {
        return Some(Header::Start(Kind::Ubsan, None));
    }
    if t.starts_with("ODEBUG: ") && t.contains("object type:") {
        return Some(Header::Start(Kind::Odebug, None));
    }
    if let Some(rest) = t.strip_prefix("kmemleak: ") {
        // One leak, printed when kmemleak's `verbose` parameter is on; its
        // comm/backtrace lines follow (see Parser::feed).
        if rest.starts_with("unreferenced object 0x") {
            return Some(Header::Start(Kind::Kmemleak, None));
        }
        let (n, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        if !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
            && tail.starts_with("new suspected memory leak")
        {
            return Some(Header::Start(Kind::Kmemleak, None));
        }
    }
    None
}

fn lockdep_header(t: &str) -> Option<Header> {
    let start = |k| Some(Header::Start(k, None));
    match t {
        "WARNING: possible circular locking dependency detected" => {
            return start(Kind::CircularDependency)
        }
        "WARNING: possible recursive locking detected" => return start(Kind::RecursiveLocking),
        "WARNING: inconsistent lock state" => return start(Kind::InconsistentLockState),
        "WARNING: possible irq lock inversion dependency detected" => {
            return start(Kind::IrqLockInversion)
        }
        "WARNING: held lock freed!" => return start(Kind::HeldLockFreed),
        "WARNING: bad unlock balance detected!" => return start(Kind::BadUnlockBalance),
        "WARNING: lock held when returning to user space!" => {
            return start(Kind::LockHeldReturningToUser)
        }
        "WARNING: suspicious RCU usage" => return start(Kind::SuspiciousRcuUsage),
        "[ BUG: Invalid wait context ]" => return start(Kind::InvalidWaitContext),
        "WARNING: Nested lock was not taken"
        | "WARNING: bad contention detected!"
        | "WARNING: chain_key collision"
        | "INFO: trying to register non-static key." => return start(Kind::Lockdep),
        "turning off the locking correctness validator." => {
            return Some(Header::TurnOff(TurnOff::Validator))
        }
        "INFO: lockdep is turned off." => return Some(Header::TurnOff(TurnOff::IsOff)),
        "Disabling lock debugging due to kernel taint" => {
            return Some(Header::TurnOff(TurnOff::Taint))
        }
        _ => {}
    }
    if let Some(rest) = t.strip_prefix("WARNING: ") {
        // "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected"
        if rest.contains("-safe -> ") && rest.ends_with("-unsafe lock order detected") {
            return start(Kind::IrqLockInversion);
        }
        // "WARNING: comm/pid still has locks held!"
        if let Some(who) = rest.strip_suffix(" still has locks held!") {
            return Some(Header::Start(Kind::Lockdep, comm_slash_pid(who)));
        }
    }
    None
}

fn bug_header(t: &str) -> Option<Header> {
    // The soft lockup detector prefixes its BUG line with "watchdog: ".
    let bare = t.strip_prefix("watchdog: ").unwrap_or(t);
    if let Some(rest) = bare.strip_prefix("BUG: soft lockup - ") {
        // "CPU#0 stuck for 26s! [kworker/0:1:123]"
        let task = rest
            .rsplit_once('[')
            .and_then(|(_, r)| r.strip_suffix(']'))
            .and_then(comm_colon_pid);
        return Some(Header::Start(Kind::SoftLockup, task));
    }
    if t.starts_with("kernel BUG at ") || t.starts_with("Kernel BUG at ") {
        return Some(Header::Start(Kind::Bug, None));
    }
    let rest = t.strip_prefix("BUG: ")?;
    if rest.starts_with("sleeping function called from invalid context") {
        return Some(Header::Start(Kind::SleepingInAtomic, None));
    }
    if let Some(r) = rest.strip_prefix("scheduling while atomic: ") {
        // "comm/pid/0x00000002"
        let task = r.rsplit_once('/').and_then(|(who, _)| comm_slash_pid(who));
        return Some(Header::Start(Kind::SleepingInAtomic, task));
    }
    if rest.starts_with("workqueue leaked") {
        // "workqueue leaked atomic, lock or RCU: comm[pid]"
        let task = rest.rsplit_once(": ").and_then(|(_, who)| {
            let (comm, pid) = who.trim().strip_suffix(']')?.rsplit_once('[')?;
            Some(Task::new(Some(comm), Some(pid.parse().ok()?)))
        });
        return Some(Header::Start(Kind::WorkqueueLeakedLock, task));
    }
    if rest.starts_with("KASAN: ") {
        return Some(Header::Start(Kind::Kasan, None));
    }
    if rest.starts_with("KCSAN: ") {
        return Some(Header::Start(Kind::Kcsan, None));
    }
    if rest.starts_with("MAX_") && rest.ends_with("too low!") {
        // print_lockdep_off(): lockdep ran out of a table and stopped.
        return Some(Header::Start(Kind::LockdepTurnedOff, None));
    }
    if rest.starts_with("Invalid wait context") {
        return Some(Header::Start(Kind::InvalidWaitContext, None));
    }
    if rest.starts_with("looking up invalid subclass")
        || (rest.starts_with("key ") && rest.ends_with("has not been registered!"))
    {
        return Some(Header::Start(Kind::Lockdep, None));
    }
    Some(Header::Start(Kind::Bug, None))
}

fn is_rcu_stall(t: &str) -> bool {
    let bare = t.strip_prefix("rcu: ").unwrap_or(t);
    let Some(rest) = bare.strip_prefix("INFO: ") else {
        return false;
    };
    let name = rest.split_whitespace().next().unwrap_or("");
    name.starts_with("rcu")
        && (rest.contains(" detected stall")
            || rest.contains(" self-detected stall")
            || rest.contains(" detected expedited stall"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> Option<Kind> {
        match classify(s) {
            Some(Header::Start(k, _)) => Some(k),
            _ => None,
        }
    }

    #[test]
    fn headers() {
        assert_eq!(
            kind("WARNING: possible circular locking dependency detected"),
            Some(Kind::CircularDependency)
        );
        assert_eq!(
            kind("watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [kworker/1:2:345]"),
            Some(Kind::SoftLockup)
        );
        match classify("watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [kworker/1:2:345]") {
            Some(Header::Start(_, Some(t))) => {
                assert_eq!(t.comm.as_deref(), Some("kworker/1:2"));
                assert_eq!(t.pid, Some(345));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            kind("rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:"),
            Some(Kind::RcuStall)
        );
        assert_eq!(
            kind("rcu: INFO: rcu_sched self-detected stall on CPU"),
            Some(Kind::RcuStall)
        );
        assert_eq!(
            kind("BUG: Bad page state in process foo  pfn:1234"),
            Some(Kind::Bug)
        );
        assert_eq!(
            kind("BUG: MAX_LOCKDEP_ENTRIES too low!"),
            Some(Kind::LockdepTurnedOff)
        );
        assert_eq!(
            kind("WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected"),
            Some(Kind::IrqLockInversion)
        );
        assert_eq!(
            kind("kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)"),
            Some(Kind::Kmemleak)
        );
        assert_eq!(
            kind("kmemleak: unreferenced object 0xffff888004d2c000 (size 1024):"),
            Some(Kind::Kmemleak)
        );
        assert_eq!(
            classify("WARNING: CPU: 1 PID: 77 at fs/x.c:1 f+0x1/0x2"),
            Some(Header::WarnCpu(Some(77)))
        );
        // not findings
        for s in [
            "Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar",
            "... MAX_LOCKDEP_SUBCLASSES:  8",
            "rcu: Hierarchical RCU implementation.",
            "ODEBUG: selftest passed",
            "kmemleak: Kernel memory leak detector initialized (mem pool available: 15806)",
            "kmemleak:     loop_add+0x1c5/0x7a0 [loop]",
            "kmemleak: Automatic memory scanning thread ended",
            "WARNING: Spectre v2 mitigation leaves CPU vulnerable",
            "Good, all 261 testcases passed! |",
            "rloop-test: begin basic",
            "this line says WARNING: CPU: 0 in the middle",
        ] {
            assert_eq!(classify(s), None, "{s}");
        }
    }

    #[test]
    fn markers() {
        assert_eq!(
            marker("rloop-test: begin 10-basic"),
            Some(Marker::Begin("10-basic".into()))
        );
        assert_eq!(
            marker("rloop-test: end basic rc=0"),
            Some(Marker::End("basic".into()))
        );
        assert_eq!(marker("rloop-test: bogus"), None);
    }
}
