//! The persistent history cache must change nothing but the work: an index built from a cached
//! numbering serves every version, digest and document byte for byte as one built from the
//! first commit; a damaged, foreign or outdated cache file is replaced after a warning, never
//! trusted; and a write that stopped half-way is never read. The same holds for what the index
//! keeps of the latest versions (the search's entries): a start at an unchanged tip takes them
//! from the cache, evaluates no package, and serves the same bytes.

mod support;

use axum::body::Body;
use axum::http::Request;
use cuemesh_registry::serve::{AppState, Index};
use cuemesh_registry::{History, HistoryCache, HistoryProgress, Repository};
use cuemesh_testkit::generate;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The source `sources/s0` of the generated repository with `#E0`'s body replaced.
fn source_zero(repository: &git2::Repository, e0_body: &str) -> String {
    let text = read_blob(repository, "sources/s0/s0.cue");
    let start = text.find("#E0: {").expect("the generated #E0");
    let end = start + text[start..].find("\n}\n").expect("the end of #E0") + 3;
    format!("{}#E0: {{\n{e0_body}\n}}\n{}", &text[..start], &text[end..])
}

fn read_blob(repository: &git2::Repository, path: &str) -> String {
    let tree = repository
        .head()
        .and_then(|head| head.peel_to_tree())
        .expect("HEAD's tree");
    let entry = tree.get_path(Path::new(path)).expect("the file");
    let blob = repository.find_blob(entry.id()).expect("its blob");
    String::from_utf8(blob.content().to_vec()).expect("text")
}

/// Commits `path` = `text` on `main` of the (bare) repository at `directory`.
fn commit(directory: &Path, path: &str, text: &str, time: i64) {
    let repository = git2::Repository::open(directory).expect("open");
    let parent = repository
        .revparse_single("refs/heads/main")
        .and_then(|object| object.peel_to_commit())
        .expect("main's tip");
    let mut index = git2::Index::new().expect("index");
    index
        .read_tree(&parent.tree().expect("tree"))
        .expect("read tree");
    let blob = repository.blob(text.as_bytes()).expect("blob");
    index
        .add(&cuemesh_testkit::git::index_entry(path, blob, text.len()))
        .expect("add");
    let tree = index.write_tree_to(&repository).expect("tree");
    let tree = repository.find_tree(tree).expect("tree");
    let signature = git2::Signature::new("Ada", "ada@example.com", &git2::Time::new(time, 0))
        .expect("signature");
    repository
        .commit(
            Some("refs/heads/main"),
            &signature,
            &signature,
            "Change a source",
            &tree,
            &[&parent],
        )
        .expect("commit");
}

/// A generated repository (the small benchmark shape), then a commit that breaks `sources/s0`,
/// one that fixes it with a new bound, and a documentation-only one.
fn generated_with_a_broken_commit(directory: &Path) {
    generate::generate(directory, generate::Shape::SMALL);
    let git = git2::Repository::open(directory).expect("open");
    let broken = source_zero(&git, "\tamount: int &");
    commit(directory, "sources/s0/s0.cue", &broken, 1_800_000_000);
    let fixed = source_zero(&git, "\tamount: int & <=77");
    commit(directory, "sources/s0/s0.cue", &fixed, 1_800_000_100);
}

/// A repository with a history cache in `cache`, whose warnings are collected.
fn open_cached(directory: &Path, cache: &Path) -> (Repository, Arc<Mutex<Vec<String>>>) {
    let mut repository = Repository::open(directory).expect("open");
    repository.set_history_cache(Some(HistoryCache::new(cache)));
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let collected = warnings.clone();
    repository.set_warnings(Some(Arc::new(move |warning: &str| {
        collected
            .lock()
            .expect("warnings")
            .push(warning.to_string());
    })));
    (repository, warnings)
}

/// The package states a history load of `repository` found to evaluate.
fn counting_states(repository: &mut Repository) -> Arc<Mutex<usize>> {
    let states = Arc::new(Mutex::new(0));
    let seen = states.clone();
    repository.set_progress(Some(Arc::new(move |progress: HistoryProgress| {
        let mut seen = seen.lock().expect("states");
        *seen = (*seen).max(progress.states);
    })));
    states
}

