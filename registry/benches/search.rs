//! The catalog search over a generated repository of 1,000 event types (100 sources of 10;
//! see `support/generate.rs`): ~15,000 entries (sources, types, fields, doc comments). Each
//! query reads the word index's prefix ranges, so a query costs what it matches, not the
//! catalog's size.
//!
//!     cargo bench -p cuemesh-registry --bench search

use criterion::{criterion_group, criterion_main, Criterion};
use cuemesh_registry::serve::{HitKind, Index};
use cuemesh_registry::Repository;
use std::time::Instant;

use cuemesh_testkit::generate;

fn search(c: &mut Criterion) {
    let directory = tempfile::tempdir().expect("temporary directory");
    let shape = generate::Shape {
        sources: 100,
        events_per_source: 10,
        versions_per_type: 1,
    };
    generate::generate(directory.path(), shape);
    let repository = Repository::open(directory.path()).expect("open");
    let started = Instant::now();
    let index = Index::build(&repository, "main").expect("index");
    eprintln!(
        "indexed {} types, {} search entries in {:.2?}",
        index.events.len(),
        index.search().len(),
        started.elapsed()
    );
    let exact = index.search().search("com.acme.s42.e7", 20);
    assert_eq!(exact[0].kind, HitKind::Type);
    assert_eq!(exact[0].event_type.as_deref(), Some("com.acme.s42.e7"));

    let mut group = c.benchmark_group("search");
    for (name, query) in [
        ("exact type (1 of 1,000)", "com.acme.s42.e7"),
        ("rare word (1 source)", "team42"),
        ("common field (1,000 hits)", "count"),
        ("two words (doc text)", "payload 7"),
    ] {
        group.bench_function(name, |b| b.iter(|| index.search().search(query, 20)));
    }
    group.finish();
}

criterion_group!(benches, search);
criterion_main!(benches);
