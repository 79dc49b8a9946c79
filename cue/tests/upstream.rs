//! A report of how much of CUE's own test data our engine passes.
//!
//! Run it with the upstream checkout (CUE v0.17.1 test data, never copied into this repo):
//!
//! ```text
//! CUE_UPSTREAM_TESTDATA=../shared/cue-testdata cargo test --release -p cue --test upstream -- --nocapture
//! ```
//!
//! Without `CUE_UPSTREAM_TESTDATA` the test prints how to run it and passes. With it, it prints a
//! table of passes per folder and a total, and fails only when the total drops below [`FLOOR`]
//! (so a regression of the engine is caught; cases that never passed are not failures).
//! `UPSTREAM_VERBOSE=1` prints every failing unit with the reason; `UPSTREAM_FILTER=text` runs
//! only the files whose path contains `text`.
//!
//! Every case runs on its own thread with a timeout and under `catch_unwind`: a panic or a hang
//! is counted as a failure of every unit of the case and its name is printed.
//!
//! # What is checked, and how
//!
//! **Group `cue/testdata/<folder>/**.txtar`.** The unit is one `@test(...)` assertion. The
//! `.cue` files at the archive's root form the package (imports of the archive's own
//! `cue.mod` module are resolved from the archive). Each `@test` attribute is found by walking
//! the syntax tree: a field attribute applies to the field's path, a declaration attribute
//! (`@test(...)` alone in a struct or at file level) to the enclosing struct's path.
//! - `@test(eq, X)`: the value at the path is exported as JSON (`Package::export_json`) and so
//!   is `X` (evaluated in the package's scope). When `X` is concrete the two JSON values must be
//!   equal (definitions and hidden fields are not part of JSON, so they are not compared). When
//!   `X` is not concrete (`int`, `{a: string}`), the check is looser: the path must evaluate
//!   without error and unify with `X` without error; these passes are also shown in the
//!   `loose` column. `X` holding `_|_` or nested `@test` attributes is skipped. Options beside
//!   `X`: `at=p` checks the value at `p` below the attribute's path; `hint=` and `incorrect`
//!   (an expectation upstream knows is wrong, checked all the same) change nothing.
//! - `@test(err, ...)`: evaluating the path must give an error (or the package's diagnostics
//!   hold one with exactly that path). `code=incomplete` accepts any
//!   error; other codes (`eval`, `cycle`, ...) need an error that is not mere incompleteness.
//!   `contains="..."` must be found in one of the messages (with its `%s`, `%v` and `%d` filled in order from `args=[...]`).
//!   `at=`, `pos=`, `path=` and `suberr=` are not checked.
//! - `@test(allows, L)` (and `allows=false`): the value at the path unifies with `{L: _}`
//!   without error (or, for `allows=false`, the field is not allowed). A quoted `L` is that
//!   label; the bare word `string` stands for any label, checked with one no test declares.
//!   An `allows` beside an `allows:todo` for the same path and label is skipped (upstream
//!   marks it as wrong), and so is `allows, int` (list indexes, which a field cannot name).
//! - Every other kind (`closed`, `shareID`, `kind`, `debug`, `permute`, ...), the
//!   `:todo` variants (expected to fail upstream too), assertions under a path marked
//!   `@test(skip)`, and attributes we cannot address by a path (inside comprehensions, lists,
//!   disjunctions, pattern or dynamic labels) are counted as skipped.
//!
//! Files without any `@test` attribute count as one unit each, checked by verdict: the golden
//! `out/evalalpha` (the current evaluator; else `out/eval`) lists errors (an `Errors:` section
//! or error lines instead of a `(struct){...}` dump) exactly when our `Package::diagnostics()`
//! is non-empty. Files with neither golden are skipped.
//!
//! **Group `vet/`: `cmd/cue/cmd/testdata/script/vet*.txtar`.** The unit is one `exec cue vet`
//! line. The archive's files are given to the library the way `cuemesh vet` does it
//! (`Package::load`, `Package::schema`, `Schema::validate_json`, `Schema::validate_yaml` and
//! `Schema::validate_toml`, or `Schema::validate_placed` with `-l` label expressions;
//! without data files `Package::incomplete_values` with `-c`'s three settings). Lines with
//! flags other than `-d`, `-c` and `-l` are skipped; `-` after a type qualifier reads the
//! file that a `stdin FILE` line before it names. An argument with a
//! package qualifier or without extension names a package of the archive's module by import
//! path (`cue.test:schema`), and is an error when there is no such package, as in `cuemesh`.
//! A pass is the same success or failure (`! exec` expects failure). Message passes are counted
//! separately among the lines followed by `cmp stderr FILE` (first line of our plain-rendered
//! first error equals the first line of FILE) or `stderr 'regexp'` (the regexp matches our
//! rendered errors).
//!
//! **Group `pkg/<package>`: `pkg/**/testdata/*.txtar`.** The golden `out/<name>-v3` (else
//! `out/<name>`) holds `Errors:` then `Result:` in CUE syntax. The unit is one leaf field of the
//! result: `_|_` must be an error in our evaluation, a concrete value must equal our exported
//! JSON at that path. Leaves whose expected value is not concrete are skipped. An optional
//! leaf (`a?: 1`) is not data: its struct's JSON must not hold it, and the struct unified with
//! the field made regular (`{a: 1}`) must export it with the expected value.
//!
//! **Group `encoding/openapi`: `encoding/openapi/testdata/**.txtar`.** The unit is one case.
//! The archive's root `.cue` files form the package; `Package::openapi(None)` is compared with
//! the golden `out/TestGenerateOpenAPI-v3/out.json` (else `out/TestGenerateOpenAPI/out.json`)
//! as JSON values (object key order does not matter, array order does). A pass is equality of
//! the whole document. A loose pass is a document that differs but whose `components.schemas`
//! are equal once every `required` list is sorted and every `x-cue-unsupported` note left out
//! (a different `info`, the same required fields in another order, or a constraint CUE's
//! output leaves out without a word that ours names in that extension, which validators
//! ignore: the schemas then accept the same documents). A case whose comment sets `#ExpectError` passes when the export
//! fails. The options `#ExpandReferences`, `#FieldFilter` and `#Version` are passed to the
//! export (`OpenApiConfig`); cases that use options of CUE's Go API that take Go functions
//! (`#NameFunc`, `#DescriptionFunc`) or a version other than 3.0.0 and 3.1.0 are skipped. `#ExpectExtractError` (about reading the output back into CUE)
//! and `#skip-v3` (the golden predates the v3 evaluator) do not change the check.
//!
//! **Group `encoding/jsonschema`: `encoding/jsonschema/testdata/generate/*.txtar`.** The unit is
//! one case. The archive's root `.cue` files form the package; `Package::json_schema_package()`
//! (the package's top-level value as the root schema, definitions under `$defs`) is compared
//! with the golden `out/generate-v3/schema`, which is written in CUE syntax and is evaluated by
//! our engine to JSON first (a golden we cannot read skips the case). A case whose comment sets
//! `#path: #Name` exports that definition as the root instead
//! (`Package::json_schema_package_at`); `#explicitOpen` sets `JsonSchemaConfig::explicit_open`
//! (CUE's `GenerateConfig.ExplicitOpen`). A pass is equality as
//! JSON values. A loose pass is a document that differs but that
//! 1. compiles with the `jsonschema` crate (2020-12, formats asserted), and
//! 2. gives the expected verdict on every test of the case's test data and there is at least
//!    one. The tests are the top-level fields `name: {data: D, error?: bool}` of the
//!    `datatest/*.cue` files, `D` exported to JSON by our engine; the expected verdict is
//!    "valid" when the golden `out/generate-v3/<name>` is empty and "invalid" when it lists
//!    errors (without that file: invalid when `error: true`). A test whose data holds a number
//!    that CUE reads as a float with an integral value (`2.0`) is left out when the verdicts
//!    differ: JSON Schema cannot tell `2.0` from `2` (see `tests/jsonschema_equivalence.rs`).
//!
//! A case that differs and has no test data, or a test whose verdict differs, is a failure.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cue::ast::{self, Decl, ExprKind, LabelKind};
use cue::txtar;
use cue::{ImportResolver, NoImports, Package, PackageFiles};