/// Everything a history says, in one comparable text: every version's number, digest, commit
/// (id, author, time), directory, definition, CUE text and canonical schema, every removal and
/// every problem with its diagnostics.
fn describe(history: &History) -> String {
    let mut out = format!(
        "{} {:?} {}\n",
        history.branch,
        history.head.as_ref().map(|head| &head.id),
        history.commits
    );
    for event in &history.events {
        out += &format!(
            "{} {} removed {:?}\n",
            event.source, event.event_type, event.removed_in
        );
        for version in &event.versions {
            out += &format!(
                "  {} {} {:?} @{} {} {} {:?} {}\n",
                version.number,
                version.digest,
                version.commit,
                version.position,
                version.directory,
                version.definition,
                version.cue_text,
                version.schema.text
            );
        }
    }
    for problem in &history.problems {
        out += &format!(
            "problem {} {}: {:?}\n",
            problem.commit.id,
            problem.directory,
            problem
                .diagnostics
                .iter()
                .map(|diagnostic| problem.files.describe(diagnostic.spans[0])
                    + &diagnostic.headline())
                .collect::<Vec<_>>()
        );
    }
    out
}

/// Every body the service serves about every version, and the routes over the whole index
/// (the search, whose entries a start with the cache takes from it, the catalog and the
/// Confluent-compatible subjects), in one text.
fn served(index: Index) -> String {
    let events: Vec<(String, String, u32)> = index
        .events
        .values()
        .map(|event| {
            (
                event.source.clone(),
                event.event_type.clone(),
                event.versions.len() as u32,
            )
        })
        .collect();
    let state = AppState::new(index);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut out = String::new();
    let whole = [
        "/v1/sources",
        "/v1/search?q=amount",
        "/v1/search?q=currency&limit=100",
        "/v1/search?q=payload",
        "/v1/search?q=count",
        "/v1/search?q=s0&limit=100",
        "/v1/search?q=tags",
        "/v1/catalog/openapi.json",
        "/v1/catalog/asyncapi.json",
        "/subjects",
    ];
    for path in whole {
        let request = Request::get(path).body(Body::empty()).expect("request");
        let (status, _, body) = runtime.block_on(support::service::respond(&state, request));
        out += &format!("{path} {status}\n{}\n", String::from_utf8_lossy(&body));
    }
    for (source, event_type, count) in events {
        let base = format!("/v1/sources/{source}/types/{event_type}/versions");
        let mut paths = vec![base.clone()];
        for number in 1..=count {
            for suffix in ["", "/openapi", "/jsonschema", "/package"] {
                paths.push(format!("{base}/{number}{suffix}"));
            }
        }
        for path in paths {
            let request = Request::get(&path).body(Body::empty()).expect("request");
            let (status, _, body) = runtime.block_on(support::service::respond(&state, request));
            out += &format!("{path} {status}\n{}\n", String::from_utf8_lossy(&body));
        }
    }
    out
}

/// A generated repository whose first start wrote the history cache, and then had one byte of
/// one of the cache's files (the one `file_of` names) flipped.
struct Damaged {
    directory: tempfile::TempDir,
    cache: tempfile::TempDir,
    /// What the first start served.
    expected: String,
}

impl Damaged {
    fn start(file_of: impl Fn(&HistoryCache) -> std::path::PathBuf) -> Damaged {
        let directory = tempfile::tempdir().expect("temporary directory");
        let cache = tempfile::tempdir().expect("cache directory");
        generate::generate(directory.path(), generate::Shape::SMALL);
        let (first, _) = open_cached(directory.path(), cache.path());
        let expected = served(Index::build(&first, "main").expect("index"));
        let file = file_of(&HistoryCache::new(cache.path()));
        let mut bytes = std::fs::read(&file).expect("the start wrote the file");
        let last = bytes.len() - 2;
        bytes[last] ^= 0x20;
        std::fs::write(&file, bytes).expect("damage");
        Damaged {
            directory,
            cache,
            expected,
        }
    }

    /// The index of a start on the damaged cache, and the one warning it gave, which names the
    /// file's digest.
    fn reopen(&self) -> (Index, Vec<String>) {
        let (reopened, warnings) = open_cached(self.directory.path(), self.cache.path());
        let index = Index::build(&reopened, "main").expect("index");
        let said = warnings.lock().expect("warnings").clone();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].contains("does not match its digest"), "{said:?}");
        (index, said)
    }
}

