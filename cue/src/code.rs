//! The engine's diagnostic codes: every [`Diagnostic::code`](crate::Diagnostic::code) the
//! parser, the evaluator, the validators, export and import produce, one variant each with the
//! meaning the reference prints. Lint and compatibility findings carry their rule ids instead
//! ([`crate::compat::CompatCode`], `cuemesh_registry::LintCode`), declared alike with
//! [`diagnostic_codes!`](crate::diagnostic_codes).
//!
//! The diagnostic keeps the code as its stable text (`"CONFLICT"`), since one diagnostic type
//! carries the codes of every crate; code that asks what a diagnostic is compares with
//! [`Diagnostic::is`](crate::Diagnostic::is), never with a string.

/// One kind of problem the engine reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    Syntax,
    Json,
    Yaml,
    Toml,
    Label,
    Conflict,
    OutOfBound,
    FieldNotAllowed,
    Incomplete,
    Required,
    EmptyDisjunction,
    StructuralCycle,
    Cycle,
    TooComplex,
    TooDeep,
    Reference,
    Import,
    ImportCycle,
    Package,
    Index,
    Division,
    Number,
    Regex,
    Builtin,
    Arguments,
    ExplicitError,
    User,
    ListLength,
    NonConcrete,
    Invalid,
    Unsupported,
    Export,
    ExportTooDeep,
    Compat,
}

impl Code {
    /// Every code, in the order the reference lists them.
    pub const ALL: &'static [Code] = &[
        Code::Syntax,
        Code::Json,
        Code::Yaml,
        Code::Toml,
        Code::Label,
        Code::Conflict,
        Code::OutOfBound,
        Code::FieldNotAllowed,
        Code::Incomplete,
        Code::Required,
        Code::EmptyDisjunction,
        Code::StructuralCycle,
        Code::Cycle,
        Code::TooComplex,
        Code::TooDeep,
        Code::Reference,
        Code::Import,
        Code::ImportCycle,
        Code::Package,
        Code::Index,
        Code::Division,
        Code::Number,
        Code::Regex,
        Code::Builtin,
        Code::Arguments,
        Code::ExplicitError,
        Code::User,
        Code::ListLength,
        Code::NonConcrete,
        Code::Invalid,
        Code::Unsupported,
        Code::Export,
        Code::ExportTooDeep,
        Code::Compat,
    ];

    /// The stable SCREAMING_SNAKE text a diagnostic carries and JSON output prints.
    pub const fn id(self) -> &'static str {
        match self {
            Code::Syntax => "SYNTAX",
            Code::Json => "JSON",
            Code::Yaml => "YAML",
            Code::Toml => "TOML",
            Code::Label => "LABEL",
            Code::Conflict => "CONFLICT",
            Code::OutOfBound => "OUT_OF_BOUND",
            Code::FieldNotAllowed => "FIELD_NOT_ALLOWED",
            Code::Incomplete => "INCOMPLETE",
            Code::Required => "REQUIRED",
            Code::EmptyDisjunction => "EMPTY_DISJUNCTION",
            Code::StructuralCycle => "STRUCTURAL_CYCLE",
            Code::Cycle => "CYCLE",
            Code::TooComplex => "TOO_COMPLEX",
            Code::TooDeep => "TOO_DEEP",
            Code::Reference => "REFERENCE",
            Code::Import => "IMPORT",
            Code::ImportCycle => "IMPORT_CYCLE",
            Code::Package => "PACKAGE",
            Code::Index => "INDEX",
            Code::Division => "DIVISION",
            Code::Number => "NUMBER",
            Code::Regex => "REGEX",
            Code::Builtin => "BUILTIN",
            Code::Arguments => "ARGUMENTS",
            Code::ExplicitError => "EXPLICIT_ERROR",
            Code::User => "USER",
            Code::ListLength => "LIST_LENGTH",
            Code::NonConcrete => "NON_CONCRETE",
            Code::Invalid => "INVALID",
            Code::Unsupported => "UNSUPPORTED",
            Code::Export => "EXPORT",
            Code::ExportTooDeep => "EXPORT_TOO_DEEP",
            Code::Compat => "COMPAT",
        }
    }

    /// One sentence: what the code means, for the reference.
    pub const fn meaning(self) -> &'static str {
        match self {
            Code::Syntax => "The CUE text does not parse.",
            Code::Json => "A data file is not valid JSON.",
            Code::Yaml => "A data file is not valid YAML.",
            Code::Toml => "A data file is not valid TOML.",
            Code::Label => {
                "A `vet -l` label expression cannot be computed for a data document, or is not a string."
            }
            Code::Conflict => "Two values cannot be unified (different kinds or values).",
            Code::OutOfBound => "A value is outside a bound (`<`, `<=`, `>`, `>=`, `!=`).",
            Code::FieldNotAllowed => "A closed struct (a definition) does not declare the field.",
            Code::Incomplete => "A value is not concrete where one is needed.",
            Code::Required => "A required field (`a!:`) is missing.",
            Code::EmptyDisjunction => "No alternative of a disjunction accepts the value.",
            Code::StructuralCycle => "A value contains itself.",
            Code::Cycle => "Fields refer to each other in a cycle that gives no value.",
            Code::TooComplex => "The evaluation exceeded its step, value or disjunction budget.",
            Code::TooDeep => "Nesting or recursion exceeded its limit.",
            Code::Reference => "A reference names nothing in scope.",
            Code::Import => "An import cannot be resolved or is not used as a package.",
            Code::ImportCycle => "Packages import each other in a cycle.",
            Code::Package => "The files of a package disagree on its name.",
            Code::Index => "An index or selector is out of range or of the wrong kind.",
            Code::Division => "Division by zero.",
            Code::Number => "A number literal or arithmetic result cannot be represented.",
            Code::Regex => "A regular expression does not compile (RE2 syntax).",
            Code::Builtin => "A builtin function failed or rejected its value.",
            Code::Arguments => "A builtin was called with the wrong number or kinds of arguments.",
            Code::ExplicitError => "A `_|_` in the schema was reached.",
            Code::User => "An `error(message)` in the schema was reached (its message is shown).",
            Code::ListLength => "A list has more or fewer elements than its type allows.",
            Code::NonConcrete => "Data holds a value that is not concrete (an open type).",
            Code::Invalid => "An operand has the wrong kind for its operation.",
            Code::Unsupported => "The engine does not support this construct.",
            Code::Export => "A definition cannot be exported (it has errors or is not a struct).",
            Code::ExportTooDeep => "A definition nests too deeply to export.",
            Code::Compat => "Two versions cannot be compared (a definition fails to load).",
        }
    }

    /// The code whose [`Code::id`] is `id`.
    pub fn from_id(id: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|code| code.id() == id)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// Declares an enum of diagnostic codes, one entry per code: its doc comment (the one sentence
