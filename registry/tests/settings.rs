//! The registry settings (`cuemesh.cue`) read from Git at any ref, as `serve` and `versions`
//! read them: every setting the template declares, and bad values with their positions.

mod support;

use cuemesh_registry::Repository;
use cuemesh_registry::{Level, LintCode};
use support::TestRepository;

const TEMPLATE_SETTINGS: &str = include_str!("../../schemas-repo-template/cuemesh.cue");

#[test]
fn the_template_settings_are_read_at_each_ref() {
    let mut repository = TestRepository::with_module(
        "ada",
        "Add the settings",
        &[("cuemesh.cue", Some(TEMPLATE_SETTINGS))],
    );
    let changed = TEMPLATE_SETTINGS
        .replace(
            "registry: url: \"https://schemas.example.com\"",
            "registry: {url: \"https://registry.acme.example/schemas/\", branch: \"trunk\"}",
        )
        .replace("rules: {}", "rules: {FIELD_DOC_MISSING: \"warning\"}");
    assert_ne!(
        changed, TEMPLATE_SETTINGS,
        "the template's settings changed"
    );
    repository.commit(
        "main",
        "ada",
        "Move the registry",
        &[("cuemesh.cue", Some(&changed))],
    );
    let opened = Repository::open(repository.path()).expect("open");

    let first = opened.settings("main~1").expect("settings");
    assert!(first.problems.is_empty(), "{:?}", first.problems);
    let registry = &first.settings.registry;
    assert_eq!(registry.url.as_deref(), Some("https://schemas.example.com"));
    // The template's schema gives the branch its default.
    assert_eq!(registry.branch.as_deref(), Some("main"));
    assert!(first
        .settings
        .event_type_pattern
        .is_match("com.acme.orders.placed"));

    let second = opened.settings("main").expect("settings");
    assert!(second.problems.is_empty(), "{:?}", second.problems);
    let registry = &second.settings.registry;
    // Without the trailing slash, so that paths append to it.
    assert_eq!(
        registry.url.as_deref(),
        Some("https://registry.acme.example/schemas")
    );
    assert_eq!(registry.branch.as_deref(), Some("trunk"));
    assert_eq!(
        second.settings.level(LintCode::FieldDocMissing),
        Level::Warning
    );
}

#[test]
fn bad_values_are_reported_at_their_position_and_missing_settings_are_defaults() {
    let mut repository = TestRepository::with_module("ada", "No settings yet", &[]);
    repository.commit(
        "main",
        "ada",
        "Settings with a bad URL",
        &[(
            "cuemesh.cue",
            Some("package cuemesh\n\nregistry: {\n\turl: \"schemas.example.com\"\n}\n"),
        )],
    );
    let opened = Repository::open(repository.path()).expect("open");

    let none = opened.settings("main~1").expect("settings");
    assert!(none.problems.is_empty());
    assert_eq!(none.settings.registry.url, None);

    let bad = opened.settings("main").expect("settings");
    let found: Vec<String> = bad
        .problems
        .iter()
        .map(|problem| {
            format!(
                "{} {}",
                bad.sources.map.describe(problem.span.expect("a position")),
                problem.message
            )
        })
        .collect();
    assert_eq!(
        found,
        ["cuemesh.cue:4:2 registry.url \"schemas.example.com\": the URL must start with https:// or http://"]
    );
    assert_eq!(bad.settings.registry.url, None);
    assert!(opened.settings("no-such-branch").is_err());
}

#[test]
fn registry_branch_names_the_branch_that_numbers_versions_when_it_exists() {
    let mut repository = TestRepository::with_module("ada", "Start without settings", &[]);
    let opened = Repository::open(repository.path()).expect("open");
    assert_eq!(
        cuemesh_registry::settings::numbered_branch(&opened).expect("a branch"),
        "main",
        "without cuemesh.cue, HEAD's branch"
    );

    repository.commit(
        "main",
        "ada",
        "Number versions on release",
        &[("cuemesh.cue", Some("registry: branch: \"release\"\n"))],
    );
    let opened = Repository::open(repository.path()).expect("open");
    let missing = cuemesh_registry::settings::numbered_branch(&opened)
        .expect_err("release does not exist yet")
        .to_string();
    assert!(
        missing.contains("registry.branch") && missing.contains("\"release\""),
        "{missing}"
    );

    repository.branch("release", "main");
    let opened = Repository::open(repository.path()).expect("open");
    assert_eq!(
        cuemesh_registry::settings::numbered_branch(&opened).expect("a branch"),
        "release"
    );
}
