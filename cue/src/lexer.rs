//! The lexer: CUE source text to tokens, with automatic comma insertion and comment lines
//! kept aside for doc comments. Never fails: bad input becomes `Illegal` tokens and
//! diagnostics.

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// A token's kind. Names, numbers and attributes borrow their text from the source: the
/// parser copies what the syntax tree keeps, once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TokenKind<'t> {
    Ident(&'t str),
    Int(&'t str),
    Float(&'t str),
    /// A string or bytes literal; `content` is the byte range between the quotes, still
    /// escaped (the parser decodes it, including interpolations).
    String(StringToken),
    /// `@name(body)`, with the body text between the outer parentheses.
    Attribute {
        name: &'t str,
        body: &'t str,
    },
    /// `_|_`
    Bottom,
    Punct(Punct),
    /// A comma, written or inserted at the end of a line.
    Comma {
        inserted: bool,
    },
    Illegal(&'t str),
    Eof,
}

/// An operator or delimiter (the comma is [`TokenKind::Comma`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Punct {
    /// `...`
    Ellipsis,
    /// `&&`
    AndAnd,
    /// `||`
    OrOr,
    /// `==`
    EqEq,
    /// `!=`
    NotEq,
    /// `<=`
    LessEq,
    /// `>=`
    GreaterEq,
    /// `=~`
    Match,
    /// `!~`
    NotMatch,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `[`
    LBrack,
    /// `]`
    RBrack,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `:`
    Colon,
    /// `.`
    Dot,
    /// `?`
    Question,
    /// `!`
    Bang,
    /// `=`
    Assign,
    /// `&`
    Amp,
    /// `|`
    Pipe,
    /// `<`
    Less,
    /// `>`
    Greater,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `~`
    Tilde,
    /// `*`
    Star,
    /// `/`
    Slash,
}

impl Punct {
    /// The punctuation as written.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Punct::Ellipsis => "...",
            Punct::AndAnd => "&&",
            Punct::OrOr => "||",
            Punct::EqEq => "==",
            Punct::NotEq => "!=",
            Punct::LessEq => "<=",
            Punct::GreaterEq => ">=",
            Punct::Match => "=~",
            Punct::NotMatch => "!~",
            Punct::LBrace => "{",
            Punct::RBrace => "}",
            Punct::LBrack => "[",
            Punct::RBrack => "]",
            Punct::LParen => "(",
            Punct::RParen => ")",
            Punct::Colon => ":",
            Punct::Dot => ".",
            Punct::Question => "?",
            Punct::Bang => "!",
            Punct::Assign => "=",
            Punct::Amp => "&",
            Punct::Pipe => "|",
            Punct::Less => "<",
            Punct::Greater => ">",
            Punct::Plus => "+",
            Punct::Minus => "-",
            Punct::Tilde => "~",
            Punct::Star => "*",
            Punct::Slash => "/",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StringToken {
    /// `"` for strings, `'` for bytes.
    pub quote: char,
    pub multiline: bool,
    /// The number of `#` around a raw string.
    pub hashes: usize,
    pub content_start: u32,
    pub content_end: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Token<'t> {
    pub kind: TokenKind<'t>,
    pub span: Span,
}

/// The tokens of a file, plus its comment-only lines (line number and text without `//`, in
/// the order of their lines).
pub(crate) struct Lexed<'t> {
    pub tokens: Vec<Token<'t>>,
    pub comment_lines: Vec<(u32, &'t str)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The punctuation (or the comma, as `None`) at the start of `rest`, with its length: the
/// longest of CUE's operators that matches.
fn punct(rest: &[u8]) -> Option<(Option<Punct>, usize)> {
    let second = rest.get(1).copied();
    let (kind, len) = match rest.first()? {
        b'.' if second == Some(b'.') && rest.get(2) == Some(&b'.') => (Punct::Ellipsis, 3),
        b'.' => (Punct::Dot, 1),
        b'&' if second == Some(b'&') => (Punct::AndAnd, 2),
        b'&' => (Punct::Amp, 1),
        b'|' if second == Some(b'|') => (Punct::OrOr, 2),
        b'|' => (Punct::Pipe, 1),
        b'=' if second == Some(b'=') => (Punct::EqEq, 2),
        b'=' if second == Some(b'~') => (Punct::Match, 2),
        b'=' => (Punct::Assign, 1),
        b'!' if second == Some(b'=') => (Punct::NotEq, 2),
        b'!' if second == Some(b'~') => (Punct::NotMatch, 2),
        b'!' => (Punct::Bang, 1),
        b'<' if second == Some(b'=') => (Punct::LessEq, 2),
        b'<' => (Punct::Less, 1),
        b'>' if second == Some(b'=') => (Punct::GreaterEq, 2),
        b'>' => (Punct::Greater, 1),
        b'{' => (Punct::LBrace, 1),
        b'}' => (Punct::RBrace, 1),
        b'[' => (Punct::LBrack, 1),
        b']' => (Punct::RBrack, 1),
        b'(' => (Punct::LParen, 1),
        b')' => (Punct::RParen, 1),
        b':' => (Punct::Colon, 1),
        b',' => return Some((None, 1)),
        b'?' => (Punct::Question, 1),
        b'+' => (Punct::Plus, 1),
        b'-' => (Punct::Minus, 1),
        b'~' => (Punct::Tilde, 1),
        b'*' => (Punct::Star, 1),
        b'/' => (Punct::Slash, 1),
        _ => return None,
    };
    Some((Some(kind), len))
}

/// The length in bytes of the character whose first byte is `lead`.
fn char_len(lead: u8) -> usize {
    match lead {
        0..=0x7f => 1,
        0xf0.. => 4,
        0xe0.. => 3,
        _ => 2,
    }
}

pub(crate) fn lex(file: FileId, text: &str) -> Lexed<'_> {
    lex_range(file, text, 0, text.len())
}

/// The `//` comments of a file, in order: each span runs from its `//` to the end of the line,
/// trailing blanks left out. A `//` inside a string literal or an attribute is not a comment.
pub fn comments(file: FileId, text: &str) -> Vec<Span> {
    let lexed = lex(file, text);
    let mut token_spans: Vec<(u32, u32)> = lexed
        .tokens
        .iter()
        .map(|token| (token.span.start, token.span.end))
        .collect();
    token_spans.sort_unstable();
    let inside_token = |offset: u32| {
        let index = token_spans.partition_point(|(start, _)| *start <= offset);
        index > 0 && token_spans[index - 1].1 > offset
    };
    let mut found = Vec::new();
    let mut line_start = 0usize;
    for line in text.split('\n') {
        let mut from = 0;
        while let Some(at) = line[from..].find("//") {
            let column = from + at;
            if !inside_token((line_start + column) as u32) {
                let end = line_start + line.trim_end().len();
                found.push(Span::new(file, (line_start + column) as u32, end as u32));
                break;
            }
            from = column + 2;
        }
        line_start += line.len() + 1;
    }
    found
}

/// Lexes `text[start..end]` with spans relative to the whole `text` (for interpolations).
pub(crate) fn lex_range(file: FileId, text: &str, start: usize, end: usize) -> Lexed<'_> {
    lex_until(file, text, start, end, None)
}

/// Lexes the head of a file only: attributes, the `package` clause and `import`
/// declarations, up to and including the first token of the first other declaration (then
/// `Eof`). What `parser::parse_header` needs, without lexing the rest of the file.
pub(crate) fn lex_header(file: FileId, text: &str) -> Lexed<'_> {
    lex_until(file, text, 0, text.len(), Some(HeaderScan::default()))
}

fn lex_until(
    file: FileId,
    text: &str,
    start: usize,
    end: usize,
    header: Option<HeaderScan>,
) -> Lexed<'_> {
    let text = &text[..end];
    // About one token per five bytes of CUE as people write it: one allocation, mostly. Capped,
    // so that a big file of long strings or comments does not reserve many times its size.
    let capacity = if header.is_some() {
        16
    } else {
        (end.saturating_sub(start) / 5 + 2).min(1 << 16)
    };
    let mut lexer = Lexer {
        file,
        text,
        bytes: text.as_bytes(),
        pos: start,
        line: 1,
        tokens: Vec::with_capacity(capacity),
        comment_lines: Vec::new(),
        diagnostics: Vec::new(),
        header,
    };
    lexer.run();
    Lexed {
        tokens: lexer.tokens,
        comment_lines: lexer.comment_lines,
        diagnostics: lexer.diagnostics,
    }
}

