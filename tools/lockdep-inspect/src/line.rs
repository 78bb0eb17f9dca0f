//! Helpers that look at one console line: prefix stripping, stack frames,
//! lock class names and task names.

use crate::model::Task;

/// Splits raw console bytes into lines: `\n` separated, trailing `\r`
/// removed (serial consoles send `\r\n`, sometimes `\r\r\n`), invalid UTF-8
/// replaced.
pub fn split_lines(bytes: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = bytes
        .split(|&b| b == b'\n')
        .map(|raw| {
            let mut end = raw.len();
            while end > 0 && raw[end - 1] == b'\r' {
                end -= 1;
            }
            String::from_utf8_lossy(&raw[..end]).into_owned()
        })
        .collect();
    // A final newline yields one empty trailing element; drop it.
    if bytes.last() == Some(&b'\n') {
        lines.pop();
    }
    lines
}

/// Removes the kernel's per-line prefixes and returns the message text with
/// its own leading whitespace intact: an optional syslog/journal prefix
/// (`Aug 29 09:51:01 host kernel: `, as in /var/log/kern.log and
/// `journalctl -k`, or `2026-05-28T12:21:57.303295+00:00 host kernel: `),
/// an optional syslog level `<4>`, an optional printk timestamp
/// `[   12.345678]`, an optional caller id `[  T123]` / `[    C0]`
/// (CONFIG_PRINTK_CALLER), then the single separating space.
pub fn strip_prefix(line: &str) -> &str {
    let mut rest = line;
    if let Some(after) = strip_syslog(rest) {
        rest = after;
    }
    if let Some(after) = strip_level(rest) {
        rest = after;
    }
    let mut stripped = false;
    if let Some(after) = strip_timestamp(rest) {
        rest = after;
        stripped = true;
    }
    if let Some(after) = strip_caller(rest) {
        rest = after;
        stripped = true;
    }
    if stripped {
        if let Some(after) = rest.strip_prefix(' ') {
            rest = after;
        }
    }
    rest
}

/// `MMM DD HH:MM:SS HOST kernel: ` or `YYYY-MM-DDTHH:MM:SS... HOST kernel: `.
fn strip_syslog(s: &str) -> Option<&str> {
    let is_time = |t: &str| {
        let hms = t.split('.').next().unwrap_or("");
        hms.len() == 8
            && hms.bytes().enumerate().all(|(i, b)| {
                if i == 2 || i == 5 {
                    b == b':'
                } else {
                    b.is_ascii_digit()
                }
            })
    };
    let (first, rest) = s.split_once(' ')?;
    let rest = if first.len() == 3 && first.bytes().all(|b| b.is_ascii_alphabetic()) {
        // "Aug 29 09:51:01" or "Aug  9 09:51:01"
        let rest = rest.trim_start_matches(' ');
        let (day, rest) = rest.split_once(' ')?;
        if day.is_empty() || day.len() > 2 || !day.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (time, rest) = rest.split_once(' ')?;
        if !is_time(time) {
            return None;
        }
        rest
    } else {
        // "2026-05-28T12:21:57.303295+00:00"
        let (date, time) = first.split_once('T')?;
        let d = date.as_bytes();
        if d.len() != 10 || d[4] != b'-' || d[7] != b'-' || time.len() < 8 || !is_time(&time[..8]) {
            return None;
        }
        rest
    };
    let (host, rest) = rest.split_once(' ')?;
    if host.is_empty() {
        return None;
    }
    rest.strip_prefix("kernel:")
        .map(|r| r.strip_prefix(' ').unwrap_or(r))
}

fn strip_level(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('<')?;
    let close = inner.find('>')?;
    let digits = &inner[..close];
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(&inner[close + 1..])
}

fn strip_timestamp(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('[')?;
    let close = inner.find(']')?;
    let body = inner[..close].trim_start();
    let (secs, frac) = body.split_once('.')?;
    if secs.is_empty()
        || frac.is_empty()
        || !secs.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some(&inner[close + 1..])
}

fn strip_caller(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('[')?;
    let close = inner.find(']')?;
    let body = inner[..close].trim_start();
    let mut chars = body.chars();
    match chars.next() {
        Some('T') | Some('C') => {}
        _ => return None,
    }
    let digits = chars.as_str();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(&inner[close + 1..])
}

/// A stack frame as printed by the kernel (`%pS`/`%pBb`):
/// `func+0x1c/0x40`, optionally `? ` before it (unreliable) and
/// ` [module]` or a build id after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The frame text without the `? ` marker, e.g. `lo_release+0x12/0x40 [loop]`.
    pub text: String,
    /// The function name, e.g. `lo_release`.
    pub func: String,
    pub reliable: bool,
}

