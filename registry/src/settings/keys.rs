//! The table of every key of `cuemesh.cue`: its path, the value it takes, its default, which
//! commands read it and what it means. The readers (`lint`'s and `check`'s settings) take the
//! keys they accept from this table, and the generated reference prints it, so the two cannot
//! drift apart.

/// One key of `cuemesh.cue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingKey {
    /// The dotted path; `[]` stands for any element of a list (`check.allow[].rule`).
    pub path: &'static str,
    /// The value it takes, in words or CUE.
    pub value: &'static str,
    /// The value when the key is absent, as CUE text; `None` when absence means "none".
    pub default: Option<&'static str>,
    /// The commands that read it; empty when nothing reads it yet (it is declared by the
    /// template for the registry service and the publisher).
    pub read_by: &'static [&'static str],
    /// One sentence.
    pub description: &'static str,
}

/// Every key, sorted by path.
pub static SETTING_KEYS: &[SettingKey] = &[
    SettingKey {
        path: "check.allow",
        value: "a list of structs",
        default: Some("[]"),
        read_by: &["check"],
        description: "Intended breaking changes `check` lets through, each reported as a warning naming its reason.",
    },
    SettingKey {
        path: "check.allow[].reason",
        value: "a non-empty string (required)",
        default: None,
        read_by: &["check"],
        description: "Why the break is intended; printed with every finding the entry allows.",
    },
    SettingKey {
        path: "check.allow[].rule",
        value: "a compatibility rule id, or `EVENT_REMOVED`, `SOURCE_REMOVED`, `REPLAY_REJECTED`",
        default: None,
        read_by: &["check"],
        description: "Limits the entry to one rule; every breaking rule when absent.",
    },
    SettingKey {
        path: "check.allow[].source",
        value: "a `source.id`",
        default: None,
        read_by: &["check"],
        description: "The source whose events the entry applies to (an entry names a source, a type or both).",
    },
    SettingKey {
        path: "check.allow[].type",
        value: "a CloudEvents `type`",
        default: None,
        read_by: &["check"],
        description: "The event type the entry applies to.",
    },
    SettingKey {
        path: "check.allow[].version",
        value: "an integer >= 1",
        default: None,
        read_by: &["check"],
        description: "The version the change creates: the entry matches nothing once that version exists.",
    },
    SettingKey {
        path: "compatibility",
        value: "`BACKWARD`, `BACKWARD_TRANSITIVE`, `FORWARD`, `FORWARD_TRANSITIVE`, `FULL`, `FULL_TRANSITIVE` or `NONE`",
        default: Some("\"BACKWARD\""),
        read_by: &["check", "lint"],
        description: "The compatibility mode of every event type without its own `@compat(MODE)` attribute.",
    },
    SettingKey {
        path: "lint.definitionNamePattern",
        value: "a regular expression (RE2, unanchored)",
        default: Some(super::DEFAULT_DEFINITION_NAME_PATTERN),
        read_by: &["lint"],
        description: "What definition names (without `#`) look like (`DEFINITION_NAME_CASE`).",
    },
    SettingKey {
        path: "lint.eventTypePattern",
        value: "a regular expression (RE2, unanchored)",
        default: Some(super::DEFAULT_EVENT_TYPE_PATTERN),
        read_by: &["lint"],
        description: "What CloudEvents `type` strings look like (`EVENT_TYPE_NAME`).",
    },
    SettingKey {
        path: "lint.fieldNamePattern",
        value: "a regular expression (RE2, unanchored)",
        default: Some(super::DEFAULT_FIELD_NAME_PATTERN),
        read_by: &["lint"],
        description: "What field names declared in definitions look like (`FIELD_NAME_CASE`).",
    },
    SettingKey {
        path: "lint.ownerPattern",
        value: "a regular expression (RE2, unanchored)",
        default: Some(super::DEFAULT_OWNER_PATTERN),
        read_by: &["lint"],
        description: "What `source.owner` values look like (`OWNER_FORMAT`).",
    },
    SettingKey {
        path: "lint.rules",
        value: "a struct of rule ids to `\"error\"`, `\"warning\"` or `\"off\"`",
        default: Some("{}"),
        read_by: &["lint"],
        description: "The severity of each configurable lint rule; rules not listed keep their default.",
    },
    SettingKey {
        path: "lint.sourceIdPattern",
        value: "a regular expression (RE2, unanchored)",
        default: Some(super::DEFAULT_SOURCE_ID_PATTERN),
        read_by: &["lint"],
        description: "What `source.id` values (the CloudEvents `source`) look like (`SOURCE_ID_NAME`).",
    },
    SettingKey {
        path: "registry.branch",
        value: "a branch name",
        default: Some("\"main\""),
        read_by: &["serve", "versions", "dev"],
        description: "The branch whose first-parent history numbers versions, read from the repository's HEAD branch; `--branch` overrides it.",
    },
    SettingKey {
        path: "registry.url",
        value: "an `http(s)://` URL",
        default: None,
        read_by: &[],
        description: "The public URL of the registry service, which each CloudEvent's `dataschema` starts with.",
    },
];

/// The names of the keys directly under `prefix` (`"lint."`, `"check.allow[]."`), in table
/// order: what a reader accepts there.
pub fn keys_under(prefix: &str) -> impl Iterator<Item = &'static SettingKey> + '_ {
    SETTING_KEYS.iter().filter(move |key| {
        key.path
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.contains('.'))
    })
}

/// The last component of a key's path (`ownerPattern` for `lint.ownerPattern`).
pub fn key_name(key: &SettingKey) -> &'static str {
    key.path.rsplit('.').next().unwrap_or(key.path)
}

/// The branch whose first-parent history numbers versions when a command is not given one:
/// `registry.branch` as `cuemesh.cue` on the repository's HEAD branch says, else that branch.
/// A value lint would refuse is ignored here (lint reports it).
pub fn numbered_branch(repository: &crate::Repository) -> Result<String, crate::Error> {
    let head = repository.default_branch()?;
    let Some(branch) = repository.settings(&head)?.settings.registry.branch else {
        return Ok(head);
    };
    match repository.resolve(&branch) {
        Ok(_) => Ok(branch),
        Err(_) => Err(crate::Error::ConfiguredBranchMissing { head, branch }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_and_unique() {
        for pair in SETTING_KEYS.windows(2) {
            assert!(
                pair[0].path < pair[1].path,
                "{} then {}",
                pair[0].path,
                pair[1].path
            );
        }
    }

    #[test]
    fn keys_under_a_prefix_are_its_direct_children() {
        let check: Vec<&str> = keys_under("check.allow[].").map(key_name).collect();
        assert_eq!(check, ["reason", "rule", "source", "type", "version"]);
        let lint: Vec<&str> = keys_under("lint.").map(key_name).collect();
        assert_eq!(
            lint,
            [
                "definitionNamePattern",
                "eventTypePattern",
                "fieldNamePattern",
                "ownerPattern",
                "rules",
                "sourceIdPattern"
            ]
        );
    }
}