struct Lexer<'t> {
    file: FileId,
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    line: u32,
    tokens: Vec<Token<'t>>,
    comment_lines: Vec<(u32, &'t str)>,
    diagnostics: Vec<Diagnostic>,
    /// When lexing a file's head only: where the scan for its end is.
    header: Option<HeaderScan>,
}

/// The scan for the end of a file's head (see [`lex_header`]).
#[derive(Default)]
struct HeaderScan {
    /// Tokens already looked at.
    seen: usize,
    /// Open parentheses (an import group).
    depth: i32,
}

impl<'t> Lexer<'t> {
    /// Whether the last token starts a declaration that is neither `package`, `import` nor
    /// an attribute, outside parentheses: the head of the file is over.
    fn past_header(&mut self) -> bool {
        let Some(scan) = &mut self.header else {
            return false;
        };
        while scan.seen < self.tokens.len() {
            let index = scan.seen;
            scan.seen += 1;
            match &self.tokens[index].kind {
                TokenKind::Punct(Punct::LParen) => scan.depth += 1,
                TokenKind::Punct(Punct::RParen) => scan.depth -= 1,
                TokenKind::Comma { .. } | TokenKind::Attribute { .. } => {}
                TokenKind::Ident(word) if *word == "package" || *word == "import" => {}
                _ => {
                    let starts_declaration = index == 0
                        || matches!(self.tokens[index - 1].kind, TokenKind::Comma { .. });
                    if scan.depth == 0 && starts_declaration {
                        return true;
                    }
                }
            }
        }
        false
    }