/// The total passes last measured (3266 of 4280 checked units, CUE v0.17.1 test data, with
/// the `encoding/openapi` and `encoding/jsonschema` groups; 2505 before builtins returned
/// lists and structs and the `path`, `net`, `crypto/*`, `csv`, `math/bits` and `tabwriter`
/// packages were complete, 2917 before closedness merged through nested embeddings, 2963
/// before incompatible bounds and `try` clauses, 3171 before YAML data in the vet scripts,
/// the builtins taking schemas (`list.Sort`, `json.Validate`...) and `encoding/yaml`; 3261
/// before packages named by import path in the vet scripts; 3424 with embedded scalars beside
/// definitions, embedded values evaluated once their struct's fields are in, and value
/// aliases; 3496 with `matchN` and `matchIf`; 3538 with slices and fields a closed struct
/// cannot have; 3561 with `self` and aliases of dynamic and quoted labels;
/// 3587 with postfix aliases; 3598 with `encoding/toml`; 3670 once `eq` read its options
/// (`at=`, `hint=`) and `allows` was checked; 3680 with `error()`; 3748 with CUE's messages
/// for clauses, interpolations and indexes, the spec's defaults of nested disjunctions and
/// recursive disjuncts eliminated; 3771 with `==` on lists and structs naming what is not
/// concrete and references to required fields not given; 3783 with conflicts inside
/// structs compared with `_|_` and references to optional fields; 3818 with alternatives
/// that are incomplete errors eliminated; on the builtins' side, with `list.MatchN`, the
/// validator form of the builtins taking schemas, `matchN` exported as combinators, schema
/// arguments that keep their disjunctions, OpenAPI's `*_value`, nullable and `!=` rules and vet
/// reading standard input; 3846 with both; 3901 with the `explicitopen` experiment: `x...`,
/// embedding as unification, `__closeAll` and `__reclose`; 3904 with `close()` closing its
/// struct at its own level only; 3917 with `==x` read; 3919 with optional leaves of `pkg`
/// checked as optional fields; 3923 with CUE's message for a selection from `_`; 3934 with
/// OpenAPI's Go options read from the cases, vet checking data against package errors the data
/// may undo, and iterations that yield nothing; 3955 with comprehension clauses on lines of
/// their own, operators on a type refused, calls of values not yet concrete incomplete, and
/// CUE's words for builtin arguments and unresolved disjunctions; 3981 with structural cycles
/// through lists and recursion through pattern constraints, TOML data and `-l` in the vet
/// scripts; 3995 with `==`/`!=` bounds of structs and lists and a field copying a sibling not
/// taken for a structural cycle; 4000 with reference cycles that give no value as cycle errors;
/// 3997 on its own with a generate case's `#path` exported in place and `text/template`; 4005 on
/// its own with an embedded conjunction closed by each of its definitions, not by the struct
/// embedding it; 4010 on its own with builtins and packages as values a field holds and a call
/// applies, `==x` of a scalar a bound other values are out of, and CUE's message for a dynamic
/// label not yet concrete; 4027 with all four together; 4093 with decimal arithmetic, imported
/// packages embedded, structs embedding a definition closed down to their fields, defaults of
/// several disjunctions combined in turn, inline values met again in their own evaluation taken
/// for cycles, and optional fields a closed struct disallows no error of the struct; 4098 with
/// matchN/matchIf schemas that are the validator itself taken for structural cycles, a validator
/// called once not callable again, and and() checking the definitions beside scalars; 4095 on
/// its own branch with a `let` naming an imported package, imported validators referred to
/// listed as OpenAPI schemas of their names, and `encoding/openapi`'s loose check leaving our
/// `x-cue-unsupported` notes out (`builtins` and `structural` pass loosely); 4100 with both),
/// minus a small margin. Raise it when the engine gets better.
/// 4103 with disallowed fields an error whatever their value, and close() selected and embedded.
const FLOOR: usize = 4100;

/// Options of CUE's Go API, set in an `encoding/openapi` case's comment, that cuemesh does not
/// have: such cases are skipped (see the doc comment).
const OPENAPI_UNSUPPORTED_OPTIONS: &[&str] = &["#NameFunc", "#DescriptionFunc"];

/// How long one case may run before it counts as hung. Generous: the engine's step limits end
/// every known case well before (the slowest takes a few seconds in a debug build), and the
/// verdict must not depend on the machine's speed.
const CASE_TIMEOUT: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Pass,
    /// A pass by the looser check (not concrete).
    Loose,
    Fail(String),
    Skip,
}

#[derive(Default)]
struct Row {
    files: usize,
    units: usize,
    passed: usize,
    loose: usize,
    skipped: usize,
    /// Only for vet: lines with a message to compare, and their passes.
    message_checks: usize,
    message_passes: usize,
}

impl Row {
    fn add(&mut self, outcomes: &[Outcome]) {
        for o in outcomes {
            self.units += 1;
            match o {
                Outcome::Pass => self.passed += 1,
                Outcome::Loose => {
                    self.passed += 1;
                    self.loose += 1;
                }
                Outcome::Skip => self.skipped += 1,
                Outcome::Fail(_) => {}
            }
        }
    }
}

/// A case's result and, when it panicked or hung, what happened.
type CaseOutcome = (CaseResult, Option<String>);

/// What one case gives back.
#[derive(Default)]
struct CaseResult {
    outcomes: Vec<Outcome>,
    /// (checked, passed) message comparisons, for vet.
    messages: (usize, usize),
}

