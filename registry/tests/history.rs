//! The repository model on real Git repositories: versions from first-parent history, imports
//! across packages, merges, refs read without a checkout, and broken commits.

mod support;

use cuemesh_registry::{Error, Repository};
use support::service::MONEY;
use support::{identity, TestRepository, MODULE};

const FIRST_ONLY: &str = "\t// first name of the person\n\tfirst: =~\"^[A-Z].*\"\n\t...\n";

fn numbers_and_commits(
    repository: &Repository,
    source: &str,
    event_type: &str,
) -> Vec<(u32, String, String)> {
    let history = repository.history("main").expect("history");
    history
        .event(source, event_type)
        .expect("event has versions")
        .versions
        .iter()
        .map(|v| (v.number, v.commit.id.clone(), v.commit.author.clone()))
        .collect()
}

#[test]
fn a_commit_that_changes_no_schema_makes_no_version() {
    let mut repo = TestRepository::new();
    let first = repo.commit(
        "main",
        "Ada",
        "Add identity",
        &[
            ("cue.mod/module.cue", Some(MODULE)),
            ("sources/identity/identity.cue", Some(&identity(FIRST_ONLY))),
        ],
    );
    // Documentation only.
    repo.commit(
        "main",
        "Grace",
        "Document",
        &[("README.md", Some("# Schemas\n"))],
    );
    // Comments only, and the doc comment of the field.
    repo.commit(
        "main",
        "Grace",
        "Reword",
        &[(
            "sources/identity/identity.cue",
            Some(&identity(
                "\t// The given name.\n\tfirst: =~\"^[A-Z].*\" // capitalised\n\t...\n",
            )),
        )],
    );
    // Field order only.
    let two_fields = "\tlast?: string\n\tfirst: =~\"^[A-Z].*\"\n\t...\n";
    let second = repo.commit(
        "main",
        "Linus",
        "Add last name",
        &[("sources/identity/identity.cue", Some(&identity(two_fields)))],
    );
    repo.commit(
        "main",
        "Ada",
        "Reorder",
        &[(
            "sources/identity/identity.cue",
            Some(&identity(
                "\tfirst: =~\"^[A-Z].*\"\n\tlast?: string\n\t...\n",
            )),
        )],
    );

    let repository = Repository::open(repo.path()).expect("open");
    assert_eq!(
        numbers_and_commits(&repository, "MySource", "MySource:newPerson"),
        [
            (1, first.to_string(), "Ada".to_string()),
            (2, second.to_string(), "Linus".to_string())
        ]
    );
    let history = repository.history("main").expect("history");
    assert_eq!(history.commits, 5);
    let event = history
        .event("MySource", "MySource:newPerson")
        .expect("event");
    let v2 = event.latest().expect("latest");
    assert!(v2.digest.as_str().starts_with("sha256:"));
    assert_ne!(v2.digest, event.versions[0].digest);
    assert_eq!(v2.definition, "#Identity");
    assert!(v2
        .cue_text
        .as_deref()
        .unwrap_or("")
        .contains("last?: string"));
    assert_eq!(v2.commit.email, "linus@example.com");
    assert_eq!(v2.commit.offset_minutes, 120);
    assert!(history.problems.is_empty());
}

const COMMON_V2: &str = "package common\n\n// An amount of money in minor units.\n#Money: {\n\tamount:   int & >=0\n\tcurrency: \"EUR\" | \"USD\" | \"GBP\"\n}\n";

fn shop(id: &str, event_type: &str) -> String {
    format!(
        "package {pkg}\n\nimport \"schemas.example.com/sources/common\"\n\nsource: {{id: \"{id}\", owner: \"@acme/{pkg}\"}}\n\nevents: {{\n\t\"{event_type}\": #Paid\n\t\"{event_type}.note\": #Note\n}}\n\n#Paid: {{\n\torder: string\n\ttotal: common.#Money\n}}\n\n#Note: {{text: string}}\n",
        pkg = id.to_lowercase(),
    )
}

