//! Checks shared by the fuzz target and the regression tests that replay what it found.

/// Runs the whole engine on arbitrary text: up to the first NUL a CUE package, after it a
/// JSON document. Parses, loads, and validates the document against the package and against
/// `#A`, with the compiled validator and by unification. Panics if those two disagree on a
/// package without errors; any other panic, hang or stack overflow is a bug the caller's
/// harness reports.
pub fn check_engine_consistency(text: &str) {
    let (schema, data) = text.split_once('\0').unwrap_or((text, "{}"));
    let _ = crate::parser::parse_expr(crate::FileId(0), schema);
    let package = crate::Package::load(
        crate::PackageFiles {
            files: vec![("fuzz.cue".into(), schema.into())],
        },
        &crate::NoImports,
    );
    // A package with errors is reported as such before any data is judged (as `cue vet` and
    // `cuemesh vet` do), so the two ways need only agree on packages without errors; both
    // still run on the others, where nothing may panic or hang.
    let valid_package = package.diagnostics().is_empty();
    for expression in [None, Some("#A")] {
        if let Ok(schema) = package.schema(expression) {
            let checked = schema.validate_json("data.json", data);
            let unified = schema.validate_json_unified("data.json", data);
            if valid_package {
                if let Err(difference) = same_diagnostics(&checked.errors, &unified.errors) {
                    panic!("compiled and unified validation disagree: {difference}");
                }
            }
        }
    }
}

/// Whether the compiled validator's diagnostics are those of unification, whole: code,
/// severity, path, message, spans, labels and help of each, in the same order. The error names
/// the first difference.
pub fn same_diagnostics(
    checked: &[crate::Diagnostic],
    unified: &[crate::Diagnostic],
) -> Result<(), String> {
    for (n, (c, u)) in checked.iter().zip(unified).enumerate() {
        if c != u {
            return Err(format!("diagnostic {n}: compiled {c:?}, unified {u:?}"));
        }
    }
    match checked.len().cmp(&unified.len()) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Greater => Err(format!(
            "the compiled validator reports more: {:?}",
            checked[unified.len()].headline()
        )),
        std::cmp::Ordering::Less => Err(format!(
            "unification reports more: {:?}",
            unified[checked.len()].headline()
        )),
    }
}
