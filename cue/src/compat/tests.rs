//! The public API: modes, versions, positions.

use super::*;
use crate::{NoImports, PackageFiles};

fn package(name: &str, source: &str) -> Package {
    Package::load(
        PackageFiles {
            files: vec![(name.to_string(), source.to_string())],
        },
        &NoImports,
    )
}

fn version<'a>(package: &'a Package) -> Version<'a> {
    Version {
        package,
        definition: "#A",
    }
}

#[test]
fn modes_parse_case_insensitively_and_name_the_choices_when_wrong() {
    assert_eq!("backward".parse::<Mode>(), Ok(Mode::Backward));
    assert_eq!("Full_Transitive".parse::<Mode>(), Ok(Mode::FullTransitive));
    assert_eq!(
        "forward-transitive".parse::<Mode>(),
        Ok(Mode::ForwardTransitive)
    );
    assert_eq!("NONE".parse::<Mode>(), Ok(Mode::None));
    let error = "sideways".parse::<Mode>().expect_err("not a mode");
    assert!(error.to_string().contains("\"sideways\""), "{error}");
    assert!(error.to_string().contains("FULL_TRANSITIVE"), "{error}");
    for mode in Mode::ALL {
        assert_eq!(mode.name().parse::<Mode>(), Ok(mode));
    }
}

#[test]
fn the_mode_decides_which_findings_are_errors() {
    let old = package("old.cue", "#A: {a: int}\n");
    let new = package("new.cue", "#A: {a: int, b?: int}\n");
    let backward = check(&[version(&old)], version(&new), Mode::Backward).expect("loads");
    assert!(backward.is_compatible());
    assert!(backward.findings.is_empty());
    let forward = check(&[version(&old)], version(&new), Mode::Forward).expect("loads");
    assert!(!forward.is_compatible());
    assert_eq!(forward.findings[0].rule, CompatCode::FieldAdded);
    assert_eq!(forward.findings[0].severity, Severity::Error);
    let none = check(&[version(&old)], version(&new), Mode::None).expect("loads");
    assert!(none.findings.is_empty());
}

#[test]
fn removals_point_at_the_previous_version_and_changes_at_the_current() {
    let old = package("old.cue", "#A: {\n\ta: int\n\tb?: int\n}\n");
    let new = package("new.cue", "#A: {\n\ta: string\n}\n");
    let report = check(&[version(&old)], version(&new), Mode::Full).expect("loads");
    let at: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f.rule,
                f.path,
                report.sources.describe(f.span.expect("a position"))
            )
        })
        .collect();
    assert_eq!(
        at,
        [
            "FIELD_TYPE_CHANGED a new.cue:2:2",
            "FIELD_REMOVED b old.cue:3:2",
        ]
    );
    let diagnostic = report.findings[0].to_diagnostic();
    assert_eq!(diagnostic.code, "FIELD_TYPE_CHANGED");
    assert_eq!(diagnostic.path, "a");
    assert_eq!(
        report.sources.describe(diagnostic.labels[0].span),
        "old.cue:2:2"
    );
}

#[test]
fn transitive_modes_compare_every_previous_version() {
    let v1 = package("v1.cue", "#A: {a: int, c?: int}\n");
    let v2 = package("v2.cue", "#A: {a: int}\n");
    let v3 = package("v3.cue", "#A: {a: int}\n");
    let latest = check(&[version(&v1), version(&v2)], version(&v3), Mode::Backward).expect("loads");
    assert!(latest.is_compatible());
    let all = check(
        &[version(&v1), version(&v2)],
        version(&v3),
        Mode::BackwardTransitive,
    )
    .expect("loads");
    assert_eq!(all.findings.len(), 1);
    assert_eq!(all.findings[0].rule, CompatCode::FieldRemoved);
    assert_eq!(all.findings[0].previous, 0);
    assert_eq!(
        all.sources
            .describe(all.findings[0].span.expect("a position")),
        "v1.cue:1:14"
    );
}

#[test]
fn a_missing_definition_or_a_broken_package_is_an_error_not_a_verdict() {
    let old = package("old.cue", "#A: {a: int}\n");
    let other = package("new.cue", "#B: {a: int}\n");
    let errors = check(&[version(&old)], version(&other), Mode::Backward).expect_err("no #A");
    assert!(errors[0].message.contains("no definition #A"), "{errors:?}");
    let broken = package("new.cue", "#A: {a: int & string}\n");
    assert!(check(&[version(&old)], version(&broken), Mode::Backward).is_err());
}