#[test]
fn an_index_built_from_the_cache_serves_what_one_built_from_scratch_serves() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let cache = tempfile::tempdir().expect("cache directory");
    generated_with_a_broken_commit(directory.path());

    // A first run numbers everything and writes the cache.
    let (mut first, warnings) = open_cached(directory.path(), cache.path());
    let all_states = counting_states(&mut first);
    let history = first.history("main").expect("history");
    first.save_history_cache();
    assert!(warnings.lock().expect("warnings").is_empty());
    assert_eq!(
        history.problems.len(),
        1,
        "the broken commit is one problem"
    );
    let all_states = *all_states.lock().expect("states");
    assert!(all_states > 10, "{all_states}");

    // The branch moves on while nothing runs: a change to s0 and one to s1.
    let git = git2::Repository::open(directory.path()).expect("open");
    let changed = source_zero(&git, "\tamount: int & <=78");
    commit(
        directory.path(),
        "sources/s0/s0.cue",
        &changed,
        1_800_000_200,
    );
    let s1 = read_blob(&git, "sources/s1/s1.cue").replace("#E1: {", "#E1: {\n\tnote?: string");
    commit(directory.path(), "sources/s1/s1.cue", &s1, 1_800_000_300);

    // A restart reads the cache and evaluates the states of the two new commits only.
    let (mut restarted, warnings) = open_cached(directory.path(), cache.path());
    let states = counting_states(&mut restarted);
    let cached_index = Index::build(&restarted, "main").expect("index from the cache");
    restarted.save_history_cache();
    assert!(warnings.lock().expect("warnings").is_empty());
    assert_eq!(*states.lock().expect("states"), 2);

    let scratch = Repository::open(directory.path()).expect("open");
    let scratch_index = Index::build(&scratch, "main").expect("index from scratch");
    assert_eq!(
        describe(&restarted.history("main").expect("history")),
        describe(&scratch.history("main").expect("history"))
    );
    assert_eq!(cached_index.problems, 1);
    assert_eq!(cached_index.version_count(), scratch_index.version_count());
    // The first index of this cache evaluated every latest version and kept their entries.
    assert_eq!(cached_index.build.summaries_cached, 0);
    assert!(cached_index.build.states_evaluated > 0);
    let (from_cache, from_scratch) = (served(cached_index), served(scratch_index));
    assert!(from_cache.contains("<=78") || from_cache.contains("\"maximum\":78"));
    assert!(
        from_cache.contains("\"path\":\"price.amount\""),
        "{from_cache}"
    );
    assert!(from_cache.contains("Payload 1"), "{from_cache}");
    assert_eq!(from_cache, from_scratch);

    // An index started again at the same tip evaluates no package state at all, and serves
    // the same bytes, its search included, documents made on request.
    let (restarted_again, warnings) = open_cached(directory.path(), cache.path());
    let index = Index::build(&restarted_again, "main").expect("index from the cache");
    assert!(warnings.lock().expect("warnings").is_empty());
    assert_eq!(index.build.states_evaluated, 0, "{:?}", index.build);
    assert_eq!(index.build.summaries_cached, index.events.len());
    // Nor any package of the tip: what it shows of them is the cache's.
    assert_eq!(index.build.tip_packages_cached, tip_packages(&scratch));
    let latest = index.events.values().filter_map(|event| event.latest());
    assert!(latest
        .into_iter()
        .all(|version| !version.state().is_evaluated()));
    // Nor does it read one from Git: states and examples are read when a request needs them.
    assert_eq!(index.states_read(), 0);
    assert_eq!(served(index), from_scratch);

    // A third start at the same tip evaluates nothing at all.
    let (mut again, _) = open_cached(directory.path(), cache.path());
    let states = counting_states(&mut again);
    let history = again.history("main").expect("history");
    assert_eq!(*states.lock().expect("states"), 0);
    assert_eq!(
        describe(&history),
        describe(&scratch.history("main").expect("history"))
    );
}