#[test]
fn a_change_in_an_imported_package_versions_every_event_using_it() {
    let mut repo = TestRepository::new();
    repo.commit(
        "main",
        "Ada",
        "Start",
        &[
            ("cue.mod/module.cue", Some(MODULE)),
            ("sources/common/money.cue", Some(MONEY)),
            ("sources/shop/shop.cue", Some(&shop("Shop", "shop.paid"))),
            (
                "sources/billing/billing.cue",
                Some(&shop("Billing", "billing.paid")),
            ),
        ],
    );
    // A comment in common: no version anywhere.
    repo.commit(
        "main",
        "Grace",
        "Comment",
        &[(
            "sources/common/money.cue",
            Some(&MONEY.replace("minor units", "cents")),
        )],
    );
    let change = repo.commit(
        "main",
        "Grace",
        "Accept pounds",
        &[("sources/common/money.cue", Some(COMMON_V2))],
    );

    let repository = Repository::open(repo.path()).expect("open");
    let history = repository.history("main").expect("history");
    for (source, event_type) in [("Shop", "shop.paid"), ("Billing", "billing.paid")] {
        let event = history.event(source, event_type).expect("event");
        assert_eq!(event.versions.len(), 2, "{source}");
        assert_eq!(event.versions[1].commit.id, change.to_string());
        assert!(event.versions[1].schema.text.contains("GBP"));
    }
    // The events that do not use common keep one version.
    assert_eq!(
        history
            .event("Shop", "shop.paid.note")
            .expect("note")
            .versions
            .len(),
        1
    );
    assert_eq!(history.version_count(), 6);

    // The shared package is listed as shared, with no diagnostics.
    let snapshot = repository.snapshot("main").expect("snapshot");
    assert_eq!(snapshot.shared.len(), 1);
    assert_eq!(snapshot.shared[0].directory, "sources/common");
    assert!(
        snapshot.all_diagnostics().is_empty(),
        "{:?}",
        snapshot.all_diagnostics()
    );
}

#[test]
fn only_first_parent_commits_make_versions() {
    let mut repo = TestRepository::new();
    let first = repo.commit(
        "main",
        "Ada",
        "Add identity",
        &[
            ("cue.mod/module.cue", Some(MODULE)),
            ("sources/identity/identity.cue", Some(&identity(FIRST_ONLY))),
        ],
    );
    repo.branch("feature", "main");
    let with_last = identity("\tfirst: =~\"^[A-Z].*\"\n\tlast?: string\n\t...\n");
    let with_age = identity("\tfirst: =~\"^[A-Z].*\"\n\tlast?: string\n\tage?: int\n\t...\n");
    let side_one = repo.commit(
        "feature",
        "Grace",
        "Add last",
        &[("sources/identity/identity.cue", Some(&with_last))],
    );
    let side_two = repo.commit(
        "feature",
        "Grace",
        "Add age",
        &[("sources/identity/identity.cue", Some(&with_age))],
    );
    repo.commit(
        "main",
        "Linus",
        "Docs on main",
        &[("README.md", Some("docs\n"))],
    );
    let merge = repo.merge(
        "main",
        "feature",
        "Margaret",
        &[("sources/identity/identity.cue", Some(&with_age))],
    );

    let repository = Repository::open(repo.path()).expect("open");
    assert_eq!(
        numbers_and_commits(&repository, "MySource", "MySource:newPerson"),
        [
            (1, first.to_string(), "Ada".to_string()),
            (2, merge.to_string(), "Margaret".to_string())
        ]
    );
    assert_eq!(repository.history("main").expect("history").commits, 3);
    // The side branch has its own history, where each of its commits counts.
    let feature = repository.history("feature").expect("feature history");
    let commits: Vec<String> = feature
        .event("MySource", "MySource:newPerson")
        .expect("event")
        .versions
        .iter()
        .map(|v| v.commit.id.clone())
        .collect();
    assert_eq!(
        commits,
        [
            first.to_string(),
            side_one.to_string(),
            side_two.to_string()
        ]
    );
}

