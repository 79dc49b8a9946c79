//! Loading every version of a large generated repository: 1,000 event types, 5,000 commits,
//! 10 versions each (see `support/generate.rs`). The goal is a cold load under 2 seconds.
//!
//!     cargo bench -p cuemesh-registry --bench history

use criterion::{criterion_group, criterion_main, Criterion};
use cuemesh_registry::Repository;
use std::time::{Duration, Instant};

/// The allocator the `cuemesh` binary uses, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The goal for a cold load of the benchmark shape.
const GOAL: Duration = Duration::from_secs(2);

#[path = "support/generate.rs"]
mod generate;

fn history(c: &mut Criterion) {
    let directory = tempfile::tempdir().expect("temporary directory");
    let started = Instant::now();
    let generated = generate::generate(directory.path(), generate::Shape::BENCHMARK);
    eprintln!(
        "generated {} commits, {} event types, {} versions in {:.2?}",
        generated.commits,
        generated.event_types,
        generated.versions,
        started.elapsed()
    );

    // One cold load, timed on its own, and checked.
    let started = Instant::now();
    let repository = Repository::open(directory.path()).expect("open");
    let loaded = repository.history("main").expect("history");
    let cold = started.elapsed();
    eprintln!(
        "cold load: {} commits, {} types, {} versions in {cold:.2?} (goal < {GOAL:.0?}: {}) on {} threads",
        loaded.commits,
        loaded.events.len(),
        loaded.version_count(),
        if cold < GOAL { "met" } else { "NOT met" },
        rayon::current_num_threads(),
    );
    assert_eq!(loaded.commits, generated.commits);
    assert_eq!(loaded.events.len(), generated.event_types);
    assert_eq!(loaded.version_count(), generated.versions);
    assert!(loaded.problems.is_empty());

    let mut group = c.benchmark_group("history");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("cold: 1,000 types, 5,000 commits, 10 versions each", |b| {
        b.iter(|| {
            let repository = Repository::open(directory.path()).expect("open");
            repository.history("main").expect("history")
        })
    });
    group.bench_function("warm: the same repository again (packages cached)", |b| {
        b.iter(|| repository.history("main").expect("history"))
    });
    group.finish();
}

criterion_group!(benches, history);
criterion_main!(benches);