    fn span(&self, start: usize) -> Span {
        Span::new(self.file, start as u32, self.pos as u32)
    }

    fn push(&mut self, kind: TokenKind<'t>, start: usize) {
        let span = self.span(start);
        self.tokens.push(Token { kind, span });
    }

    fn error(&mut self, start: usize, message: impl Into<String>) {
        let span = Span::new(self.file, start as u32, (start as u32).max(self.pos as u32));
        self.diagnostics
            .push(Diagnostic::error("SYNTAX", message).with_span(span));
    }

    fn wants_comma(&self) -> bool {
        match self.tokens.last().map(|t| &t.kind) {
            Some(
                TokenKind::Ident(_)
                | TokenKind::Int(_)
                | TokenKind::Float(_)
                | TokenKind::String(_)
                | TokenKind::Bottom
                | TokenKind::Attribute { .. },
            ) => true,
            Some(TokenKind::Punct(p)) => matches!(
                p,
                Punct::RParen
                    | Punct::RBrack
                    | Punct::RBrace
                    | Punct::Question
                    | Punct::Ellipsis
                    | Punct::Bang
            ),
            _ => false,
        }
    }

    fn newline(&mut self) {
        if self.wants_comma() {
            let at = self.pos;
            self.tokens.push(Token {
                kind: TokenKind::Comma { inserted: true },
                span: Span::new(self.file, at as u32, at as u32),
            });
        }
        self.line += 1;
    }

