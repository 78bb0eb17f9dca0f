//! Every fixture under tests/fixtures/ and what must be found in it.
//!
//! To add a fixture: drop the log into tests/fixtures/, name its source in
//! tests/fixtures/README.md, and add one `case(...)` entry to `CASES` below
//! (run `lockdep-inspect --json FILE` to see what it finds).  A fixture
//! without an entry fails `every_fixture_has_a_case`.

use lockdep_inspect::{parse_log, Finding};
use std::path::PathBuf;

/// What one finding must look like.  `None`/empty fields are not checked,
/// except `classes` and `chain`, which are compared exactly.
struct Expect {
    kind: &'static str,
    test: Option<&'static str>,
    /// (comm, pid)
    task: Option<(&'static str, u32)>,
    classes: &'static [&'static str],
    /// chain classes in printed order (`-> #N` from highest N down)
    chain: &'static [&'static str],
    /// the first frame of the main call trace
    first_frame: Option<&'static str>,
    /// a line the unsafe-locking-scenario table must contain
    scenario_has: Option<&'static str>,
}

const fn expect(kind: &'static str) -> Expect {
    Expect {
        kind,
        test: None,
        task: None,
        classes: &[],
        chain: &[],
        first_frame: None,
        scenario_has: None,
    }
}

struct Case {
    file: &'static str,
    findings: &'static [Expect],
}

const fn case(file: &'static str, findings: &'static [Expect]) -> Case {
    Case { file, findings }
}

