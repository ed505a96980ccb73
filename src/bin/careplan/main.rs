//! The `careplan` command: a thin layer over the library. Flags become a
//! config, the config a library call, the result an exit code.
//!
//! Exit codes: 0 success; 1 the input has errors (rule files, a profile, a
//! context, or any line of a batch); 2 usage errors and unreadable files.
//!
//! A closed standard output (the reader has what it wanted, as in
//! `careplan eval … | head -1`) is not an error: output stops quietly, with
//! no message, and the exit code is what the command had decided so far (0
//! for a batch or a benchmark cut short). Not 141, the shell's code for a
//! process killed by SIGPIPE: under `set -o pipefail` that would fail a
//! script that only wanted the first lines.
#![forbid(unsafe_code)]

/// `println!` that returns a [`Fail`] rather than panics when standard
/// output cannot be written; see [`emit`].
macro_rules! say {
    ($($t:tt)*) => {
        $crate::emit(&format!("{}\n", format_args!($($t)*)))
    };
}

/// `print!` that returns a [`Fail`] rather than panics; see [`emit`].
macro_rules! say_raw {
    ($($t:tt)*) => {
        $crate::emit(&format!($($t)*))
    };
}

mod bench;
#[cfg(feature = "fhir")]
mod fhir;
mod harness;
mod input;
mod previous;
mod render;
#[cfg(feature = "serve")]
mod serve;

use careplan::harness::batch;
use careplan::{Engine, LoadError, LoadOptions};
use clap::{Parser, Subcommand, ValueEnum};
use input::Format;
use std::io::Write;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "careplan",
    version,
    about = "Care-plan rules and program eligibility for case management"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// For people.
    Human,
    /// For programs: one JSON document (one per line for batches).
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate a client profile (JSON, YAML or TOML), or a JSON Lines batch.
    Eval {
        /// The rule set directory; the built-in reference policy if absent.
        #[arg(long, value_name = "DIR")]
        rules: Option<String>,
        /// The profile: .json, .yaml, .toml, or .jsonl for one profile per line; `-` reads JSON from standard input.
        profile: String,
        /// The caseload context: {"caseloads": {"program": {"case manager": clients}}}.
        #[arg(long, value_name = "FILE")]
        context: Option<String>,
        /// The evaluation date, YYYY-MM-DD: what `today` is and which dated values apply [default: today in UTC].
        #[arg(long = "as-of", value_name = "YYYY-MM-DD", value_parser = as_of_date)]
        as_of: Option<careplan::date::Date>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
        /// How much each report says: `outcomes` leaves out the reasons,
        /// the fast report for large batches.
        #[arg(long, value_enum, default_value = "full")]
        detail: batch::Detail,
        /// The client's previous report (JSON, as `--format json` wrote it): adds what changed since then. Not with a .jsonl batch.
        #[arg(long, value_name = "REPORT.json")]
        previous: Option<String>,
        /// Read the profile as a FHIR R4 Bundle (JSON), through the rule set's fhir.yaml mapping.
        #[cfg(feature = "fhir")]
        #[arg(long)]
        fhir: bool,
    },
    /// Run test cases (YAML or JSON files) against a rule set.
    Test {
        /// The rule set directory; the built-in reference policy if absent.
        #[arg(long, value_name = "DIR")]
        rules: Option<String>,
        /// Test files, or directories searched for .yaml, .yml and .json files.
        #[arg(required = true, value_name = "TEST_PATHS")]
        paths: Vec<String>,
        /// Run only the cases whose name contains this text.
        #[arg(long, value_name = "TEXT")]
        filter: Option<String>,
        /// Report which conditions the cases exercised.
        #[arg(long)]
        coverage: bool,
        /// Fail when coverage is below this percentage (implies --coverage).
        #[arg(long, value_name = "PCT")]
        threshold: Option<f64>,
        /// The evaluation date, YYYY-MM-DD: what `today` is and which dated values apply [default: today in UTC].
        #[arg(long = "as-of", value_name = "YYYY-MM-DD", value_parser = as_of_date)]
        as_of: Option<careplan::date::Date>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
    },
    /// Explain why and why not: every condition with its value and what it read.
    Explain {
        /// The rule set directory; the built-in reference policy if absent.
        #[arg(long, value_name = "DIR")]
        rules: Option<String>,
        /// The profile (.json, .yaml, .toml; `-` for JSON on standard input).
        profile: String,
        /// The caseload context.
        #[arg(long, value_name = "FILE")]
        context: Option<String>,
        /// Explain only this program, referral or warning.
        #[arg(long, value_name = "ID")]
        id: Option<String>,
        /// The evaluation date, YYYY-MM-DD: what `today` is and which dated values apply [default: today in UTC].
        #[arg(long = "as-of", value_name = "YYYY-MM-DD", value_parser = as_of_date)]
        as_of: Option<careplan::date::Date>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
    },
    /// Rewrite rule files in the canonical layout, keeping comments.
    Fmt {
        /// Rule files, or directories searched for .rules files; `-` formats standard input to standard output.
        #[arg(required = true, value_name = "PATHS")]
        paths: Vec<String>,
        /// Change nothing; list the files that are not canonical and exit 1 if any.
        #[arg(long)]
        check: bool,
    },
    /// Run a rule set over a population: speed, what fires, caseload demand; compare two rule sets.
    Bench {
        /// The rule set directory; the built-in reference policy if absent.
        #[arg(long, value_name = "DIR")]
        rules: Option<String>,
        /// How many synthetic profiles to generate from the schema [default: 10000].
        #[arg(long, value_name = "N", conflicts_with = "input",
              value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
        profiles: Option<u64>,
        /// Use the profiles of a JSON Lines file instead (bad lines are counted and skipped).
        #[arg(long, value_name = "FILE.jsonl")]
        input: Option<String>,
        /// The seed of the synthetic population.
        #[arg(long, value_name = "S", default_value_t = 1, conflicts_with = "input")]
        seed: u64,
        /// A second rule set to run the same population through: who gains and loses what.
        #[arg(long, value_name = "DIR2")]
        compare: Option<String>,
        /// The caseload context.
        #[arg(long, value_name = "FILE")]
        context: Option<String>,
        /// The evaluation date, YYYY-MM-DD: what `today` is and which dated values apply [default: today in UTC].
        #[arg(long = "as-of", value_name = "YYYY-MM-DD", value_parser = as_of_date)]
        as_of: Option<careplan::date::Date>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
    },
    /// Serve the rule set over HTTP: evaluate, explain, CDS Hooks, metrics, hot reload.
    #[cfg(feature = "serve")]
    Serve(serve::Args),
    /// Load and check a rule set, reporting every error.
    Check {
        /// The rule set directory; the built-in reference policy if absent.
        #[arg(long, value_name = "DIR")]
        rules: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
    },
}

