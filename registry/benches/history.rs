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

use cuemesh_testkit::generate;

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

    // One cold load, timed on its own (wall and CPU time), and checked.
    let cpu_before = cpu_time();
    let started = Instant::now();
    let repository = Repository::open(directory.path()).expect("open");
    let loaded = repository.history("main").expect("history");
    let cold = started.elapsed();
    let cpu = cpu_time()
        .zip(cpu_before)
        .map_or("unknown".to_string(), |(after, before)| {
            format!("{:.2?}", after.saturating_sub(before))
        });
    eprintln!(
        "cold load: {} commits, {} types, {} versions in {cold:.2?} wall, {cpu} CPU (user+sys) \
         (goal < {GOAL:.0?}: {}) on {} threads",
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

/// The CPU time (user and system, every thread) the process has used so far, from
/// `/proc/self/stat` (Linux; `None` elsewhere): wall time on a shared machine says little.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which may hold spaces) start with the state; utime
    // and stime are the 14th and 15th fields of the line, in clock ticks.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports these in USER_HZ, which is 100 on every architecture it supports.
    Some(Duration::from_millis(ticks * 10))
}

criterion_group!(benches, history);
criterion_main!(benches);