#[test]
fn check_finds_the_numbering_of_its_base_in_the_cache_under_another_name() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let cache = tempfile::tempdir().expect("cache directory");
    generate::generate(directory.path(), generate::Shape::SMALL);
    let (first, _) = open_cached(directory.path(), cache.path());
    let full = first.history("main").expect("history");
    first.save_history_cache();
    let git = git2::Repository::open(directory.path()).expect("open");
    let tip = git.revparse_single("main").expect("main").id();
    git.reference("refs/remotes/origin/main", tip, true, "base")
        .expect("a remote branch");

    // Loading no directory at all still answers every type's numbers: they come from the
    // cached numbering of the same commit.
    let (cached, warnings) = open_cached(directory.path(), cache.path());
    let history = cached
        .history_of_directories("origin/main", &|_| false)
        .expect("history");
    assert!(warnings.lock().expect("warnings").is_empty());
    assert_eq!(history.version_count(), full.version_count());
    assert_eq!(history.branch, "origin/main");
    // Without the cache, nothing is loaded and nothing is numbered.
    let uncached = Repository::open(directory.path()).expect("open");
    let history = uncached
        .history_of_directories("origin/main", &|_| false)
        .expect("history");
    assert_eq!(history.version_count(), 0);
}

/// Damages the cache file of `main` with `damage`, then checks that the next start warns,
/// numbers from the first commit as if there were no cache, and writes a good file again.
fn damaged_cache_is_rebuilt(damage: impl Fn(&Path), expected_warning: &str) {
    let directory = tempfile::tempdir().expect("temporary directory");
    let cache = tempfile::tempdir().expect("cache directory");
    generate::generate(directory.path(), generate::Shape::SMALL);
    let (first, _) = open_cached(directory.path(), cache.path());
    let expected = describe(&first.history("main").expect("history"));
    first.save_history_cache();
    let file = HistoryCache::new(cache.path()).file_of("main");
    damage(&file);

    let (mut reopened, warnings) = open_cached(directory.path(), cache.path());
    let states = counting_states(&mut reopened);
    let history = reopened.history("main").expect("history");
    reopened.save_history_cache();
    let said = warnings.lock().expect("warnings").clone();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains(expected_warning), "{said:?}");
    assert!(
        said[0].contains("numbering main from its first commit"),
        "{said:?}"
    );
    assert!(*states.lock().expect("states") > 10);
    assert_eq!(describe(&history), expected);

    // The file written after the warning is good: the next start evaluates nothing.
    let (mut third, warnings) = open_cached(directory.path(), cache.path());
    let states = counting_states(&mut third);
    let history = third.history("main").expect("history");
    assert!(warnings.lock().expect("warnings").is_empty());
    assert_eq!(*states.lock().expect("states"), 0);
    assert_eq!(describe(&history), expected);
}

#[test]
fn a_truncated_cache_is_rebuilt_with_a_warning() {
    damaged_cache_is_rebuilt(
        |file| {
            let bytes = std::fs::read(file).expect("cache");
            std::fs::write(file, &bytes[..bytes.len() * 2 / 3]).expect("truncate");
        },
        "does not match its digest",
    );
}

#[test]
fn a_cache_cut_inside_its_header_is_rebuilt_with_a_warning() {
    damaged_cache_is_rebuilt(
        |file| {
            let bytes = std::fs::read(file).expect("cache");
            std::fs::write(file, &bytes[..30]).expect("truncate");
        },
        "cut short",
    );
}

#[test]
fn a_cache_with_a_flipped_byte_is_rebuilt_with_a_warning() {
    damaged_cache_is_rebuilt(
        |file| {
            let mut bytes = std::fs::read(file).expect("cache");
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x20;
            std::fs::write(file, &bytes).expect("flip");
        },
        "does not match its digest",
    );
}

#[test]
fn a_cache_of_another_format_is_rebuilt_with_a_warning() {
    damaged_cache_is_rebuilt(
        |file| {
            let text = std::fs::read(file).expect("cache");
            let text = String::from_utf8_lossy(&text).replacen("format 2\n", "format 99\n", 1);
            std::fs::write(file, text).expect("rewrite");
        },
        "format 99, this build reads 2",
    );
}

