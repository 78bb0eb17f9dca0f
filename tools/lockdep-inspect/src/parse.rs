//! Walks a console log and turns each report ("splat") into one finding.
//!
//! A report starts at a header line (see [`crate::classify`]) and ends at the
//! next header, at a test marker, at `---[ end trace ... ]---`, when its
//! call trace ends (the line after `</TASK>`, or for traces without
//! `<TASK>` markers the first line that is neither a frame nor a register
//! dump), at the closing `=====` line for KASAN/KCSAN, or after
//! [`MAX_SPLAT_LINES`].  Lines that only follow from a report (lockdep
//! switching itself off, the lock dump after a hung task, the panic after an
//! Oops) are folded into the report just before them.

use crate::classify::{classify, marker, Header, Marker, TurnOff};
use crate::line::{
    bare_lock_name, body_task, is_machinery, is_register_line, lock_classes, parse_frame,
    split_lines, strip_prefix, trace_marker,
};
use crate::model::{ChainEntry, Finding, Kind, Task};

/// Main call trace frames kept per finding.
pub const MAX_FRAMES: usize = 8;
/// Frames kept per dependency chain entry.
pub const MAX_CHAIN_FRAMES: usize = 5;
/// A report longer than this is cut off.
pub const MAX_SPLAT_LINES: usize = 1000;
/// Follow-up lines (lock dumps, "Disabling lock debugging", panics) this
/// close to the end of a report belong to it.
pub const FOLLOW_UP_WINDOW: usize = 30;

