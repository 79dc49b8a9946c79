//! RE2 (Go `regexp`) semantics on top of the `regex` crate: a translator from Go's syntax to the
//! crate's, Go's error texts, and a process-wide cache of compiled patterns.
//!
//! The two dialects agree on most syntax but differ where it matters for validation: Go's `\d`,
//! `\w`, `\s` and `\b` are ASCII-only while the crate's are Unicode; Go accepts `\Q..\E`, octal
//! escapes and `\` before any ASCII punctuation; Go treats an unparsable `{` as a literal and caps
//! repetition counts at 1000. The translator walks the pattern once, checks it the way Go's
//! `regexp/syntax` parser does, and prints an equivalent pattern for the crate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

mod anchored;
pub mod inclusion;

/// A pattern Go's `regexp.Compile` would reject (or, rarely, one the `regex` crate rejects).
///
/// Display gives Go's text: ``error parsing regexp: missing closing ): `(a` ``.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("error parsing regexp: {code}: `{expr}`")]
pub struct Re2Error {
    /// Go's `ErrorCode` text (`missing closing )`, `invalid escape sequence`...).
    pub code: String,
    /// The offending part of the pattern, as Go reports it.
    pub expr: String,
}

impl Re2Error {
    fn new(code: &str, expr: impl Into<String>) -> Re2Error {
        Re2Error {
            code: code.to_string(),
            expr: expr.into(),
        }
    }
}

/// How many compiled patterns the cache keeps before it starts over; patterns computed at run
/// time (interpolations) could otherwise grow it without bound.
const CACHE_CAPACITY: usize = 1024;

/// A compiled pattern that answers "does it match?": the `regex` crate's, and for patterns of
/// the usual validation shape (`^[a-z0-9][a-z0-9-]{2,63}$`) a direct reader with the same
/// answers that costs a fraction of the crate's search.
#[derive(Debug)]
pub struct Matcher {
    regex: Arc<regex::Regex>,
    anchored: Option<anchored::Anchored>,
}

impl Matcher {
    /// Whether `text` has a match, as `regex::Regex::is_match` says.
    pub fn is_match(&self, text: &str) -> bool {
        match &self.anchored {
            Some(anchored) => anchored.is_match(text),
            None => self.regex.is_match(text),
        }
    }
}

/// Compiles a Go RE2 pattern for unanchored matching, once per process per pattern.
pub fn compile(pattern: &str) -> Result<Arc<regex::Regex>, Re2Error> {
    compile_matcher(pattern).map(|matcher| Arc::clone(&matcher.regex))
}

/// [`compile`], for matching only.
pub fn compile_matcher(pattern: &str) -> Result<Arc<Matcher>, Re2Error> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Matcher>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(map) = cache.lock() {
        if let Some(found) = map.get(pattern) {
            return Ok(Arc::clone(found));
        }
    }
    let translated = translate(pattern)?;
    // Go nests up to 1000 levels and has no small size cap, so the crate's defaults (250
    // levels, 10 MiB) are raised to accept what Go accepts, such as `\pL{500}`.
    let compiled = regex::RegexBuilder::new(&translated)
        .nest_limit(1000)
        .size_limit(64 << 20)
        .build()
        .map_err(|e| crate_error(pattern, &e))?;
    let compiled = Arc::new(Matcher {
        regex: Arc::new(compiled),
        anchored: anchored::Anchored::new(&translated),
    });
    // A poisoned lock only loses caching, never correctness, so it is ignored.
    if let Ok(mut map) = cache.lock() {
        if map.len() >= CACHE_CAPACITY {
            map.clear();
        }
        map.insert(pattern.to_string(), Arc::clone(&compiled));
    }
    Ok(compiled)
}

/// Rewrites a Go RE2 pattern into the `regex` crate's syntax with the same meaning, or reports
/// the error Go would report.
pub fn translate(pattern: &str) -> Result<String, Re2Error> {
    Translator {
        pattern,
        chars: pattern.char_indices().collect(),
        pos: 0,
        out: String::with_capacity(pattern.len() + 8),
        names: Vec::new(),
    }
    .run()
}

/// Maps an error of the `regex` crate to Go's wording as closely as its kind allows.
fn crate_error(pattern: &str, error: &regex::Error) -> Re2Error {
    match error {
        regex::Error::CompiledTooBig(_) => Re2Error::new("expression too large", pattern),
        other => {
            let text = other.to_string();
            let last = text
                .lines()
                .rev()
                .find(|line| !line.trim().is_empty())
                .unwrap_or("invalid regexp")
                .trim()
                .trim_start_matches("error: ")
                .to_string();
            Re2Error::new(&last, pattern)
        }
    }
}

