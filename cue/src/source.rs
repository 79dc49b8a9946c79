//! Source files, byte spans, and turning spans into `file:line:col` positions.

use std::sync::Arc;

/// Identifies one file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: u32, end: u32) -> Span {
        Span { file, start, end }
    }

    /// The smallest span covering both (which must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A 1-based line and column (the column counts Unicode scalar values, as CUE's does bytes;
/// see [`SourceFile::position`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// One file's name and text, with an index of line starts.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name used in positions, as the user gave it (`./schema.cue`, `sources/a/a.cue`).
    pub name: String,
    pub text: Arc<str>,
    /// Computed when a position is first asked for: most data documents are never quoted.
    line_starts: std::sync::OnceLock<Box<[u32]>>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> SourceFile {
        SourceFile {
            name: name.into(),
            text: text.into(),
            line_starts: std::sync::OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0u32];
            for (i, b) in self.text.bytes().enumerate() {
                if b == b'\n' {
                    starts.push(i as u32 + 1);
                }
            }
            starts.into()
        })
    }

    /// The 1-based line and column of a byte offset. Like CUE (and Go), the column is a byte
    /// column, so positions printed by `cuemesh` match `cue`'s.
    pub fn position(&self, offset: u32) -> LineCol {
        let line_index = match self.line_starts().binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        LineCol {
            line: line_index as u32 + 1,
            column: offset - self.line_starts()[line_index] + 1,
        }
    }

    /// The text of the 1-based line `line`, without its newline.
    pub fn line_text(&self, line: u32) -> &str {
        let index = line.saturating_sub(1) as usize;
        let Some(&start) = self.line_starts().get(index) else {
            return "";
        };
        let end = self
            .line_starts()
            .get(index + 1)
            .map(|&e| e as usize - 1)
            .unwrap_or(self.text.len());
        self.text
            .get(start as usize..end)
            .unwrap_or("")
            .trim_end_matches('\r')
    }
}

/// All files of one evaluation: schema files, data files, imported packages.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    /// Shared, so that adding a data document to a schema's map copies pointers, not files.
    files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(Arc::new(SourceFile::new(name, text)));
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize).map(|f| &**f)
    }

    /// `file:line:col` of the start of a span, as CUE prints positions.
    pub fn describe(&self, span: Span) -> String {
        match self.get(span.file) {
            Some(file) => {
                let pos = file.position(span.start);
                format!("{}:{}:{}", file.name, pos.line, pos.column)
            }
            None => "<unknown>".to_string(),
        }
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), &**f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_byte_columns() {
        let file = SourceFile::new("a.cue", "a: 1\nbé: 2\n");
        assert_eq!(file.position(0), LineCol { line: 1, column: 1 });
        assert_eq!(file.position(5), LineCol { line: 2, column: 1 });
        assert_eq!(file.position(9), LineCol { line: 2, column: 5 });
        assert_eq!(file.line_text(2), "bé: 2");
        assert_eq!(file.line_text(9), "");
    }
}