const CASES: &[Case] = &[
    // Real splat from seed 002 (netfs/cachefiles, 5.15-rc1).
    case(
        "002-netfs-circular.log",
        &[Expect {
            task: Some(("holetest", 65517)),
            classes: &[
                "mapping.invalidate_lock#3",
                "&mm->mmap_lock#2",
                "sb_writers#10",
            ],
            chain: &[
                "&mm->mmap_lock#2",
                "sb_writers#10",
                "mapping.invalidate_lock#3",
            ],
            first_frame: Some("down_read+0x40/0x4a"),
            scenario_has: Some("                               lock(sb_writers#10);"),
            ..expect("circular dependency")
        }],
    ),
    // Real splat provoked in our own test guest (6.12.117-rloop, TCG):
    // tools/lockdep-inspect/provoke/lockdep_provoke.ko, `make check PROVOKE=1`.
    case(
        "provoke-guest-6.12.log",
        &[Expect {
            test: Some("provoke-lockdep"),
            task: Some(("insmod", 111)),
            classes: &["provoke_lock_a", "provoke_lock_b"],
            chain: &["provoke_lock_b", "provoke_lock_a"],
            first_frame: Some("__mutex_lock+0xba/0xc70"),
            scenario_has: Some("                               lock(provoke_lock_a);"),
            ..expect("circular dependency")
        }],
    ),
    // Real reports quoted in the Linux 6.12 documentation (tests/fixtures/
    // README.md names the file and lines of each).
    case(
        "doc-kasan-oob.log",
        &[Expect {
            task: Some(("insmod", 2760)),
            first_frame: Some("kmalloc_oob_right+0xa8/0xbc [kasan_test]"),
            ..expect("KASAN")
        }],
    ),
    case(
        "doc-kcsan.log",
        &[
            Expect {
                task: Some(("access_thread", 488)),
                first_frame: Some("test_kernel_write+0x1d/0x30"),
                ..expect("KCSAN")
            },
            Expect {
                task: Some(("access_thread", 515)),
                first_frame: Some("test_kernel_rmw_array+0x71/0xd0"),
                ..expect("KCSAN")
            },
        ],
    ),
    // Every frame of this 4.8 i386 trace is marked `?`: no reliable frame.
    case(
        "doc-warning.log",
        &[Expect {
            task: Some(("rmmod", 28102)),
            ..expect("WARNING")
        }],
    ),
    case("doc-null-deref.log", &[expect("BUG")]),
    // klogd's syslog prefix on every line.
    case("doc-oops-syslog.log", &[expect("Oops")]),
    case("doc-rcu-stall.log", &[expect("rcu stall")]),
    // Real reports provoked in our guest by provoke/fixtures-guest.sh.
    case(
        "guest-odebug-6.12.log",
        &[Expect {
            task: Some(("insmod", 120)),
            first_frame: Some("debug_check_no_obj_freed+0x25c/0x2a0"),
            ..expect("ODEBUG")
        }],
    ),
    case(
        "guest-hung-task-6.12.log",
        &[Expect {
            task: Some(("sh", 132)),
            classes: &["rcu_read_lock", "sb_writers#8"],
            first_frame: Some("__schedule+0x355/0xa40"),
            ..expect("hung task")
        }],
    ),
    // Real console excerpt from seed 003: I/O errors, no report.
    case("003-loop-console.log", &[]),
    case("clean-boot.log", &[]),
    case(
        "circular-loop-6.12.log",
        &[Expect {
            test: Some("autoclear"),
            task: Some(("kworker/u8:3", 57)),
            classes: &[
                "&disk->open_mutex",
                "(work_completion)(&lo->rootcg_work)",
                "(wq_completion)loop0",
            ],
            chain: &[
                "(work_completion)(&lo->rootcg_work)",
                "(wq_completion)loop0",
                "&disk->open_mutex",
            ],
            first_frame: Some("__mutex_lock+0x8c/0x9a0"),
            scenario_has: Some("  lock(&disk->open_mutex);"),
            ..expect("circular dependency")
        }],
    ),
    case(
        "recursive-locking.log",
        &[Expect {
            test: Some("set-status"),
            task: Some(("losetup", 412)),
            classes: &["&lo->lo_mutex"],
            first_frame: Some("__mutex_lock+0x8c/0x9a0"),
            scenario_has: Some("  lock(&lo->lo_mutex);"),
            ..expect("recursive locking")
        }],
    ),
    case(
        "inconsistent-lock-state.log",
        &[Expect {
            task: Some(("swapper/0", 0)),
            classes: &["&lo->lo_work_lock"],
            first_frame: Some("_raw_spin_lock+0x30/0x40"),
            scenario_has: Some("  <Interrupt>"),
            ..expect("inconsistent lock state")
        }],
    ),
    case(
        "held-lock-freed.log",
        &[Expect {
            task: Some(("rmmod", 655)),
            classes: &["&lo->lo_mutex", "loop_ctl_mutex"],
            first_frame: Some("kfree+0x167/0x3a0"),
            ..expect("held lock freed")
        }],
    ),
    case(
        "bad-unlock-balance.log",
        &[Expect {
            task: Some(("kworker/1:2", 88)),
            classes: &[
                "&lo->lo_mutex",
                "(wq_completion)loop0",
                "(work_completion)(&worker->work)",
            ],
            first_frame: Some("__mutex_unlock_slowpath+0x3c/0x2c0"),
            ..expect("bad unlock balance")
        }],
    ),
    case(
        "lock-held-returning.log",
        &[Expect {
            test: Some("ioctl-errors"),
            task: Some(("losetup", 733)),
            classes: &["&lo->lo_mutex"],
            ..expect("lock held when returning to user space")
        }],
    ),
    case(
        "suspicious-rcu.log",
        &[Expect {
            task: Some(("fio", 902)),
            classes: &["&lo->lo_mutex"],
            first_frame: Some("rloop_backing_file+0x8e/0xa0 [rloop]"),
            ..expect("suspicious RCU usage")
        }],
    ),
    case(
        "sleeping-function.log",
        &[
            Expect {
                task: Some(("kworker/u8:1", 1044)),
                classes: &["(wq_completion)loop0", "&lo->lo_work_lock"],
                first_frame: Some("__mutex_lock+0x53/0x9a0"),
                ..expect("sleeping function called from invalid context")
            },
            Expect {
                task: Some(("kworker/u8:1", 1044)),
                classes: &["(wq_completion)loop0", "&lo->lo_work_lock"],
                first_frame: Some("__schedule+0x10e1/0x1470"),
                ..expect("sleeping function called from invalid context")
            },
        ],
    ),
    case(
        "hung-task.log",
        &[Expect {
            test: Some("umount-after-close"),
            task: Some(("umount", 1187)),
            classes: &[
                "rcu_read_lock",
                "&disk->open_mutex",
                "(wq_completion)loop0",
                "(work_completion)(&lo->rootcg_work)",
            ],
            first_frame: Some("__schedule+0x4a8/0x1470"),
            ..expect("hung task")
        }],
    ),
    case(
        "odebug.log",
        &[Expect {
            test: Some("remove-busy"),
            task: Some(("rmmod", 1290)),
            first_frame: Some("debug_check_no_obj_freed+0x1f3/0x220"),
            ..expect("ODEBUG")
        }],
    ),
    case(
        "warning.log",
        &[
            Expect {
                test: Some("discard"),
                task: Some(("fstrim", 1402)),
                first_frame: Some("blk_mq_dispatch_rq_list+0x1a6/0x7e0"),
                ..expect("WARNING")
            },
            Expect {
                test: Some("lock-debug"),
                task: Some(("losetup", 1433)),
                first_frame: Some("loop_set_status+0x3e/0x2a0 [rloop]"),
                ..expect("WARNING")
            },
        ],
    ),
    case(
        "bug-null-deref.log",
        &[Expect {
            test: Some("null-deref"),
            task: Some(("kworker/0:2", 1511)),
            first_frame: Some("process_one_work+0x21a/0x5d0"),
            ..expect("BUG")
        }],
    ),
    case(
        "bug-at.log",
        &[
            Expect {
                test: Some("state-machine"),
                task: Some(("losetup", 1600)),
                first_frame: Some("lo_release+0x7a/0x90 [rloop]"),
                ..expect("BUG")
            },
            Expect {
                test: Some("pages"),
                task: Some(("rloop-io", 1650)),
                first_frame: Some("bad_page+0x6b/0x110"),
                ..expect("BUG")
            },
        ],
    ),
    case(
        "kasan.log",
        &[Expect {
            test: Some("uaf"),
            task: Some(("kworker/u8:2", 1702)),
            first_frame: Some("loop_process_work+0x3a1/0x3d0 [rloop]"),
            ..expect("KASAN")
        }],
    ),
    case(
        "workqueue-leaked-lock.log",
        &[Expect {
            test: Some("flush"),
            task: Some(("kworker/0:3", 1801)),
            classes: &["&lo->lo_mutex"],
            first_frame: Some("process_one_work+0x4f0/0x5d0"),
            ..expect("workqueue leaked lock")
        }],
    ),
    case(
        "lockups.log",
        &[
            Expect {
                task: Some(("rloop-spin", 1900)),
                first_frame: Some("rloop_wait_idle+0x2a/0x60 [rloop]"),
                ..expect("soft lockup")
            },
            expect("rcu stall"),
        ],
    ),
    case(
        "sanitizers.log",
        &[
            Expect {
                task: Some(("fio", 2001)),
                first_frame: Some("rloop_ring_push+0x98/0xb0 [rloop]"),
                ..expect("UBSAN")
            },
            Expect {
                first_frame: Some("rloop_complete+0x33/0x90 [rloop]"),
                ..expect("KCSAN")
            },
            expect("kmemleak"),
        ],
    ),
    // kmemleak with `verbose` on: each leak is a finding naming the
    // allocating task and stack; the summary after them is not a third one,
    // but a summary alone (verbose off) still is.
    case(
        "kmemleak-verbose.log",
        &[
            Expect {
                test: Some("fuzz"),
                task: Some(("rloop-fuzz", 2311)),
                first_frame: Some("__kmalloc_cache_noprof+0x2f3/0x3d0"),
                ..expect("kmemleak")
            },
            Expect {
                test: Some("fuzz"),
                task: Some(("kworker/u8:3", 77)),
                first_frame: Some("__kmalloc_noprof+0x1f2/0x3c0"),
                ..expect("kmemleak")
            },
            expect("kmemleak"),
        ],
    ),
    // "INFO: lockdep is turned off." after lockdep already reported running
    // out of entries is not a second finding.
    case(
        "lockdep-off.log",
        &[Expect {
            test: Some("many-devices"),
            ..expect("lockdep turned off")
        }],
    ),
    case(
        "lockdep-off-alone.log",
        &[
            Expect {
                test: Some("sysrq"),
                ..expect("lockdep turned off")
            },
            Expect {
                test: Some("proprietary"),
                ..expect("lockdep turned off")
            },
        ],
    ),
];

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn load(file: &str) -> Vec<Finding> {
    let path = fixture_dir().join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_log(file, &bytes)
}

