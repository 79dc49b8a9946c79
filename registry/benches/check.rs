//! `cuemesh check` on a one-file change in a large generated repository: 1,000 event types,
//! 5,000 commits (see `support/generate.rs`), cloned into a work tree where one source's file
//! changes one event's bound. The goal is under 1 second.
//!
//!     cargo bench -p cuemesh-registry --bench check

use criterion::{criterion_group, criterion_main, Criterion};
use cuemesh_registry::check::{check, CheckOptions};
use cuemesh_registry::Repository;
use std::time::{Duration, Instant};

use cuemesh_testkit::generate;

fn check_one_file(c: &mut Criterion) {
    let directory = tempfile::tempdir().expect("temporary directory");
    let bare = directory.path().join("bare");
    let work = directory.path().join("work");
    let generated = generate::generate(&bare, generate::Shape::BENCHMARK);
    git2::build::RepoBuilder::new()
        .branch("main")
        .clone(bare.to_str().expect("a UTF-8 path"), &work)
        .expect("clone");
    // One file changes: the bound of one event of source 0 is loosened (BACKWARD compatible).
    let file = work.join("sources/s0/s0.cue");
    let text = std::fs::read_to_string(&file).expect("read");
    let bound = text.find("& <=").expect("a bound") + "& <=".len();
    let digits = text[bound..]
        .find(|c: char| !c.is_ascii_digit())
        .expect("a number");
    let changed = format!("{}1000000{}", &text[..bound], &text[bound + digits..]);
    assert_ne!(changed, text);
    std::fs::write(&file, changed).expect("write");
    let options = CheckOptions {
        against: "origin/main".to_string(),
        allow_breaking: None,
        replay: false,
    };

    let started = Instant::now();
    let repository = Repository::open(&work).expect("open");
    let report = check(&repository, &options).expect("check");
    eprintln!(
        "cold check: {} commits, {} types, {} changed, {} findings in {:.2?}",
        generated.commits,
        generated.event_types,
        report.changes.len(),
        report.findings.len(),
        started.elapsed()
    );
    assert_eq!(report.changes.len(), 1, "{:?}", report.changes);
    assert!(report.passes(), "{:?}", report.findings);

    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("cold: one file changed, 1,000 types, 5,000 commits", |b| {
        b.iter(|| {
            let repository = Repository::open(&work).expect("open");
            check(&repository, &options).expect("check")
        })
    });
    group.finish();
}

criterion_group!(benches, check_one_file);
criterion_main!(benches);