#[test]
fn upstream_report() {
    let Some(root) = std::env::var_os("CUE_UPSTREAM_TESTDATA") else {
        println!(
            "upstream report skipped: run `CUE_UPSTREAM_TESTDATA=../shared/cue-testdata cargo test -p cue --test upstream -- --nocapture`"
        );
        return;
    };
    // Cargo runs tests in the crate's directory; a relative path is taken from the workspace
    // root, where the documented command is typed.
    let mut root = PathBuf::from(root);
    if root.is_relative() {
        root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(root);
    }
    assert!(
        root.join("cue/testdata").is_dir(),
        "CUE_UPSTREAM_TESTDATA={} does not hold cue/testdata",
        root.display()
    );
    let verbose = std::env::var("UPSTREAM_VERBOSE").is_ok_and(|v| v == "1");
    let filter = std::env::var("UPSTREAM_FILTER").unwrap_or_default();
    let started = Instant::now();
    // Panics are counted and named below; the default hook would print a backtrace for each.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));

    let mut table: BTreeMap<(u8, String), Row> = BTreeMap::new();
    let mut broken: Vec<String> = Vec::new();
    let mut failures: Vec<String> = Vec::new();

    let mut jobs: Vec<(u8, String, PathBuf)> = Vec::new();
    let testdata = root.join("cue/testdata");
    for path in txtar_files(&testdata) {
        let rel = path.strip_prefix(&testdata).unwrap_or(&path);
        let folder = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .unwrap_or_default();
        jobs.push((1, folder, path));
    }
    let script = root.join("cmd/cue/cmd/testdata/script");
    for path in txtar_files(&script) {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with("vet") {
            jobs.push((2, "vet".to_string(), path));
        }
    }
    let openapi = root.join("encoding/openapi");
    for path in txtar_files(&openapi.join("testdata")) {
        let rel = path.strip_prefix(&openapi).unwrap_or(&path);
        let folder = rel
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        jobs.push((4, folder, path));
    }
    let jsonschema = root.join("encoding/jsonschema");
    for path in txtar_files(&jsonschema.join("testdata/generate")) {
        let rel = path.strip_prefix(&jsonschema).unwrap_or(&path);
        let folder = rel
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        jobs.push((5, folder, path));
    }
    let pkg = root.join("pkg");
    for path in txtar_files(&pkg) {
        let rel = path.strip_prefix(&pkg).unwrap_or(&path).to_string_lossy();
        let Some((package, _)) = rel.split_once("/testdata/") else {
            continue;
        };
        jobs.push((3, package.to_string(), path));
    }

    // Cases run on a few workers at once; results are folded in file order.
    let jobs: Vec<(u8, String, PathBuf, String)> = jobs
        .into_iter()
        .filter_map(|(group, folder, path)| {
            let shown = path
                .strip_prefix(&root)
                .unwrap_or(&path)
                .display()
                .to_string();
            shown
                .contains(&filter)
                .then_some((group, folder, path, shown))
        })
        .collect();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<CaseOutcome>>> =
        jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((group, _, path, shown)) = jobs.get(i) else {
                    break;
                };
                let outcome = match std::fs::read_to_string(path) {
                    Ok(text) => {
                        let case_started = Instant::now();
                        let outcome = run_case(*group, text);
                        if verbose && case_started.elapsed() > Duration::from_millis(500) {
                            println!("SLOW {shown}: {:.1}s", case_started.elapsed().as_secs_f64());
                        }
                        outcome
                    }
                    Err(_) => (fail_all(1, "unreadable"), Some("unreadable".into())),
                };
                if let Ok(mut slot) = results[i].lock() {
                    *slot = Some(outcome);
                }
            });
        }
    });
    for ((group, folder, _, shown), slot) in jobs.into_iter().zip(results) {
        let Some((result, trouble)) = slot.into_inner().ok().flatten() else {
            broken.push(format!("{shown}: no result"));
            continue;
        };
        let row = table.entry((group, folder)).or_default();
        row.files += 1;
        if let Some(trouble) = trouble {
            broken.push(format!("{shown}: {trouble}"));
        }
        row.add(&result.outcomes);
        row.message_checks += result.messages.0;
        row.message_passes += result.messages.1;
        if verbose {
            for o in &result.outcomes {
                if let Outcome::Fail(why) = o {
                    failures.push(format!("{shown}: {why}"));
                }
            }
        }
    }
    std::panic::set_hook(previous_hook);

    for f in &failures {
        println!("FAIL {f}");
    }
    let group_name = |g: u8| match g {
        1 => "cue/testdata",
        2 => "cmd/cue script",
        3 => "pkg",
        4 => "encoding/openapi",
        _ => "encoding/jsonschema",
    };
    println!(
        "\n{:<19} {:<20} {:>6} {:>7} {:>7} {:>6} {:>8}",
        "group", "folder", "files", "units", "passed", "loose", "skipped"
    );
    let mut total = Row::default();
    let mut last_group = 0;
    let mut group_total = Row::default();
    let print_group_total = |g: u8, r: &Row| {
        println!(
            "{:<19} {:<20} {:>6} {:>7} {:>7} {:>6} {:>8}",
            group_name(g),
            "(all)",
            r.files,
            r.units,
            r.passed,
            r.loose,
            r.skipped
        );
    };
    for ((group, folder), r) in &table {
        if *group != last_group {
            if last_group != 0 {
                print_group_total(last_group, &group_total);
                println!();
            }
            last_group = *group;
            group_total = Row::default();
        }
        println!(
            "{:<19} {:<20} {:>6} {:>7} {:>7} {:>6} {:>8}",
            group_name(*group),
            folder,
            r.files,
            r.units,
            r.passed,
            r.loose,
            r.skipped
        );
        if *group == 2 {
            println!(
                "{:<19} {:<20} messages: {} of {} compared lines match",
                "", "", r.message_passes, r.message_checks
            );
        }
        for t in [&mut total, &mut group_total] {
            t.files += r.files;
            t.units += r.units;
            t.passed += r.passed;
            t.loose += r.loose;
            t.skipped += r.skipped;
        }
    }
    if last_group != 0 {
        print_group_total(last_group, &group_total);
    }
    let checked = total.units - total.skipped;
    println!(
        "\nTOTAL: {} files, {} units, {} checked, {} passed ({} loose), {} skipped, {} failed; floor {FLOOR}; {:.1}s",
        total.files,
        total.units,
        checked,
        total.passed,
        total.loose,
        total.skipped,
        checked - total.passed,
        started.elapsed().as_secs_f64()
    );
    if !broken.is_empty() {
        println!("\npanics and timeouts (every unit of these cases counts as failed):");
        for b in &broken {
            println!("  {b}");
        }
    }
    assert!(
        total.passed >= FLOOR,
        "upstream passes fell to {} (floor {FLOOR})",
        total.passed
    );
}

/// Every `.txtar` under `dir`, sorted.
fn txtar_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "txtar") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Runs one case on its own thread, with a timeout. The units are counted first (cheaply, on
/// this thread) so that a panic or hang can mark all of them failed.
fn run_case(group: u8, text: String) -> (CaseResult, Option<String>) {
    let archive = txtar::parse(&text);
    let planned = catch_unwind(AssertUnwindSafe(|| plan_units(group, &archive)));
    let Ok(planned) = planned else {
        return (
            CaseResult {
                outcomes: vec![Outcome::Fail("panic while reading the case".into())],
                messages: (0, 0),
            },
            Some("panic while reading the case".into()),
        );
    };
    let (sender, receiver) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| run_units(group, &archive)));
            let _ = sender.send(result.ok());
        });
    if spawned.is_err() {
        return (
            fail_all(planned, "cannot start a thread"),
            Some("no thread".into()),
        );
    }
    match receiver.recv_timeout(CASE_TIMEOUT) {
        Ok(Some(result)) if result.outcomes.len() == planned => (result, None),
        Ok(Some(result)) => (
            fail_all(planned, "unit count mismatch"),
            Some(format!(
                "harness: {} units planned, {} run",
                planned,
                result.outcomes.len()
            )),
        ),
        Ok(None) => (fail_all(planned, "panic"), Some("panic".into())),
        // The thread is left behind: it ends with the process.
        Err(_) => (fail_all(planned, "timeout"), Some("timeout".into())),
    }
}

fn fail_all(units: usize, why: &str) -> CaseResult {
    CaseResult {
        outcomes: vec![Outcome::Fail(why.to_string()); units.max(1)],
        messages: (0, 0),
    }
}

fn plan_units(group: u8, archive: &txtar::Archive) -> usize {
    match group {
        2 => vet_lines(archive).len(),
        4 | 5 => 1,
        _ => {
            let assertions = collect_assertions(archive);
            if !assertions.is_empty() {
                assertions.len()
            } else if group == 1 {
                1
            } else {
                pkg_leaves(archive).len()
            }
        }
    }
}

fn run_units(group: u8, archive: &txtar::Archive) -> CaseResult {
    match group {
        2 => run_vet(archive),
        4 => CaseResult {
            outcomes: vec![guarded(|| check_openapi(archive))],
            messages: (0, 0),
        },
        5 => CaseResult {
            outcomes: vec![guarded(|| check_generate(archive))],
            messages: (0, 0),
        },
        _ => {
            let assertions = collect_assertions(archive);
            let package = load_archive(archive);
            let outcomes = if !assertions.is_empty() {
                assertions
                    .iter()
                    .map(|a| guarded(|| check_assertion(&package, a, &assertions)))
                    .collect()
            } else if group == 1 {
                vec![guarded(|| check_golden_verdict(&package, archive))]
            } else {
                pkg_leaves(archive)
                    .iter()
                    .map(|leaf| guarded(|| check_leaf(&package, leaf)))
                    .collect()
            };
            CaseResult {
                outcomes,
                messages: (0, 0),
            }
        }
    }
}

/// Runs one check, turning a panic into a failure of that unit only.
fn guarded(f: impl FnOnce() -> Outcome) -> Outcome {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Outcome::Fail("panic".into()))
}

// ----- loading -----------------------------------------------------------------------------

/// Resolves imports of the archive's own module (`cue.mod/module.cue`) and of
/// `cue.mod/pkg/...` from the archive's files.
struct ArchiveResolver {
    module: Option<String>,
    files: Vec<(String, String)>,
}