/// A schema's digest is read from the file, not computed again: one that is not a digest is
/// refused even in a file whose own digest matches (as a writer with a bug would leave it).
#[test]
fn a_cache_with_a_malformed_schema_digest_is_rebuilt_with_a_warning() {
    damaged_cache_is_rebuilt(
        |file| {
            use sha2::Digest as _;
            let bytes = std::fs::read(file).expect("cache");
            let text = String::from_utf8(bytes).expect("a cache file is text");
            let header_end = text
                .match_indices('\n')
                .nth(5)
                .map(|(at, _)| at + 1)
                .expect("six header lines");
            let (header, body) = text.split_at(header_end);
            let marker = "\"schema_digests\":[\"sha256:";
            assert!(body.contains(marker), "no schema digests in {body:.200}");
            let body = body.replacen(marker, "\"schema_digests\":[\"sha257:", 1);
            let sealed: String = sha2::Sha256::digest(body.as_bytes())
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            let header: String = header
                .lines()
                .map(|line| match line.strip_prefix("sha256 ") {
                    Some(_) => format!("sha256 {sealed}\n"),
                    None => format!("{line}\n"),
                })
                .collect();
            std::fs::write(file, format!("{header}{body}")).expect("rewrite");
        },
        "is not a schema digest",
    );
}

#[test]
fn a_cache_of_another_build_is_rebuilt_with_a_warning() {
    damaged_cache_is_rebuilt(
        |file| {
            let text = std::fs::read(file).expect("cache");
            let text = String::from_utf8_lossy(&text);
            let engine = text.lines().nth(2).expect("the engine line").to_string();
            assert!(engine.starts_with("engine "), "{engine}");
            let text = text.replacen(&engine, "engine 0.0.1 build 1-1", 1);
            std::fs::write(file, text).expect("rewrite");
        },
        "written by cuemesh 0.0.1 build 1-1",
    );
}

#[test]
fn a_file_that_is_no_cache_is_rebuilt_with_a_warning() {
    damaged_cache_is_rebuilt(
        |file| std::fs::write(file, "{\"not\": \"a cache\"}\n").expect("rewrite"),
        "is not a history cache",
    );
}

#[test]
fn the_cache_of_another_repository_is_rebuilt_with_a_warning() {
    damaged_cache_is_rebuilt(
        |file| {
            // The same branch of a repository with other commits: its head is not here.
            let other = tempfile::tempdir().expect("temporary directory");
            let other_cache = tempfile::tempdir().expect("cache directory");
            generate::generate(
                other.path(),
                generate::Shape {
                    sources: 2,
                    events_per_source: 2,
                    versions_per_type: 2,
                },
            );
            let (repository, _) = open_cached(other.path(), other_cache.path());
            repository.history("main").expect("history");
            repository.save_history_cache();
            let written = HistoryCache::new(other_cache.path()).file_of("main");
            std::fs::copy(written, file).expect("copy");
        },
        "which this repository does not have",
    );
}

#[test]
fn a_write_stopped_half_way_is_never_read_and_its_leftover_is_removed() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let cache = tempfile::tempdir().expect("cache directory");
    generate::generate(directory.path(), generate::Shape::SMALL);
    let (first, _) = open_cached(directory.path(), cache.path());
    let expected = describe(&first.history("main").expect("history"));
    first.save_history_cache();
    let file = HistoryCache::new(cache.path()).file_of("main");
    let good = std::fs::read(&file).expect("cache");

    // A writer stopped half-way leaves its temporary file, never a half file under the name
    // readers open: what they read is the last complete write.
    let name = file.file_name().and_then(|n| n.to_str()).expect("name");
    let leftover = cache.path().join(format!(".{name}.4242.tmp"));
    std::fs::write(&leftover, &good[..good.len() / 2]).expect("half a write");
    let (mut reopened, warnings) = open_cached(directory.path(), cache.path());
    let states = counting_states(&mut reopened);
    assert_eq!(
        describe(&reopened.history("main").expect("history")),
        expected
    );
    assert!(warnings.lock().expect("warnings").is_empty());
    assert_eq!(*states.lock().expect("states"), 0);

    // The next write removes the leftover.
    let git = git2::Repository::open(directory.path()).expect("open");
    let changed = source_zero(&git, "\tamount: int & <=5");
    commit(
        directory.path(),
        "sources/s0/s0.cue",
        &changed,
        1_800_000_000,
    );
    reopened.history("main").expect("history");
    reopened.save_history_cache();
    assert!(!leftover.exists());
    assert_ne!(std::fs::read(&file).expect("cache"), good);
}