    fn line_is_blank_before(&self, pos: usize) -> bool {
        let line_start = self.text[..pos].rfind('\n').map_or(0, |i| i + 1);
        self.text[line_start..pos].trim().is_empty()
    }

    /// The character at `pos`, which must be before the end of the text.
    fn char_at(&self, pos: usize) -> char {
        self.text[pos..].chars().next().unwrap_or('?')
    }

    /// One illegal character at the current position, stepped over.
    fn illegal_char(&mut self, start: usize) {
        let ch = self.char_at(self.pos);
        self.pos += ch.len_utf8();
        self.error(start, format!("illegal character {ch:?}"));
        let text = &self.text[start..self.pos];
        self.push(TokenKind::Illegal(text), start);
    }

    fn run(&mut self) {
        while self.pos < self.bytes.len() && !self.past_header() {
            let start = self.pos;
            let c = self.bytes[self.pos];
            match c {
                b'\n' => {
                    self.pos += 1;
                    self.newline();
                }
                b' ' | b'\t' | b'\r' => {
                    // Indentation and alignment come in runs.
                    self.pos += 1;
                    while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\r')) {
                        self.pos += 1;
                    }
                }
                b'/' if self.bytes.get(self.pos + 1) == Some(&b'/') => {
                    let end = self.bytes[self.pos..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(self.bytes.len(), |i| self.pos + i);
                    if self.line_is_blank_before(start) {
                        let body = &self.text[start + 2..end];
                        let body = body.strip_prefix(' ').unwrap_or(body);
                        self.comment_lines.push((self.line, body));
                    }
                    self.pos = end;
                }
                b'"' | b'\'' => self.string(start, 0),
                b'#' if matches!(self.bytes.get(self.pos + 1), Some(b'"' | b'\'' | b'#')) => {
                    let mut hashes = 0;
                    while self.bytes.get(self.pos) == Some(&b'#') {
                        hashes += 1;
                        self.pos += 1;
                    }
                    if matches!(self.bytes.get(self.pos), Some(b'"' | b'\'')) {
                        self.string(start, hashes);
                    } else {
                        self.error(start, "expected a string after '#'");
                        self.push(TokenKind::Illegal("#"), start);
                    }
                }
                b'@' => self.attribute(start),
                b'0'..=b'9' => self.number(start),
                b'.' if matches!(self.bytes.get(self.pos + 1), Some(b'0'..=b'9')) => {
                    self.number(start)
                }
                b'_' if self.bytes[self.pos..].starts_with(b"_|_") => {
                    self.pos += 3;
                    self.push(TokenKind::Bottom, start);
                }
                b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'$' | b'#' => self.identifier(start),
                0x80.. if self.char_at(self.pos).is_alphabetic() => self.identifier(start),
                _ => match punct(&self.bytes[self.pos..]) {
                    Some((kind, len)) => {
                        self.pos += len;
                        match kind {
                            Some(p) => self.push(TokenKind::Punct(p), start),
                            None => self.push(TokenKind::Comma { inserted: false }, start),
                        }
                    }
                    None => self.illegal_char(start),
                },
            }
        }
        if self.wants_comma() {
            let at = self.pos;
            self.tokens.push(Token {
                kind: TokenKind::Comma { inserted: true },
                span: Span::new(self.file, at as u32, at as u32),
            });
        }
        let end = self.bytes.len();
        self.tokens.push(Token {
            kind: TokenKind::Eof,
            span: Span::new(self.file, end as u32, end as u32),
        });
    }