fn check(case: &Case) {
    let found = load(case.file);
    let kinds: Vec<&str> = found.iter().map(|f| f.kind.as_str()).collect();
    let want: Vec<&str> = case.findings.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, want, "{}: kinds", case.file);
    for (i, (f, e)) in found.iter().zip(case.findings).enumerate() {
        let ctx = format!("{} finding {}", case.file, i + 1);
        assert!(f.line.is_some(), "{ctx}: line");
        if let Some(test) = e.test {
            assert_eq!(f.test.as_deref(), Some(test), "{ctx}: test");
        }
        if let Some((comm, pid)) = e.task {
            let task = f.task.as_ref().unwrap_or_else(|| panic!("{ctx}: no task"));
            assert_eq!(task.comm.as_deref(), Some(comm), "{ctx}: comm");
            assert_eq!(task.pid, Some(pid), "{ctx}: pid");
        }
        assert_eq!(f.classes, e.classes, "{ctx}: classes");
        let chain: Vec<&str> = f.chain.iter().map(|c| c.class.as_str()).collect();
        assert_eq!(chain, e.chain, "{ctx}: chain");
        if let Some(frame) = e.first_frame {
            assert_eq!(
                f.frames.first().map(String::as_str),
                Some(frame),
                "{ctx}: frames"
            );
        }
        if let Some(line) = e.scenario_has {
            let s = f
                .scenario
                .as_deref()
                .unwrap_or_else(|| panic!("{ctx}: no scenario"));
            assert!(
                s.lines().any(|l| l == line),
                "{ctx}: scenario lacks {line:?}:\n{s}"
            );
        }
    }
}