/// Reads `--as-of`: a real calendar day, else a usage error naming the
/// flag (clap words it with the flag and the value).
fn as_of_date(s: &str) -> Result<careplan::date::Date, String> {
    careplan::date::parse(s)
}

/// An error that ends the command, with its exit code.
struct Fail {
    code: u8,
    message: String,
}

impl Fail {
    fn usage(message: impl Into<String>) -> Fail {
        Fail {
            code: 2,
            message: message.into(),
        }
    }

    fn input(message: impl Into<String>) -> Fail {
        Fail {
            code: 1,
            message: message.into(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Eval {
            rules,
            profile,
            context,
            as_of,
            format,
            detail,
            previous,
            #[cfg(feature = "fhir")]
            fhir,
        } => eval(&EvalOptions {
            rules: rules.as_deref(),
            profile: &profile,
            context: context.as_deref(),
            as_of,
            format,
            detail,
            previous: previous.as_deref(),
            #[cfg(feature = "fhir")]
            fhir,
        }),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::run(args),
        Command::Check { rules, format } => check(rules.as_deref(), format),
        Command::Bench {
            rules,
            profiles,
            input,
            seed,
            compare,
            context,
            as_of,
            format,
        } => bench::run(&bench::Options {
            as_of,
            rules: rules.as_deref(),
            profiles,
            input: input.as_deref(),
            seed,
            compare: compare.as_deref(),
            context: context.as_deref(),
            json: format == OutputFormat::Json,
        }),
        Command::Fmt { paths, check } => fmt(&paths, check),
        Command::Test {
            rules,
            paths,
            filter,
            coverage,
            threshold,
            as_of,
            format,
        } => load_or_fail(rules.as_deref()).and_then(|engine| {
            if threshold.is_some_and(|t| !(0.0..=100.0).contains(&t)) {
                return Err(Fail::usage(
                    "error: --threshold takes a percentage from 0 to 100",
                ));
            }
            let opts = harness::TestOptions {
                paths: &paths,
                filter: filter.as_deref(),
                coverage: coverage || threshold.is_some(),
                threshold,
                as_of,
                json: format == OutputFormat::Json,
            };
            harness::test(&engine, &opts)
        }),
        Command::Explain {
            rules,
            profile,
            context,
            id,
            as_of,
            format,
        } => explain(
            rules.as_deref(),
            &profile,
            context.as_deref(),
            id.as_deref(),
            as_of,
            format,
        ),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            if !f.message.is_empty() {
                eprintln!("{}", f.message.trim_end());
            }
            ExitCode::from(f.code)
        }
    }
}

/// Writes `text` to standard output. A closed pipe ends the output
/// quietly (see the module documentation); any other failure is an error.
fn emit(text: &str) -> Result<(), Fail> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .or_else(quiet_on_closed_pipe)
}

