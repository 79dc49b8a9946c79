//! Validates one document N times against a compiled schema, to count instructions per
//! `Schema::validate_json` call under callgrind (repeatable, unlike wall-clock time):
//!
//! ```text
//! cargo bench -p cue --bench validate_loop --no-run   # prints the binary's path: BIN
//! valgrind --tool=callgrind --callgrind-out-file=cg.0 BIN 0
//! valgrind --tool=callgrind --callgrind-out-file=cg.n BIN 10000
//! callgrind_annotate --inclusive=yes cg.n | head -60
//! ```
//!
//! The difference of the two totals divided by 10000 is the cost of one call, without loading
//! and compiling the schema. The schema and document are the template's `com.acme.orders.placed`
//! v1 (`cue/benches/shared/mod.rs`); `cue/benches/validate.rs` times the same pair with
//! criterion.

mod shared;

fn main() {
    // `cargo bench` passes `--bench`; the count is the first other argument.
    let count: usize = match std::env::args()
        .skip(1)
        .find(|argument| !argument.starts_with("--"))
        .map(|n| n.parse())
    {
        None => 10_000,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("usage: validate_loop [COUNT]");
            std::process::exit(2);
        }
    };
    let schema = shared::load_schema(shared::ORDER_PLACED_CUE, "#OrderPlaced");
    assert!(schema.is_compiled(), "the schema validates compiled");
    let mut valid = 0;
    for _ in 0..count {
        let event = std::hint::black_box(shared::ORDER_PLACED_JSON);
        valid += usize::from(schema.validate_json("event.json", event).is_valid());
    }
    assert_eq!(valid, count, "the document is valid");
}
