//! The lint rules' codes: one variant per rule, with the stable id findings, `cuemesh.cue` and
//! `cuemesh:ignore` name it by, the sentence the reference prints, its default level and whether
//! a repository may change it. The settings reader checks `lint.rules` against this table, and
//! lint runs one check per code (`lint::RULES`), so the model knows every code without knowing
//! how any rule works.

use crate::finding::Level;

/// Declares [`LintCode`] from one entry per code: its doc (the purpose the reference prints),
/// variant, id, default level, and `configurable` or `fixed`.
macro_rules! lint_codes {
    ($($(#[doc = $doc:literal])+ $variant:ident = $id:literal, $default:ident, $kind:ident;)+) => {
        /// One lint rule's code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum LintCode {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl LintCode {
            /// Every code, in the order the reference lists them.
            pub const ALL: &'static [LintCode] = &[$(LintCode::$variant),+];

            /// SCREAMING_SNAKE and stable: findings, `cuemesh.cue` and `cuemesh:ignore` name
            /// rules by it.
            pub fn id(self) -> &'static str {
                match self {
                    $(LintCode::$variant => $id,)+
                }
            }

            /// One sentence: what the rule finds, and why it matters.
            pub fn purpose(self) -> &'static str {
                match self {
                    $(LintCode::$variant => concat!($($doc),+).trim_ascii_start(),)+
                }
            }

            /// The level when `cuemesh.cue` says nothing.
            pub fn default_level(self) -> Level {
                match self {
                    $(LintCode::$variant => Level::$default,)+
                }
            }

            /// Whether `cuemesh.cue` may change the level and `cuemesh:ignore` may silence
            /// findings. A fixed rule is part of the contract the registry relies on.
            pub fn configurable(self) -> bool {
                match self {
                    $(LintCode::$variant => lint_codes!(@configurable $kind),)+
                }
            }
        }
    };
    (@configurable configurable) => { true };
    (@configurable fixed) => { false };
}