const ASCII_DIGIT: &str = "0-9";
const ASCII_WORD: &str = "0-9A-Za-z_";
const ASCII_SPACE: &str = r"\t\n\x0C\r ";

/// What the last emitted item was, for Go's repetition checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    /// Start of pattern, after `(` or `|`: a repetition here has no argument.
    Nothing,
    /// An atom that may be repeated.
    Atom,
    /// A repetition operator, whose text started at this char index.
    Repeat(usize),
}

struct Translator<'a> {
    pattern: &'a str,
    chars: Vec<(usize, char)>,
    pos: usize,
    out: String,
    names: Vec<String>,
}

impl Translator<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).map(|&(_, c)| c)
    }

    /// The pattern text from char index `from` up to (not including) char index `to`.
    fn text(&self, from: usize, to: usize) -> &str {
        let start = self.byte_at(from);
        let end = self.byte_at(to);
        &self.pattern[start..end]
    }

    fn byte_at(&self, index: usize) -> usize {
        self.chars
            .get(index)
            .map_or(self.pattern.len(), |&(byte, _)| byte)
    }

    fn run(mut self) -> Result<String, Re2Error> {
        let mut depth = 0usize;
        let mut last = Last::Nothing;
        while let Some(c) = self.peek(0) {
            match c {
                '(' => {
                    if self.open_group()? {
                        depth += 1;
                    }
                    last = Last::Nothing;
                }
                ')' => {
                    if depth == 0 {
                        return Err(Re2Error::new("unexpected )", self.pattern));
                    }
                    depth -= 1;
                    self.out.push(')');
                    self.pos += 1;
                    last = Last::Atom;
                }
                '|' => {
                    self.out.push('|');
                    self.pos += 1;
                    last = Last::Nothing;
                }
                '*' | '+' | '?' => {
                    let start = self.pos;
                    self.pos += 1;
                    self.repetition(start, last)?;
                    self.out.push(c);
                    last = Last::Repeat(start);
                    self.non_greedy_suffix();
                }
                '{' => {
                    let start = self.pos;
                    match self.counted_repeat() {
                        Some((min, max)) => {
                            let size_ok = match max {
                                Some(max) => min <= max && max <= 1000,
                                None => min <= 1000,
                            };
                            if !size_ok {
                                return Err(Re2Error::new(
                                    "invalid repeat count",
                                    self.text(start, self.pos),
                                ));
                            }
                            self.repetition(start, last)?;
                            let text = self.text(start, self.pos).to_string();
                            self.out.push_str(&text);
                            last = Last::Repeat(start);
                            self.non_greedy_suffix();
                        }
                        None => {
                            // Go reads a `{` that does not start `{n}`, `{n,}` or `{n,m}` as
                            // itself; the crate would reject it or read `{,m}` as a repeat.
                            self.pos = start + 1;
                            self.out.push_str(r"\{");
                            last = Last::Atom;
                        }
                    }
                }
                '[' => {
                    self.class()?;
                    last = Last::Atom;
                }
                '\\' => {
                    last = self.top_level_escape()?;
                }
                '^' | '$' | '.' => {
                    self.out.push(c);
                    self.pos += 1;
                    last = Last::Atom;
                }
                _ => {
                    push_literal(&mut self.out, c);
                    self.pos += 1;
                    last = Last::Atom;
                }
            }
        }
        if depth > 0 {
            return Err(Re2Error::new("missing closing )", self.pattern));
        }
        Ok(self.out)
    }

    /// Checks Go's two repetition errors: nothing to repeat, and a repeat of a repeat.
    fn repetition(&self, start: usize, last: Last) -> Result<(), Re2Error> {
        match last {
            Last::Nothing => Err(Re2Error::new(
                "missing argument to repetition operator",
                self.text(start, self.pos),
            )),
            Last::Repeat(previous) => Err(Re2Error::new(
                "invalid nested repetition operator",
                self.text(previous, self.pos),
            )),
            Last::Atom => Ok(()),
        }
    }

    fn non_greedy_suffix(&mut self) {
        if self.peek(0) == Some('?') {
            self.out.push('?');
            self.pos += 1;
        }
    }

    /// Parses `{n}`, `{n,}` or `{n,m}` at the cursor; on failure the cursor is unspecified.
    fn counted_repeat(&mut self) -> Option<(u64, Option<u64>)> {
        self.pos += 1;
        let min = self.decimal()?;
        let max = if self.peek(0) == Some(',') {
            self.pos += 1;
            if self.peek(0) == Some('}') {
                None
            } else {
                Some(self.decimal()?)
            }
        } else {
            Some(min)
        };
        if self.peek(0) != Some('}') {
            return None;
        }
        self.pos += 1;
        Some((min, max))
    }

    fn decimal(&mut self) -> Option<u64> {
        let start = self.pos;
        while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        // Go rejects leading zeros (`{01}`), treating the brace as a literal.
        let digits = self.text(start, self.pos);
        if digits.len() > 1 && digits.starts_with('0') {
            return None;
        }
        // Saturate: anything this large is an invalid repeat count anyway.
        Some(digits.parse::<u64>().unwrap_or(u64::MAX))
    }

    /// `(`, `(?:`, `(?flags)`, `(?flags:`, `(?P<name>` and `(?<name>`; true when a group was
    /// opened (a bare flag setting `(?i)` opens none).
    fn open_group(&mut self) -> Result<bool, Re2Error> {
        let start = self.pos;
        self.pos += 1;
        if self.peek(0) != Some('?') {
            self.out.push('(');
            return Ok(true);
        }
        self.pos += 1;
        let named = match (self.peek(0), self.peek(1)) {
            (Some('P'), Some('<')) => Some(2),
            (Some('<'), _) => Some(1),
            _ => None,
        };
        if let Some(skip) = named {
            self.pos += skip;
            let name_start = self.pos;
            while self.peek(0).is_some_and(|c| c != '>') {
                self.pos += 1;
            }
            if self.peek(0).is_none() {
                return Err(Re2Error::new(
                    "invalid named capture",
                    &self.pattern[self.byte_at(start)..],
                ));
            }
            let name = self.text(name_start, self.pos).to_string();
            self.pos += 1;
            let capture = self.text(start, self.pos).to_string();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(Re2Error::new("invalid named capture", capture));
            }
            if self.names.contains(&name) {
                // Go accepts a repeated name, the crate does not: the repeat stays a capture
                // group (numbering is unchanged) without the name.
                self.out.push('(');
                return Ok(true);
            }
            self.names.push(name.clone());
            self.out.push_str("(?P<");
            self.out.push_str(&name);
            self.out.push('>');
            return Ok(true);
        }
        // Flags: Go accepts i, m, s, U, one optional `-`, ending in `)` or `:`.
        let mut negated = false;
        let mut saw_flag_after_dash = false;
        let mut any_flag = false;
        loop {
            let Some(c) = self.peek(0) else {
                return Err(Re2Error::new("missing closing )", self.pattern));
            };
            self.pos += 1;
            match c {
                'i' | 'm' | 's' | 'U' => {
                    any_flag = true;
                    if negated {
                        saw_flag_after_dash = true;
                    }
                }
                '-' if !negated => negated = true,
                ':' | ')' => {
                    if negated && !saw_flag_after_dash {
                        return Err(Re2Error::new(
                            "invalid or unsupported Perl syntax",
                            self.text(start, self.pos),
                        ));
                    }
                    // Go accepts the empty `(?)` as a no-op; the crate does not.
                    if any_flag || c == ':' {
                        let text = self.text(start, self.pos).to_string();
                        self.out.push_str(&text);
                    }
                    return Ok(c == ':');
                }
                _ => {
                    return Err(Re2Error::new(
                        "invalid or unsupported Perl syntax",
                        self.text(start, self.pos),
                    ));
                }
            }
        }
    }

    /// An escape outside a class.
    fn top_level_escape(&mut self) -> Result<Last, Re2Error> {
        let start = self.pos;
        let Some(c) = self.peek(1) else {
            return Err(Re2Error::new("trailing backslash at end of expression", ""));
        };
        match c {
            'A' | 'z' => {
                self.pos += 2;
                self.out.push('\\');
                self.out.push(c);
                Ok(Last::Atom)
            }
            'b' | 'B' => {
                self.pos += 2;
                self.out
                    .push_str(if c == 'b' { r"(?-u:\b)" } else { r"(?-u:\B)" });
                Ok(Last::Atom)
            }
            'Q' => {
                self.pos += 2;
                let mut any = false;
                while let Some(q) = self.peek(0) {
                    if q == '\\' && self.peek(1) == Some('E') {
                        self.pos += 2;
                        break;
                    }
                    push_literal(&mut self.out, q);
                    any = true;
                    self.pos += 1;
                }
                // `\Q\E` quotes nothing: a following `*` then has no argument in Go.
                Ok(if any { Last::Atom } else { Last::Nothing })
            }
            _ => {
                let piece = self.escape(start, false)?;
                match piece {
                    Piece::Char(ch) => push_literal(&mut self.out, ch),
                    Piece::Class(set) => {
                        self.out.push_str(&set);
                    }
                }
                Ok(Last::Atom)
            }
        }
    }

    /// The escapes common to both contexts: Perl classes, Unicode classes, octal, hex, control
    /// characters and escaped punctuation. The cursor is on the backslash.
    fn escape(&mut self, start: usize, in_class: bool) -> Result<Piece, Re2Error> {
        let Some(c) = self.peek(1) else {
            return Err(Re2Error::new("trailing backslash at end of expression", ""));
        };
        self.pos += 2;
        let invalid = |t: &Translator<'_>| {
            Err(Re2Error::new(
                "invalid escape sequence",
                t.text(start, t.pos),
            ))
        };
        let perl = |set: &str, negated: bool| {
            let body = if in_class && !negated {
                set.to_string()
            } else {
                format!("[{}{}]", if negated { "^" } else { "" }, set)
            };
            Ok(Piece::Class(body))
        };
        match c {
            'd' => perl(ASCII_DIGIT, false),
            'D' => perl(ASCII_DIGIT, true),
            'w' => perl(ASCII_WORD, false),
            'W' => perl(ASCII_WORD, true),
            's' => perl(ASCII_SPACE, false),
            'S' => perl(ASCII_SPACE, true),
            'p' | 'P' => self.unicode_class(start, c == 'P'),
            '1'..='7' if !self.peek(0).is_some_and(|d| ('0'..='7').contains(&d)) => invalid(self),
            '0'..='7' => {
                let mut value = c as u32 - '0' as u32;
                for _ in 0..2 {
                    match self.peek(0) {
                        Some(d @ '0'..='7') => {
                            value = value * 8 + (d as u32 - '0' as u32);
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                char::from_u32(value).map_or_else(|| invalid(self), |ch| Ok(Piece::Char(ch)))
            }
            'x' => self.hex_escape(start),
            'a' => Ok(Piece::Char('\x07')),
            'f' => Ok(Piece::Char('\x0C')),
            'n' => Ok(Piece::Char('\n')),
            'r' => Ok(Piece::Char('\r')),
            't' => Ok(Piece::Char('\t')),
            'v' => Ok(Piece::Char('\x0B')),
            // Go: "Escaped non-word characters are always themselves."
            _ if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok(Piece::Char(c)),
            _ => invalid(self),
        }
    }

    fn hex_escape(&mut self, start: usize) -> Result<Piece, Re2Error> {
        let invalid = |t: &Translator<'_>| {
            Err(Re2Error::new(
                "invalid escape sequence",
                t.text(start, t.pos),
            ))
        };
        let mut value: u32 = 0;
        if self.peek(0) == Some('{') {
            self.pos += 1;
            let mut digits = 0;
            loop {
                match self.peek(0) {
                    Some('}') if digits > 0 => {
                        self.pos += 1;
                        break;
                    }
                    Some(d) if d.is_ascii_hexdigit() => {
                        self.pos += 1;
                        digits += 1;
                        value = value
                            .saturating_mul(16)
                            .saturating_add(d.to_digit(16).unwrap_or(0));
                        if value > 0x10FFFF {
                            return invalid(self);
                        }
                    }
                    Some(_) => {
                        self.pos += 1;
                        return invalid(self);
                    }
                    None => return invalid(self),
                }
            }
        } else {
            for _ in 0..2 {
                match self.peek(0) {
                    Some(d) if d.is_ascii_hexdigit() => {
                        self.pos += 1;
                        value = value * 16 + d.to_digit(16).unwrap_or(0);
                    }
                    Some(_) => {
                        self.pos += 1;
                        return invalid(self);
                    }
                    None => return invalid(self),
                }
            }
        }
        char::from_u32(value).map_or_else(|| invalid(self), |ch| Ok(Piece::Char(ch)))
    }

    /// `\pL`, `\p{Greek}`, `\p{^Greek}` and the `\P` negations. Go knows only general
    /// categories, scripts and `Any`; the crate checks the name, and a name it rejects is
    /// reported with Go's code.
    fn unicode_class(&mut self, start: usize, mut negated: bool) -> Result<Piece, Re2Error> {
        let name = match self.peek(0) {
            None => {
                return Err(Re2Error::new(
                    "invalid character class range",
                    self.text(start, self.pos),
                ))
            }
            Some('{') => {
                let name_start = self.pos + 1;
                while self.peek(0).is_some_and(|c| c != '}') {
                    self.pos += 1;
                }
                if self.peek(0).is_none() {
                    return Err(Re2Error::new(
                        "invalid character class range",
                        self.text(start, self.pos),
                    ));
                }
                let name = self.text(name_start, self.pos).to_string();
                self.pos += 1;
                name
            }
            Some(single) => {
                self.pos += 1;
                single.to_string()
            }
        };
        let name = match name.strip_prefix('^') {
            Some(rest) => {
                negated = !negated;
                rest.to_string()
            }
            None => name,
        };
        let known =
            name == "Any" || GENERAL_CATEGORIES.contains(&name.as_str()) || is_script_name(&name);
        if !known {
            return Err(Re2Error::new(
                "invalid character class range",
                self.text(start, self.pos),
            ));
        }
        Ok(Piece::Class(format!(
            r"\{}{{{}}}",
            if negated { 'P' } else { 'p' },
            name
        )))
    }

    /// A bracketed class: parsed item by item with Go's rules (a leading `]` is literal, `-` is
    /// literal where it cannot form a range, `[` is literal unless it opens `[:name:]`) and
    /// printed with every punctuation character escaped so the crate's nested classes and set
    /// operators (`&&`, `--`, `~~`) never trigger.
    fn class(&mut self) -> Result<(), Re2Error> {
        let start = self.pos;
        let missing = |t: &Translator<'_>| {
            Err(Re2Error::new(
                "missing closing ]",
                &t.pattern[t.byte_at(start)..],
            ))
        };
        self.pos += 1;
        let mut body = String::new();
        if self.peek(0) == Some('^') {
            body.push('^');
            self.pos += 1;
        }
        let mut first = true;
        loop {
            let Some(c) = self.peek(0) else {
                return missing(self);
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            if c == '[' && self.peek(1) == Some(':') {
                if let Some(posix) = self.posix_class()? {
                    body.push_str(&posix);
                    continue;
                }
            }
            let item_start = self.pos;
            let lo = match self.class_char()? {
                Piece::Class(set) => {
                    body.push_str(&set);
                    continue;
                }
                Piece::Char(lo) => lo,
            };
            if self.peek(0) == Some('-') && self.peek(1).is_some_and(|n| n != ']') {
                self.pos += 1;
                let hi_start = self.pos;
                let hi = match self.class_char()? {
                    Piece::Char(hi) => hi,
                    // Go reads a range's end as one character, so `\d` there is an escape
                    // it does not know.
                    Piece::Class(_) => {
                        return Err(Re2Error::new(
                            "invalid escape sequence",
                            self.text(hi_start, hi_start + 2),
                        ))
                    }
                };
                if hi < lo {
                    return Err(Re2Error::new(
                        "invalid character class range",
                        self.text(item_start, self.pos),
                    ));
                }
                push_class_literal(&mut body, lo);
                body.push('-');
                push_class_literal(&mut body, hi);
            } else {
                push_class_literal(&mut body, lo);
            }
        }
        self.out.push('[');
        self.out.push_str(&body);
        self.out.push(']');
        Ok(())
    }

    /// One character (or Perl/Unicode class) inside brackets.
    fn class_char(&mut self) -> Result<Piece, Re2Error> {
        let start = self.pos;
        match self.peek(0) {
            Some('\\') => self.escape(start, true),
            Some(c) => {
                self.pos += 1;
                Ok(Piece::Char(c))
            }
            None => Err(Re2Error::new(
                "missing closing ]",
                &self.pattern[self.byte_at(start)..],
            )),
        }
    }

    /// `[:alpha:]` and `[:^alpha:]`; `None` (cursor unchanged) when the text is not of that
    /// form, so the `[` is a literal.
    fn posix_class(&mut self) -> Result<Option<String>, Re2Error> {
        let start = self.pos;
        let rest = &self.pattern[self.byte_at(start)..];
        let Some(end) = rest[2..].find(":]") else {
            return Ok(None);
        };
        let whole = &rest[..end + 4];
        let name = whole[2..whole.len() - 2].trim_start_matches('^');
        const NAMES: [&str; 14] = [
            "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print",
            "punct", "space", "upper", "word", "xdigit",
        ];
        if !NAMES.contains(&name) {
            return Err(Re2Error::new("invalid character class range", whole));
        }
        let whole = whole.to_string();
        self.pos += whole.chars().count();
        // The crate's POSIX classes are ASCII like Go's, and its `[:space:]` also includes
        // vertical tab like Go's.
        Ok(Some(format!("[{whole}]")))
    }
}

