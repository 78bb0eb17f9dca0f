//! Runs the built binary: exit codes, output formats, --lockdep-stats.

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockdep-inspect"))
        .args(args)
        .output()
        .unwrap()
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockdep-inspect"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn clean_log_exits_0() {
    let o = run(&[&fixture("clean-boot.log")]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "lockdep-inspect: no findings\n");
}

#[test]
fn findings_exit_1_with_summary() {
    let o = run(&[&fixture("circular-loop-6.12.log")]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("[1] circular dependency\n"), "{out}");
    assert!(out.contains("    test:     autoclear\n"), "{out}");
    assert!(out.contains("    task:     kworker/u8:3/57\n"), "{out}");
    assert!(out.contains("      -> #1 (wq_completion)loop0\n"), "{out}");
    assert!(out.contains("       *** DEADLOCK ***\n"), "{out}");
    assert!(out.ends_with("lockdep-inspect: 1 finding(s)\n"), "{out}");
    // no trailing whitespace from blank scenario lines
    assert!(out.lines().all(|l| l == l.trim_end()), "{out}");
}

#[test]
fn json_shape() {
    let o = run(&["--json", &fixture("002-netfs-circular.log")]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert!(v["debug_locks"].is_null());
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f["kind"], "circular dependency");
    assert_eq!(
        f["header"],
        "WARNING: possible circular locking dependency detected"
    );
    assert_eq!(f["line"], 1);
    assert!(f["test"].is_null());
    assert_eq!(f["task"]["comm"], "holetest");
    assert_eq!(f["task"]["pid"], 65517);
    assert_eq!(f["classes"][1], "&mm->mmap_lock#2");
    assert_eq!(f["chain"][0]["index"], 2);
    assert_eq!(f["chain"][0]["class"], "&mm->mmap_lock#2");
    assert_eq!(f["chain"][2]["frames"][0], "down_read+0x40/0x4a");
    assert!(f["scenario"]
        .as_str()
        .unwrap()
        .starts_with(" Possible unsafe locking scenario:"));
    assert_eq!(f["frames"].as_array().unwrap().len(), 8);
    for key in [
        "kind", "header", "file", "line", "test", "task", "classes", "chain", "scenario", "frames",
    ] {
        assert!(f.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn json_no_findings() {
    let o = run(&["--json", &fixture("003-loop-console.log")]);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn markers_attribute_findings_across_files() {
    let o = run(&[
        "--json",
        &fixture("warning.log"),
        &fixture("clean-boot.log"),
        &fixture("hung-task.log"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let f = v["findings"].as_array().unwrap();
    let tests: Vec<&str> = f.iter().map(|f| f["test"].as_str().unwrap()).collect();
    assert_eq!(tests, vec!["discard", "lock-debug", "umount-after-close"]);
    assert!(f[2]["file"].as_str().unwrap().ends_with("hung-task.log"));
}

#[test]
fn finding_outside_any_test_has_null_test() {
    let log = b"[    1.0] rloop-test: begin a\n[    2.0] rloop-test: end a rc=0\n\
[    3.0] BUG: scheduling while atomic: swapper/1/0/0x00000002\n";
    let o = run_stdin(&["--json", "-"], log);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert!(v["findings"][0]["test"].is_null());
    assert_eq!(v["findings"][0]["file"], "-");
    assert_eq!(v["findings"][0]["line"], 3);
    assert_eq!(v["findings"][0]["task"]["comm"], "swapper/1");
}

#[test]
fn stats_debug_locks_1() {
    let o = run(&[
        "--lockdep-stats",
        &fixture("lockdep_stats-on.txt"),
        &fixture("clean-boot.log"),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "lockdep-inspect: no findings\ndebug_locks: 1\n");
    let o = run(&[
        "--json",
        &format!("--lockdep-stats={}", fixture("lockdep_stats-on.txt")),
        &fixture("clean-boot.log"),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json(&o)["debug_locks"], 1);
}

#[test]
fn stats_debug_locks_0_is_a_finding() {
    let o = run(&[
        "--json",
        "--lockdep-stats",
        &fixture("lockdep_stats-off.txt"),
        &fixture("clean-boot.log"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["debug_locks"], 0);
    let f = &v["findings"][0];
    assert_eq!(f["kind"], "lockdep turned off");
    assert_eq!(f["line"], 32);
    assert!(f["message"].as_str().unwrap().contains("debug_locks is 0"));

    let o = run(&[
        "--lockdep-stats",
        &fixture("lockdep_stats-off.txt"),
        &fixture("circular-loop-6.12.log"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("[2] lockdep turned off"), "{out}");
    assert!(
        out.contains("probably by the circular dependency report"),
        "{out}"
    );
    assert!(
        out.ends_with("lockdep-inspect: 2 finding(s)\ndebug_locks: 0\n"),
        "{out}"
    );
}

#[test]
fn stats_without_debug_locks_line_is_a_finding() {
    let o = run(&[
        "--json",
        "--lockdep-stats",
        &fixture("lockdep_stats-missing.txt"),
        &fixture("clean-boot.log"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert!(v["debug_locks"].is_null());
    assert_eq!(v["findings"][0]["kind"], "lockdep turned off");
    assert!(v["findings"][0]["line"].is_null());
    assert!(v["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("no \"debug_locks:\" line"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["--bogus", "x.log"][..],
        &["--lockdep-stats"][..],
        &["--ignore-kind", "WARNING", "x.log"][..],
        &["-", "-"][..],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("usage:"),
            "{args:?}"
        );
    }
}

#[test]
fn io_errors_exit_2() {
    let o = run(&["/nonexistent/console.log"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/console.log"));
    let o = run(&[
        "--lockdep-stats",
        "/nonexistent/stats",
        &fixture("clean-boot.log"),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn help_exits_0() {
    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("usage: lockdep-inspect"));
    assert!(out.contains("--lockdep-stats FILE"));
    assert!(out.contains("exit status"));
}