pub fn parse_frame(content: &str) -> Option<Frame> {
    let t = content.trim();
    let (reliable, t) = match t.strip_prefix("? ") {
        Some(rest) => (false, rest.trim_start()),
        None => (true, t),
    };
    let sym = t.split_whitespace().next()?;
    let (func, offsets) = sym.split_once('+')?;
    if func.is_empty()
        || !func
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'$')
    {
        return None;
    }
    let (off, size) = offsets.split_once('/')?;
    if !is_hex(off) || !is_hex(size) {
        return None;
    }
    Some(Frame {
        text: t.to_string(),
        func: func.to_string(),
        reliable,
    })
}

fn is_hex(s: &str) -> bool {
    match s.strip_prefix("0x") {
        Some(h) => !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()),
        None => false,
    }
}

/// Functions of the reporting machinery (lockdep, dump_stack, KASAN, ...)
/// that open most traces.  Leading frames of these are skipped so that the
/// summary shows the code that took the lock or made the access.
pub fn is_machinery(func: &str) -> bool {
    let base = func.split('.').next().unwrap_or(func);
    const EXACT: &[&str] = &[
        "dump_stack",
        "dump_stack_lvl",
        "show_stack",
        "show_trace_log_lvl",
        "check_noncircular",
        "check_prev_add",
        "check_prevs_add",
        "check_deadlock",
        "check_irq_usage",
        "check_usage_backwards",
        "check_usage_forwards",
        "check_wait_context",
        "validate_chain",
        "__lock_acquire",
        "lock_acquire",
        "__lock_release",
        "lock_release",
        "lock_sync",
        "mark_lock",
        "mark_lock_irq",
        "mark_usage",
        "mark_held_locks",
        "valid_state",
        "debug_check_no_locks_freed",
        "debug_check_no_locks_held",
        "lockdep_rcu_suspicious",
        "lockdep_sys_exit",
        "__might_resched",
        "__might_sleep",
        "__might_fault",
        "__cant_sleep",
        "__schedule_bug",
        "schedule_debug",
        "kasan_report",
        "kasan_check_range",
        "print_report",
        "print_address_description",
        "kcsan_report",
        "ubsan_epilogue",
        "debug_print_object",
        "debug_object_assert_init",
    ];
    EXACT.contains(&base)
        || base.starts_with("print_")
        || base.starts_with("__asan_")
        || base.starts_with("__kasan_")
        || base.starts_with("__ubsan_handle_")
        || base.starts_with("__tsan_")
        || base.starts_with("kcsan_")
}

/// A register dump or code line inside a trace (`RIP: 0010:...`,
/// `RAX: ...`, `Code: ...`, `ORIG_RAX:`), i.e. a first token of at most
/// nine upper-case letters, digits or `_` ending in `:`.
pub fn is_register_line(content: &str) -> bool {
    let t = content.trim_start();
    let Some(tok) = t.split_whitespace().next() else {
        return false;
    };
    let Some(name) = tok.strip_suffix(':') else {
        return false;
    };
    !name.is_empty()
        && name.len() <= 9
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && name.bytes().any(|b| b.is_ascii_uppercase())
}

/// Trace section markers such as `<TASK>`, `</TASK>`, `<IRQ>`, `<NMI>`.
pub fn trace_marker(content: &str) -> Option<&str> {
    let t = content.trim();
    if t.len() >= 3
        && t.starts_with('<')
        && t.ends_with('>')
        && t[1..t.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'#' || b == b'_')
    {
        Some(t)
    } else {
        None
    }
}

