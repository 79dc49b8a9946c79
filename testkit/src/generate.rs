//! Generates a large governance repository for the history benchmark, writing blobs, trees
//! and commits with git2 directly (no work tree, no index), so that 5,000 commits take
//! seconds.
//!
//! The shape: a `common` package and `sources` packages of `events_per_source` event types
//! each, every event's definition importing `common.#Money`. The first commit adds them all
//! (version 1 of every type); then every commit changes two event types of one source (a
//! bound, so the canonical schema changes), except every tenth, which edits only the README
//! (no version). Every type ends with `versions_per_type` versions.

#![allow(dead_code, unreachable_pub)]

use std::path::Path;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub sources: usize,
    pub events_per_source: usize,
    pub versions_per_type: usize,
}

/// What was generated.
#[derive(Debug, Clone, Copy)]
pub struct Generated {
    pub commits: usize,
    pub event_types: usize,
    pub versions: usize,
}

impl Shape {
    /// 100 sources of 10 event types, 10 versions each: 1,000 types, 10,000 versions, 5,000
    /// commits (4,500 that change two types, 499 documentation-only, and the first).
    pub const BENCHMARK: Shape = Shape {
        sources: 100,
        events_per_source: 10,
        versions_per_type: 10,
    };
}

const MODULE: &str = "module: \"schemas.example.com\"\nlanguage: version: \"v0.9.0\"\n";

const COMMON: &str = "package common\n\n// An amount of money in minor units.\n#Money: {\n\tamount:   int & >=0\n\tcurrency: \"EUR\" | \"USD\" | \"GBP\"\n}\n";

/// The text of source `index` with each event's bound at `bounds[event]`.
fn source_text(index: usize, bounds: &[usize]) -> String {
    let mut text = format!(
        "package s{index}\n\nimport \"schemas.example.com/sources/common\"\n\nsource: {{\n\tid:    \"Source{index}\"\n\towner: \"@acme/team{index}\"\n}}\n\nevents: {{\n"
    );
    for event in 0..bounds.len() {
        text.push_str(&format!(
            "\t// Event {event} of source {index}.\n\t\"com.acme.s{index}.e{event}\": #E{event} @compat(BACKWARD)\n"
        ));
    }
    text.push_str("}\n");
    for (event, bound) in bounds.iter().enumerate() {
        text.push_str(&format!(
            "\n// Payload {event}.\n#E{event}: {{\n\tid:      string & =~\"^[a-z0-9-]+$\"\n\tcount:   int & >=0 & <={bound}\n\tlabel?:  string\n\tprice:   common.#Money\n\tkind:    \"a\" | \"b\" | *\"c\"\n\ttags?: [...string]\n}}\n"
        ));
    }
    text
}

/// Writes the repository into `directory` (a new bare repository), with `main` at the tip.
pub fn generate(directory: &Path, shape: Shape) -> Generated {
    let git = git2::Repository::init_bare(directory).expect("init");
    git.set_head("refs/heads/main").expect("HEAD");
    let changes_per_source = shape.events_per_source * (shape.versions_per_type - 1) / 2;
    let change_commits = shape.sources * changes_per_source;
    // Every tenth commit but the first is documentation only: 5,000 commits in all for the
    // benchmark shape.
    let docs_commits = (change_commits / 9).saturating_sub(1);
    let mut bounds = vec![vec![100usize; shape.events_per_source]; shape.sources];

    let file_tree = |git: &git2::Repository, name: &str, text: &str| -> git2::Oid {
        let blob = git.blob(text.as_bytes()).expect("blob");
        let mut builder = git.treebuilder(None).expect("builder");
        builder.insert(name, blob, 0o100644).expect("insert");
        builder.write().expect("tree")
    };

    // The first commit: module, common, every source.
    let mut sources_builder = git.treebuilder(None).expect("builder");
    sources_builder
        .insert("common", file_tree(&git, "money.cue", COMMON), 0o040000)
        .expect("insert");
    for (index, source_bounds) in bounds.iter().enumerate() {
        let tree = file_tree(
            &git,
            &format!("s{index}.cue"),
            &source_text(index, source_bounds),
        );
        sources_builder
            .insert(format!("s{index}"), tree, 0o040000)
            .expect("insert");
    }
    let mut sources_tree = sources_builder.write().expect("tree");
    let mut root_builder = git.treebuilder(None).expect("builder");
    root_builder
        .insert("cue.mod", file_tree(&git, "module.cue", MODULE), 0o040000)
        .expect("insert");
    root_builder
        .insert(
            "README.md",
            git.blob(b"# Schemas\n").expect("blob"),
            0o100644,
        )
        .expect("insert");
    root_builder
        .insert("sources", sources_tree, 0o040000)
        .expect("insert");
    let mut root_tree = root_builder.write().expect("tree");

    let mut time = 1_700_000_000i64;
    let mut parent: Option<git2::Oid> = None;
    let mut commit =
        |git: &git2::Repository, tree: git2::Oid, message: &str, author: usize, time: i64| {
            let signature = git2::Signature::new(
                &format!("Author {author}"),
                &format!("author{author}@example.com"),
                &git2::Time::new(time, 0),
            )
            .expect("signature");
            let tree = git.find_tree(tree).expect("tree");
            let parents: Vec<git2::Commit<'_>> = parent
                .iter()
                .map(|id| git.find_commit(*id).expect("parent"))
                .collect();
            let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
            let id = git
                .commit(None, &signature, &signature, message, &tree, &parent_refs)
                .expect("commit");
            parent = Some(id);
        };
    commit(&git, root_tree, "Add every source", 0, time);
    let mut commits = 1;

    let mut change = 0;
    let mut docs = 0;
    while change < change_commits || docs < docs_commits {
        time += 60;
        let docs_turn = commits % 10 == 0 && docs < docs_commits || change == change_commits;
        let mut root = git
            .treebuilder(Some(&git.find_tree(root_tree).expect("root")))
            .expect("builder");
        if docs_turn {
            let readme = format!("# Schemas\n\nRevision {docs}.\n");
            root.insert(
                "README.md",
                git.blob(readme.as_bytes()).expect("blob"),
                0o100644,
            )
            .expect("insert");
            docs += 1;
        } else {
            let source = change % shape.sources;
            let round = change / shape.sources;
            for event in [2 * round, 2 * round + 1] {
                bounds[source][event % shape.events_per_source] += 1;
            }
            let tree = file_tree(
                &git,
                &format!("s{source}.cue"),
                &source_text(source, &bounds[source]),
            );
            let mut sources = git
                .treebuilder(Some(&git.find_tree(sources_tree).expect("sources")))
                .expect("builder");
            sources
                .insert(format!("s{source}"), tree, 0o040000)
                .expect("insert");
            sources_tree = sources.write().expect("tree");
            root.insert("sources", sources_tree, 0o040000)
                .expect("insert");
            change += 1;
        }
        root_tree = root.write().expect("tree");
        commit(&git, root_tree, "Change", commits % 7, time);
        commits += 1;
    }
    let tip = parent.expect("at least one commit");
    git.reference("refs/heads/main", tip, true, "generated")
        .expect("main");
    Generated {
        commits,
        event_types: shape.sources * shape.events_per_source,
        versions: shape.sources * shape.events_per_source * shape.versions_per_type,
    }
}
