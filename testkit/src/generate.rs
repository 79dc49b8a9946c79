//! Generates a large governance repository for the history benchmarks as one stream for
//! `git fast-import` (no work tree, no index, no object written twice), so that 100,000
//! commits take seconds rather than the minutes commit-by-commit writing needs.
//!
//! The shape: a `common` package and `sources` packages of `events_per_source` event types
//! each, every event's definition importing `common.#Money`. The first commit adds them all
//! (version 1 of every type); then every commit changes two event types of one source (a
//! bound, so the canonical schema changes), except every tenth, which edits only the README
//! (no version). Every type ends with `versions_per_type` versions.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};

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

    /// 3 sources of 4 event types, 4 versions each, over 20 commits: the shape tests compare
    /// with what they compute themselves.
    pub const SMALL: Shape = Shape {
        sources: 3,
        events_per_source: 4,
        versions_per_type: 4,
    };

    /// The benchmark shape at `scale` times its event types: `100 * scale` sources of 10 types,
    /// `9 + scale` versions each. Scale 1 is [`Shape::BENCHMARK`]; scale 10 is the large
    /// organisation of issue 23 (10,000 types, 190,000 versions, about 100,000 commits).
    pub fn scaled(scale: usize) -> Shape {
        Shape {
            sources: 100 * scale,
            events_per_source: 10,
            versions_per_type: 9 + scale,
        }
    }
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
///
/// Panics when `git` cannot run or refuses the stream: this is a benchmark's fixture.
pub fn generate(directory: &Path, shape: Shape) -> Generated {
    let git = git2::Repository::init_bare(directory).expect("init");
    git.set_head("refs/heads/main").expect("HEAD");
    drop(git);
    let mut importer = Command::new("git")
        .args(["fast-import", "--quiet", "--done"])
        .current_dir(directory)
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import runs");
    let stdin = importer.stdin.take().expect("piped stdin");
    let generated = write_stream(&mut BufWriter::new(stdin), shape).expect("stream written");
    let status = importer.wait().expect("git fast-import ends");
    assert!(status.success(), "git fast-import failed: {status}");
    generated
}

/// The history as a `git fast-import` stream on `out`: blobs by mark, commits on
/// `refs/heads/main` each naming only the files it changes.
fn write_stream(out: &mut impl Write, shape: Shape) -> std::io::Result<Generated> {
    let changes_per_source = shape.events_per_source * (shape.versions_per_type - 1) / 2;
    let change_commits = shape.sources * changes_per_source;
    // Every tenth commit but the first is documentation only: 5,000 commits in all for the
    // benchmark shape.
    let docs_commits = (change_commits / 9).saturating_sub(1);
    let mut bounds = vec![vec![100usize; shape.events_per_source]; shape.sources];
    let mut stream = Stream {
        out,
        marks: 0,
        commits: 0,
    };
    let mut time = 1_700_000_000i64;

    // The first commit: module, common, README and every source.
    let mut files = vec![
        ("cue.mod/module.cue".to_string(), stream.blob(MODULE)?),
        ("README.md".to_string(), stream.blob("# Schemas\n")?),
        ("sources/common/money.cue".to_string(), stream.blob(COMMON)?),
    ];
    for (index, source_bounds) in bounds.iter().enumerate() {
        let mark = stream.blob(&source_text(index, source_bounds))?;
        files.push((format!("sources/s{index}/s{index}.cue"), mark));
    }
    stream.commit("Add every source", time, &files)?;

    let mut change = 0;
    let mut docs = 0;
    while change < change_commits || docs < docs_commits {
        time += 60;
        let docs_turn =
            stream.commits.is_multiple_of(10) && docs < docs_commits || change == change_commits;
        let file = if docs_turn {
            let mark = stream.blob(&format!("# Schemas\n\nRevision {docs}.\n"))?;
            docs += 1;
            ("README.md".to_string(), mark)
        } else {
            let source = change % shape.sources;
            let round = change / shape.sources;
            for event in [2 * round, 2 * round + 1] {
                bounds[source][event % shape.events_per_source] += 1;
            }
            let mark = stream.blob(&source_text(source, &bounds[source]))?;
            change += 1;
            (format!("sources/s{source}/s{source}.cue"), mark)
        };
        stream.commit("Change", time, &[file])?;
    }
    stream.out.write_all(b"done\n")?;
    stream.out.flush()?;
    Ok(Generated {
        commits: stream.commits,
        event_types: shape.sources * shape.events_per_source,
        versions: shape.sources * shape.events_per_source * shape.versions_per_type,
    })
}

/// A `git fast-import` stream being written, with its counters.
struct Stream<'w, W: Write> {
    out: &'w mut W,
    /// The last mark given to a blob.
    marks: usize,
    /// Commits written so far.
    commits: usize,
}

impl<W: Write> Stream<'_, W> {
    /// Writes a blob and returns its mark.
    fn blob(&mut self, text: &str) -> std::io::Result<usize> {
        self.marks += 1;
        let out = &mut self.out;
        write!(
            out,
            "blob\nmark :{}\ndata {}\n{text}\n",
            self.marks,
            text.len()
        )?;
        Ok(self.marks)
    }

    /// Writes a commit on `main` (after the previous one) setting each `(path, blob mark)`.
    fn commit(
        &mut self,
        message: &str,
        time: i64,
        files: &[(String, usize)],
    ) -> std::io::Result<()> {
        let author = self.commits % 7;
        let person = format!("Author {author} <author{author}@example.com> {time} +0000");
        let out = &mut self.out;
        write!(
            out,
            "commit refs/heads/main\nauthor {person}\ncommitter {person}\ndata {}\n{message}\n",
            message.len()
        )?;
        for (path, mark) in files {
            writeln!(out, "M 100644 :{mark} {path}")?;
        }
        self.commits += 1;
        out.write_all(b"\n")
    }
}
