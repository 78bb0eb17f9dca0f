//! lockdep-inspect CLI; see `--help`.

use lockdep_inspect::{parse_log, report, stats};
use std::io::{Read, Write};
use std::process::ExitCode;

const USAGE: &str = "\
usage: lockdep-inspect [--json] [--lockdep-stats FILE] LOG...
       dmesg | lockdep-inspect -

Reads Linux kernel logs (each LOG a file, or - for standard input; several
are read in order) and reports every lockdep/debug finding: lockdep reports
(circular dependency, recursive locking, inconsistent lock state, held lock
freed, bad unlock balance, lock held when returning to user space, ...),
suspicious RCU usage, sleeping in atomic context, hung tasks, lockups and
RCU stalls, BUG/Oops/WARNING, KASAN/KCSAN/UBSAN, kmemleak, ODEBUG,
workqueue leaked locks, and lockdep turning itself off.  Serial consoles,
dmesg, syslog/journal lines (`Aug 29 09:51:01 host kernel: ...`), printk
timestamps and caller ids are understood.  Findings are attributed to the
test in progress (`rloop-test: begin NAME` / `rloop-test: end NAME` lines).

options:
  --json                 print {\"findings\": [...], \"debug_locks\": 1|0|null}
  --lockdep-stats FILE   a dump of /proc/lockdep_stats; debug_locks 0 or a
                         missing debug_locks line is a `lockdep turned off`
                         finding
  -h, --help             show this help
  -V, --version          show the version

exit status:
  0  no findings
  1  at least one finding
  2  usage error, or a LOG or FILE that cannot be read
";

struct Args {
    json: bool,
    stats: Option<String>,
    logs: Vec<String>,
}

enum Parsed {
    Run(Args),
    Exit(ExitCode),
}

fn usage_error(msg: &str) -> Parsed {
    eprintln!("lockdep-inspect: {msg}");
    eprint!("{USAGE}");
    Parsed::Exit(ExitCode::from(2))
}

fn parse_args(argv: Vec<String>) -> Parsed {
    let mut args = Args {
        json: false,
        stats: None,
        logs: Vec::new(),
    };
    let mut it = argv.into_iter();
    let mut only_files = false;
    while let Some(a) = it.next() {
        if only_files || a == "-" || !a.starts_with('-') {
            args.logs.push(a);
            continue;
        }
        match a.as_str() {
            "--" => only_files = true,
            "-h" | "--help" => {
                print!("{USAGE}");
                return Parsed::Exit(ExitCode::SUCCESS);
            }
            "-V" | "--version" => {
                println!("lockdep-inspect {}", env!("CARGO_PKG_VERSION"));
                return Parsed::Exit(ExitCode::SUCCESS);
            }
            "--json" => args.json = true,
            "--lockdep-stats" => match it.next() {
                Some(f) if args.stats.is_none() => args.stats = Some(f),
                Some(_) => return usage_error("--lockdep-stats given twice"),
                None => return usage_error("--lockdep-stats needs a FILE"),
            },
            _ => {
                if let Some(f) = a.strip_prefix("--lockdep-stats=") {
                    if args.stats.is_some() {
                        return usage_error("--lockdep-stats given twice");
                    }
                    args.stats = Some(f.to_string());
                } else {
                    return usage_error(&format!("unknown option {a}"));
                }
            }
        }
    }
    if args.logs.is_empty() {
        return usage_error("no LOG given (use - for stdin)");
    }
    if args.logs.iter().filter(|l| l.as_str() == "-").count() > 1 {
        return usage_error("- (stdin) given more than once");
    }
    Parsed::Run(args)
}

fn read_input(name: &str) -> std::io::Result<Vec<u8>> {
    if name == "-" {
        let mut buf = Vec::new();
        std::io::stdin().lock().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(name)
    }
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1).collect()) {
        Parsed::Run(a) => a,
        Parsed::Exit(code) => return code,
    };

    let mut findings = Vec::new();
    for log in &args.logs {
        match read_input(log) {
            Ok(bytes) => findings.extend(parse_log(log, &bytes)),
            Err(e) => {
                eprintln!("lockdep-inspect: {log}: {e}");
                return ExitCode::from(2);
            }
        }
    }

    let mut debug_locks = None;
    if let Some(path) = &args.stats {
        let bytes = match read_input(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("lockdep-inspect: {path}: {e}");
                return ExitCode::from(2);
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let (value, finding) = stats::stats_finding(path, &text, &findings);
        debug_locks = value;
        findings.extend(finding);
    }

    let out = if args.json {
        report::json(&findings, debug_locks)
    } else {
        report::text(&findings, args.stats.is_some(), debug_locks)
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("lockdep-inspect: writing output: {e}");
            return ExitCode::from(2);
        }
    }
    if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