#[test]
fn a_ref_is_read_without_a_checkout() {
    let mut repo = TestRepository::new();
    let commit = repo.commit(
        "main",
        "Ada",
        "Add identity",
        &[
            ("cue.mod/module.cue", Some(MODULE)),
            ("sources/identity/identity.cue", Some(&identity(FIRST_ONLY))),
        ],
    );
    // The work tree holds something else entirely: a broken file and another source, never
    // committed, and the committed file is absent.
    let work = repo.path().join("sources/other");
    std::fs::create_dir_all(&work).expect("mkdir");
    std::fs::write(work.join("other.cue"), "package other\nsource: {\n").expect("write");

    let repository = Repository::open(repo.path()).expect("open");
    let snapshot = repository.snapshot("main").expect("snapshot");
    assert_eq!(snapshot.commit.id, commit.to_string());
    assert_eq!(snapshot.module.as_deref(), Some("schemas.example.com"));
    assert_eq!(snapshot.sources.len(), 1);
    let source = snapshot.source("MySource").expect("source");
    assert_eq!(source.directory, "sources/identity");
    assert_eq!(source.owner.as_deref(), Some("@acme/identity"));
    let event = source.event("MySource:newPerson").expect("event");
    assert_eq!(
        event.attribute("compat").map(|a| a.body.as_str()),
        Some("FULL")
    );
    assert!(snapshot.all_diagnostics().is_empty());
    // The same commit by id, and a bare clone, read the same.
    let by_id = repository.snapshot(&commit.to_string()).expect("by id");
    assert_eq!(by_id.sources[0].events[0].digest(), event.digest());
    let bare = tempfile::tempdir().expect("tmp");
    git2::build::RepoBuilder::new()
        .bare(true)
        .clone(repo.path().to_str().expect("utf-8 path"), bare.path())
        .expect("clone");
    let mirror = Repository::open(bare.path()).expect("open bare");
    assert_eq!(mirror.default_branch().expect("default"), "main");
    let from_mirror = mirror.snapshot("main").expect("snapshot of the mirror");
    assert_eq!(from_mirror.sources[0].events[0].digest(), event.digest());
}

#[test]
fn a_broken_commit_is_reported_and_later_commits_still_load() {
    let mut repo = TestRepository::new();
    repo.commit(
        "main",
        "Ada",
        "Start",
        &[
            ("cue.mod/module.cue", Some(MODULE)),
            ("sources/common/money.cue", Some(MONEY)),
            ("sources/identity/identity.cue", Some(&identity(FIRST_ONLY))),
            ("sources/shop/shop.cue", Some(&shop("Shop", "shop.paid"))),
        ],
    );
    let broken = repo.commit(
        "main",
        "Grace",
        "Oops",
        &[(
            "sources/identity/identity.cue",
            Some(&identity("\tfirst: =~\"^[A-Z].*\"\n\tlast: \n")),
        )],
    );
    // Another source keeps versioning while identity is broken.
    let shop_change = repo.commit(
        "main",
        "Linus",
        "Shop v2",
        &[(
            "sources/shop/shop.cue",
            Some(&shop("Shop", "shop.paid").replace("order: string", "order: string & != \"\"")),
        )],
    );
    let fixed = repo.commit(
        "main",
        "Grace",
        "Fix",
        &[(
            "sources/identity/identity.cue",
            Some(&identity(
                "\tfirst: =~\"^[A-Z].*\"\n\tlast: string\n\t...\n",
            )),
        )],
    );

    let repository = Repository::open(repo.path()).expect("open");
    let history = repository.history("main").expect("history");
    let identity_versions = &history
        .event("MySource", "MySource:newPerson")
        .expect("event")
        .versions;
    assert_eq!(identity_versions.len(), 2);
    assert_eq!(identity_versions[1].commit.id, fixed.to_string());
    let shop_versions = &history.event("Shop", "shop.paid").expect("shop").versions;
    assert_eq!(shop_versions[1].commit.id, shop_change.to_string());
    // Reported once, where it broke, with a position.
    assert_eq!(history.problems.len(), 1);
    let problem = &history.problems[0];
    assert_eq!(problem.commit.id, broken.to_string());
    assert_eq!(problem.directory, "sources/identity");
    let first = &problem.diagnostics[0];
    let position = problem.files.describe(first.spans[0]);
    assert!(
        position.starts_with("sources/identity/identity.cue:"),
        "{position}"
    );
    // A broken package is not a removal.
    assert!(history
        .event("MySource", "MySource:newPerson")
        .expect("event")
        .removed_in
        .is_none());

    // The snapshot of the broken commit lists the source with its errors.
    let snapshot = repository.snapshot(&broken.to_string()).expect("snapshot");
    let source = snapshot.source("MySource").expect("listed despite errors");
    assert!(source.has_errors());
    assert!(source
        .event("MySource:newPerson")
        .expect("event")
        .schema
        .is_none());
}