impl ImportResolver for ArchiveResolver {
    fn resolve(&self, import_path: &str) -> Result<Option<PackageFiles>, String> {
        let (path, qualifier) = match import_path.rsplit_once(':') {
            Some((p, q)) => (p, Some(q)),
            None => (import_path, None),
        };
        let mut dirs = vec![format!("cue.mod/pkg/{path}")];
        if let Some(module) = &self.module {
            if let Some(rest) = path.strip_prefix(module.as_str()) {
                dirs.push(rest.trim_start_matches('/').to_string());
            }
        }
        for dir in dirs {
            let files: Vec<(String, String)> = self
                .files
                .iter()
                .filter(|(name, _)| {
                    let parent = name.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                    parent == dir && name.ends_with(".cue")
                })
                .filter(|(_, text)| match qualifier {
                    Some(q) => package_name(text).as_deref() == Some(q),
                    None => true,
                })
                .cloned()
                .collect();
            if !files.is_empty() {
                return Ok(Some(PackageFiles { files }));
            }
        }
        Ok(None)
    }
}

fn package_name(text: &str) -> Option<String> {
    let (file, _) = cue::parser::parse_file(cue::FileId(0), text);
    file.package.map(|p| p.name)
}

/// The `.cue` files at the archive's root, as one package.
fn root_cue_files(archive: &txtar::Archive) -> Vec<(String, String)> {
    archive
        .files
        .iter()
        .filter(|(n, _)| n.ends_with(".cue") && !n.contains('/'))
        .cloned()
        .collect()
}

fn load_archive(archive: &txtar::Archive) -> Package {
    let resolver = ArchiveResolver {
        module: archive
            .file("cue.mod/module.cue")
            .and_then(cue::module_path),
        files: archive.files.clone(),
    };
    Package::load(
        PackageFiles {
            files: root_cue_files(archive),
        },
        &resolver,
    )
}

// ----- @test assertions --------------------------------------------------------------------

/// One label of a path from the package root.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Ident(String),
    Quoted(String),
}

#[derive(Debug)]
struct Assertion {
    /// `None` when the attribute stands where no path reaches (a comprehension, a list...).
    path: Option<Vec<Segment>>,
    /// The text between the parentheses.
    body: String,
}

fn collect_assertions(archive: &txtar::Archive) -> Vec<Assertion> {
    let mut out = Vec::new();
    for (_, text) in root_cue_files(archive) {
        if !text.contains("@test(") {
            continue;
        }
        let (file, _) = cue::parser::parse_file(cue::FileId(0), &text);
        for a in &file.attributes {
            if a.name == "test" {
                out.push(Assertion {
                    path: Some(Vec::new()),
                    body: a.body.clone(),
                });
            }
        }
        walk_decls(&file.decls, Some(Vec::new()), &mut out);
    }
    out
}

fn walk_decls(decls: &[Decl], path: Option<Vec<Segment>>, out: &mut Vec<Assertion>) {
    for decl in decls {
        match decl {
            Decl::Field(field) => {
                let child = path.as_ref().and_then(|p| {
                    let segment = match &field.label.kind {
                        LabelKind::Ident(id) => Segment::Ident(id.name.clone()),
                        LabelKind::String(s) => Segment::Quoted(s.clone()),
                        _ => return None,
                    };
                    let mut p = p.clone();
                    p.push(segment);
                    Some(p)
                });
                for a in &field.attributes {
                    if a.name == "test" {
                        out.push(Assertion {
                            path: child.clone(),
                            body: a.body.clone(),
                        });
                    }
                }
                walk_expr(&field.value, child, out);
            }
            Decl::Attribute(a) if a.name == "test" => out.push(Assertion {
                path: path.clone(),
                body: a.body.clone(),
            }),
            Decl::Embed(e) => walk_expr(e, path.clone(), out),
            Decl::Let(l) => walk_expr(&l.value, None, out),
            Decl::Ellipsis(_) | Decl::Attribute(_) => {}
        }
    }
}

fn walk_expr(expr: &ast::Expr, path: Option<Vec<Segment>>, out: &mut Vec<Assertion>) {
    match &expr.kind {
        ExprKind::Struct(s) => walk_decls(&s.decls, path, out),
        ExprKind::Paren(e) | ExprKind::Alias(_, e) => walk_expr(e, path, out),
        ExprKind::Binary(ast::BinaryOp::Conjunction, a, b) => {
            walk_expr(a, path.clone(), out);
            walk_expr(b, path, out);
        }
        ExprKind::Binary(_, a, b) => {
            walk_expr(a, None, out);
            walk_expr(b, None, out);
        }
        ExprKind::Unary(_, e) => walk_expr(e, None, out),
        ExprKind::List(l) => {
            for e in &l.elements {
                walk_expr(e, None, out);
            }
        }
        ExprKind::Comprehension(c) => walk_expr(&c.body, None, out),
        ExprKind::Call(f, args) => {
            walk_expr(f, None, out);
            for a in args {
                walk_expr(a, None, out);
            }
        }
        _ => {}
    }
}

/// Names that a reference from the root would not resolve to a field of that name.
const PREDECLARED: &[&str] = &[
    "bool", "int", "float", "number", "string", "bytes", "null", "true", "false", "len", "close",
    "and", "or", "div", "mod", "quo", "rem", "error", "self", "for", "if", "in", "let", "import",
    "package", "_",
];

/// The path as an expression evaluated from the package root, when one can be written.
fn path_expression(path: &[Segment]) -> Option<String> {
    let mut out = String::new();
    for (i, segment) in path.iter().enumerate() {
        match segment {
            Segment::Ident(name) => {
                if i == 0 && (PREDECLARED.contains(&name.as_str()) || name.starts_with("__")) {
                    return None;
                }
                if i > 0 {
                    out.push('.');
                }
                out.push_str(name);
            }
            Segment::Quoted(s) => {
                if i == 0 {
                    return None;
                }
                out.push('.');
                out.push_str(&serde_json::to_string(s).ok()?);
            }
        }
    }
    Some(out)
}

/// Splits an attribute body at top-level commas (not inside quotes or brackets).
fn split_args(body: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut current = String::new();
    for c in body.chars() {
        if let Some(q) = quote {
            current.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => {
                quote = Some(c);
                current.push(c);
            }
            '(' | '[' | '{' => {
                depth += 1;
                current.push(c);
            }
            ')' | ']' | '}' => {
                depth -= 1;
                current.push(c);
            }
            ',' if depth == 0 => parts.push(std::mem::take(&mut current).trim().to_string()),
            _ => current.push(c),
        }
    }
    if !current.trim().is_empty() || !parts.is_empty() {
        parts.push(current.trim().to_string());
    }
    parts
}

/// The arguments of an `eq` assertion after `eq`: the expected value (the one argument that is
/// not an option) and the options (`at=path`, `hint="..."`, and the flag `incorrect`, which
/// marks an expectation upstream knows to be wrong but still checks).
fn eq_arguments(args: &[String]) -> (Option<&str>, BTreeMap<String, String>) {
    let is_option = |a: &str| {
        a == "incorrect"
            || a.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    };
    let (options, values): (Vec<&String>, Vec<&String>) =
        args.iter().partition(|a| is_option(a.as_str()));
    let options: Vec<String> = options.into_iter().cloned().collect();
    match values.as_slice() {
        [one] if !one.is_empty() => (Some(one.as_str()), key_values(&options)),
        _ => (None, key_values(&options)),
    }
}

/// `key=value` arguments of an `err` assertion, with string values unquoted.
fn key_values(args: &[String]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for a in args {
        if let Some((k, v)) = a.split_once('=') {
            let v = v.trim();
            let v = if v.starts_with('"') {
                serde_json::from_str::<String>(v).unwrap_or_else(|_| v.trim_matches('"').into())
            } else {
                v.to_string()
            };
            out.insert(k.trim().to_string(), v);
        } else {
            out.insert(a.trim().to_string(), String::new());
        }
    }
    out
}

