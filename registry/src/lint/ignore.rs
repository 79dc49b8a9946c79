//! `// cuemesh:ignore RULE_ID[,RULE_ID...] [reason]` comments in `.cue` files.
//!
//! A directive on a line of its own applies to the next line that is neither blank nor a
//! comment; a directive after code applies to its own line. It silences the findings of the
//! rules it names whose position starts on that line. A directive that silences nothing, names
//! no known rule, or a `cuemesh:` comment that is not a directive, is itself a finding
//! (`IGNORE_UNUSED`), as buf and eslint report unused suppressions.

use cue::source::SourceFile;
use cue::{FileId, Span};

use super::Finding;

/// One `cuemesh:ignore` comment.
#[derive(Debug, Clone)]
pub struct Directive {
    pub file: FileId,
    /// The comment, from `//` to the end of the line.
    pub span: Span,
    /// The 1-based line whose findings it silences.
    pub line: u32,
    /// The rule ids it names, as written.
    pub rules: Vec<String>,
}

const PREFIX: &str = "cuemesh:";

/// Finds the directives of one file; malformed ones become findings in `problems`.
pub(crate) fn scan(
    id: FileId,
    file: &SourceFile,
    directives: &mut Vec<Directive>,
    problems: &mut Vec<Finding>,
) {
    let text: &str = &file.text;
    // The comments, in order; each line holds at most one.
    let comments = cue::comments(id, text);
    let mut next_comment = 0usize;
    let mut line_start = 0usize;
    let lines: Vec<&str> = text.split('\n').collect();
    let mut pending: Vec<Directive> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let line_number = index as u32 + 1;
        let trimmed = line.trim();
        let line_end = line_start + line.len();
        let comment = comments
            .get(next_comment)
            .filter(|span| (span.start as usize) <= line_end)
            .map(|span| span.start as usize - line_start);
        if comment.is_some() {
            next_comment += 1;
        }
        let own_line = comment.is_some_and(|column| line[..column].trim().is_empty());
        // A directive waiting for its line takes the first line with code.
        if !trimmed.is_empty() && !own_line {
            for mut directive in pending.drain(..) {
                directive.line = line_number;
                directives.push(directive);
            }
        }
        if let Some(column) = comment {
            let body = line[column + 2..].trim();
            let start = (line_start + column) as u32;
            let span = Span::new(id, start, (line_start + line.trim_end().len()) as u32);
            if let Some(rest) = body.strip_prefix(PREFIX) {
                match rest.strip_prefix("ignore") {
                    Some(arguments)
                        if arguments.is_empty() || arguments.starts_with(char::is_whitespace) =>
                    {
                        let rules: Vec<String> = arguments
                            .split_whitespace()
                            .next()
                            .unwrap_or("")
                            .split(',')
                            .filter(|id| !id.is_empty())
                            .map(str::to_string)
                            .collect();
                        if rules.is_empty() {
                            problems.push(
                                Finding::new("cuemesh:ignore names no rule: write `// cuemesh:ignore RULE_ID [reason]`")
                                    .at(span),
                            );
                        } else {
                            let directive = Directive {
                                file: id,
                                span,
                                line: line_number,
                                rules,
                            };
                            if own_line {
                                pending.push(directive);
                            } else {
                                directives.push(directive);
                            }
                        }
                    }
                    _ => problems.push(
                        Finding::new(format!(
                            "unknown directive `{PREFIX}{}`: the only one is `cuemesh:ignore RULE_ID [reason]`",
                            rest.split_whitespace().next().unwrap_or("")
                        ))
                        .at(span),
                    ),
                }
            }
        }
        line_start += line.len() + 1;
    }
    // Directives at the end of the file apply to nothing: left on their own line, they are
    // reported as unused.
    directives.extend(pending);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directives(text: &str) -> (Vec<(u32, Vec<String>)>, usize) {
        let file = SourceFile::new("a.cue", text);
        let mut found = Vec::new();
        let mut problems = Vec::new();
        scan(FileId(0), &file, &mut found, &mut problems);
        (
            found.into_iter().map(|d| (d.line, d.rules)).collect(),
            problems.len(),
        )
    }

    #[test]
    fn an_own_line_directive_applies_to_the_next_line_with_code() {
        let text = "a: {\n\t// cuemesh:ignore FIELD_DOC_MISSING,FIELD_NAME_CASE legacy\n\n\t// other\n\tb_c: int\n}\n";
        assert_eq!(
            directives(text),
            (
                vec![(
                    5,
                    vec![
                        "FIELD_DOC_MISSING".to_string(),
                        "FIELD_NAME_CASE".to_string()
                    ]
                )],
                0
            )
        );
    }

    #[test]
    fn a_trailing_directive_applies_to_its_line() {
        let (found, problems) = directives("a: 1\nb: 2 // cuemesh:ignore X\n");
        assert_eq!((found, problems), (vec![(2, vec!["X".to_string()])], 0));
    }

    #[test]
    fn slashes_in_strings_are_not_comments() {
        let (found, _) = directives("url: \"http://x // cuemesh:ignore X\"\n");
        assert!(found.is_empty());
    }

    #[test]
    fn malformed_directives_are_problems() {
        let (found, problems) = directives("// cuemesh:ignore\n// cuemesh:ignroe X\na: 1\n");
        assert!(found.is_empty());
        assert_eq!(problems, 2);
    }
}