#[test]
fn removed_types_and_duplicate_ids_are_reported() {
    let mut repo = TestRepository::new();
    repo.commit(
        "main",
        "Ada",
        "Start",
        &[
            ("cue.mod/module.cue", Some(MODULE)),
            ("sources/common/money.cue", Some(MONEY)),
            ("sources/shop/shop.cue", Some(&shop("Shop", "shop.paid"))),
        ],
    );
    let removal = repo.commit(
        "main",
        "Ada",
        "Drop notes",
        &[(
            "sources/shop/shop.cue",
            Some(&shop("Shop", "shop.paid").replace("\t\"shop.paid.note\": #Note\n", "")),
        )],
    );
    repo.commit(
        "main",
        "Ada",
        "Copy",
        &[("sources/shop2/shop.cue", Some(&shop("Shop", "shop.other")))],
    );
    let repository = Repository::open(repo.path()).expect("open");
    let history = repository.history("main").expect("history");
    let note = history.event("Shop", "shop.paid.note").expect("note");
    assert_eq!(
        note.removed_in.as_ref().map(|c| c.id.clone()),
        Some(removal.to_string())
    );
    assert!(history
        .event("Shop", "shop.paid")
        .expect("paid")
        .removed_in
        .is_none());
    // The second directory claiming "Shop" is not versioned, and the snapshot says why.
    assert!(history.event("Shop", "shop.other").is_none());
    let snapshot = repository.snapshot("main").expect("snapshot");
    let duplicate = &snapshot.diagnostics[0];
    assert_eq!(duplicate.diagnostic.code, "SOURCE_ID_DUPLICATE");
    assert_eq!(duplicate.directory.as_deref(), Some("sources/shop2"));
    let (files, diagnostic) = snapshot.all_diagnostics()[0];
    assert_eq!(
        files.describe(diagnostic.spans[0]),
        "sources/shop2/shop.cue:5:10"
    );
}

#[test]
fn environment_failures_are_errors_with_context() {
    let directory = tempfile::tempdir().expect("tmp");
    match Repository::open(directory.path()) {
        Err(Error::NotARepository { path, .. }) => assert_eq!(path, directory.path()),
        other => panic!("expected NotARepository, got {:?}", other.err()),
    }
    let mut repo = TestRepository::new();
    repo.commit("main", "Ada", "Start", &[("README.md", Some("x\n"))]);
    let repository = Repository::open(repo.path()).expect("open");
    let error = repository
        .snapshot("no-such-branch")
        .expect_err("unknown ref");
    assert!(matches!(error, Error::ReferenceNotFound { .. }));
    assert_eq!(error.to_string(), "reference \"no-such-branch\" not found");
    // A repository without cue.mod says so instead of failing.
    let snapshot = repository.snapshot("main").expect("snapshot");
    assert_eq!(snapshot.diagnostics[0].diagnostic.code, "MODULE_MISSING");
    assert!(repository
        .history("main")
        .expect("history")
        .events
        .is_empty());
}

#[test]
fn a_history_load_reports_its_progress_to_the_end() {
    use cuemesh_registry::HistoryProgress;
    use std::sync::{Arc, Mutex};

    let mut repo = TestRepository::with_module(
        "Ada",
        "Add identity",
        &[("sources/identity/identity.cue", Some(&identity(FIRST_ONLY)))],
    );
    repo.commit(
        "main",
        "Ada",
        "Document",
        &[("README.md", Some("# schemas\n"))],
    );
    let with_last = format!("{FIRST_ONLY}\t// last name\n\tlast?: string\n");
    repo.commit(
        "main",
        "Grace",
        "Add the last name",
        &[("sources/identity/identity.cue", Some(&identity(&with_last)))],
    );
    let seen: Arc<Mutex<Vec<HistoryProgress>>> = Arc::default();
    let recorder = seen.clone();
    let mut repository = Repository::open(repo.path()).expect("open");
    repository.set_progress(Some(Arc::new(move |progress| {
        recorder.lock().expect("lock").push(progress)
    })));
    repository.history("main").expect("history");
    let seen = seen.lock().expect("lock");
    let last = *seen.last().expect("progress was reported");
    // Three commits, two distinct states of the one package (the docs commit shares one).
    assert_eq!(
        last,
        HistoryProgress {
            commits: 3,
            walked: true,
            states: 2,
            evaluated: 2
        }
    );
    assert!(
        seen.iter().all(|step| step.evaluated <= step.states),
        "{seen:?}"
    );
}