/// the reference prints, [`purpose`]), its variant, its stable SCREAMING_SNAKE id and what else
/// the code's table says of it (any constant expression, read back by `info`). It generates
/// `ALL` (in declaration order), `id`, `purpose`, `info`, `from_id` and `Display` (the id), so
/// that every crate's codes are declared alike and nothing compares code strings by hand.
///
/// ```
/// cue::diagnostic_codes! {
///     /// The codes of an example.
///     pub enum ExampleCode: u8 {
///         /// Something is missing.
///         Missing = "MISSING" => 1,
///     }
/// }
/// assert_eq!(ExampleCode::from_id("MISSING"), Some(ExampleCode::Missing));
/// assert_eq!(ExampleCode::Missing.purpose(), "Something is missing.");
/// assert_eq!(ExampleCode::Missing.info(), 1);
/// ```
///
/// [`purpose`]: #purpose
#[macro_export]
macro_rules! diagnostic_codes {
    (
        $(#[doc = $enum_doc:literal])*
        $vis:vis enum $name:ident: $info:ty {
            $($(#[doc = $doc:literal])+ $variant:ident = $id:literal => $value:expr,)+
        }
    ) => {
        $(#[doc = $enum_doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable SCREAMING_SNAKE text findings, configuration and JSON output carry.
            pub fn id(self) -> &'static str {
                match self {
                    $($name::$variant => $id,)+
                }
            }

            /// One sentence: what the code reports (its doc comment, joined into one line).
            pub fn purpose(self) -> &'static str {
                match self {
                    $($name::$variant => concat!($($doc),+).trim_ascii_start(),)+
                }
            }

            /// What the code's table says of it beside its id and purpose.
            pub fn info(self) -> $info {
                match self {
                    $($name::$variant => $value,)+
                }
            }

            /// The code whose id is `id`.
            pub fn from_id(id: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|code| code.id() == id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.id())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_read_back() {
        for code in Code::ALL {
            assert_eq!(Code::from_id(code.id()), Some(*code));
            assert!(code.meaning().ends_with('.'), "{code}");
        }
        let mut ids: Vec<&str> = Code::ALL.iter().map(|code| code.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Code::ALL.len());
    }

    /// Every code the engine's source writes as a literal (`Diagnostic::error("X", ...)`,
    /// `EvalError::new("X", ...)`, `code: "X"`) is a [`Code`], so the reference lists it.
    #[test]
    fn every_code_the_engine_emits_is_listed() {
        let pattern = regex::Regex::new(
            r#"(?:Diagnostic::error|EvalError::new|EvalError::incomplete)\(\s*"([A-Z][A-Z0-9_]+)"|code: "([A-Z][A-Z0-9_]+)"|const [A-Z_]+: &str = "([A-Z][A-Z0-9_]+)""#,
        )
        .expect("a pattern");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut pending = vec![root];
        let mut unlisted = Vec::new();
        let mut seen = 0;
        while let Some(directory) = pending.pop() {
            for entry in std::fs::read_dir(&directory).expect("reading src") {
                let path = entry.expect("an entry").path();
                // Compatibility findings carry their rules' ids, listed by the rule table.
                if path.is_dir() && !path.ends_with("compat/rules") {
                    pending.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("reading a source file");
                    for capture in pattern.captures_iter(&text) {
                        let id = (1..=3).find_map(|i| capture.get(i)).expect("a group");
                        seen += 1;
                        if Code::from_id(id.as_str()).is_none() {
                            unlisted.push(format!("{}: {}", path.display(), id.as_str()));
                        }
                    }
                }
            }
        }
        assert!(seen > 30, "only {seen} codes found in the source");
        assert!(unlisted.is_empty(), "codes not in cue::Code: {unlisted:#?}");
    }
}