#[test]
fn a_rewritten_branch_numbers_from_its_first_commit_with_a_warning() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let cache = tempfile::tempdir().expect("cache directory");
    generate::generate(directory.path(), generate::Shape::SMALL);
    let git = git2::Repository::open(directory.path()).expect("open");
    let changed = source_zero(&git, "\tamount: int & <=5");
    commit(
        directory.path(),
        "sources/s0/s0.cue",
        &changed,
        1_800_000_000,
    );
    let (first, _) = open_cached(directory.path(), cache.path());
    first.history("main").expect("history");
    first.save_history_cache();

    // Force the branch back one commit and commit something else: the cached head is gone
    // from the branch.
    let parent = git
        .revparse_single("main~1")
        .expect("parent")
        .peel_to_commit()
        .expect("commit");
    git.reference("refs/heads/main", parent.id(), true, "rewrite")
        .expect("reset");
    let other = source_zero(&git, "\tamount: int & <=6");
    commit(directory.path(), "sources/s0/s0.cue", &other, 1_800_000_100);

    let (rewritten, warnings) = open_cached(directory.path(), cache.path());
    let history = rewritten.history("main").expect("history");
    let said = warnings.lock().expect("warnings").clone();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("rewritten"), "{said:?}");
    let scratch = Repository::open(directory.path()).expect("open");
    assert_eq!(
        describe(&history),
        describe(&scratch.history("main").expect("history"))
    );
}

/// A source claiming `Orders` in package `name` whose event's bound is `limit`.
fn orders_source(name: &str, limit: u32) -> String {
    format!(
        "package {name}\n\nsource: {{\n\tid:    \"Orders\"\n\towner: \"@acme/{name}\"\n}}\n\n\
         events: {{\n\t\"Orders:placed\": #Placed\n}}\n\n#Placed: {{\n\tcount: int & <={limit}\n}}\n"
    )
}

#[test]
fn a_package_unchanged_since_the_cached_head_is_loaded_when_it_starts_to_provide_its_id() {
    let cache = tempfile::tempdir().expect("cache directory");
    let (a, b) = (orders_source("a", 1), orders_source("b", 2));
    let mut repo = support::TestRepository::with_module(
        "Ada",
        "Two sources claim Orders, one package is broken",
        &[
            ("sources/a/a.cue", Some(&a)),
            ("sources/b/b.cue", Some(&b)),
            ("sources/c/c.cue", Some("package c\n\nsource: {\n")),
        ],
    );
    let (first, _) = open_cached(repo.path(), cache.path());
    let history = first.history("main").expect("history");
    first.save_history_cache();
    assert_eq!(history.problems.len(), 1);
    assert_eq!(
        history
            .event("Orders", "Orders:placed")
            .expect("placed")
            .versions
            .len(),
        1
    );

    // `a` goes away: `b`, unchanged since the cached head, now provides Orders. `c` stays
    // broken unchanged (no new problem), then is broken another way (a new one).
    repo.commit("main", "Ada", "Drop a", &[("sources/a/a.cue", None)]);
    repo.commit(
        "main",
        "Ada",
        "Break c again",
        &[("sources/c/c.cue", Some("package c\n\nevents: {\n"))],
    );

    let (restarted, warnings) = open_cached(repo.path(), cache.path());
    let cached = restarted.history("main").expect("history");
    assert!(warnings.lock().expect("warnings").is_empty());
    let scratch = Repository::open(repo.path()).expect("open");
    let expected = scratch.history("main").expect("history");
    assert_eq!(describe(&cached), describe(&expected));
    let placed = cached.event("Orders", "Orders:placed").expect("placed");
    assert_eq!(placed.versions.len(), 2, "b's schema is version 2");
    assert_eq!(placed.versions[1].directory, "sources/b");
    assert_eq!(cached.problems.len(), 2);
}

