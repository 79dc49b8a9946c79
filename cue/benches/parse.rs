//! Parsing throughput (`cue::parser::parse_file`), in bytes of CUE text per second.
//!
//! Two texts, both built here: `event_package`, what the registry parses for every package state
//! of a history (a package clause, an import, ten event payload definitions with doc comments, a
//! `source` struct and the `events` map with attributes), and `mixed`, a bigger file that uses
//! the rest of the syntax (comprehensions, lists, interpolations, multi-line strings, pattern
//! constraints, aliases, `let`, calls, selectors and attributes).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use cue::parser::parse_file;
use cue::source::FileId;

/// The package of one event source: ten payload definitions and the map that names them.
fn event_package() -> String {
    let mut text = String::from(
        "// Events of the checkout service.\npackage s1\n\nimport \"schemas.acme.example/common\"\n\n",
    );
    for i in 0..10 {
        text.push_str(&format!(
            r#"// Payload {i}.
#E{i}: {{
	id:      string & =~"^[a-z0-9-]+$"
	count:   int & >=0 & <={max}
	label?:  string
	price:   common.#Money
	kind:    "a" | "b" | *"c"
	tags?: [...string]
}}

"#,
            max = 40 + i
        ));
    }
    text.push_str(
        "source: {\n\tname:  \"s1\"\n\towner: \"team-checkout\"\n\ttier:  1\n\t...\n}\n\n// The event types of this source, by name.\nevents: {\n",
    );
    for i in 0..10 {
        text.push_str(&format!(
            "\t// Sent when step {i} of a checkout completes.\n\t\"com.acme.s1.e{i}\": #E{i} @compat(BACKWARD)\n"
        ));
    }
    text.push_str("}\n");
    text
}

/// A bigger file with the rest of the syntax, repeated with different names.
fn mixed() -> String {
    let mut text = String::from(
        "@extern(embed)\n\npackage mixed\n\nimport (\n\t\"strings\"\n\tm \"math\"\n\t\"list\"\n)\n\n",
    );
    for i in 0..40 {
        text.push_str(&format!(
            r##"// Block {i}: a struct with everything.
#Block{i}: {{
	name!:    string & strings.MinRunes(1) @go(Name) @json("name,omitempty")
	size:     *{i} | int & >0 & <1_000_000
	ratio?:   float | *0.5
	limit:    1Ki + 2 * m.Floor(3.7) - (4 / 2)
	[=~"^x-"]: string
	[N=string]: {{nested: N}}
	let base = "b{i}"
	title: "block \(name) of \(base) at \(size + 1)"
	raw:   #"no \(escape) here \#(base)"#
	body: """
		first line \(name)
		  second line
		"""
	bytes: 'ab\x00\n'
	items: [1, 2.5, "three", null, true, false, _|_, {{x: 1}}, [...int]]
	open: [string, ...{{k: int}}]
	squares: [for x in [1, 2, 3] if x > 1 {{x * x}}]
	byKey: {{for k, v in items if v != null {{"\(k)": v}}}}
	if size > 10 {{big: true}}
	A=alias: {{ref: A.x, x: 1}}
	sel:   items[0] + list.Sum([1, 2])[0:1][0]
	"quoted-{i}": base
	other: #Block{i}.name | null
	nope:  !(size == 0) && size != 2 || size =~ "3" || size !~ "4"
	...
}}

"##
        ));
    }
    text
}

fn bench_text(c: &mut Criterion, name: &str, text: &str) {
    // The texts are valid CUE: a syntax error would time the recovery, not the parser.
    let (_, diagnostics) = parse_file(FileId(0), text);
    assert!(diagnostics.is_empty(), "{name}: {diagnostics:?}");
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| parse_file(FileId(0), std::hint::black_box(text)))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_text(c, "event_package", &event_package());
    bench_text(c, "mixed", &mixed());
}

criterion_group!(parse, benches);
criterion_main!(parse);