/// Checks one assertion; `all` are the archive's assertions, for the `:todo` variants beside it.
fn check_assertion(package: &Package, assertion: &Assertion, all: &[Assertion]) -> Outcome {
    let args = split_args(&assertion.body);
    let Some(directive) = args.first() else {
        return Outcome::Skip;
    };
    let Some(path) = assertion.path.as_ref() else {
        return Outcome::Skip;
    };
    let target = if path.is_empty() {
        None
    } else {
        match path_expression(path) {
            Some(e) => Some(e),
            None => return Outcome::Skip,
        }
    };
    let shown = target.clone().unwrap_or_else(|| "(file)".into());
    match directive.as_str() {
        "eq" => {
            let (expected, options) = eq_arguments(&args[1..]);
            let Some(expected_text) = expected else {
                return Outcome::Skip;
            };
            if expected_text.contains("_|_") || expected_text.contains("@test") {
                return Outcome::Skip;
            }
            // `at=p` names the value at `p` below the attribute's own path.
            let target = match options.get("at") {
                Some(at) => {
                    let mut t = target.unwrap_or_default();
                    for segment in at.split('.') {
                        if segment.parse::<usize>().is_ok() {
                            t.push_str(&format!("[{segment}]"));
                        } else if t.is_empty() {
                            t.push_str(segment);
                        } else {
                            t.push_str(&format!(".{segment}"));
                        }
                    }
                    Some(t)
                }
                None => target,
            };
            let shown = target.clone().unwrap_or_else(|| "(file)".into());
            check_eq(package, target.as_deref(), expected_text, &shown)
        }
        "err" => check_err(package, target.as_deref(), &args[1..], &shown),
        "allows" | "allows=true" | "allows=false" => match (target.as_deref(), args.get(1)) {
            // A `allows:todo` beside it holds the right answer: this one records what upstream
            // gives today, knowingly wrong.
            _ if all.iter().any(|other| {
                let other_args = split_args(&other.body);
                other.path == assertion.path
                    && other_args
                        .first()
                        .is_some_and(|d| d.starts_with("allows:todo"))
                    && other_args.get(1) == args.get(1)
            }) =>
            {
                Outcome::Skip
            }
            // `int` asks about list indexes, which a field cannot.
            (Some(target), Some(label)) if args.len() == 2 && label != "int" => {
                check_allows(package, target, label, directive != "allows=false", &shown)
            }
            _ => Outcome::Skip,
        },
        _ => Outcome::Skip,
    }
}

/// A label no schema of the test data declares or matches by a pattern: unifying a field of it
/// asks whether a struct allows any string label (`@test(allows, string)`).
const ANY_LABEL: &str = "cuemesh upstream: any label";

/// `@test(allows, L)`: the value at the path allows a field `L` (a quoted label names that
/// field; the bare word `string` stands for any label) exactly when unifying it with `{L: _}`
/// reports no error.
fn check_allows(package: &Package, target: &str, label: &str, want: bool, shown: &str) -> Outcome {
    let field = if label == "string" {
        serde_json::to_string(ANY_LABEL).unwrap_or_default()
    } else if label.starts_with('"') || label.starts_with(['#', '_']) {
        label.to_string()
    } else {
        serde_json::to_string(label).unwrap_or_default()
    };
    if let Err(e) = package.schema(Some(target)) {
        return Outcome::Fail(format!(
            "{shown}: allows {label}: error {}",
            first_headline(&e)
        ));
    }
    let got = package.schema(Some(&format!("({target}) & {{{field}: _}}")));
    let refused = |e: &[cue::Diagnostic]| e.iter().any(|d| d.code == "FIELD_NOT_ALLOWED");
    match (got, want) {
        (Ok(_), true) => Outcome::Pass,
        (Err(e), false) if refused(&e) => Outcome::Pass,
        (Ok(_), false) => Outcome::Fail(format!("{shown}: allows=false {label}: allowed")),
        (Err(e), false) => Outcome::Fail(format!(
            "{shown}: allows=false {label}: {}",
            first_headline(&e)
        )),
        (Err(e), true) => Outcome::Fail(format!("{shown}: allows {label}: {}", first_headline(&e))),
    }
}

fn first_headline(errors: &[cue::Diagnostic]) -> String {
    errors.first().map(|d| d.headline()).unwrap_or_default()
}

fn check_eq(package: &Package, target: Option<&str>, expected: &str, shown: &str) -> Outcome {
    let got = package.export_json(target);
    match package.export_json(Some(expected)) {
        Ok(want) => match got {
            Ok(got) if got == want => Outcome::Pass,
            Ok(got) => Outcome::Fail(format!("{shown}: eq: got {got}, want {want}")),
            Err(e) => Outcome::Fail(format!(
                "{shown}: eq: want {want}, got error {}",
                first_headline(&e)
            )),
        },
        Err(_) => {
            // Not concrete: the value must evaluate and unify with the expectation.
            let Some(target) = target else {
                return Outcome::Skip;
            };
            if let Err(e) = package.schema(Some(target)) {
                return Outcome::Fail(format!(
                    "{shown}: eq (not concrete): error {}",
                    first_headline(&e)
                ));
            }
            match package.schema(Some(&format!("({target}) & ({expected})"))) {
                Ok(_) => Outcome::Loose,
                Err(e) => Outcome::Fail(format!(
                    "{shown}: eq (not concrete): does not unify with {expected}: {}",
                    first_headline(&e)
                )),
            }
        }
    }
}

fn check_err(package: &Package, target: Option<&str>, args: &[String], shown: &str) -> Outcome {
    let options = key_values(args);
    // Our engine may report an error at a field (`a.c: field not allowed`) and still give the
    // field's value when the path is selected; the package's own diagnostic counts too.
    let reported: Vec<cue::Diagnostic> = match target {
        Some(t) => package
            .diagnostics()
            .iter()
            .filter(|d| d.path == t)
            .cloned()
            .collect(),
        None => Vec::new(),
    };
    let errors = match package.export_json(target) {
        Ok(_) if !reported.is_empty() => reported,
        Ok(v) => return Outcome::Fail(format!("{shown}: err: evaluated to {v}")),
        Err(mut errors) => {
            errors.extend(reported);
            errors
        }
    };
    let incomplete = |d: &cue::Diagnostic| matches!(d.code, "INCOMPLETE" | "NON_CONCRETE");
    let code = options.get("code").map(String::as_str).unwrap_or("");
    let accepts_incomplete = code.is_empty() || code.contains("incomplete");
    if !accepts_incomplete && errors.iter().all(incomplete) {
        return Outcome::Fail(format!(
            "{shown}: err code={code}: only incomplete: {}",
            first_headline(&errors)
        ));
    }
    if let Some(contains) = options.get("contains") {
        let mut want = contains.clone();
        if let Some(list) = options.get("args") {
            let inner = list.trim().trim_start_matches('[').trim_end_matches(']');
            for a in split_args(inner) {
                // The first verb left, whichever it is (`%s`, `%v`, `%d`).
                let verb = ["%s", "%v", "%d"].iter().filter_map(|v| want.find(v)).min();
                if let Some(at) = verb {
                    want.replace_range(at..at + 2, &a);
                }
            }
        }
        let found = errors.iter().any(|d| {
            let text = d.headline();
            text.contains(want.as_str()) || text.contains(contains.as_str())
        });
        if !found {
            return Outcome::Fail(format!(
                "{shown}: err: no message contains {want:?}; got {:?}",
                first_headline(&errors)
            ));
        }
    }
    Outcome::Pass
}

// ----- files without @test: the golden verdict ------------------------------------------------

fn check_golden_verdict(package: &Package, archive: &txtar::Archive) -> Outcome {
    let Some(golden) = archive
        .file("out/evalalpha")
        .or_else(|| archive.file("out/eval"))
    else {
        return Outcome::Skip;
    };
    let golden = golden.trim_start();
    let want_errors = golden.starts_with("Errors:") || !golden.starts_with('(');
    let got = package.diagnostics();
    match (want_errors, got.is_empty()) {
        (true, false) | (false, true) => Outcome::Pass,
        (true, true) => Outcome::Fail(format!(
            "golden has errors ({}), we have none",
            golden.lines().next().unwrap_or("")
        )),
        (false, false) => Outcome::Fail(format!(
            "golden has no errors, we report {}",
            first_headline(got)
        )),
    }
}