#[test]
fn all_fixtures() {
    for case in CASES {
        check(case);
    }
}

#[test]
fn every_fixture_has_a_case() {
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".log") {
            assert!(
                CASES.iter().any(|c| c.file == name),
                "fixture {name} has no entry in CASES (tests/fixtures.rs)"
            );
        }
    }
}

#[test]
fn seed_002_details() {
    let f = &load("002-netfs-circular.log")[0];
    assert_eq!(
        f.header,
        "WARNING: possible circular locking dependency detected"
    );
    assert_eq!(f.line, Some(1));
    assert_eq!(f.test, None);
    let idx: Vec<u32> = f.chain.iter().map(|c| c.index).collect();
    assert_eq!(idx, vec![2, 1, 0]);
    // leading lockdep frames are skipped, then the first five kept
    assert_eq!(
        f.chain[0].frames,
        vec![
            "strncpy_from_user+0x25/0x18c",
            "removexattr+0x7c/0xe5",
            "__do_sys_fremovexattr+0x73/0x96",
            "do_syscall_64+0x67/0x7a",
            "entry_SYSCALL_64_after_hwframe+0x44/0xae",
        ]
    );
    assert_eq!(f.chain[2].frames[0], "down_read+0x40/0x4a");
    assert_eq!(
        f.scenario.as_deref(),
        Some(
            " Possible unsafe locking scenario:\n\
             \n       CPU0                    CPU1\
             \n       ----                    ----\
             \n  lock(&mm->mmap_lock#2);\
             \n                               lock(sb_writers#10);\
             \n                               lock(&mm->mmap_lock#2);\
             \n  lock(mapping.invalidate_lock#3);\
             \n\
             \n *** DEADLOCK ***"
        )
    );
    assert_eq!(f.frames.len(), 8);
    assert!(f.frames.iter().all(|fr| !fr.starts_with('?')));
}

#[test]
fn timestamps_caller_ids_and_crlf_do_not_change_the_result() {
    // The same splat with printk timestamps, [ T57] caller ids, CRLF line
    // endings and indented continuation lines, and with all that removed.
    let raw = std::fs::read(fixture_dir().join("circular-loop-6.12.log")).unwrap();
    let text = String::from_utf8(raw.clone()).unwrap();
    let mut width = 0;
    let plain: String = text
        .split("\r\n")
        .map(|l| {
            if l.starts_with('[') {
                width = l.find("] ").unwrap() + 2;
                l[width..].to_string()
            } else if l.starts_with(&" ".repeat(width)) {
                l[width..].to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(plain.contains("\n-> #1 ((wq_completion)loop0)"));
    let a = parse_log("x", &raw);
    let b = parse_log("x", plain.as_bytes());
    assert_eq!(a, b);
}

#[test]
fn non_utf8_bytes_are_tolerated() {
    let mut raw = b"[    1.000000] \xff\xfe garbage from the serial line\r\n".to_vec();
    raw.extend_from_slice(&std::fs::read(fixture_dir().join("recursive-locking.log")).unwrap());
    let f = parse_log("x", &raw);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind.as_str(), "recursive locking");
    assert_eq!(f[0].line, Some(5));
}