lint_codes! {
    /// A package under `sources/` does not compile: CUE syntax, import or evaluation errors (or a file
    /// that is not UTF-8), as the engine reports them.
    PackageError = "PACKAGE_ERROR", Error, fixed;
    /// `cuemesh.cue` does not compile, or a setting is unknown or invalid (a rule id, a severity, a
    /// regular expression, the compatibility mode, the registry URL or branch).
    ConfigInvalid = "CONFIG_INVALID", Error, fixed;
    /// A source package lacks `source.id` or `source.owner` as concrete strings, or an `events` struct
    /// literal mapping event types to definitions.
    SourceContractBroken = "SOURCE_CONTRACT_BROKEN", Error, fixed;
    /// Two source packages declare the same `source.id`, so the CloudEvents `source` attribute no
    /// longer names one data product.
    DuplicateSourceId = "DUPLICATE_SOURCE_ID", Error, fixed;
    /// Two source packages declare the same event type, so a CloudEvents `type` no longer names one
    /// schema.
    DuplicateEventType = "DUPLICATE_EVENT_TYPE", Error, fixed;
    /// A field of `events` is not a literal event type mapped to a reference to a definition of the
    /// package or an imported one (`#Identity`, `common.#Name`).
    EventNotADefinition = "EVENT_NOT_A_DEFINITION", Error, fixed;
    /// A `source.id` does not match `lint.sourceIdPattern` (by default PascalCase `MySource`, reverse
    /// DNS `com.acme.orders` or a URI reference as in the CloudEvents specification:
    /// `https://github.com/cloudevents`, `urn:event:from:myapi/resource`,
    /// `/cloudevents/spec/pull/123`).
    SourceIdName = "SOURCE_ID_NAME", Error, configurable;
    /// A `source.owner` or `consumer.owner` does not match `lint.ownerPattern` (by default every owner
    /// form `CODEOWNERS` accepts: a team `@org/team`, a user `@octocat` or an e-mail address).
    OwnerFormat = "OWNER_FORMAT", Error, configurable;
    /// A source's `.cue` files (or a consumer's file) are not covered by a `CODEOWNERS` rule (the last
    /// matching one, as GitHub reads `.github/CODEOWNERS`, `CODEOWNERS` or `docs/CODEOWNERS`) that
    /// lists its `source.owner` (or `consumer.owner`) among its owners. Checked when the repository
    /// has a `CODEOWNERS` file.
    CodeownersOwner = "CODEOWNERS_OWNER", Error, configurable;
    /// An event type does not match `lint.eventTypePattern` (by default `Source:eventName`, such as
    /// `MySource:newPerson`).
    EventTypeName = "EVENT_TYPE_NAME", Error, configurable;
    /// A definition's name (without `#`) does not match `lint.definitionNamePattern` (by default
    /// PascalCase, `#Identity`).
    DefinitionNameCase = "DEFINITION_NAME_CASE", Error, configurable;
    /// A field declared in a definition does not match `lint.fieldNamePattern` (by default camelCase,
    /// `firstName`).
    FieldNameCase = "FIELD_NAME_CASE", Error, configurable;
    /// A field declared in a definition has no doc comment (a `//` comment on the lines right above
    /// it), so the catalog and OpenAPI cannot describe it.
    FieldDocMissing = "FIELD_DOC_MISSING", Error, configurable;
    /// An example payload (`examples/<event type>/*.json`) is not valid JSON or does not validate
    /// against its event's definition; every violation is reported with its JSON path.
    ExampleInvalid = "EXAMPLE_INVALID", Error, configurable;
    /// An event type has no example payload in `examples/<event type>/`, so nothing shows the schema
    /// accepts real data.
    ExampleMissing = "EXAMPLE_MISSING", Warning, configurable;
    /// An example's folder (`examples/<event type>/`, percent-encoded) names no event type of its
    /// source, so the example checks nothing.
    ExampleUnknownEvent = "EXAMPLE_UNKNOWN_EVENT", Error, configurable;
    /// A file of `consumers/` does not compile, or does not match the consumer contract: `consumer:
    /// {id, owner, description?}` and `reads: [source]: [type]: {version: int | "latest"}`.
    ConsumerInvalid = "CONSUMER_INVALID", Error, fixed;
    /// Two files of `consumers/` declare the same `consumer.id`, so the registry could not tell which
    /// service reads what.
    ConsumerIdDuplicate = "CONSUMER_ID_DUPLICATE", Error, fixed;
    /// A consumer's `reads` names a source no package declares, an event type its source does not
    /// declare, or a version the branch has not numbered (checked when lint runs in a Git work tree
    /// whose branch exists; a type new in the work tree has version 1 only).
    ConsumerReadsUnknown = "CONSUMER_READS_UNKNOWN", Error, configurable;
    /// A file under `sources/` is not a package file, Markdown documentation or an example, so it is
    /// silently ignored by every other check.
    UnknownFile = "UNKNOWN_FILE", Warning, configurable;
    /// A `// cuemesh:ignore RULE_ID` comment silences nothing on its line, names an unknown or fixed
    /// rule, or is malformed.
    IgnoreUnused = "IGNORE_UNUSED", Warning, configurable;
}

impl LintCode {
    /// The code an id names, as `cuemesh.cue` and directives write it.
    pub fn from_id(id: &str) -> Option<LintCode> {
        LintCode::ALL.iter().copied().find(|code| code.id() == id)
    }
}

impl std::fmt::Display for LintCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_screaming_snake_and_name_their_code() {
        let mut seen = std::collections::HashSet::new();
        for &code in LintCode::ALL {
            let id = code.id();
            assert!(seen.insert(id), "{id} twice");
            assert!(
                id.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{id} is not SCREAMING_SNAKE"
            );
            assert_eq!(LintCode::from_id(id), Some(code));
            assert_eq!(code.to_string(), id);
        }
        assert_eq!(LintCode::from_id("NO_SUCH_RULE"), None);
    }

    #[test]
    fn purposes_are_one_sentence_joined_from_their_doc_lines() {
        for &code in LintCode::ALL {
            let purpose = code.purpose();
            assert!(!purpose.starts_with(' '), "{code}: {purpose:?}");
            assert!(!purpose.contains("  "), "{code}: {purpose:?}");
            assert!(purpose.ends_with('.'), "{code}: {purpose:?}");
        }
        assert_eq!(
            LintCode::ExampleMissing.purpose(),
            "An event type has no example payload in `examples/<event type>/`, so nothing shows the schema accepts real data."
        );
    }
}