#[test]
fn a_damaged_file_of_latest_versions_is_evaluated_again_with_a_warning() {
    let damaged = Damaged::start(|cache| cache.latest_file_of("main"));
    let (index, said) = damaged.reopen();
    assert!(
        said[0].contains("evaluating the latest versions again"),
        "{said:?}"
    );
    assert_eq!(index.build.summaries_cached, 0);
    assert!(index.build.states_evaluated > 0);
    assert_eq!(served(index), damaged.expected);

    // The start after the warning wrote a good file again.
    let (third, warnings) = open_cached(damaged.directory.path(), damaged.cache.path());
    let index = Index::build(&third, "main").expect("index");
    assert!(warnings.lock().expect("warnings").is_empty());
    assert_eq!(index.build.states_evaluated, 0);
    assert_eq!(served(index), damaged.expected);
}

/// How many packages the generated repository at its tip has (sources and shared ones).
fn tip_packages(repository: &Repository) -> usize {
    let snapshot = repository.snapshot("main").expect("snapshot");
    snapshot.sources.len() + snapshot.shared.len()
}

#[test]
fn the_tip_from_the_cache_shows_the_owners_docs_and_errors_of_the_tip_from_scratch() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let cache = tempfile::tempdir().expect("cache directory");
    generate::generate(directory.path(), generate::Shape::SMALL);
    // The tip has a package that does not load: its error is one of the tip's.
    let git = git2::Repository::open(directory.path()).expect("open");
    let broken = source_zero(&git, "\tamount: int &");
    commit(
        directory.path(),
        "sources/s0/s0.cue",
        &broken,
        1_800_000_000,
    );

    // A first start evaluates every package of the tip and writes what it shows of them.
    let (first, warnings) = open_cached(directory.path(), cache.path());
    let first_index = Index::build(&first, "main").expect("index");
    assert!(warnings.lock().expect("warnings").is_empty());
    assert_eq!(first_index.build.tip_packages_cached, 0);
    assert!(HistoryCache::new(cache.path()).tip_file_of("main").exists());

    // A restart at the same tip evaluates none of them and shows the same.
    let (restarted, warnings) = open_cached(directory.path(), cache.path());
    let index = Index::build(&restarted, "main").expect("index from the cache");
    assert!(warnings.lock().expect("warnings").is_empty());
    let scratch = Repository::open(directory.path()).expect("open");
    let all = tip_packages(&scratch);
    assert!(all > 1, "{all}");
    assert_eq!(index.build.tip_packages_cached, all);
    let scratch_index = Index::build(&scratch, "main").expect("index from scratch");
    assert!(
        scratch_index
            .tip_errors
            .iter()
            .any(|error| error.starts_with("sources/s0: ")),
        "{:?}",
        scratch_index.tip_errors
    );
    assert_eq!(index.tip_errors, scratch_index.tip_errors);
    assert_eq!(first_index.tip_errors, scratch_index.tip_errors);

    // A reload after a commit that fixes s0 evaluates that package of the tip only.
    let fixed = source_zero(&git, "\tamount: int & <=77");
    commit(directory.path(), "sources/s0/s0.cue", &fixed, 1_800_000_100);
    let reloaded = Index::build_from(&restarted, "main", Some(&index)).expect("reload");
    assert_eq!(reloaded.build.tip_packages_cached, all - 1);
    assert!(reloaded.tip_errors.is_empty(), "{:?}", reloaded.tip_errors);
    let scratch = Repository::open(directory.path()).expect("open");
    let scratch_index = Index::build(&scratch, "main").expect("index from scratch");
    assert!(scratch_index.tip_errors.is_empty());
    assert_eq!(served(reloaded), served(scratch_index));
}

#[test]
fn a_damaged_file_of_tip_packages_is_evaluated_again_with_a_warning() {
    let damaged = Damaged::start(|cache| cache.tip_file_of("main"));
    let (index, said) = damaged.reopen();
    assert!(
        said[0].contains("evaluating the packages of the tip again"),
        "{said:?}"
    );
    assert_eq!(index.build.tip_packages_cached, 0);
    assert_eq!(served(index), damaged.expected);

    // The start after the warning wrote a good file again.
    let (third, warnings) = open_cached(damaged.directory.path(), damaged.cache.path());
    let index = Index::build(&third, "main").expect("index");
    assert!(warnings.lock().expect("warnings").is_empty());
    assert_eq!(index.build.tip_packages_cached, tip_packages(&third));
    assert_eq!(served(index), damaged.expected);
}