#[test]
fn recursive_definitions_end() {
    let old = package("old.cue", "#A: {next?: #A, v: int}\n");
    let new = package("new.cue", "#A: {next?: #A, v: number}\n");
    let report = compare(version(&old), version(&new)).expect("loads");
    let rules: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("{} {}", f.rule, f.path))
        .collect();
    assert_eq!(rules, ["TYPE_WIDENED v"]);
}

#[test]
fn every_code_has_one_rule_and_a_unique_screaming_snake_id() {
    let codes: Vec<CompatCode> = RULES.iter().map(|rule| rule.code).collect();
    assert_eq!(codes, CompatCode::ALL);
    let mut seen = std::collections::HashSet::new();
    for &code in CompatCode::ALL {
        let id = code.id();
        assert!(seen.insert(id), "{id} twice");
        assert!(
            id.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
            "{id}"
        );
        assert_eq!(CompatCode::from_id(id), Some(code));
        assert!(code.purpose().ends_with('.'), "{id}");
        assert!(!code.purpose().contains("  "), "{id}");
    }
}

/// The BACKWARD errors of `previous` -> `current` (`#A`), each with its counterexample
/// re-validated against both versions here.
fn proven_backward_errors(previous: &str, current: &str) -> Vec<(&'static str, String)> {
    let old = package("old.cue", previous);
    let new = package("new.cue", current);
    let report = check(&[version(&old)], version(&new), Mode::Backward).expect("loads");
    let valid = |package: &Package, value: &Json| {
        package
            .schema(Some("#A"))
            .expect("compiles")
            .validate_json("counterexample.json", &value.to_string())
            .is_valid()
    };
    report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| {
            let found = f
                .counterexample
                .as_ref()
                .expect("an error has a counterexample");
            assert!(valid(&old, &found.value), "{}", found.value);
            assert!(!valid(&new, &found.value), "{}", found.value);
            (f.rule.id(), f.path.clone())
        })
        .collect()
}

#[test]
fn a_constraint_written_the_same_is_checked_against_what_it_reads() {
    // `<=limits.max` reads a regular field of the package, which data could set: the same
    // text, but the bound it reads went from 50 to 40.
    let before = "limits: {max: 50}\n#A: {n: int & <=limits.max}\n";
    let after = "limits: {max: 40}\n#A: {n: int & <=limits.max}\n";
    assert_eq!(
        proven_backward_errors(before, after),
        [("DEPENDENT_CONSTRAINT_CHANGED", "n".to_string())]
    );
    // Unchanged, it is not reported at all.
    let old = package("old.cue", before);
    let report = check(&[version(&old)], version(&old), Mode::Full).expect("loads");
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}

#[test]
fn a_value_only_the_data_completes_is_not_taken_for_anything() {
    // `x + x` with `x: int` is never complete (a document of `#A` does not set `x`): the
    // current version rejects every document.
    assert_eq!(
        proven_backward_errors("#A: int\n", "#A: x + x\nx: int\n"),
        [("DEPENDENT_CONSTRAINT_CHANGED", String::new())]
    );
    // `int + int` itself is an error, as in CUE: such a version is refused.
    let refused = package("new.cue", "#A: int + int\n");
    let old = package("old.cue", "#A: int\n");
    assert!(check(&[version(&old)], version(&refused), Mode::Backward).is_err());
    assert_eq!(
        proven_backward_errors("#A: \"s a e\"\n", "#A: \"s \\(d) e\"\nd: _\n"),
        [("DEPENDENT_CONSTRAINT_CHANGED", String::new())]
    );
}

/// Pattern constraints whose values conflict (`[string]: 1, [string]: 2`) are no error of the
/// schema, as in CUE: only a field they match would be, so the version accepts exactly the
/// documents without fields, and a version accepting more is compatible with it.
#[test]
fn conflicting_pattern_values_accept_no_field_and_are_not_an_error() {
    let old = package("old.cue", "#A: {[string]: 1, [string]: 2, ...}\n");
    let new = package("new.cue", "#A: {[string]: >5, ...}\n");
    let backward = check(&[version(&old)], version(&new), Mode::Backward).expect("loads");
    assert!(backward.is_compatible(), "{:?}", backward.findings);
    let forward = check(&[version(&old)], version(&new), Mode::Forward).expect("loads");
    assert!(!forward.is_compatible(), "{:?}", forward.findings);
}