/// Lock class names printed by lockdep's `print_lock_name()`:
/// ` (NAME){usage}-{outer:inner}`.  NAME may itself contain parentheses,
/// e.g. `(work_completion)(&lo->rootcg_work)`, so the opening parenthesis
/// is found by matching backwards from the one before `{`.
pub fn lock_classes(content: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = content.as_bytes();
    let mut search = 0;
    while let Some(rel) = content[search..].find("){") {
        let close = search + rel;
        search = close + 2;
        // usage characters up to the closing brace
        let after = &content[close + 2..];
        let Some(end) = after.find('}') else {
            continue;
        };
        let usage = &after[..end];
        if usage.is_empty()
            || !usage
                .bytes()
                .all(|b| matches!(b, b'+' | b'-' | b'.' | b'?'))
        {
            continue;
        }
        let mut depth = 0usize;
        let mut open = None;
        for i in (0..=close).rev() {
            match bytes[i] {
                b')' => depth += 1,
                b'(' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        open = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        if let Some(open) = open {
            let name = &content[open + 1..close];
            if !name.is_empty() {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// Class name from `... is trying to release lock (NAME) at:` (bad unlock
/// balance, bad contention), which prints the bare name.
pub fn bare_lock_name(content: &str) -> Option<String> {
    for key in ["is trying to release lock (", "is trying to contend lock ("] {
        if let Some(pos) = content.find(key) {
            let rest = &content[pos + key.len()..];
            let end = rest.rfind(") at:").or_else(|| rest.rfind(')'))?;
            let name = &rest[..end];
            if !name.is_empty() {
                return Some(name.to_string());
            }
        }
    }
    None
}

/// Splits `comm/pid` at the last slash (comms such as `kworker/u8:3`
/// contain slashes).
pub fn comm_slash_pid(s: &str) -> Option<Task> {
    let (comm, pid) = s.trim().rsplit_once('/')?;
    let pid: u32 = pid.parse().ok()?;
    if comm.is_empty() {
        return None;
    }
    Some(Task::new(Some(comm), Some(pid)))
}

/// Splits `comm:pid` at the last colon (`kworker/0:1:123`).
pub fn comm_colon_pid(s: &str) -> Option<Task> {
    let (comm, pid) = s.trim().rsplit_once(':')?;
    let pid: u32 = pid.parse().ok()?;
    if comm.is_empty() {
        return None;
    }
    Some(Task::new(Some(comm), Some(pid)))
}

/// Task named in the body of a report, in decreasing order of how sure we
/// are that it is the culprit.  Returns `(task, strong)`: strong sources name
/// the task the report is about; the `CPU: ... Comm:` line of the stack dump
/// is weak (only fills in what is missing).
pub fn body_task(content: &str) -> Option<(Task, bool)> {
    let t = content.trim();
    // lockdep: "comm/pid is trying to acquire lock:",
    // "comm/pid [HC0[0]:SC0[0]:HE1:SE1] is trying to acquire:",
    // "comm/pid [HC...] takes:", "comm/pid is freeing memory ...",
    // "comm/pid is leaving the kernel with locks still held!",
    // "comm/pid just changed the state of lock:"
    for key in [
        " is trying to ",
        " is freeing memory ",
        " is leaving the kernel",
        " just changed the state of lock",
        "] takes:",
    ] {
        if let Some(pos) = t.find(key) {
            let mut who = &t[..pos];
            if let Some(hc) = who.find(" [HC") {
                who = &who[..hc];
            }
            if let Some(task) = comm_slash_pid(who) {
                return Some((task, true));
            }
        }
    }
    // __might_resched: "in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 12, name: foo"
    if t.starts_with("in_atomic():") {
        let pid = t
            .split_once(" pid: ")
            .and_then(|(_, r)| r.split(',').next())
            .and_then(|p| p.trim().parse::<u32>().ok());
        let comm = t.split_once(", name: ").map(|(_, r)| r.trim());
        if pid.is_some() || comm.is_some() {
            return Some((Task::new(comm, pid), true));
        }
    }
    // KASAN: "Read of size 8 at addr ffff... by task foo/123",
    // "Free of addr ffff... by task foo/123"
    if (t.starts_with("Read of size")
        || t.starts_with("Write of size")
        || t.starts_with("Free of addr")
        || t.contains(" at addr "))
        && t.contains(" by task ")
    {
        if let Some((_, who)) = t.rsplit_once(" by task ") {
            if let Some(task) = comm_slash_pid(who) {
                return Some((task, true));
            }
        }
    }
    // dump_stack: "CPU: 0 UID: 0 PID: 1 Comm: swapper/0 Not tainted 6.12..."
    // (older: "CPU: 0 PID: 1 Comm: swapper/0 Tainted: G W ...")
    if t.starts_with("CPU: ") {
        if let Some((_, rest)) = t.split_once(" Comm: ") {
            let pid = t
                .split_once(" PID: ")
                .and_then(|(_, r)| r.split_whitespace().next())
                .and_then(|p| p.parse::<u32>().ok());
            let comm = [" Not tainted", " Tainted:"]
                .iter()
                .filter_map(|m| rest.find(m))
                .min()
                .map(|end| &rest[..end])
                .or_else(|| rest.split_whitespace().next())
                .map(str::trim);
            return Some((Task::new(comm, pid), false));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(strip_prefix("[   12.345678] foo"), "foo");
        assert_eq!(
            strip_prefix("Aug 29 09:51:01 blizard kernel: Oops: 0002"),
            "Oops: 0002"
        );
        assert_eq!(
            strip_prefix("May  7 18:48:11 pi kernel: [ 6141.921740] INFO: task x:5 blocked"),
            "INFO: task x:5 blocked"
        );
        assert_eq!(
            strip_prefix("2026-05-28T12:21:57.303295+00:00 vm-1 kernel:  ret_from_fork+0x44/0x70"),
            " ret_from_fork+0x44/0x70"
        );
        // not a syslog prefix: left alone
        assert_eq!(
            strip_prefix("Aug 29 is when kernel: happened"),
            "Aug 29 is when kernel: happened"
        );
        assert_eq!(strip_prefix("sshd[12]: kernel: x"), "sshd[12]: kernel: x");
        assert_eq!(
            strip_prefix("[   12.345678]  dump_stack+0x1/0x2"),
            " dump_stack+0x1/0x2"
        );
        assert_eq!(strip_prefix("[    1.234567][  T123] foo"), "foo");
        assert_eq!(strip_prefix("[    1.234567][    C0] foo"), "foo");
        assert_eq!(strip_prefix("<4>[    1.234567] foo"), "foo");
        assert_eq!(strip_prefix("plain text"), "plain text");
        assert_eq!(strip_prefix("[ OK ] Started"), "[ OK ] Started");
        assert_eq!(strip_prefix("[    5.000000]"), "");
    }

    #[test]
    fn lines() {
        let l = split_lines(b"a\r\nb\xff\r\r\n\nc");
        assert_eq!(l, vec!["a", "b\u{fffd}", "", "c"]);
        assert_eq!(split_lines(b"a\n"), vec!["a"]);
    }

    #[test]
    fn frames() {
        let f = parse_frame("  __mutex_lock+0x8c/0x9a0").unwrap();
        assert_eq!(f.func, "__mutex_lock");
        assert!(f.reliable);
        let f = parse_frame(" ? foo+0x1/0x2 [loop]").unwrap();
        assert_eq!(f.text, "foo+0x1/0x2 [loop]");
        assert!(!f.reliable);
        assert!(parse_frame("RIP: 0033:0x40192f").is_none());
        assert!(parse_frame("Fixes: 726218fdc22c").is_none());
        assert!(parse_frame("a+b/c").is_none());
    }

    #[test]
    fn classes() {
        assert_eq!(
            lock_classes(
                " ffff888003a8c0a8 (&disk->open_mutex){+.+.}-{4:4}, at: bdev_open+0x4d/0x390"
            ),
            vec!["&disk->open_mutex"]
        );
        assert_eq!(
            lock_classes(" #1: ffffc90000b3fe78 ((work_completion)(&lo->rootcg_work)){+.+.}-{0:0}, at: process_one_work+0x1d9/0x5d0"),
            vec!["(work_completion)(&lo->rootcg_work)"]
        );
        assert_eq!(
            lock_classes("-> #1 ((wq_completion)loop0){+.+.}-{0:0}:"),
            vec!["(wq_completion)loop0"]
        );
        assert_eq!(
            lock_classes(" (&(&ctx->lock)->rlock){+.+.}-{2:2} ->  (&foo#2/1){-...}-{2:2}"),
            vec!["&(&ctx->lock)->rlock", "&foo#2/1"]
        );
        assert!(lock_classes("lock(&mm->mmap_lock#2);").is_empty());
        assert!(lock_classes("struct foo (a){x}").is_empty());
        assert_eq!(
            bare_lock_name("kworker/0:1/42 is trying to release lock (&dev->lock) at:"),
            Some("&dev->lock".to_string())
        );
    }

    #[test]
    fn tasks() {
        let (t, strong) = body_task("kworker/u8:3/123 is trying to acquire lock:").unwrap();
        assert!(strong);
        assert_eq!(t.comm.as_deref(), Some("kworker/u8:3"));
        assert_eq!(t.pid, Some(123));
        let (t, _) = body_task("swapper/0/0 [HC0[0]:SC1[1]:HE1:SE0] takes:").unwrap();
        assert_eq!(t.comm.as_deref(), Some("swapper/0"));
        let (t, _) =
            body_task("in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 12, name: foo")
                .unwrap();
        assert_eq!((t.comm.as_deref(), t.pid), (Some("foo"), Some(12)));
        let (t, strong) =
            body_task("CPU: 0 UID: 0 PID: 1 Comm: swapper/0 Not tainted 6.12.0 #1").unwrap();
        assert!(!strong);
        assert_eq!((t.comm.as_deref(), t.pid), (Some("swapper/0"), Some(1)));
        let (t, _) =
            body_task("CPU: 0 PID: 65517 Comm: holetest Tainted: G        W 5.15.0 #292").unwrap();
        assert_eq!((t.comm.as_deref(), t.pid), (Some("holetest"), Some(65517)));
    }
}
