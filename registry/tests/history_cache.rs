//! The per-definition schema cache of `Repository` must not change what is computed: a change
//! in anything a definition reaches makes a version, a change elsewhere in its package does
//! not, and on the benchmark's repository shape every version equals the one computed from
//! scratch, commit by commit, without the repository model.

mod support;

use cuemesh_testkit::generate;

use cuemesh_contract::canonical::{CanonicalSchema, Digest};
use cuemesh_registry::Repository;
use std::collections::HashMap;
use support::TestRepository;

/// A source whose events reach definitions through a reference (`#Order` to `#Line`) and a
/// `let` (`#Refund` to `limit`), next to a definition no event reaches (`#Unused`).
fn orders(line: &str, limit: &str, unused: &str, refund: &str) -> String {
    format!(
        "package orders\n\nsource: {{\n\tid:    \"Orders\"\n\towner: \"@acme/orders\"\n}}\n\n\
         events: {{\n\t\"Orders:placed\": #Order\n\t\"Orders:refunded\": #Refund\n}}\n\n\
         let limit = {limit}\n\n#Order: {{\n\tlines: [...#Line]\n}}\n\n#Line: {{\n{line}\n}}\n\n\
         #Refund: {{\n\tamount: int & <=limit\n{refund}\n}}\n\n#Unused: {{\n{unused}\n}}\n"
    )
}

/// The version numbers of both events after `history` on the repository as it is now, with
/// the same `Repository` throughout, so that each load finds the previous loads' schemas.
fn versions(repository: &Repository) -> (usize, usize) {
    let history = repository.history("main").expect("history");
    assert!(history.problems.is_empty(), "{:?}", history.problems);
    let count = |event_type: &str| {
        history
            .event("Orders", event_type)
            .expect("event has versions")
            .versions
            .len()
    };
    (count("Orders:placed"), count("Orders:refunded"))
}

#[test]
fn a_change_in_a_reached_definition_makes_a_version_and_elsewhere_none() {
    let path = "sources/orders/orders.cue";
    let line = "\tsku: string";
    let unused = "\tz: int";
    let refund = "\treason?: string";
    let first = orders(line, "100", unused, refund);
    let mut repo = TestRepository::with_module("Ada", "Add orders", &[(path, Some(&first))]);
    let commit = |repo: &mut TestRepository, text: &str| {
        repo.commit("main", "Ada", "Change", &[(path, Some(text))]);
    };
    let repository = Repository::open(repo.path()).expect("open");
    assert_eq!(versions(&repository), (1, 1));

    // `#Line` is reached from `#Order` only: a version of `Orders:placed` alone.
    commit(&mut repo, &orders("\tsku: int", "100", unused, refund));
    assert_eq!(versions(&repository), (2, 1));

    // A definition no event reaches: no version of either.
    commit(
        &mut repo,
        &orders("\tsku: int", "100", "\tz: string", refund),
    );
    assert_eq!(versions(&repository), (2, 1));

    // The `let` that `#Refund` reads: a version of `Orders:refunded` alone.
    commit(
        &mut repo,
        &orders("\tsku: int", "50", "\tz: string", refund),
    );
    assert_eq!(versions(&repository), (2, 2));

    // Back to the first `#Line`: a new version whose schema is the first one's.
    commit(&mut repo, &orders(line, "50", "\tz: string", refund));
    assert_eq!(versions(&repository), (3, 2));
    let history = repository.history("main").expect("history");
    let placed = history.event("Orders", "Orders:placed").expect("placed");
    assert_eq!(placed.versions[2].digest, placed.versions[0].digest);
}

