//! The lint rules' codes: one variant per rule, with the stable id findings, `cuemesh.cue` and
//! `cuemesh:ignore` name it by, the sentence the reference prints, its default level and whether
//! a repository may change it. The settings reader checks `lint.rules` against this table, and
//! lint runs one check per code (`lint::RULES`), so the model knows every code without knowing
//! how any rule works.

use crate::finding::Level;

/// Whether a repository may change a rule's level and silence its findings.
const CONFIGURABLE: bool = true;
/// A rule that is part of the contract the registry relies on.
const FIXED: bool = false;

cue::diagnostic_codes! {
    /// One lint rule's code.
    pub enum LintCode: (Level, bool) {
        /// A package under `sources/` does not compile: CUE syntax, import or evaluation errors (or
        /// a file that is not UTF-8), as the engine reports them.
        PackageError = "PACKAGE_ERROR" => (Level::Error, FIXED),
        /// `cuemesh.cue` does not compile, or a setting is unknown or invalid (a rule id, a
        /// severity, a regular expression, the compatibility mode, the registry URL or branch).
        ConfigInvalid = "CONFIG_INVALID" => (Level::Error, FIXED),
        /// A source package lacks `source.id` or `source.owner` as concrete strings, or an `events`
        /// struct literal mapping event types to definitions.
        SourceContractBroken = "SOURCE_CONTRACT_BROKEN" => (Level::Error, FIXED),
        /// Two source packages declare the same `source.id`, so the CloudEvents `source` attribute
        /// no longer names one data product.
        DuplicateSourceId = "DUPLICATE_SOURCE_ID" => (Level::Error, FIXED),
        /// Two source packages declare the same event type, so a CloudEvents `type` no longer names
        /// one schema.
        DuplicateEventType = "DUPLICATE_EVENT_TYPE" => (Level::Error, FIXED),
        /// A field of `events` is not a literal event type mapped to a reference to a definition of
        /// the package or an imported one (`#Identity`, `common.#Name`).
        EventNotADefinition = "EVENT_NOT_A_DEFINITION" => (Level::Error, FIXED),
        /// A `source.id` does not match `lint.sourceIdPattern` (by default PascalCase `MySource`,
        /// reverse DNS `com.acme.orders` or a URI reference as in the CloudEvents specification:
        /// `https://github.com/cloudevents`, `urn:event:from:myapi/resource`,
        /// `/cloudevents/spec/pull/123`).
        SourceIdName = "SOURCE_ID_NAME" => (Level::Error, CONFIGURABLE),
        /// A `source.owner` or `consumer.owner` does not match `lint.ownerPattern` (by default
        /// every owner form `CODEOWNERS` accepts: a team `@org/team`, a user `@octocat` or an
        /// e-mail address).
        OwnerFormat = "OWNER_FORMAT" => (Level::Error, CONFIGURABLE),
        /// A source's `.cue` files (or a consumer's file) are not covered by a `CODEOWNERS` rule
        /// (the last matching one, as GitHub reads `.github/CODEOWNERS`, `CODEOWNERS` or
        /// `docs/CODEOWNERS`) that lists its `source.owner` (or `consumer.owner`) among its owners.
        /// Checked when the repository has a `CODEOWNERS` file.
        CodeownersOwner = "CODEOWNERS_OWNER" => (Level::Error, CONFIGURABLE),
        /// An event type does not match `lint.eventTypePattern` (by default `Source:eventName`,
        /// such as `MySource:newPerson`).
        EventTypeName = "EVENT_TYPE_NAME" => (Level::Error, CONFIGURABLE),
        /// A definition's name (without `#`) does not match `lint.definitionNamePattern` (by
        /// default PascalCase, `#Identity`).
        DefinitionNameCase = "DEFINITION_NAME_CASE" => (Level::Error, CONFIGURABLE),
        /// A field declared in a definition does not match `lint.fieldNamePattern` (by default
        /// camelCase, `firstName`).
        FieldNameCase = "FIELD_NAME_CASE" => (Level::Error, CONFIGURABLE),
        /// A field declared in a definition has no doc comment (a `//` comment on the lines right
        /// above it), so the catalog and OpenAPI cannot describe it.
        FieldDocMissing = "FIELD_DOC_MISSING" => (Level::Error, CONFIGURABLE),
        /// An example payload (`examples/<event type>/*.json`) is not valid JSON or does not
        /// validate against its event's definition; every violation is reported with its JSON path.
        ExampleInvalid = "EXAMPLE_INVALID" => (Level::Error, CONFIGURABLE),
        /// An event type has no example payload in `examples/<event type>/`, so nothing shows the
        /// schema accepts real data.
        ExampleMissing = "EXAMPLE_MISSING" => (Level::Warning, CONFIGURABLE),
        /// An example's folder (`examples/<event type>/`, percent-encoded) names no event type of
        /// its source, so the example checks nothing.
        ExampleUnknownEvent = "EXAMPLE_UNKNOWN_EVENT" => (Level::Error, CONFIGURABLE),
        /// A file of `consumers/` does not compile, or does not match the consumer contract:
        /// `consumer: {id, owner, description?}` and `reads: [source]: [type]: {version: int |
        /// "latest"}`.
        ConsumerInvalid = "CONSUMER_INVALID" => (Level::Error, FIXED),
        /// Two files of `consumers/` declare the same `consumer.id`, so the registry could not tell
        /// which service reads what.
        ConsumerIdDuplicate = "CONSUMER_ID_DUPLICATE" => (Level::Error, FIXED),
        /// A consumer's `reads` names a source no package declares, an event type its source does
        /// not declare, or a version the branch has not numbered (checked when lint runs in a Git
        /// work tree whose branch exists; a type new in the work tree has version 1 only).
        ConsumerReadsUnknown = "CONSUMER_READS_UNKNOWN" => (Level::Error, CONFIGURABLE),
        /// A file under `sources/` is not a package file, Markdown documentation or an example, so
        /// it is silently ignored by every other check.
        UnknownFile = "UNKNOWN_FILE" => (Level::Warning, CONFIGURABLE),
        /// A `// cuemesh:ignore RULE_ID` comment silences nothing on its line, names an unknown or
        /// fixed rule, or is malformed.
        IgnoreUnused = "IGNORE_UNUSED" => (Level::Warning, CONFIGURABLE),
    }
}

impl LintCode {
    /// The level when `cuemesh.cue` says nothing.
    pub fn default_level(self) -> Level {
        self.info().0
    }

    /// Whether `cuemesh.cue` may change the level and `cuemesh:ignore` may silence findings.
    /// A fixed rule is part of the contract the registry relies on.
    pub fn configurable(self) -> bool {
        self.info().1
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