// ----- pkg: leaves of the golden result ------------------------------------------------------

struct Leaf {
    path: Vec<Segment>,
    /// `None` for `_|_`; otherwise the expected value's source text.
    expected: Option<String>,
    /// The golden's import declarations, to evaluate the expected text.
    imports: String,
    /// Whether the field is optional (`a?: 1`).
    optional: bool,
}

fn pkg_golden(archive: &txtar::Archive) -> Option<&str> {
    let outs = || archive.files.iter().filter(|(n, _)| n.starts_with("out/"));
    outs()
        .find(|(n, _)| n.ends_with("-v3"))
        .or_else(|| outs().next())
        .map(|(_, t)| t.as_str())
}

fn pkg_leaves(archive: &txtar::Archive) -> Vec<Leaf> {
    let Some(golden) = pkg_golden(archive) else {
        return Vec::new();
    };
    let result = match golden.split_once("Result:\n") {
        Some((_, r)) => r,
        None if golden.trim_start().starts_with("Errors:") => return Vec::new(),
        None => golden,
    };
    let (file, _) = cue::parser::parse_file(cue::FileId(0), result);
    let imports: String = file
        .imports
        .iter()
        .map(|i| match &i.alias {
            Some(a) => format!("import {} {:?}\n", a.name, i.path),
            None => format!("import {:?}\n", i.path),
        })
        .collect();
    let mut out = Vec::new();
    leaves_of(&file.decls, &[], result, &imports, &mut out);
    out
}

fn leaves_of(decls: &[Decl], path: &[Segment], text: &str, imports: &str, out: &mut Vec<Leaf>) {
    for decl in decls {
        let Decl::Field(field) = decl else { continue };
        let segment = match &field.label.kind {
            LabelKind::Ident(id) => Segment::Ident(id.name.clone()),
            LabelKind::String(s) => Segment::Quoted(s.clone()),
            _ => continue,
        };
        let mut child = path.to_vec();
        child.push(segment);
        match &field.value.kind {
            ExprKind::Struct(s) => leaves_of(&s.decls, &child, text, imports, out),
            ExprKind::Bottom => out.push(Leaf {
                path: child,
                expected: None,
                imports: imports.to_string(),
                optional: false,
            }),
            _ => {
                let span = field.value.span;
                let source = text
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or("")
                    .to_string();
                out.push(Leaf {
                    path: child,
                    expected: Some(source),
                    imports: imports.to_string(),
                    optional: field.constraint == ast::FieldConstraint::Optional,
                });
            }
        }
    }
}

fn check_leaf(package: &Package, leaf: &Leaf) -> Outcome {
    let Some(target) = path_expression(&leaf.path) else {
        return Outcome::Skip;
    };
    if leaf.optional {
        return check_optional_leaf(package, leaf);
    }
    let got = package.export_json(Some(&target));
    match &leaf.expected {
        None => match got {
            Err(_) => Outcome::Pass,
            Ok(v) => Outcome::Fail(format!("{target}: want an error, got {v}")),
        },
        Some(text) => {
            let Some(want) = expected_json(leaf, text) else {
                return Outcome::Skip;
            };
            match got {
                Ok(got) if got == want => Outcome::Pass,
                Ok(got) => Outcome::Fail(format!("{target}: got {got}, want {want}")),
                Err(e) => Outcome::Fail(format!(
                    "{target}: want {want}, got error {}",
                    first_headline(&e)
                )),
            }
        }
    }
}

/// The JSON of a leaf's expected value `text`, evaluated on its own with the leaf's imports;
/// `None` when it does not export (the case is then skipped, not judged).
fn expected_json(leaf: &Leaf, text: &str) -> Option<serde_json::Value> {
    let scratch = Package::load(
        PackageFiles {
            files: vec![(
                "expected.cue".into(),
                format!("{}__expected: {text}\n", leaf.imports),
            )],
        },
        &NoImports,
    );
    scratch.export_json(Some("__expected")).ok()
}

/// An optional leaf `a?: V` (see the module comment): not in its struct's JSON, and the struct
/// unified with `{a: V}` exports `V` for it.
fn check_optional_leaf(package: &Package, leaf: &Leaf) -> Outcome {
    let (Some(text), Some((last, parent))) = (&leaf.expected, leaf.path.split_last()) else {
        return Outcome::Skip;
    };
    let Some(parent_expr) = path_expression(parent).filter(|p| !p.is_empty()) else {
        return Outcome::Skip;
    };
    let (key, label) = match last {
        Segment::Ident(name) => (name.clone(), name.clone()),
        Segment::Quoted(s) => match serde_json::to_string(s) {
            Ok(quoted) => (s.clone(), quoted),
            Err(_) => return Outcome::Skip,
        },
    };
    let Some(want) = expected_json(leaf, text) else {
        return Outcome::Skip;
    };
    match package.export_json(Some(&parent_expr)) {
        Ok(serde_json::Value::Object(fields)) if fields.contains_key(&key) => {
            return Outcome::Fail(format!("{parent_expr}: optional field {label} is exported"))
        }
        Ok(_) => {}
        Err(e) => {
            return Outcome::Fail(format!(
                "{parent_expr}: want a struct with optional {label}, got error {}",
                first_headline(&e)
            ))
        }
    }
    let unified = format!("{parent_expr} & {{{label}: {text}}}");
    match package.export_json(Some(&unified)) {
        Ok(serde_json::Value::Object(fields)) if fields.get(&key) == Some(&want) => Outcome::Pass,
        Ok(got) => Outcome::Fail(format!("{unified}: got {got}, want {label}: {want}")),
        Err(e) => Outcome::Fail(format!("{unified}: error {}", first_headline(&e))),
    }
}

// ----- cmd/cue vet scripts ---------------------------------------------------------------------

struct VetLine {
    expect_failure: bool,
    words: Vec<String>,
    /// `cmp stderr FILE` or `stderr 'regexp'` right after the line.
    stderr_file: Option<String>,
    stderr_regex: Option<String>,
    /// The archive file that an earlier `stdin FILE` line gives the command as its input.
    stdin: Option<String>,
}

/// Splits a script line into words, honouring single and double quotes.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            None => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

fn vet_lines(archive: &txtar::Archive) -> Vec<VetLine> {
    let mut out: Vec<VetLine> = Vec::new();
    let mut last_was_vet = false;
    let mut stdin: Option<String> = None;
    for line in archive.comment.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let words = shell_words(line);
        let (negated, rest) = match words.first().map(String::as_str) {
            Some("!") => (true, &words[1..]),
            _ => (false, &words[..]),
        };
        if let [directive, file] = rest {
            if directive == "stdin" {
                stdin = Some(file.clone());
                last_was_vet = false;
                continue;
            }
        }
        if rest.len() >= 3 && rest[0] == "exec" && rest[1] == "cue" && rest[2] == "vet" {
            out.push(VetLine {
                expect_failure: negated,
                words: rest[3..].to_vec(),
                stderr_file: None,
                stderr_regex: None,
                // As in testscript, the input serves the next command only.
                stdin: stdin.take(),
            });
            last_was_vet = true;
            continue;
        }
        if rest.first().is_some_and(|w| w == "exec") {
            stdin = None;
        }
        if last_was_vet {
            if let Some(last) = out.last_mut() {
                match rest {
                    [cmp, stream, file] if cmp == "cmp" && stream == "stderr" => {
                        last.stderr_file.get_or_insert(file.clone());
                        continue;
                    }
                    [stream, re] if stream == "stderr" && !negated => {
                        last.stderr_regex.get_or_insert(re.clone());
                        continue;
                    }
                    _ => {}
                }
            }
        }
        last_was_vet = false;
    }
    out
}

