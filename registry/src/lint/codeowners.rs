//! GitHub's `CODEOWNERS`: which file counts, its rules, and who owns a path.
//!
//! GitHub reads the first of `.github/CODEOWNERS`, `CODEOWNERS` and `docs/CODEOWNERS` that
//! exists. Each line is a pattern and the owners (`@org/team`, `@user` or an e-mail address)
//! separated by spaces; `#` starts a comment. The *last* rule whose pattern matches a path
//! decides its owners. Patterns follow `.gitignore` rules as GitHub applies them:
//!
//! - a pattern with a `/` at the start or in the middle is anchored at the repository root
//!   (`/sources/identity/`, `sources/identity`); one without is matched against any path
//!   segment (`*.cue`, `identity/`);
//! - `*` and `?` match within one segment, `**` matches any number of segments;
//! - a pattern ending in `/` matches a directory only, and a pattern matching a directory
//!   owns everything under it, except when its last segment has a wildcard and no `/` follows
//!   (`docs/*` owns the files directly in `docs`, not those deeper).
//!
//! Character classes (`[abc]`) and `!` negations, which GitHub does not support either, match
//! literally.

use cue::{FileId, Span};

/// One rule of the file.
#[derive(Debug, Clone)]
pub struct OwnersRule {
    pub pattern: String,
    /// The owners as written (`@acme/identity`), possibly none.
    pub owners: Vec<String>,
    /// The pattern's position in the file.
    pub span: Span,
}

/// The parsed file.
#[derive(Debug, Clone)]
pub struct CodeOwners {
    /// Its path in the repository (`CODEOWNERS`).
    pub path: String,
    pub rules: Vec<OwnersRule>,
}

impl CodeOwners {
    /// Parses the text of the file `file` (whose id positions spans).
    pub fn parse(path: &str, file: FileId, text: &str) -> CodeOwners {
        let mut rules = Vec::new();
        let mut offset = 0usize;
        for line in text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let content = strip_comment(line.trim_end_matches(['\n', '\r']));
            let mut words = content
                .char_indices()
                .filter(|(i, c)| {
                    !c.is_whitespace() && (*i == 0 || content[..*i].ends_with(char::is_whitespace))
                })
                .map(|(i, _)| {
                    let rest = &content[i..];
                    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                    (i, &rest[..end])
                });
            let Some((at, pattern)) = words.next() else {
                continue;
            };
            let owners = words.map(|(_, owner)| owner.to_string()).collect();
            let pattern_start = (start + at) as u32;
            rules.push(OwnersRule {
                pattern: pattern.replace("\\#", "#"),
                owners,
                span: Span::new(file, pattern_start, pattern_start + pattern.len() as u32),
            });
        }
        CodeOwners {
            path: path.to_string(),
            rules,
        }
    }

    /// The rule that decides who owns `path` (a file's repository-relative path): the last
    /// that matches it.
    pub fn owner_rule(&self, path: &str) -> Option<&OwnersRule> {
        self.rules
            .iter()
            .rev()
            .find(|rule| pattern_matches(&rule.pattern, path))
    }
}

/// The line without its comment: from an unescaped `#` at the start of a word.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, byte) in bytes.iter().enumerate() {
        let word_start = i == 0 || bytes[i - 1].is_ascii_whitespace();
        if *byte == b'#' && word_start {
            return &line[..i];
        }
    }
    line
}

/// Whether a `CODEOWNERS` pattern matches the file at `path`.
pub fn pattern_matches(pattern: &str, path: &str) -> bool {
    let directory_only = pattern.ends_with('/');
    let trimmed = pattern.trim_end_matches('/');
    let anchored = trimmed.starts_with('/') || trimmed.contains('/');
    let trimmed = trimmed.trim_start_matches('/');
    if trimmed.is_empty() {
        return false;
    }
    let pattern: Vec<&str> = trimmed.split('/').collect();
    let segments: Vec<&str> = path.split('/').collect();
    // A match of the pattern against the first `k` segments (anchored) or segments ending at
    // `k` (not anchored) owns the path when it is the whole path, or a directory the pattern
    // names without a wildcard in its last segment.
    let last = pattern.last().copied().unwrap_or_default();
    let owns_below = directory_only || last == "**" || !last.contains(['*', '?']);
    (1..=segments.len()).any(|k| {
        let whole = k == segments.len();
        if whole && directory_only {
            return false;
        }
        if !whole && !owns_below {
            return false;
        }
        if anchored {
            segments_match(&pattern, &segments[..k])
        } else {
            pattern.len() == 1 && glob(pattern[0], segments[k - 1])
        }
    })
}

/// Whether pattern segments (with `**`) match path segments exactly.
fn segments_match(pattern: &[&str], segments: &[&str]) -> bool {
    match pattern.split_first() {
        None => segments.is_empty(),
        Some((&"**", rest)) => {
            (0..=segments.len()).any(|skip| segments_match(rest, &segments[skip..]))
        }
        Some((first, rest)) => segments
            .split_first()
            .is_some_and(|(segment, others)| glob(first, segment) && segments_match(rest, others)),
    }
}

/// Whether one segment matches a glob of `*` and `?`.
fn glob(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Classic wildcard matching with one backtrack point for the last `*`.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) && pattern[p] != '*' {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_github_documents() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "sources/identity/identity.cue", true),
            ("*.cue", "sources/identity/identity.cue", true),
            ("*.js", "sources/identity/identity.cue", false),
            ("/sources/identity/", "sources/identity/identity.cue", true),
            (
                "/sources/identity/",
                "sources/identityx/identity.cue",
                false,
            ),
            ("sources/identity", "sources/identity/identity.cue", true),
            (
                "/sources/identity/identity.cue",
                "sources/identity/identity.cue",
                true,
            ),
            ("identity/", "sources/identity/identity.cue", true),
            ("identity/", "identity", false),
            ("/sources/*", "sources/identity/identity.cue", false),
            ("/sources/*", "sources/README.md", true),
            ("/sources/**", "sources/identity/identity.cue", true),
            (
                "/sources/**/identity.cue",
                "sources/identity/identity.cue",
                true,
            ),
            (
                "sources/*/identity.cue",
                "sources/identity/identity.cue",
                true,
            ),
            ("/docs/", "sources/docs/x.cue", false),
            ("/sou?ces/", "sources/identity/identity.cue", true),
        ];
        for (pattern, path, expected) in cases {
            assert_eq!(
                pattern_matches(pattern, path),
                *expected,
                "{pattern} on {path}"
            );
        }
    }

    #[test]
    fn the_last_matching_rule_wins_and_comments_are_ignored() {
        let text = "# owners\n*   @acme/all # everyone\n\n/sources/identity/ @acme/identity  ada@acme.example\n/sources/identity/x.cue\n";
        let owners = CodeOwners::parse("CODEOWNERS", FileId(0), text);
        assert_eq!(owners.rules.len(), 3);
        let rule = owners
            .owner_rule("sources/identity/identity.cue")
            .expect("a rule");
        assert_eq!(rule.owners, ["@acme/identity", "ada@acme.example"]);
        assert_eq!(rule.span, Span::new(FileId(0), 35, 53));
        assert_eq!(
            owners.owner_rule("README.md").expect("*").owners,
            ["@acme/all"]
        );
        assert!(owners
            .owner_rule("sources/identity/x.cue")
            .expect("a rule")
            .owners
            .is_empty());
    }
}