/// The general categories Go's `\p{..}` accepts (its `unicode.Categories` keys).
const GENERAL_CATEGORIES: [&str; 36] = [
    "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N",
    "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So",
    "Z", "Zl", "Zp", "Zs",
];

/// Go's scripts are spelled as in `unicode.Scripts` (`Greek`, `Old_Italic`): a capital, then
/// letters and underscores. The crate's own table decides whether the script exists.
fn is_script_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && regex::Regex::new(&format!(r"\p{{sc={name}}}")).is_ok()
}

enum Piece {
    Char(char),
    Class(String),
}

/// Characters the crate treats specially outside classes.
fn push_literal(out: &mut String, c: char) {
    if r"\.+*?()|[]{}^$#&-~".contains(c) {
        out.push('\\');
    }
    out.push(c);
}

/// Inside classes every character the crate could read as syntax (nesting, ranges, set
/// operators) is escaped; whitespace and controls are written as hex so no mode can read them
/// differently.
fn push_class_literal(out: &mut String, c: char) {
    if r"\.+*?()|[]{}^$#&-~".contains(c) {
        out.push('\\');
        out.push(c);
    } else if c.is_ascii_control() || c == ' ' {
        out.push_str(&format!(r"\x{{{:X}}}", c as u32));
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        compile(pattern)
            .unwrap_or_else(|e| panic!("{pattern}: {e}"))
            .is_match(text)
    }

    #[test]
    fn perl_classes_are_ascii_only() {
        let table = [
            (r"^\d$", "7", true),
            (r"^\d$", "٣", false), // Arabic-Indic digit three
            (r"^\D$", "٣", true),
            (r"^\w+$", "abc_09", true),
            (r"^\w$", "é", false),
            (r"^\W$", "é", true),
            (r"^\s$", "\u{a0}", false), // no-break space
            (r"^\s$", "\x0B", false),   // Go's \s excludes vertical tab
            (r"^\s$", "\x0C", true),
            (r"^\S$", "\u{a0}", true),
            (r"^[\d]$", "٣", false),
            (r"^[\w-]+$", "a-b", true),
            (r"^[^\d]$", "a", true),
            (r"^[^\d]$", "1", false),
            (r"^[\D]$", "1", false),
            (r"^[[:alpha:]]$", "é", false),
            (r"^[[:alpha:]]$", "e", true),
            (r"^[[:^alpha:]]$", "é", true),
        ];
        for (pattern, text, want) in table {
            assert_eq!(matches(pattern, text), want, "{pattern} on {text:?}");
        }
    }

    #[test]
    fn word_boundary_is_ascii() {
        assert!(matches(r"\bx", "éx"), "é is not a word character in Go");
        assert!(!matches(r"\Bx", "éx"));
        assert!(matches(r"\bfoo\b", "a foo b"));
        assert!(!matches(r"\bfoo\b", "afoo"));
    }

    #[test]
    fn unicode_classes_stay_unicode() {
        assert!(matches(r"^\pL+$", "héllo"));
        assert!(matches(r"^\p{Greek}$", "λ"));
        assert!(matches(r"^\p{^Greek}$", "a"));
        assert!(!matches(r"^\P{^Greek}$", "a"));
        assert!(matches(r"^\pN$", "٣"));
    }

    #[test]
    fn unanchored_matching_and_flags() {
        assert!(matches("b", "abc"));
        assert!(matches("(?i)ABC", "xabcx"));
        assert!(!matches("a.c", "a\nc"));
        assert!(matches("(?s)a.c", "a\nc"));
        assert!(!matches("^b", "a\nb"));
        assert!(matches("(?m)^b", "a\nb"));
        assert!(
            !matches("a$", "a\n"),
            "Go's $ without m is end of text only"
        );
        assert!(matches(r"a\z", "a"));
        assert!(matches("(?U)a+", "aaa"));
        assert!(matches("(?i:a)B", "AB"));
        assert!(!matches("(?i:a)B", "Ab"));
        assert!(matches("(?i)a(?-i)B", "AB"));
        assert!(matches("^(?)a$", "a"));
        assert!(matches(r"^\pL{500}$", &"é".repeat(500)));
        let nested = format!("{}a{}", "(".repeat(300), ")".repeat(300));
        assert!(
            matches(&nested, "a"),
            "Go allows deeper nesting than the crate's default"
        );
    }

    #[test]
    fn go_only_syntax_is_accepted() {
        assert!(matches(r"^\Qa.b\E$", "a.b"));
        assert!(!matches(r"^\Qa.b\E$", "axb"));
        assert!(matches(r"^\Q[x\E", "[x"));
        assert!(matches(r"^\101$", "A"), "octal escape");
        assert!(matches(r"^\0$", "\0"));
        assert!(matches(r"^a{,2}$", "a{,2}"), "Go reads {{,n}} literally");
        assert!(matches(r"^a{$", "a{"));
        assert!(matches(r"^a{x}$", "a{x}"));
        assert!(matches(r"^\!\ \@$", "! @"));
        assert!(matches(r"^[[]$", "["));
        assert!(matches(r"^[a&&b]+$", "&ab"), "no set operators in Go");
        assert!(matches(r"^[]a]+$", "]a"));
        assert!(matches(r"^[a-]+$", "-a"));
        assert!(matches(r"^(?P<x>a)(?<y>b)$", "ab"));
        assert!(matches(r"^\x41\x{42}$", "AB"));
        assert!(matches(r"^a{2,3}?$", "aa"));
        assert!(matches(r"^[\x{2D}]$", "-"));
        assert!(matches(r"^a}$", "a}"));
        assert!(matches(r"^#$", "#"));
        assert!(
            matches(r"^(?P<a>x)(?P<a>y)$", "xy"),
            "Go allows a repeated group name"
        );
        assert!(matches(r"^\p{Old_Italic}$", "\u{10300}"));
        assert!(
            compile(r"\p{greek}").is_err(),
            "Go's script names are case-sensitive"
        );
    }

    #[test]
    fn go_errors_have_go_text() {
        let table = [
            ("(a", "error parsing regexp: missing closing ): `(a`"),
            ("a)", "error parsing regexp: unexpected ): `a)`"),
            ("x[a", "error parsing regexp: missing closing ]: `[a`"),
            (
                r"\Z",
                "error parsing regexp: invalid escape sequence: `\\Z`",
            ),
            (
                r"\C",
                "error parsing regexp: invalid escape sequence: `\\C`",
            ),
            (
                r"\1",
                "error parsing regexp: invalid escape sequence: `\\1`",
            ),
            (
                r"\8",
                "error parsing regexp: invalid escape sequence: `\\8`",
            ),
            (
                "a\\",
                "error parsing regexp: trailing backslash at end of expression: ``",
            ),
            (
                "*a",
                "error parsing regexp: missing argument to repetition operator: `*`",
            ),
            (
                "a|+",
                "error parsing regexp: missing argument to repetition operator: `+`",
            ),
            (
                "a**",
                "error parsing regexp: invalid nested repetition operator: `**`",
            ),
            (
                "a{2}{3}",
                "error parsing regexp: invalid nested repetition operator: `{2}{3}`",
            ),
            (
                "a{1001}",
                "error parsing regexp: invalid repeat count: `{1001}`",
            ),
            (
                "a{3,2}",
                "error parsing regexp: invalid repeat count: `{3,2}`",
            ),
            (
                "(?x)a",
                "error parsing regexp: invalid or unsupported Perl syntax: `(?x`",
            ),
            (
                "(?i-)a",
                "error parsing regexp: invalid or unsupported Perl syntax: `(?i-)`",
            ),
            (
                "[z-a]",
                "error parsing regexp: invalid character class range: `z-a`",
            ),
            (
                "[[:foo:]]",
                "error parsing regexp: invalid character class range: `[:foo:]`",
            ),
            (
                r"\p{Foo}",
                "error parsing regexp: invalid character class range: `\\p{Foo}`",
            ),
            (
                "(?P<>a)",
                "error parsing regexp: invalid named capture: `(?P<>`",
            ),
            (
                r"[a-\d]",
                "error parsing regexp: invalid escape sequence: `\\d`",
            ),
            (
                r"[\b]",
                "error parsing regexp: invalid escape sequence: `\\b`",
            ),
            (
                r"\e",
                "error parsing regexp: invalid escape sequence: `\\e`",
            ),
            (
                r"\p{Letter}",
                "error parsing regexp: invalid character class range: `\\p{Letter}`",
            ),
            (
                "x{2,1}",
                "error parsing regexp: invalid repeat count: `{2,1}`",
            ),
            (
                "a++",
                "error parsing regexp: invalid nested repetition operator: `++`",
            ),
            (
                "a*?*",
                "error parsing regexp: invalid nested repetition operator: `*?*`",
            ),
        ];
        for (pattern, want) in table {
            match compile(pattern) {
                Ok(_) => panic!("{pattern} compiled; Go rejects it"),
                Err(e) => assert_eq!(e.to_string(), want, "{pattern}"),
            }
        }
    }

    /// Verdicts of Go's regexp as run by the reference `cue` (tools/cue-oracle, `"t" =~ "p"`).
    #[test]
    fn matches_agree_with_the_go_oracle() {
        let table = [
            ("^\\d$", "\u{663}", false),
            ("^\\w$", "\u{e9}", false),
            ("^\\s$", "\u{b}", false),
            ("^\\s$", "\u{a0}", false),
            ("\\bx", "\u{e9}x", true),
            ("\\Bx", "\u{e9}x", false),
            ("^[[:alpha:]]$", "\u{e9}", false),
            ("^[[:space:]]$", "\u{b}", true),
            ("(?i)k", "\u{212a}", true),
            ("(?i)\\W", "k", false),
            ("(?i)[^k]", "\u{212a}", false),
            ("^a{,2}$", "a{,2}", true),
            ("^a{$", "a{", true),
            ("^\\Qa.b\\E$", "a.b", true),
            ("^\\101$", "A", true),
            ("^[[]$", "[", true),
            ("^[a&&b]+$", "&ab", true),
            ("^[\\d-z]+$", "1-z", true),
            ("a$", "a\u{a}", false),
            ("(?m)a$", "a\u{a}", true),
            ("^(?U)a+$", "aaa", true),
            ("^[^a]$", "\u{a}", true),
            ("^.$", "\u{a}", false),
            ("(?s)^.$", "\u{a}", true),
            ("^\\pL$", "\u{e9}", true),
            ("^\\p{Greek}+$", "\u{3bb}\u{3bc}", true),
            ("^\\x{1F600}$", "\u{1f600}", true),
            ("^[\\x{0}-\\x{10FFFF}]$", "a", true),
            ("^\\v$", "\u{b}", true),
            ("^(?i)stra\u{df}e$", "STRASSE", false),
            ("^(?i)\u{1c5}$", "\u{1c6}", true),
            ("^(?:)$", "", true),
            ("^(?)a$", "a", true),
            ("^\\_$", "_", true),
            ("^[\\_]$", "_", true),
            ("^\\$$", "$", true),
            ("x*", "", true),
            ("^a{0}$", "", true),
            ("^(a|ab)(c|bcd)(d*)$", "abcd", true),
            ("^[^\\W\\d]$", "a", true),
            ("^[^\\S]$", " ", true),
            ("^\\S$", "\u{a0}", true),
            ("^[\\s\\S]$", "\u{a0}", true),
        ];
        for (pattern, text, want) in table {
            assert_eq!(matches(pattern, text), want, "{pattern} on {text:?}");
        }
    }

    /// Random patterns over the metacharacters: the translator never panics, and whatever it
    /// accepts the crate compiles (a crate error would be a translation bug).
    #[test]
    fn random_patterns_never_panic_and_translate_cleanly() {
        let alphabet: Vec<char> = r"\[](){}*+?|^$.-:,aZ0d1wsbBpPQEx<>_ é".chars().collect();
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..10_000 {
            let len = (next() % 12) as usize;
            let pattern: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            if let Ok(translated) = translate(&pattern) {
                if let Err(e) = regex::Regex::new(&translated) {
                    panic!("{pattern:?} became {translated:?}, which the crate rejects: {e}");
                }
            }
        }
    }

    #[test]
    fn cache_returns_the_same_compiled_regex() {
        let a = compile("^cache-test-[0-9]+$").expect("valid pattern");
        let b = compile("^cache-test-[0-9]+$").expect("valid pattern");
        assert!(Arc::ptr_eq(&a, &b));
    }
}