fn run_vet(archive: &txtar::Archive) -> CaseResult {
    let mut result = CaseResult::default();
    for line in vet_lines(archive) {
        let outcome = guarded(|| {
            let Some(run) = vet_like_cuemesh(archive, &line.words, line.stdin.as_deref()) else {
                return Outcome::Skip;
            };
            let failed = !run.is_empty();
            if failed != line.expect_failure {
                return Outcome::Fail(format!(
                    "cue vet {}: {} (first: {:?})",
                    line.words.join(" "),
                    if failed {
                        "failed, want success"
                    } else {
                        "succeeded, want failure"
                    },
                    run.first().map(|s| s.lines().next().unwrap_or(""))
                ));
            }
            Outcome::Pass
        });
        // Messages are compared only where the verdict is right and the line ran.
        if outcome == Outcome::Pass && line.expect_failure {
            let ours =
                vet_like_cuemesh(archive, &line.words, line.stdin.as_deref()).unwrap_or_default();
            let ours_text = ours.join("\n");
            if let Some(file) = &line.stderr_file {
                result.messages.0 += 1;
                let want = archive
                    .file(file)
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("");
                if ours_text.lines().next().unwrap_or("") == want {
                    result.messages.1 += 1;
                }
            } else if let Some(re) = &line.stderr_regex {
                result.messages.0 += 1;
                if regex::Regex::new(re).is_ok_and(|r| r.is_match(&ours_text)) {
                    result.messages.1 += 1;
                }
            }
        } else if (line.stderr_file.is_some() || line.stderr_regex.is_some())
            && outcome != Outcome::Skip
        {
            result.messages.0 += 1;
        }
        result.outcomes.push(outcome);
    }
    result
}

/// Does what `cuemesh vet ARGS` does with the archive's files, and returns the rendered
/// errors (empty when it succeeds); `None` when the line uses something we skip.
fn vet_like_cuemesh(
    archive: &txtar::Archive,
    words: &[String],
    stdin: Option<&str>,
) -> Option<Vec<String>> {
    let mut expression: Option<String> = None;
    let mut package_files: Vec<(String, String)> = Vec::new();
    // (name, text, kind): kind is "json", "jsonl", "yaml" or "toml".
    let mut data: Vec<(String, String, &str)> = Vec::new();
    let mut qualifier: Option<&str> = None;
    let mut concrete: Option<bool> = None;
    // `-l`/`--path` label expressions placing each data document.
    let mut labels: Vec<String> = Vec::new();
    let mut i = 0;
    let file_text = |name: &str| -> Option<String> {
        let name = name.trim_start_matches("./");
        archive.file(name).map(str::to_string)
    };
    let shown = |name: &str| format!("./{}", name.trim_start_matches("./"));
    let resolver = ArchiveResolver {
        module: archive
            .file("cue.mod/module.cue")
            .and_then(cue::module_path),
        files: archive.files.clone(),
    };
    while i < words.len() {
        let w = words[i].as_str();
        i += 1;
        if w == "-d" {
            expression = Some(words.get(i)?.clone());
            i += 1;
            continue;
        }
        if let Some(e) = w.strip_prefix("-d=") {
            expression = Some(e.to_string());
            continue;
        }
        if w == "-l" || w == "--path" {
            labels.push(words.get(i)?.clone());
            i += 1;
            continue;
        }
        match w {
            "-c" | "-c=true" | "--concrete" | "--concrete=true" => {
                concrete = Some(true);
                continue;
            }
            "-c=false" | "--concrete=false" => {
                concrete = Some(false);
                continue;
            }
            _ => {}
        }
        if w == "-" {
            // Standard input, of the type the qualifier before it names.
            let kind = qualifier.take()?;
            data.push(("-".to_string(), file_text(stdin?)?, kind));
            continue;
        }
        if w.starts_with('-') {
            return None;
        }
        if let Some(q) = w.strip_suffix(':') {
            match q {
                "json" | "jsonl" | "yaml" | "toml" => {
                    qualifier = Some(match q {
                        "json" => "json",
                        "jsonl" => "jsonl",
                        "toml" => "toml",
                        _ => "yaml",
                    });
                    continue;
                }
                _ => return None,
            }
        }
        if w == "." || w == "./" {
            package_files.extend(
                root_cue_files(archive)
                    .into_iter()
                    .map(|(n, t)| (shown(&n), t)),
            );
            continue;
        }
        let no_extension = !w.rsplit('/').next().unwrap_or(w).contains('.');
        if qualifier.is_none() && (w.contains(':') || no_extension) {
            // A package named by import path (`cue.test:schema`), as `cuemesh vet` reads it.
            match resolver.resolve(w) {
                Ok(Some(files)) => {
                    package_files.extend(files.files.into_iter().map(|(n, t)| (shown(&n), t)));
                    continue;
                }
                _ => return Some(vec![format!("{w}: cannot be imported as a CUE package")]),
            }
        }
        let kind = match qualifier.take() {
            Some(q) => q,
            None => match w.rsplit_once('.').map(|(_, x)| x) {
                Some("cue") => "cue",
                Some("json") => "json",
                Some("jsonl" | "ndjson" | "ldjson") => "jsonl",
                Some("yaml" | "yml") => "yaml",
                Some("toml") => "toml",
                _ => return None,
            },
        };
        let text = file_text(w)?;
        match kind {
            "cue" => package_files.push((shown(w), text)),
            other => data.push((shown(w), text, other)),
        }
    }
    if package_files.is_empty() && data.is_empty() {
        package_files.extend(
            root_cue_files(archive)
                .into_iter()
                .map(|(n, t)| (shown(&n), t)),
        );
    }
    if package_files.is_empty() {
        return None;
    }
    let package = Package::load(
        PackageFiles {
            files: package_files,
        },
        &resolver,
    );
    let render = |d: &[cue::Diagnostic], sources: &cue::SourceMap| -> Vec<String> {
        d.iter().map(|d| d.render_plain(sources)).collect()
    };
    if !package.diagnostics().is_empty()
        && (data.is_empty() || !package.errors_may_depend_on_data())
    {
        return Some(render(package.diagnostics(), package.sources()));
    }
    if data.is_empty() {
        // `-c` shows incomplete values, `-c=false` allows them, no flag says they exist.
        let incomplete = package.incomplete_values();
        return Some(match concrete {
            Some(false) => Vec::new(),
            Some(true) => render(&incomplete, package.sources()),
            None if incomplete.is_empty() => Vec::new(),
            None => vec![
                "some instances are incomplete; use the -c flag to show errors or -c=false to allow incomplete instances".to_string(),
            ],
        });
    }
    let schema = match package.schema(expression.as_deref()) {
        Ok(s) => s,
        Err(d) => return Some(render(&d, package.sources())),
    };
    let mut errors = Vec::new();
    for (name, text, kind) in data {
        if !labels.is_empty() {
            let encoding = match kind {
                "jsonl" => cue::DataEncoding::JsonStream,
                "yaml" => cue::DataEncoding::Yaml,
                "toml" => cue::DataEncoding::Toml,
                _ => cue::DataEncoding::Json,
            };
            let v = schema.validate_placed(&name, &text, encoding, &labels);
            errors.extend(render(&v.errors, &v.sources));
            continue;
        }
        if kind == "yaml" {
            for v in schema.validate_yaml(&name, &text) {
                errors.extend(render(&v.errors, &v.sources));
            }
            continue;
        }
        if kind == "toml" {
            let v = schema.validate_toml(&name, &text);
            errors.extend(render(&v.errors, &v.sources));
            continue;
        }
        let documents = if kind == "jsonl" {
            json_stream(&text)
        } else {
            vec![text]
        };
        for document in documents {
            let v = schema.validate_json(&name, &document);
            errors.extend(render(&v.errors, &v.sources));
        }
    }
    Some(errors)
}

/// The documents of a JSON stream, each kept at its byte offset (earlier text blanked) so
/// that positions stay those of the whole file, as `cuemesh vet` does.
fn json_stream(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    let mut start = 0;
    loop {
        match stream.next() {
            Some(Ok(_)) => {
                let end = stream.byte_offset();
                out.push(blank(text, start, end));
                start = end;
            }
            Some(Err(_)) => {
                out.push(blank(text, start, text.len()));
                break;
            }
            None => break,
        }
    }
    out
}

fn blank(text: &str, start: usize, end: usize) -> String {
    let mut s: String = text[..start]
        .chars()
        .map(|c| {
            if c == '\n' {
                "\n".to_string()
            } else {
                " ".repeat(c.len_utf8())
            }
        })
        .collect();
    s.push_str(&text[start..end]);
    s
}