/// Parses one log.  `file` is recorded in each finding.
pub fn parse_log(file: &str, bytes: &[u8]) -> Vec<Finding> {
    let mut p = Parser::new(file);
    // Width of the last timestamp prefix: the continuation lines of a
    // multi-line printk record ("\nbut task is already holding lock:") are
    // printed without a timestamp, indented by that many spaces instead.
    let mut prefix_width = 0;
    for (i, raw) in split_lines(bytes).iter().enumerate() {
        let mut content = strip_prefix(raw);
        if content.len() != raw.len() {
            prefix_width = raw.len() - content.len();
        } else if prefix_width > 0
            && raw.len() >= prefix_width
            && raw.as_bytes()[..prefix_width].iter().all(|&b| b == b' ')
        {
            content = &raw[prefix_width..];
        }
        p.line(i + 1, content);
    }
    p.finish()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Body,
    Chain,
    Scenario,
    HeldLocks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trace {
    NotYet,
    In { task_open: bool, task_closed: bool },
    Done,
}

struct Active {
    idx: usize,
    start: usize,
    section: Section,
    trace: Trace,
    /// Started by `cut here`; the kind/header are not known yet.
    cut_pending: bool,
    /// A `WARNING: CPU:` line (from __warn) is part of this report.
    expect_warn_line: bool,
    /// Ends at a closing `=====` line rather than at the end of the trace.
    bracketed: bool,
    task_strong: bool,
    /// Still skipping leading report-machinery frames.
    skipping_frames: bool,
    scenario: Vec<String>,
    held_list_seen: bool,
}

enum Fed {
    Consumed,
    /// The report ended before this line; the line still needs handling.
    EndedBefore,
    /// The report ended with this line.
    EndedWith,
}

struct Parser {
    file: String,
    test: Option<String>,
    findings: Vec<Finding>,
    active: Option<Active>,
    /// (finding index, line number of its last line) of the latest report.
    last: Option<(usize, usize)>,
}

impl Parser {
    fn new(file: &str) -> Parser {
        Parser {
            file: file.to_string(),
            test: None,
            findings: Vec::new(),
            active: None,
            last: None,
        }
    }

    fn finish(mut self) -> Vec<Finding> {
        self.end_active(0);
        self.findings
    }

    fn end_active(&mut self, at: usize) {
        if let Some(a) = self.active.take() {
            let f = &mut self.findings[a.idx];
            if f.scenario.is_none() && !a.scenario.is_empty() {
                f.scenario = Some(join_scenario(&a.scenario));
            }
            self.last = Some((a.idx, at.max(a.start)));
        }
    }

    fn start(&mut self, n: usize, kind: Kind, content: &str, task: Option<Task>) {
        self.end_active(n.saturating_sub(1));
        let mut f = Finding::new(kind, content, &self.file, Some(n));
        f.test = self.test.clone();
        let task_strong = task.is_some();
        f.task = task;
        self.findings.push(f);
        self.active = Some(Active {
            idx: self.findings.len() - 1,
            start: n,
            section: Section::Body,
            trace: Trace::NotYet,
            cut_pending: false,
            expect_warn_line: false,
            bracketed: matches!(kind, Kind::Kasan | Kind::Kcsan),
            task_strong,
            skipping_frames: true,
            scenario: Vec::new(),
            held_list_seen: false,
        });
    }

    fn recent_last(&self, n: usize) -> Option<usize> {
        match self.last {
            Some((idx, end)) if n.saturating_sub(end) <= FOLLOW_UP_WINDOW => Some(idx),
            _ => None,
        }
    }

    fn line(&mut self, n: usize, content: &str) {
        if let Some(m) = marker(content) {
            self.end_active(n.saturating_sub(1));
            self.last = None;
            match m {
                Marker::Begin(name) => self.test = Some(name),
                Marker::End(_) => self.test = None,
            }
            return;
        }

        if let Some(h) = classify(content) {
            self.header(n, content, h);
            return;
        }

        if self.active.is_some() {
            match self.feed(n, content) {
                Fed::Consumed => return,
                Fed::EndedWith => {
                    self.end_active(n);
                    return;
                }
                Fed::EndedBefore => self.end_active(n.saturating_sub(1)),
            }
        }

        // No report in progress: lines that only follow from the previous
        // report (e.g. the lock dump after a hung task) are folded into it.
        if is_follow_up(content) {
            if let Some(idx) = self.recent_last(n) {
                absorb_classes(&mut self.findings[idx], content);
                self.last = Some((idx, n));
            }
        }
    }

    fn header(&mut self, n: usize, content: &str, h: Header) {
        let t = content.trim();
        match h {
            Header::CutHere => {
                // "BUG: key ... has not been registered!" is followed by a
                // DEBUG_LOCKS_WARN_ON(): same report.
                if let Some(a) = &mut self.active {
                    let kind = self.findings[a.idx].kind;
                    if kind == Kind::Lockdep && n - a.start <= 2 && a.trace == Trace::NotYet {
                        a.expect_warn_line = true;
                        return;
                    }
                }
                self.start(n, Kind::Warning, t, None);
                if let Some(a) = &mut self.active {
                    a.cut_pending = true;
                    a.expect_warn_line = true;
                }
            }
            Header::WarnCpu(pid) => {
                if let Some(a) = &mut self.active {
                    if a.expect_warn_line {
                        let f = &mut self.findings[a.idx];
                        if a.cut_pending {
                            f.header = t.to_string();
                            f.line = Some(n);
                            a.cut_pending = false;
                        }
                        a.expect_warn_line = false;
                        if f.task.is_none() {
                            f.task = pid.map(|p| Task::new(None, Some(p)));
                        }
                        return;
                    }
                }
                self.start(n, Kind::Warning, t, pid.map(|p| Task::new(None, Some(p))));
                if let Some(a) = &mut self.active {
                    a.task_strong = false;
                }
            }
            Header::Oops => {
                if let Some(a) = &mut self.active {
                    let f = &mut self.findings[a.idx];
                    if a.cut_pending {
                        f.kind = Kind::Oops;
                        f.header = t.to_string();
                        f.line = Some(n);
                        a.cut_pending = false;
                        return;
                    }
                    if f.kind == Kind::Bug && a.trace == Trace::NotYet {
                        // "BUG: unable to handle page fault ..." / "kernel
                        // BUG at ..." are followed by their Oops line.
                        return;
                    }
                }
                self.start(n, Kind::Oops, t, None);
            }
            Header::Panic => {
                if self.active.is_some() {
                    return;
                }
                if let Some(idx) = self.recent_last(n) {
                    self.last = Some((idx, n));
                    return;
                }
                self.start(n, Kind::Oops, t, None);
            }
            Header::TurnOff(which) => {
                if self.active.is_some() {
                    return;
                }
                if let Some(idx) = self.recent_last(n) {
                    self.last = Some((idx, n));
                    return;
                }
                if which == TurnOff::IsOff
                    && self.findings.iter().any(|f| f.kind.turns_lockdep_off())
                {
                    // Already explained by an earlier report.
                    return;
                }
                self.start(n, Kind::LockdepTurnedOff, t, None);
                let msg = match which {
                    TurnOff::Validator => "lockdep turned itself off; locking is no longer checked",
                    TurnOff::IsOff => {
                        "lockdep was found turned off with no earlier report explaining why"
                    }
                    TurnOff::Taint => {
                        "a kernel taint turned lock debugging off; locking is no longer checked"
                    }
                };
                if let Some(a) = &self.active {
                    self.findings[a.idx].message = Some(msg.to_string());
                }
                // A one-line report: do not let it swallow what follows.
                self.end_active(n);
            }
            Header::Start(kind, task) => {
                if let Some(a) = &mut self.active {
                    if a.cut_pending {
                        let f = &mut self.findings[a.idx];
                        f.kind = kind;
                        f.header = t.to_string();
                        f.line = Some(n);
                        if task.is_some() {
                            f.task = task;
                            a.task_strong = true;
                        }
                        a.cut_pending = false;
                        a.bracketed = matches!(kind, Kind::Kasan | Kind::Kcsan);
                        return;
                    }
                }
                if kind == Kind::Kmemleak && !t.contains("unreferenced object") {
                    // The summary after a scan.  With kmemleak's `verbose`
                    // parameter on, the leaks it counts were just printed,
                    // each one a finding already: fold it into them.
                    let prev = match &self.active {
                        Some(a) => Some(a.idx),
                        None => self.recent_last(n),
                    };
                    if let Some(idx) = prev {
                        if self.findings[idx].kind == Kind::Kmemleak
                            && self.findings[idx].header.contains("unreferenced object")
                        {
                            self.end_active(n);
                            self.last = Some((idx, n));
                            return;
                        }
                    }
                }
                self.start(n, kind, t, task);
                if kind == Kind::Kmemleak && !t.contains("unreferenced object") {
                    // One line; the details are in debugfs, not in the log.
                    self.end_active(n);
                }
            }
        }
    }

    fn feed(&mut self, n: usize, content: &str) -> Fed {
        let Some(a) = self.active.as_mut() else {
            return Fed::EndedBefore;
        };
        if n - a.start > MAX_SPLAT_LINES {
            return Fed::EndedBefore;
        }
        let f = &mut self.findings[a.idx];
        let t = content.trim();

        // kmemleak's verbose report of one leak: every line carries the
        // "kmemleak: " prefix; the comm/pid line names the allocating task
        // and the backtrace is the allocation's stack.
        if f.kind == Kind::Kmemleak {
            let Some(rest) = t.strip_prefix("kmemleak:") else {
                return Fed::EndedBefore;
            };
            let rest = rest.trim();
            if let Some(c) = rest.strip_prefix("comm \"") {
                if let Some((comm, tail)) = c.split_once('"') {
                    let pid = tail
                        .trim_start_matches([',', ' '])
                        .strip_prefix("pid ")
                        .and_then(|p| p.split(',').next())
                        .and_then(|p| p.trim().parse::<u32>().ok());
                    f.task = Some(Task::new(Some(comm), pid));
                }
            } else if let Some(frame) = parse_frame(rest) {
                if f.frames.len() < MAX_FRAMES {
                    f.frames.push(frame.text);
                }
            }
            return Fed::Consumed;
        }

        if t.starts_with("---[ end trace") || t.starts_with("---[ end Kernel panic") {
            return Fed::EndedWith;
        }
        if a.bracketed && t.len() >= 20 && t.bytes().all(|b| b == b'=') {
            return Fed::EndedWith;
        }

        // The WARN() message between `cut here` and `WARNING: CPU:`.
        if a.cut_pending {
            if !t.is_empty() && f.message.is_none() {
                f.message = Some(t.to_string());
            }
            return Fed::Consumed;
        }

        if let Trace::In {
            task_open,
            task_closed,
        } = a.trace
        {
            if let Some(frame) = parse_frame(content) {
                if task_closed {
                    // frames after </TASK> without a new <TASK>
                    a.trace = Trace::In {
                        task_open,
                        task_closed: false,
                    };
                }
                if frame.reliable && f.frames.len() < MAX_FRAMES {
                    if a.skipping_frames && is_machinery(&frame.func) {
                        return Fed::Consumed;
                    }
                    a.skipping_frames = false;
                    f.frames.push(frame.text);
                }
                return Fed::Consumed;
            }
            if let Some(m) = trace_marker(content) {
                a.trace = match m {
                    "</TASK>" => Trace::In {
                        task_open,
                        task_closed: true,
                    },
                    "<TASK>" => Trace::In {
                        task_open: true,
                        task_closed: false,
                    },
                    _ => a.trace,
                };
                return Fed::Consumed;
            }
            if is_register_line(content) && !task_closed {
                return Fed::Consumed;
            }
            if task_open && !task_closed {
                // interleaved output inside the <TASK> block
                return Fed::Consumed;
            }
            a.trace = Trace::Done;
            if !a.bracketed {
                return Fed::EndedBefore;
            }
            // KASAN/KCSAN: the report goes on (allocation/free stacks, ...).
        }

        // KCSAN prints its stacks under "write to 0x... of 4 bytes by task 1 on cpu 0:".
        if f.kind == Kind::Kcsan
            && a.trace == Trace::NotYet
            && t.contains(" by task ")
            && t.ends_with(':')
        {
            a.trace = Trace::In {
                task_open: false,
                task_closed: false,
            };
            return Fed::Consumed;
        }
        if t.eq_ignore_ascii_case("Call Trace:") {
            if a.trace == Trace::NotYet {
                a.trace = Trace::In {
                    task_open: false,
                    task_closed: false,
                };
            }
            return Fed::Consumed;
        }

        // "Possible unsafe locking scenario" table, verbatim.
        if a.section == Section::Scenario {
            a.scenario.push(content.trim_end().to_string());
            if t == "*** DEADLOCK ***" {
                f.scenario = Some(join_scenario(&a.scenario));
                a.scenario.clear();
                a.section = Section::Body;
            }
            return Fed::Consumed;
        }
        if t == "Possible unsafe locking scenario:"
            || t == "Possible interrupt unsafe locking scenario:"
        {
            a.section = Section::Scenario;
            a.scenario.clear();
            a.scenario.push(content.trim_end().to_string());
            return Fed::Consumed;
        }

        // Dependency chain of a circular dependency report.
        if let Some(rest) = t.strip_prefix("-> #") {
            let index = rest
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|d| d.parse::<u32>().ok());
            if let (Some(index), Some(class)) = (index, lock_classes(t).into_iter().next()) {
                f.add_class(class.clone());
                f.chain.push(ChainEntry {
                    index,
                    class,
                    frames: Vec::new(),
                });
                a.section = Section::Chain;
                a.skipping_frames = true;
                return Fed::Consumed;
            }
        }
        if a.section == Section::Chain {
            if let Some(frame) = parse_frame(content) {
                if let Some(entry) = f.chain.last_mut() {
                    if entry.frames.len() < MAX_CHAIN_FRAMES
                        && frame.reliable
                        && !(a.skipping_frames && is_machinery(&frame.func))
                    {
                        a.skipping_frames = false;
                        entry.frames.push(frame.text);
                    }
                }
                return Fed::Consumed;
            }
            a.section = Section::Body;
            a.skipping_frames = true;
        }

        // Task named by the report.
        if let Some((task, strong)) = body_task(content) {
            merge_task(&mut f.task, &mut a.task_strong, task, strong);
        }

        // Lock classes.
        absorb_classes(f, content);

        // A held-lock list ends "lock held when returning to user space",
        // which prints no stack.
        let is_held_header = is_held_locks_header(t);
        let is_lock_line = is_held_lock_line(t);
        if f.kind == Kind::LockHeldReturningToUser {
            if is_held_header {
                a.held_list_seen = true;
                a.section = Section::HeldLocks;
                return Fed::Consumed;
            }
            if a.held_list_seen && !is_lock_line {
                return Fed::EndedBefore;
            }
        }
        Fed::Consumed
    }
}

