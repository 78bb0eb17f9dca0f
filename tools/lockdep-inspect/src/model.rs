//! What a finding looks like.

use serde::Serialize;
use std::fmt;

/// The kind of a finding.  The strings (see [`Kind::as_str`]) are the
/// stable interface: they appear in `--json` output and in tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Kind {
    #[serde(rename = "circular dependency")]
    CircularDependency,
    #[serde(rename = "recursive locking")]
    RecursiveLocking,
    #[serde(rename = "inconsistent lock state")]
    InconsistentLockState,
    #[serde(rename = "irq lock inversion")]
    IrqLockInversion,
    #[serde(rename = "invalid wait context")]
    InvalidWaitContext,
    #[serde(rename = "held lock freed")]
    HeldLockFreed,
    #[serde(rename = "bad unlock balance")]
    BadUnlockBalance,
    #[serde(rename = "lock held when returning to user space")]
    LockHeldReturningToUser,
    #[serde(rename = "lockdep")]
    Lockdep,
    #[serde(rename = "suspicious RCU usage")]
    SuspiciousRcuUsage,
    #[serde(rename = "sleeping function called from invalid context")]
    SleepingInAtomic,
    #[serde(rename = "hung task")]
    HungTask,
    #[serde(rename = "soft lockup")]
    SoftLockup,
    #[serde(rename = "rcu stall")]
    RcuStall,
    #[serde(rename = "BUG")]
    Bug,
    #[serde(rename = "Oops")]
    Oops,
    #[serde(rename = "WARNING")]
    Warning,
    #[serde(rename = "KASAN")]
    Kasan,
    #[serde(rename = "KCSAN")]
    Kcsan,
    #[serde(rename = "UBSAN")]
    Ubsan,
    #[serde(rename = "kmemleak")]
    Kmemleak,
    #[serde(rename = "ODEBUG")]
    Odebug,
    #[serde(rename = "workqueue leaked lock")]
    WorkqueueLeakedLock,
    #[serde(rename = "lockdep turned off")]
    LockdepTurnedOff,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::CircularDependency,
        Kind::RecursiveLocking,
        Kind::InconsistentLockState,
        Kind::IrqLockInversion,
        Kind::InvalidWaitContext,
        Kind::HeldLockFreed,
        Kind::BadUnlockBalance,
        Kind::LockHeldReturningToUser,
        Kind::Lockdep,
        Kind::SuspiciousRcuUsage,
        Kind::SleepingInAtomic,
        Kind::HungTask,
        Kind::SoftLockup,
        Kind::RcuStall,
        Kind::Bug,
        Kind::Oops,
        Kind::Warning,
        Kind::Kasan,
        Kind::Kcsan,
        Kind::Ubsan,
        Kind::Kmemleak,
        Kind::Odebug,
        Kind::WorkqueueLeakedLock,
        Kind::LockdepTurnedOff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CircularDependency => "circular dependency",
            Kind::RecursiveLocking => "recursive locking",
            Kind::InconsistentLockState => "inconsistent lock state",
            Kind::IrqLockInversion => "irq lock inversion",
            Kind::InvalidWaitContext => "invalid wait context",
            Kind::HeldLockFreed => "held lock freed",
            Kind::BadUnlockBalance => "bad unlock balance",
            Kind::LockHeldReturningToUser => "lock held when returning to user space",
            Kind::Lockdep => "lockdep",
            Kind::SuspiciousRcuUsage => "suspicious RCU usage",
            Kind::SleepingInAtomic => "sleeping function called from invalid context",
            Kind::HungTask => "hung task",
            Kind::SoftLockup => "soft lockup",
            Kind::RcuStall => "rcu stall",
            Kind::Bug => "BUG",
            Kind::Oops => "Oops",
            Kind::Warning => "WARNING",
            Kind::Kasan => "KASAN",
            Kind::Kcsan => "KCSAN",
            Kind::Ubsan => "UBSAN",
            Kind::Kmemleak => "kmemleak",
            Kind::Odebug => "ODEBUG",
            Kind::WorkqueueLeakedLock => "workqueue leaked lock",
            Kind::LockdepTurnedOff => "lockdep turned off",
        }
    }

    /// Reports after which lockdep no longer checks anything
    /// (`debug_locks_off()`, or a taint with LOCKDEP_NOW_UNRELIABLE).
    pub fn turns_lockdep_off(self) -> bool {
        matches!(
            self,
            Kind::CircularDependency
                | Kind::RecursiveLocking
                | Kind::InconsistentLockState
                | Kind::IrqLockInversion
                | Kind::InvalidWaitContext
                | Kind::HeldLockFreed
                | Kind::BadUnlockBalance
                | Kind::LockHeldReturningToUser
                | Kind::Lockdep
                | Kind::LockdepTurnedOff
                | Kind::Bug
                | Kind::Oops
                | Kind::Kasan
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The task a report names.  Either part may be unknown (`WARNING: CPU: 0
/// PID: 12 at ...` names only a pid).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub comm: Option<String>,
    pub pid: Option<u32>,
}

impl Task {
    pub fn new(comm: Option<&str>, pid: Option<u32>) -> Task {
        Task {
            comm: comm.map(str::to_string),
            pid,
        }
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.comm, self.pid) {
            (Some(c), Some(p)) => write!(f, "{c}/{p}"),
            (Some(c), None) => f.write_str(c),
            (None, Some(p)) => write!(f, "pid {p}"),
            (None, None) => f.write_str("?"),
        }
    }
}

/// One `-> #N (class){...}-{..}:` entry of a circular dependency report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainEntry {
    pub index: u32,
    pub class: String,
    /// First frames below the entry (leading lockdep frames skipped).
    pub frames: Vec<String>,
}

/// One report found in a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    /// The line that identifies the report, without printk prefixes.
    pub header: String,
    /// Extra text: the WARN() message, or why lockdep counts as off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The input the finding came from (`-` for stdin).
    pub file: String,
    /// 1-based line number of the header in `file` (null when the finding
    /// does not come from a line, e.g. a missing debug_locks line).
    pub line: Option<usize>,
    /// The test in progress (`rloop-test: begin NAME`) when the report began.
    pub test: Option<String>,
    pub task: Option<Task>,
    /// Lock classes named in the report, in order of first appearance.
    pub classes: Vec<String>,
    /// Dependency chain of a circular dependency, in printed order.
    pub chain: Vec<ChainEntry>,
    /// "Possible (interrupt) unsafe locking scenario" table, verbatim.
    pub scenario: Option<String>,
    /// First reliable frames of the main call trace.
    pub frames: Vec<String>,
}

impl Finding {
    pub fn new(kind: Kind, header: &str, file: &str, line: Option<usize>) -> Finding {
        Finding {
            kind,
            header: header.trim().to_string(),
            message: None,
            file: file.to_string(),
            line,
            test: None,
            task: None,
            classes: Vec::new(),
            chain: Vec::new(),
            scenario: None,
            frames: Vec::new(),
        }
    }

    pub fn add_class(&mut self, class: String) {
        if !self.classes.contains(&class) {
            self.classes.push(class);
        }
    }
}
