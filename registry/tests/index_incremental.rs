//! An index built a few commits at a time, each build sharing what it can with the one before
//! (`Index::build_from`, with the history's numbering kept by the `Repository`), must serve
//! exactly what an index built from scratch at the same tip serves: every version number,
//! digest, commit, document and example.

use cuemesh_contract::canonical::Digest;
use cuemesh_registry::serve::{DocumentCache, Index, IndexedVersion};
use cuemesh_registry::Repository;
use cuemesh_testkit::generate;
use std::collections::HashSet;

/// The digest of every version `index` holds.
fn digests(index: &Index) -> impl Iterator<Item = &Digest> {
    let versions = index.events.values().flat_map(|event| &event.versions);
    versions.map(|version| &version.version.digest)
}

/// What the routes serve of one version, as text.
fn served(version: &IndexedVersion) -> Vec<String> {
    let documents = version.documents();
    let document = |document: &Result<std::sync::Arc<serde_json::Value>, String>| match document {
        Ok(document) => serde_json::to_string(&**document).expect("JSON"),
        Err(message) => format!("error: {message}"),
    };
    vec![
        version.version.number.to_string(),
        version.version.digest.as_str().to_string(),
        format!("{:?}", version.version.commit),
        version.version.directory.clone(),
        version.version.definition.clone(),
        format!("{:?}", version.version.cue_text),
        document(&documents.openapi),
        document(&documents.json_schema),
        document(documents.package()),
        format!("{:?}", documents.fields),
        format!("{:?}", version.examples()),
        documents.validator.is_ok().to_string(),
    ]
}

#[test]
fn an_index_built_commit_by_commit_serves_what_one_built_from_scratch_does() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let generated = generate::generate(directory.path(), generate::Shape::SMALL);
    let repository = Repository::open(directory.path()).expect("open");
    let git = repository.git();
    let commits = repository.first_parent_commits("main").expect("commits");
    assert_eq!(commits.len(), generated.commits);

    // Move `main` forward through its own history, 1, 2, 3... commits at a time, rebuilding
    // on the same repository from the index before each time.
    let mut index: Option<Index> = None;
    let mut at = 0;
    let mut step = 1;
    let mut kept = 0;
    while at + 1 < commits.len() {
        at = (at + step).min(commits.len() - 1);
        step += 1;
        git.reference("refs/heads/main", commits[at], true, "test")
            .expect("move main");
        let built = Index::build_from(&repository, "main", index.as_ref()).expect("index");
        if let Some(previous) = &index {
            assert!(
                built.build.states_made <= step,
                "a build after {step} commits read {:?}",
                built.build
            );
            // The schema ids the new index appended are not the served index's: it keeps
            // answering what it did, and every id it gave stays.
            let before: HashSet<&Digest> = digests(previous).collect();
            for digest in digests(&built) {
                let (old, new) = (
                    previous.catalog.subjects.id(digest),
                    built.catalog.subjects.id(digest),
                );
                assert!(new.is_some(), "{digest} has no id");
                if before.contains(digest) {
                    assert_eq!(old, new, "{digest}");
                } else {
                    assert_eq!(old, None, "{digest} is not in the served index");
                }
            }
        }
        kept += built.build.versions_kept;
        index = Some(built);
    }
    let incremental = index.expect("at least one build");
    assert!(kept > 0, "no version was ever kept");

    let scratch = Index::build(&Repository::open(directory.path()).expect("open"), "main")
        .expect("index from scratch");
    assert_eq!(incremental.version_count(), generated.versions);
    assert_eq!(incremental.version_count(), scratch.version_count());
    assert_eq!(
        incremental.events.keys().collect::<Vec<_>>(),
        scratch.events.keys().collect::<Vec<_>>()
    );
    // The Confluent-compatible view: the same subjects, every digest the same global id.
    assert_eq!(
        incremental.catalog.subjects.names().collect::<Vec<_>>(),
        scratch.catalog.subjects.names().collect::<Vec<_>>()
    );
    for digest in digests(&scratch) {
        assert_eq!(
            incremental.catalog.subjects.id(digest),
            scratch.catalog.subjects.id(digest),
            "{digest}"
        );
    }
    for (key, event) in &scratch.events {
        let other = &incremental.events[key];
        assert_eq!(event.removed_in, other.removed_in, "{key:?}");
        assert_eq!(event.doc, other.doc, "{key:?}");
        assert_eq!(event.versions.len(), other.versions.len(), "{key:?}");
        for (version, other) in event.versions.iter().zip(&other.versions) {
            assert_eq!(served(version), served(other), "{key:?}");
        }
    }
}

#[test]
fn a_branch_moved_back_is_numbered_again_from_its_first_commit() {
    let directory = tempfile::tempdir().expect("temporary directory");
    generate::generate(directory.path(), generate::Shape::SMALL);
    let repository = Repository::open(directory.path()).expect("open");
    let commits = repository.first_parent_commits("main").expect("commits");
    let at_tip = repository.history("main").expect("history");

    // `main` moved back 8 commits: the numbering kept for the old tip does not apply.
    repository
        .git()
        .reference("refs/heads/main", commits[commits.len() - 9], true, "test")
        .expect("move main");
    let moved = repository.history("main").expect("history");
    let scratch = Repository::open(directory.path())
        .expect("open")
        .history("main")
        .expect("history");
    assert!(moved.version_count() < at_tip.version_count());
    assert_eq!(moved.commits, scratch.commits);
    assert_eq!(moved.head, scratch.head);
    let numbers = |history: &cuemesh_registry::History| -> Vec<(String, String, String)> {
        let versions = history.events.iter().flat_map(|event| &event.versions);
        versions
            .map(|v| {
                (
                    v.number.to_string(),
                    v.digest.as_str().into(),
                    v.commit.id.clone(),
                )
            })
            .collect()
    };
    assert_eq!(numbers(&moved), numbers(&scratch));
}

#[test]
fn a_start_reads_the_latest_versions_documents_without_holding_their_evaluations() {
    // More sources than the document cache keeps: each latest version's state is exported
    // for the search, and none of those exports stays held (requests evaluate what they
    // need, in the bounded cache).
    let directory = tempfile::tempdir().expect("temporary directory");
    let shape = generate::Shape {
        sources: DocumentCache::CAPACITY + 4,
        events_per_source: 1,
        versions_per_type: 1,
    };
    generate::generate(directory.path(), shape);
    let repository = Repository::open(directory.path()).expect("open");
    let index = Index::build(&repository, "main").expect("index");
    assert_eq!(index.build.states_evaluated, shape.sources);
    let latest: Vec<&IndexedVersion> = index.events.values().filter_map(|e| e.latest()).collect();
    assert_eq!(latest.len(), shape.sources);
    let held = latest
        .iter()
        .filter(|version| version.state().is_evaluated())
        .count();
    assert_eq!(held, 0);
    // The search read every one of them all the same.
    assert_eq!(index.search().search("com.acme.s3.e0", 1).len(), 1);
}