#[test]
fn an_imported_package_change_makes_a_version_of_the_definitions_using_it() {
    let money = |currencies: &str| {
        format!("package common\n\n#Money: {{\n\tamount: int\n\tcurrency: {currencies}\n}}\n")
    };
    let source = "package pay\n\nimport \"schemas.example.com/sources/common\"\n\n\
                  source: {\n\tid: \"Pay\"\n\towner: \"@acme/pay\"\n}\n\n\
                  events: {\n\t\"Pay:made\": #Payment\n\t\"Pay:noted\": #Note\n}\n\n\
                  #Payment: {\n\tprice: common.#Money\n}\n\n#Note: {\n\ttext: string\n}\n";
    let mut repo = TestRepository::with_module(
        "Ada",
        "Add pay",
        &[
            ("sources/common/money.cue", Some(&money("\"EUR\""))),
            ("sources/pay/pay.cue", Some(source)),
        ],
    );
    let repository = Repository::open(repo.path()).expect("open");
    let count = |repository: &Repository, event_type: &str| {
        let history = repository.history("main").expect("history");
        history
            .event("Pay", event_type)
            .expect("event has versions")
            .versions
            .len()
    };
    assert_eq!(count(&repository, "Pay:made"), 1);
    repo.commit(
        "main",
        "Ada",
        "Add a currency",
        &[(
            "sources/common/money.cue",
            Some(&money("\"EUR\" | \"USD\"")),
        )],
    );
    assert_eq!(count(&repository, "Pay:made"), 2);
    // The whole package state is keyed by its imports, so `#Note` is recomputed; its schema
    // did not change, so it has no new version.
    assert_eq!(count(&repository, "Pay:noted"), 1);
}

/// The digest of `#E<event>` of source `index` at `commit`, computed from the files alone.
fn digest_from_scratch(
    repository: &Repository,
    commit: &str,
    index: usize,
    event: usize,
) -> Digest {
    let read = |path: &str| {
        repository
            .read_file(commit, path)
            .expect("read")
            .expect("file exists")
    };
    let common = cue::PackageFiles {
        files: vec![(
            "sources/common/money.cue".into(),
            read("sources/common/money.cue"),
        )],
    };
    let resolver = cue::MemoryResolver {
        packages: HashMap::from([("schemas.example.com/sources/common".to_string(), common)]),
    };
    let path = format!("sources/s{index}/s{index}.cue");
    let files = cue::PackageFiles {
        files: vec![(path.clone(), read(&path))],
    };
    let package = cue::Package::load(files, &resolver);
    let document = package
        .json_schema(Some(&format!("#E{event}")))
        .expect("the generated definitions export");
    CanonicalSchema::from_json_schema(&document).digest
}

/// A version's digest, its commit's id and that commit's position on the first-parent history.
type NumberedAt = (Digest, String, usize);

#[test]
fn versions_equal_those_computed_from_scratch_on_the_benchmark_shape() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let shape = generate::Shape::SMALL;
    let generated = generate::generate(directory.path(), shape);
    let repository = Repository::open(directory.path()).expect("open");
    let history = repository.history("main").expect("history");
    assert_eq!(history.version_count(), generated.versions);

    // Number the versions again from digests computed at every commit, from scratch.
    // Each version also knows its commit's position on that walk.
    let mut expected: HashMap<(usize, usize), Vec<NumberedAt>> = HashMap::new();
    let commits = repository.first_parent_commits("main").expect("commits");
    for (position, commit) in commits.into_iter().enumerate() {
        let commit = commit.to_string();
        for index in 0..shape.sources {
            for event in 0..shape.events_per_source {
                let digest = digest_from_scratch(&repository, &commit, index, event);
                let versions = expected.entry((index, event)).or_default();
                if versions.last().map(|(last, _, _)| last) != Some(&digest) {
                    versions.push((digest, commit.clone(), position));
                }
            }
        }
    }
    for ((index, event), versions) in &expected {
        let loaded: Vec<NumberedAt> = history
            .event(
                &format!("Source{index}"),
                &format!("com.acme.s{index}.e{event}"),
            )
            .expect("event has versions")
            .versions
            .iter()
            .map(|version| {
                (
                    version.digest.clone(),
                    version.commit.id.clone(),
                    version.position,
                )
            })
            .collect();
        assert_eq!(&loaded, versions, "source {index}, event {event}");
        assert_eq!(loaded.len(), shape.versions_per_type);
    }
}