/// `Ok` for a closed pipe, which ends output without an error; otherwise
/// the usage error "cannot write output".
fn quiet_on_closed_pipe(e: std::io::Error) -> Result<(), Fail> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(Fail::usage(format!("error: cannot write output: {e}")))
    }
}

fn load(rules: Option<&str>) -> Result<Engine, LoadError> {
    match rules {
        Some(dir) => careplan::load_dir(dir, &LoadOptions::default()),
        None => careplan::reference(),
    }
}

fn load_or_fail(rules: Option<&str>) -> Result<Engine, Fail> {
    load(rules).map_err(load_failure)
}

/// Loads the rules and checks the evaluation date once, before any
/// profile is read: a date before the rule set's dated values is an input
/// error (exit 1) naming the first value not in force, whatever the
/// profiles hold.
fn load_dated(rules: Option<&str>, as_of: Option<careplan::date::Date>) -> Result<Engine, Fail> {
    let engine = load_or_fail(rules)?;
    engine
        .check_as_of(as_of.unwrap_or_else(careplan::date::today))
        .map_err(|e| Fail::input(format!("error: --as-of: {}", e.message)))?;
    Ok(engine)
}

/// A rule set that did not load: an unreadable path is a usage error, bad
/// rules are input errors shown with their diagnostics and a count.
fn load_failure(e: LoadError) -> Fail {
    match e {
        LoadError::Io { .. } | LoadError::Limit { .. } | LoadError::Internal { .. } => {
            Fail::usage(format!("error: {e}"))
        }
        LoadError::Rules(diags) => {
            let mut s: String = diags
                .iter()
                .map(render::diagnostic)
                .collect::<Vec<_>>()
                .join("\n");
            let n = diags
                .iter()
                .filter(|d| d.severity == careplan::DiagnosticSeverity::Error)
                .count();
            s.push_str(&format!(
                "\nthe rule set has {n} error{}",
                if n == 1 { "" } else { "s" }
            ));
            Fail::input(s)
        }
    }
}

fn check(rules: Option<&str>, format: OutputFormat) -> Result<u8, Fail> {
    let result = load(rules);
    match (result, format) {
        (Ok(engine), OutputFormat::Human) => {
            // Warnings (such as inputs no table row matches) do not stop
            // the load; they are shown before the summary.
            for w in engine.load_warnings() {
                say!("{}", render::diagnostic(&w))?;
            }
            say!(
                "ok: {} fields, {} programs, {} referrals, {} warnings ({})",
                engine.fields().len(),
                engine.programs().len(),
                engine.referrals().len(),
                engine.warnings().len(),
                engine.version()
            )?;
            Ok(0)
        }
        (Ok(engine), OutputFormat::Json) => {
            say!(
                "{}",
                serde_json::json!({"ok": true, "version": engine.version(), "diagnostics": engine.load_warnings()})
            )?;
            Ok(0)
        }
        (Err(LoadError::Rules(diags)), OutputFormat::Json) => {
            say!("{}", serde_json::json!({"ok": false, "diagnostics": diags}))?;
            Ok(1)
        }
        (
            Err(e @ (LoadError::Io { .. } | LoadError::Limit { .. } | LoadError::Internal { .. })),
            OutputFormat::Json,
        ) => {
            say!(
                "{}",
                serde_json::json!({"ok": false, "error": e.to_string(), "diagnostics": []})
            )?;
            Ok(2)
        }
        (Err(e), _) => Err(load_failure(e)),
    }
}