// ----- encoding/openapi: generated documents ---------------------------------------------------

/// The value of a `#Key: value` (or bare `#Key`) line of the archive's comment.
fn comment_option<'a>(archive: &'a txtar::Archive, key: &str) -> Option<&'a str> {
    archive.comment.lines().find_map(|line| {
        let rest = line.trim().strip_prefix(key)?;
        if rest.is_empty() {
            Some("")
        } else {
            rest.strip_prefix(':').map(str::trim)
        }
    })
}

fn check_openapi(archive: &txtar::Archive) -> Outcome {
    if OPENAPI_UNSUPPORTED_OPTIONS
        .iter()
        .any(|o| comment_option(archive, o).is_some())
    {
        return Outcome::Skip;
    }
    let mut config = cue::OpenApiConfig::default();
    config.expand_references = comment_option(archive, "#ExpandReferences").is_some();
    if let Some(version) = comment_option(archive, "#Version") {
        match cue::OpenApiVersion::parse(version) {
            Some(version) => config.version = version,
            None => return Outcome::Skip,
        }
    }
    if let Some(filter) = comment_option(archive, "#FieldFilter") {
        if let Err(e) = config.set_field_filter(filter) {
            return Outcome::Fail(format!("field filter {filter:?}: {e}"));
        }
    }
    let package = load_archive(archive);
    let ours = package.openapi_with(None, &config);
    if let Some(want) = comment_option(archive, "#ExpectError") {
        return match ours {
            Err(_) => Outcome::Pass,
            Ok(_) => Outcome::Fail(format!("exported, want an error ({want})")),
        };
    }
    let Some(golden) = archive
        .file("out/TestGenerateOpenAPI-v3/out.json")
        .or_else(|| archive.file("out/TestGenerateOpenAPI/out.json"))
    else {
        return Outcome::Skip;
    };
    let Ok(want) = serde_json::from_str::<serde_json::Value>(golden) else {
        return Outcome::Skip;
    };
    let ours = match ours {
        Ok(document) => document,
        Err(e) => return Outcome::Fail(format!("export failed: {}", first_headline(&e))),
    };
    if ours == want {
        return Outcome::Pass;
    }
    let schemas = |d: &serde_json::Value| loosely(&d["components"]["schemas"]);
    let (ours, want) = (schemas(&ours), schemas(&want));
    if ours == want {
        return Outcome::Loose;
    }
    Outcome::Fail(first_difference(&ours, &want))
}

/// `value` with every `required` list sorted and every `x-cue-unsupported` note left out.
fn loosely(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| k.as_str() != cue::UNSUPPORTED_EXTENSION)
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("required", Value::Array(items)) => {
                            let mut items = items.clone();
                            items.sort_by_key(|i| i.to_string());
                            Value::Array(items)
                        }
                        _ => loosely(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(loosely).collect()),
        other => other.clone(),
    }
}

/// Where two schema maps first differ, for the failure message.
fn first_difference(ours: &serde_json::Value, want: &serde_json::Value) -> String {
    let short = |v: Option<&serde_json::Value>| {
        let text = v.map(|v| v.to_string()).unwrap_or_else(|| "(none)".into());
        if text.chars().count() > 300 {
            format!("{}...", text.chars().take(300).collect::<String>())
        } else {
            text
        }
    };
    let (Some(o), Some(w)) = (ours.as_object(), want.as_object()) else {
        return format!("ours {}, want {}", short(Some(ours)), short(Some(want)));
    };
    let mut names: Vec<&String> = o.keys().chain(w.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        match (o.get(name), w.get(name)) {
            (Some(a), Some(b)) if a == b => {}
            // Both objects: name the deepest differing member, so that a long schema's
            // message shows what differs rather than its first 300 characters.
            (Some(a), Some(b)) if a.is_object() && b.is_object() => {
                return format!("{name}.{}", first_difference(a, b));
            }
            (a, b) => return format!("{name}: ours {}, want {}", short(a), short(b)),
        }
    }
    "differs".into()
}

// ----- encoding/jsonschema: generated schemas --------------------------------------------------

/// A CUE value written as text (the goldens of `generate`), evaluated to JSON by our engine.
fn cue_text_to_json(text: &str) -> Option<serde_json::Value> {
    let package = Package::load(
        PackageFiles {
            files: vec![("golden.cue".into(), text.to_string())],
        },
        &NoImports,
    );
    if !package.diagnostics().is_empty() {
        return None;
    }
    package.export_json(None).ok()
}

/// One test of a `generate` case's `datatest` package.
struct DataTest {
    name: String,
    data: serde_json::Value,
    /// What CUE wrote about the data: `true` when it is valid.
    valid: bool,
}

fn data_tests(archive: &txtar::Archive) -> Vec<DataTest> {
    let files: Vec<(String, String)> = archive
        .files
        .iter()
        .filter(|(n, _)| n.starts_with("datatest/") && n.ends_with(".cue"))
        .cloned()
        .collect();
    if files.is_empty() {
        return Vec::new();
    }
    let mut names: Vec<String> = Vec::new();
    for (_, text) in &files {
        let (file, _) = cue::parser::parse_file(cue::FileId(0), text);
        for decl in &file.decls {
            if let Decl::Field(field) = decl {
                if let LabelKind::Ident(id) = &field.label.kind {
                    if !names.contains(&id.name) {
                        names.push(id.name.clone());
                    }
                }
            }
        }
    }
    let package = Package::load(PackageFiles { files }, &NoImports);
    names
        .into_iter()
        .filter_map(|name| {
            let data = package.export_json(Some(&format!("{name}.data"))).ok()?;
            let valid = match archive.file(&format!("out/generate-v3/{name}")) {
                Some(errors) => errors.trim().is_empty(),
                None => {
                    package.export_json(Some(&format!("{name}.error"))).ok()
                        != Some(serde_json::Value::Bool(true))
                }
            };
            Some(DataTest { name, data, valid })
        })
        .collect()
}

/// Whether `value` holds a float with an integral value (`2.0`), which JSON Schema reads as
/// an integer.
fn has_integral_float(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(n) => n.is_f64() && n.as_f64().is_some_and(|f| f.fract() == 0.0),
        serde_json::Value::Array(items) => items.iter().any(has_integral_float),
        serde_json::Value::Object(map) => map.values().any(has_integral_float),
        _ => false,
    }
}

fn check_generate(archive: &txtar::Archive) -> Outcome {
    let Some(want) = archive
        .file("out/generate-v3/schema")
        .and_then(cue_text_to_json)
    else {
        return Outcome::Skip;
    };
    let package = load_archive(archive);
    let config = cue::JsonSchemaConfig {
        explicit_open: comment_option(archive, "#explicitOpen").is_some(),
    };
    let ours = match comment_option(archive, "#path") {
        Some(path) => package.json_schema_package_at_with(path, &config),
        None => package.json_schema_package_with(&config),
    };
    let ours = match ours {
        Ok(document) => document,
        Err(e) => return Outcome::Fail(format!("export failed: {}", first_headline(&e))),
    };
    if ours == want {
        return Outcome::Pass;
    }
    let validator = match jsonschema::options()
        .should_validate_formats(true)
        .build(&ours)
    {
        Ok(v) => v,
        Err(e) => return Outcome::Fail(format!("our schema does not compile: {e}")),
    };
    let tests = data_tests(archive);
    let mut compared = 0;
    for test in &tests {
        let verdict = validator.is_valid(&test.data);
        if verdict == test.valid {
            compared += 1;
        } else if !has_integral_float(&test.data) {
            return Outcome::Fail(format!(
                "{}: JSON Schema says valid={verdict}, CUE valid={} (data {}; ours {})",
                test.name, test.valid, test.data, ours
            ));
        }
    }
    if compared == 0 {
        return Outcome::Fail(format!(
            "differs and no test data to compare verdicts: {}",
            first_difference(&ours, &want)
        ));
    }
    Outcome::Loose
}