    fn identifier(&mut self, start: usize) {
        // `#` and `_#` may start an identifier; then letters, digits, `_` and `$`.
        if self.bytes[self.pos] == b'_' && self.bytes.get(self.pos + 1) == Some(&b'#') {
            self.pos += 2;
        } else if self.bytes[self.pos] == b'#' {
            self.pos += 1;
        }
        while let Some(&b) = self.bytes.get(self.pos) {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' {
                self.pos += 1;
            } else if b >= 0x80 && self.char_at(self.pos).is_alphanumeric() {
                self.pos += char_len(b);
            } else {
                break;
            }
        }
        let name = &self.text[start..self.pos];
        self.push(TokenKind::Ident(name), start);
    }
    fn number(&mut self, start: usize) {
        let bytes = self.bytes;
        let mut is_float = false;
        if bytes[self.pos] == b'0'
            && matches!(
                bytes.get(self.pos + 1),
                Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
            )
        {
            self.pos += 2;
            while matches!(bytes.get(self.pos), Some(c) if c.is_ascii_hexdigit() || *c == b'_') {
                self.pos += 1;
            }
        } else {
            while matches!(bytes.get(self.pos), Some(b'0'..=b'9' | b'_')) {
                self.pos += 1;
            }
            // `1.5` and `1.` are floats; `1..` (an ellipsis) and `1.x` are not.
            if bytes.get(self.pos) == Some(&b'.')
                && bytes.get(self.pos + 1) != Some(&b'.')
                && !matches!(bytes.get(self.pos + 1), Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c >= 0x80)
            {
                is_float = true;
                self.pos += 1;
                while matches!(bytes.get(self.pos), Some(b'0'..=b'9' | b'_')) {
                    self.pos += 1;
                }
            }
            if matches!(bytes.get(self.pos), Some(b'e' | b'E')) {
                let save = self.pos;
                self.pos += 1;
                if matches!(bytes.get(self.pos), Some(b'+' | b'-')) {
                    self.pos += 1;
                }
                if matches!(bytes.get(self.pos), Some(b'0'..=b'9')) {
                    is_float = true;
                    while matches!(bytes.get(self.pos), Some(b'0'..=b'9' | b'_')) {
                        self.pos += 1;
                    }
                } else {
                    self.pos = save;
                }
            }
            // Multipliers: K M G T P, optionally followed by i.
            if matches!(bytes.get(self.pos), Some(b'K' | b'M' | b'G' | b'T' | b'P')) {
                // A multiplier makes an integer literal, even with a fraction: 1.5G.
                is_float = false;
                self.pos += 1;
                if bytes.get(self.pos) == Some(&b'i') {
                    self.pos += 1;
                }
            }
        }
        if matches!(bytes.get(self.pos), Some(c) if is_ident_byte(*c)) {
            while matches!(bytes.get(self.pos), Some(c) if is_ident_byte(*c)) {
                self.pos += 1;
            }
            let text = &self.text[start..self.pos];
            self.error(start, format!("invalid number literal {text}"));
            self.push(TokenKind::Illegal(text), start);
            return;
        }
        if self.pos == start {
            // Never stall: whatever this is, it is one illegal character.
            self.illegal_char(start);
            return;
        }
        let text = &self.text[start..self.pos];
        self.push(
            if is_float {
                TokenKind::Float(text)
            } else {
                TokenKind::Int(text)
            },
            start,
        );
    }

    /// Whether `quote` repeated `count` times, then `hashes` times `#`, starts at `pos`.
    fn delimiter_at(&self, pos: usize, quote: u8, count: usize, hashes: usize) -> bool {
        let Some(rest) = self.bytes.get(pos..pos + count + hashes) else {
            return false;
        };
        rest[..count].iter().all(|&b| b == quote) && rest[count..].iter().all(|&b| b == b'#')
    }

    fn string(&mut self, start: usize, hashes: usize) {
        let quote = self.bytes[self.pos];
        let multiline = self.delimiter_at(self.pos, quote, 3, 0);
        let open_len = if multiline { 3 } else { 1 };
        self.pos += open_len;
        let content_start = self.pos;
        let token = |content_end: usize| {
            TokenKind::String(StringToken {
                quote: quote as char,
                multiline,
                hashes,
                content_start: content_start as u32,
                content_end: content_end as u32,
            })
        };
        // The closing delimiter is the opening quote(s) then the hashes; an escape is `\`
        // then the hashes.
        let closing_len = open_len + hashes;
        let escape_len = 1 + hashes;
        let mut depth = 0usize;
        loop {
            let Some(&b) = self.bytes.get(self.pos) else {
                self.error(start, "string literal not terminated");
                let content_end = self.pos;
                self.push(token(content_end), start);
                return;
            };
            if depth == 0 {
                if b == quote && self.delimiter_at(self.pos, quote, open_len, hashes) {
                    let content_end = self.pos;
                    self.pos += closing_len;
                    self.push(token(content_end), start);
                    return;
                }
                if b == b'\n' {
                    if !multiline {
                        self.error(start, "string literal not terminated");
                        let content_end = self.pos;
                        self.push(token(content_end), start);
                        return;
                    }
                    self.line += 1;
                    self.pos += 1;
                    continue;
                }
                if b == b'\\' && self.delimiter_at(self.pos + 1, b'#', 0, hashes) {
                    let after = self.pos + escape_len;
                    match self.bytes.get(after) {
                        Some(b'(') => {
                            depth = 1;
                            self.pos = after + 1;
                        }
                        Some(&next) => self.pos = after + char_len(next),
                        None => self.pos = after,
                    }
                    continue;
                }
                self.pos += char_len(b);
                continue;
            }
            // Inside an interpolation: balance parentheses and skip nested strings.
            match b {
                b'(' => depth += 1,
                b')' => depth -= 1,
                b'"' | b'\'' => {
                    let save = self.tokens.len();
                    let nested = self.pos;
                    self.string(nested, 0);
                    self.tokens.truncate(save);
                    continue;
                }
                b'\n' => self.line += 1,
                _ => {}
            }
            self.pos += char_len(b);
        }
    }

    fn attribute(&mut self, start: usize) {
        self.pos += 1;
        let name_start = self.pos;
        while matches!(self.bytes.get(self.pos), Some(c) if is_ident_byte(*c) || *c == b'$' || *c == b'#')
        {
            self.pos += 1;
        }
        let name = &self.text[name_start..self.pos];
        if self.bytes.get(self.pos) != Some(&b'(') || name.is_empty() {
            self.error(start, "invalid attribute: expected '@name('");
            self.push(TokenKind::Illegal("@"), start);
            return;
        }
        self.pos += 1;
        let body_start = self.pos;
        let mut depth = 1;
        while self.pos < self.bytes.len() {
            match self.bytes[self.pos] {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                b'"' | b'\'' => {
                    let save = self.tokens.len();
                    self.string(self.pos, 0);
                    self.tokens.truncate(save);
                    continue;
                }
                b'\n' => self.line += 1,
                _ => {}
            }
            self.pos += char_len(self.bytes[self.pos]);
        }
        if self.pos >= self.bytes.len() {
            self.error(start, "attribute not terminated: expected ')'");
            let body = &self.text[body_start..];
            self.push(TokenKind::Attribute { name, body }, start);
            return;
        }
        let body = &self.text[body_start..self.pos];
        self.pos += 1;
        self.push(TokenKind::Attribute { name, body }, start);
    }
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

#[cfg(test)]
mod comment_tests {
    use super::*;

    fn comment_texts(text: &str) -> Vec<&str> {
        comments(FileId(0), text)
            .iter()
            .map(|span| &text[span.start as usize..span.end as usize])
            .collect()
    }

    #[test]
    fn comments_skip_slashes_inside_strings_and_attributes() {
        let text = "a: \"http://x\" // one  \n// two\nb: 1 @go(//no)\nc: #\"//\"# // three\n";
        assert_eq!(comment_texts(text), ["// one", "// two", "// three"]);
    }

    #[test]
    fn a_multiline_string_hides_its_slashes() {
        let text = "a: \"\"\"\n  // not a comment\n  \"\"\"\n// four";
        assert_eq!(comment_texts(text), ["// four"]);
    }
}