fn fmt(paths: &[String], check: bool) -> Result<u8, Fail> {
    let render_all = |d: Vec<careplan::Diagnostic>| {
        d.iter()
            .map(render::diagnostic)
            .collect::<Vec<_>>()
            .join("\n")
    };
    if paths.iter().any(|p| p == "-") {
        if paths.len() > 1 {
            return Err(Fail::usage("error: `-` formats standard input alone"));
        }
        let text = input::read_text("-").map_err(input::Unread::fail)?;
        let out = careplan::format::format_named("<stdin>", &text)
            .map_err(|d| Fail::input(render_all(d)))?;
        if check {
            return Ok(u8::from(out != text));
        }
        say_raw!("{out}")?;
        return Ok(0);
    }
    let files =
        input::files_under(paths, &["rules"]).map_err(|e| Fail::usage(format!("error: {e}")))?;
    if files.is_empty() {
        return Err(Fail::usage(
            "error: no `.rules` files under the given paths",
        ));
    }
    let mut errors = String::new();
    let mut unreadable = false;
    let mut changed = 0usize;
    for path in files {
        let shown = path.display().to_string();
        let text = match input::read_text(&shown) {
            Ok(t) => t,
            Err(e) => {
                unreadable |= matches!(e, input::Unread::Io(_));
                errors.push_str(&format!("error: {e}\n"));
                continue;
            }
        };
        match careplan::format::format_named(&shown, &text) {
            Err(d) => errors.push_str(&render_all(d)),
            Ok(out) if out == text => {}
            Ok(out) => {
                changed += 1;
                if check {
                    say!("would reformat {shown}")?;
                } else {
                    std::fs::write(&path, out)
                        .map_err(|e| Fail::usage(format!("error: cannot write `{shown}`: {e}")))?;
                    say!("reformatted {shown}")?;
                }
            }
        }
    }
    if unreadable {
        return Err(Fail::usage(errors));
    }
    if !errors.is_empty() {
        return Err(Fail::input(errors));
    }
    Ok(if check && changed > 0 { 1 } else { 0 })
}

/// Reads one document (`what`: a profile or a context) from a file, or
/// standard input for `-`. A file that cannot be read is a usage error
/// (exit 2); one that is not text, not valid, repeats a key or has a number
/// that cannot be kept exactly is bad input (exit 1).
fn read_document(path: &str, format: Format, what: &str) -> Result<serde_json::Value, Fail> {
    let text = input::read_text(path).map_err(input::Unread::fail)?;
    input::parse(&text, format, path)
        .map_err(|e| Fail::input(format!("error: {}", e.shown(what, path))))
}

/// Reads a context file into caseloads.
fn read_context(
    engine: &Engine,
    context: Option<&str>,
) -> Result<Option<careplan::Caseloads>, Fail> {
    let Some(path) = context else { return Ok(None) };
    let v = read_document(path, Format::of(path), "context")?;
    engine
        .caseloads(&v)
        .map(Some)
        .map_err(|e| Fail::input(format!("error: in context `{path}`: {e}")))
}

fn explain(
    rules: Option<&str>,
    profile: &str,
    context: Option<&str>,
    id: Option<&str>,
    as_of: Option<careplan::date::Date>,
    format: OutputFormat,
) -> Result<u8, Fail> {
    let engine = load_dated(rules, as_of)?;
    let caseloads = read_context(&engine, context)?;
    let fmt = Format::of(profile);
    if fmt == Format::JsonLines {
        return Err(Fail::usage(
            "error: explain takes one profile, not a .jsonl batch",
        ));
    }
    let value = read_document(profile, fmt, "profile")?;
    let items = engine
        .profile(&value)
        .map_err(careplan::EvalError::from)
        .and_then(|mut p| {
            if let Some(d) = as_of {
                p.as_of = d;
            }
            engine.explain(&p, caseloads.as_ref())
        })
        .map_err(|e| Fail::input(format!("error: in profile `{profile}`: {e}")))?;
    let chosen = harness::select(&items, id).map_err(|e| Fail::usage(format!("error: {e}")))?;
    match format {
        OutputFormat::Json => say!(
            "{}",
            serde_json::to_string_pretty(&chosen).unwrap_or_default()
        )?,
        OutputFormat::Human => {
            let text: Vec<String> = chosen.iter().map(|t| harness::explain_item(t)).collect();
            say_raw!("{}", text.join("\n"))?;
        }
    }
    Ok(0)
}