fn merge_task(slot: &mut Option<Task>, strong_slot: &mut bool, task: Task, strong: bool) {
    match slot {
        None => {
            *slot = Some(task);
            *strong_slot = strong;
        }
        Some(cur) => {
            if strong && !*strong_slot {
                *slot = Some(task);
                *strong_slot = true;
            } else if !strong {
                // fill in what is missing from the same task
                if cur.comm.is_none() && (cur.pid.is_none() || cur.pid == task.pid) {
                    cur.comm = task.comm.clone();
                }
                if cur.pid.is_none() && cur.comm.is_some() && cur.comm == task.comm {
                    cur.pid = task.pid;
                }
            }
        }
    }
}

fn absorb_classes(f: &mut Finding, content: &str) {
    for class in lock_classes(content) {
        f.add_class(class);
    }
    if let Some(class) = bare_lock_name(content) {
        f.add_class(class);
    }
}

/// "2 locks held by kworker/0:1/42:" / "no locks held by foo/1."
fn is_held_locks_header(t: &str) -> bool {
    (t.contains(" held by ") && (t.contains(" lock ") || t.contains(" locks ")))
        || t == "Showing all locks held in the system:"
}

/// " #0: ffff888003a8c0a8 (&disk->open_mutex){+.+.}-{4:4}, at: ..."
fn is_held_lock_line(t: &str) -> bool {
    t.strip_prefix('#')
        .and_then(|r| r.split_once(':'))
        .is_some_and(|(d, _)| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Lines printed after a report as a consequence of it.
fn is_follow_up(content: &str) -> bool {
    let t = content.trim();
    is_held_locks_header(t)
        || is_held_lock_line(t)
        || t.starts_with("=====")
        || t.starts_with("---[ end ")
}

fn join_scenario(lines: &[String]) -> String {
    let mut lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warn_with_message() {
        let log = b"------------[ cut here ]------------\n\
DEBUG_LOCKS_WARN_ON(lock->magic != lock)\n\
WARNING: CPU: 1 PID: 77 at kernel/locking/mutex.c:587 __mutex_lock+0x6b6/0x9a0\n\
Modules linked in: loop\n\
CPU: 1 UID: 0 PID: 77 Comm: modprobe Not tainted 6.12.0 #1\n\
RIP: 0010:__mutex_lock+0x6b6/0x9a0\n\
Call Trace:\n\
 <TASK>\n\
 ? __warn+0x7d/0x130\n\
 foo_init+0x10/0x20 [foo]\n\
 </TASK>\n\
irq event stamp: 1234\n\
---[ end trace 0000000000000000 ]---\n";
        let f = parse_log("x", log);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::Warning);
        assert_eq!(f[0].line, Some(3));
        assert_eq!(
            f[0].message.as_deref(),
            Some("DEBUG_LOCKS_WARN_ON(lock->magic != lock)")
        );
        let t = f[0].task.as_ref().unwrap();
        assert_eq!((t.comm.as_deref(), t.pid), (Some("modprobe"), Some(77)));
        assert_eq!(f[0].frames, vec!["foo_init+0x10/0x20 [foo]"]);
    }

    #[test]
    fn follow_up_panic_is_folded() {
        let log = b"BUG: kernel NULL pointer dereference, address: 0000000000000008\n\
#PF: supervisor read access in kernel mode\n\
Oops: Oops: 0000 [#1] PREEMPT SMP NOPTI\n\
CPU: 0 UID: 0 PID: 9 Comm: kworker/0:1 Not tainted 6.12.0 #1\n\
Call Trace:\n\
 <TASK>\n\
 process_one_work+0x1d9/0x5d0\n\
 </TASK>\n\
Modules linked in:\n\
---[ end trace 0000000000000000 ]---\n\
Kernel panic - not syncing: Fatal exception\n\
---[ end Kernel panic - not syncing: Fatal exception ]---\n";
        let f = parse_log("x", log);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].kind, Kind::Bug);
    }

    #[test]
    fn lone_panic_is_oops() {
        let f = parse_log(
            "x",
            b"VFS: Cannot open root device\nKernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::Oops);
    }
}
