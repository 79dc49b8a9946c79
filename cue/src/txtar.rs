//! The txtar archive format: a free comment followed by files, each introduced by a line
//! `-- name --`. Used by the conformance cases and to read CUE's upstream test data.

/// A parsed archive: the comment before the first file marker, then the files in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Archive {
    pub comment: String,
    pub files: Vec<(String, String)>,
}

impl Archive {
    /// The text of the first file called `name`.
    pub fn file(&self, name: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
    }
}

/// The file name of a marker line `-- name --`, or None when the line is not a marker.
fn marker_name(line: &str) -> Option<&str> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let inner = line.strip_prefix("-- ")?.strip_suffix(" --")?;
    let name = inner.trim();
    // A marker needs a non-empty name; `-- --` is ordinary text.
    (!name.is_empty()).then_some(name)
}

/// Parses an archive. Never fails: text before the first marker is the comment, and every
/// line is kept with its newline so that [`format`] gives the input back.
pub fn parse(text: &str) -> Archive {
    let mut archive = Archive::default();
    let mut current: Option<(String, String)> = None;
    for line in text.split_inclusive('\n') {
        let bare = line.strip_suffix('\n').unwrap_or(line);
        if let Some(name) = marker_name(bare) {
            if let Some(file) = current.take() {
                archive.files.push(file);
            }
            current = Some((name.to_string(), String::new()));
            continue;
        }
        match current.as_mut() {
            Some((_, body)) => body.push_str(line),
            None => archive.comment.push_str(line),
        }
    }
    if let Some(file) = current.take() {
        archive.files.push(file);
    }
    archive
}

/// Writes an archive back as text. Like Go's txtar, a non-empty comment or file body that
/// does not end in a newline gets one, so that the next marker starts its own line.
pub fn format(archive: &Archive) -> String {
    let mut out = String::new();
    push_with_newline(&mut out, &archive.comment);
    for (name, body) in &archive.files {
        out.push_str("-- ");
        out.push_str(name);
        out.push_str(" --\n");
        push_with_newline(&mut out, body);
    }
    out
}

fn push_with_newline(out: &mut String, text: &str) {
    out.push_str(text);
    if !text.is_empty() && !text.ends_with('\n') {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_comment_and_files() {
        let a = parse("about\nthis\n-- a.cue --\nx: 1\n-- b.json --\n{}\n");
        assert_eq!(a.comment, "about\nthis\n");
        assert_eq!(
            a.files,
            vec![
                ("a.cue".to_string(), "x: 1\n".to_string()),
                ("b.json".to_string(), "{}\n".to_string())
            ]
        );
        assert_eq!(a.file("b.json"), Some("{}\n"));
        assert_eq!(a.file("c"), None);
    }

    #[test]
    fn round_trips() {
        for text in [
            "",
            "comment only\n",
            "-- a --\n",
            "c\n-- a --\n\n\n-- b --\nx\n",
            "-- a.cue --\n-- not a marker\n--  --\nx\n",
        ] {
            assert_eq!(format(&parse(text)), text, "{text:?}");
        }
    }

    #[test]
    fn missing_final_newline_is_added() {
        let a = parse("-- a --\nx");
        assert_eq!(a.files[0].1, "x");
        assert_eq!(format(&a), "-- a --\nx\n");
        assert_eq!(parse(&format(&a)).files[0].1, "x\n");
    }

    #[test]
    fn marker_lines_need_the_exact_shape() {
        let a = parse("--a --\n-- b--\n-- --\n");
        assert!(a.files.is_empty());
        let b = parse("-- spaced name --\r\nbody\r\n");
        assert_eq!(b.files[0].0, "spaced name");
        assert_eq!(b.files[0].1, "body\r\n");
    }
}