/// What `careplan eval` was asked: its flags, read.
struct EvalOptions<'a> {
    rules: Option<&'a str>,
    profile: &'a str,
    context: Option<&'a str>,
    as_of: Option<careplan::date::Date>,
    format: OutputFormat,
    detail: batch::Detail,
    /// The client's previous report (`--previous`).
    previous: Option<&'a str>,
    #[cfg(feature = "fhir")]
    fhir: bool,
}

fn eval(opts: &EvalOptions) -> Result<u8, Fail> {
    let EvalOptions {
        rules,
        profile,
        context,
        as_of,
        format,
        detail,
        previous,
        #[cfg(feature = "fhir")]
        fhir,
    } = *opts;
    let engine = load_dated(rules, as_of)?;
    let caseloads = read_context(&engine, context)?;
    let fmt = Format::of(profile);
    if previous.is_some() && fmt == Format::JsonLines {
        return Err(Fail::usage(
            "error: --previous compares one client's report with an earlier one; \
             a .jsonl batch has a client on every line (evaluate each profile on its own)",
        ));
    }
    if previous == Some("-") && profile == "-" {
        return Err(Fail::usage(
            "error: the profile and --previous cannot both be standard input",
        ));
    }
    let previous = match previous {
        Some(path) => Some((path, previous::read(path)?)),
        None => None,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if fmt == Format::JsonLines {
        // Streamed: a batch may be larger than memory.
        let cannot =
            |e: &dyn std::fmt::Display| Fail::usage(format!("error: cannot read `{profile}`: {e}"));
        let file = std::fs::File::open(profile).map_err(|e| cannot(&e))?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(cannot(&"it is a directory"));
        }
        let form: &dyn batch::Form = match format {
            OutputFormat::Json => &batch::Json,
            OutputFormat::Human => &render::Human,
        };
        let outcome = batch::run(
            &engine,
            std::io::BufReader::with_capacity(1 << 20, file),
            batch::Options {
                caseloads: caseloads.as_ref(),
                detail,
                threads: None,
                as_of,
            },
            form,
            &mut out,
        );
        let outcome = match outcome {
            Ok(o) => o,
            // The reader stopped reading: so does the batch.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(0),
            Err(e) => return Err(Fail::usage(format!("error: {e}"))),
        };
        if outcome.failed > 0 {
            eprintln!("{} of {} lines had errors", outcome.failed, outcome.lines);
            return Ok(1);
        }
        return Ok(0);
    }
    #[cfg(feature = "fhir")]
    let value = if fhir {
        fhir::bundle_profile(
            rules,
            &engine,
            profile,
            as_of.unwrap_or_else(careplan::date::today),
        )?
    } else {
        read_document(profile, fmt, "profile")?
    };
    #[cfg(not(feature = "fhir"))]
    let value = read_document(profile, fmt, "profile")?;
    let failed =
        |e: careplan::EvalError| Fail::input(format!("error: in profile `{profile}`: {e}"));
    let mut read = engine
        .profile(&value)
        .map_err(|e| failed(careplan::EvalError::from(e)))?;
    if let Some(d) = as_of {
        read.as_of = d;
    }
    // The JSON, or the words a case worker reads: only the one asked for;
    // with what changed since the previous report, when there is one.
    let shown = |r: &careplan::Report, human: fn(&careplan::Report) -> String| {
        let review = match &previous {
            Some((path, p)) => Some(previous::review(p, path, r)?),
            None => None,
        };
        Ok::<_, Fail>(match (format, review) {
            (OutputFormat::Json, None) => {
                serde_json::to_string_pretty(r).unwrap_or_default() + "\n"
            }
            (OutputFormat::Json, Some(review)) => previous::json(r, &review),
            (OutputFormat::Human, None) => human(r),
            (OutputFormat::Human, Some(review)) => {
                format!("{}\n{}", human(r), previous::text(&review))
            }
        })
    };
    let text = match detail {
        batch::Detail::Full => {
            let report = engine.evaluate(&read, caseloads.as_ref()).map_err(failed)?;
            shown(&report, render::report)?
        }
        batch::Detail::Outcomes => {
            let outcomes = engine.outcomes(&read, caseloads.as_ref()).map_err(failed)?;
            shown(&outcomes, render::outcomes)?
        }
    };
    write!(out, "{text}")
        .and_then(|_| out.flush())
        .or_else(quiet_on_closed_pipe)?;
    Ok(0)
}
