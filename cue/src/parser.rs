//! The parser: tokens to [`ast::File`]. Parsing never fails: it returns a tree plus
//! diagnostics, recovering at the next comma or closing brace after an error, and refuses
//! nesting deeper than [`MAX_NESTING`] instead of overflowing the stack.

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::{lex, lex_range, Punct as P, StringToken, Token, TokenKind};
use crate::source::{FileId, Span};

/// Deeper nesting of structs, lists, parentheses or operators is reported, not parsed.
pub const MAX_NESTING: u32 = 200;

pub fn parse_file(file: FileId, text: &str) -> (File, Vec<Diagnostic>) {
    let mut p = Parser::new(file, text);
    let parsed = p.file();
    (parsed, p.finish())
}

/// Parses only the head of a file: its attributes, `package` clause and `import`
/// declarations (`decls` is empty). For callers that need a file's imports and not the rest,
/// such as a loader deciding which packages to read.
pub fn parse_header(file: FileId, text: &str) -> (File, Vec<Diagnostic>) {
    let mut p = Parser::with_tokens(file, text, crate::lexer::lex_header(file, text));
    let parsed = p.header();
    (parsed, p.finish())
}

/// Parses one expression (used for `-d '#Def.field'` / `-e` arguments on the command line).
pub fn parse_expr(file: FileId, text: &str) -> (Expr, Vec<Diagnostic>) {
    let mut p = Parser::new(file, text);
    let expr = p.expr();
    while matches!(p.peek(), TokenKind::Comma { inserted: true }) {
        p.pos += 1;
    }
    if !matches!(p.peek(), TokenKind::Eof) {
        p.error_here(format!(
            "expected end of expression, found {}",
            p.describe()
        ));
    }
    (expr, p.finish())
}

struct Parser<'t> {
    file: FileId,
    text: &'t str,
    tokens: Vec<Token<'t>>,
    /// The lexer's comment-only lines, by increasing line number.
    comment_lines: Vec<(u32, &'t str)>,
    /// A byte offset of the text and the (1-based) number of its line, from where the lines
    /// of the next offset asked for are counted.
    line_mark: (u32, u32),
    pos: usize,
    depth: u32,
    diagnostics: Vec<Diagnostic>,
}

impl<'t> Parser<'t> {
    fn new(file: FileId, text: &'t str) -> Parser<'t> {
        Parser::with_tokens(file, text, lex(file, text))
    }

    fn with_tokens(file: FileId, text: &'t str, lexed: crate::lexer::Lexed<'t>) -> Parser<'t> {
        Parser {
            file,
            text,
            tokens: lexed.tokens,
            comment_lines: lexed.comment_lines,
            line_mark: (0, 1),
            pos: 0,
            depth: 0,
            diagnostics: lexed.diagnostics,
        }
    }

    fn finish(mut self) -> Vec<Diagnostic> {
        // One diagnostic per position is enough: later ones at the same place are echoes.
        self.diagnostics.dedup_by(|a, b| a.spans == b.spans);
        self.diagnostics
    }

    // ----- Token access -------------------------------------------------------------------

    fn peek(&self) -> &TokenKind<'t> {
        &self.tokens[self.pos.min(self.tokens.len() - 1)].kind
    }

    fn peek_at(&self, n: usize) -> &TokenKind<'t> {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)].kind
    }

    fn span(&self) -> Span {
        self.tokens[self.pos.min(self.tokens.len() - 1)].span
    }

    fn prev_span(&self) -> Span {
        self.tokens[self.pos.saturating_sub(1).min(self.tokens.len() - 1)].span
    }

    /// Steps over the current token (never past the final `Eof`).
    fn bump(&mut self) {
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
    }

    /// The current token, stepped over.
    fn take(&mut self) -> Token<'t> {
        let token = self.tokens[self.pos.min(self.tokens.len() - 1)];
        self.bump();
        token
    }

    fn is_punct(&self, p: P) -> bool {
        matches!(self.peek(), TokenKind::Punct(q) if *q == p)
    }

    fn eat_punct(&mut self, p: P) -> bool {
        if self.is_punct(p) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn is_comma(&self) -> bool {
        matches!(self.peek(), TokenKind::Comma { .. })
    }

    fn is_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), TokenKind::Ident(name) if *name == word)
    }

    fn describe(&self) -> String {
        describe(self.peek())
    }

    fn error_here(&mut self, message: String) {
        let span = self.span();
        self.diagnostics
            .push(Diagnostic::error("SYNTAX", message).with_span(span));
    }

    /// An operand between an opening bracket (the current token) and `close`, one nesting
    /// level deeper; past the nesting limit it is skipped and stands as `_|_`.
    fn bracketed(
        &mut self,
        start: Span,
        close: P,
        body: impl FnOnce(&mut Self) -> ExprKind,
    ) -> Expr {
        self.bump();
        if !self.enter() {
            self.leave();
            self.recover();
            return Expr {
                kind: ExprKind::Bottom,
                span: start,
            };
        }
        let kind = body(self);
        self.leave();
        self.expect_punct(close);
        Expr {
            kind,
            span: start.to(self.prev_span()),
        }
    }

    fn expect_punct(&mut self, p: P) -> bool {
        if self.eat_punct(p) {
            return true;
        }
        let found = self.describe();
        self.error_here(format!("expected '{}', found {found}", p.as_str()));
        false
    }

    /// The 1-based number of the line where `offset` is. Offsets are asked for mostly in
    /// increasing order: the lines are counted from the last one asked for.
    fn line_of(&mut self, offset: u32) -> u32 {
        let bytes = self.text.as_bytes();
        let offset = (offset as usize).min(bytes.len());
        let (from, line) = self.line_mark;
        let from = from as usize;
        let newlines = |range: &[u8]| range.iter().filter(|&&b| b == b'\n').count() as u32;
        let line = if offset >= from {
            line + newlines(&bytes[from..offset])
        } else {
            line - newlines(&bytes[offset..from])
        };
        self.line_mark = (offset as u32, line);
        line
    }

    /// The comment lines directly above the line where `offset` is, if what starts at `offset`
    /// is the first thing on its line (in `#P: {x: int}` the comment above is #P's, not x's).
    fn doc_above(&mut self, offset: u32) -> Option<String> {
        if self.comment_lines.is_empty() {
            return None;
        }
        let bytes = self.text.as_bytes();
        let line_start = bytes[..(offset as usize).min(bytes.len())]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let before = self.text.get(line_start..offset as usize).unwrap_or("");
        if !before.trim().is_empty() {
            return None;
        }
        let line = self.line_of(offset);
        // The comment lines right above: a run of consecutive line numbers ending at `line - 1`.
        let above = line.saturating_sub(1);
        if above == 0 {
            return None;
        }
        let last = self
            .comment_lines
            .binary_search_by_key(&above, |(l, _)| *l)
            .ok()?;
        let mut first = last;
        while first > 0 && self.comment_lines[first - 1].0 + 1 == self.comment_lines[first].0 {
            first -= 1;
        }
        let lines = &self.comment_lines[first..=last];
        let mut doc = String::with_capacity(lines.iter().map(|(_, t)| t.len() + 1).sum());
        for (i, (_, text)) in lines.iter().enumerate() {
            if i > 0 {
                doc.push('\n');
            }
            doc.push_str(text);
        }
        Some(doc)
    }

    /// Skips to the next comma or closing bracket at this level, after an error.
    fn recover(&mut self) {
        let mut depth = 0i32;
        loop {
            match self.peek() {
                TokenKind::Eof => return,
                TokenKind::Comma { .. } if depth == 0 => return,
                TokenKind::Punct(P::LBrace | P::LBrack | P::LParen) => depth += 1,
                TokenKind::Punct(P::RBrace | P::RBrack | P::RParen) => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                _ => {}
            }
            self.bump();
        }
    }

    fn enter(&mut self) -> bool {
        self.depth += 1;
        if self.depth == MAX_NESTING + 1 {
            self.error_here(format!("nesting too deep (more than {MAX_NESTING} levels)"));
        }
        self.depth <= MAX_NESTING
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ----- Files and declarations ---------------------------------------------------------

    fn file(&mut self) -> File {
        let mut file = self.header();
        file.decls = self.decls(true);
        file
    }

    /// The attributes, `package` clause and imports at the top of a file.
    fn header(&mut self) -> File {
        let mut attributes = Vec::new();
        let mut doc = None;
        while let TokenKind::Attribute { .. } = self.peek() {
            attributes.push(self.attribute());
            self.skip_commas();
        }
        let mut package = None;
        if self.is_keyword("package") && matches!(self.peek_at(1), TokenKind::Ident(_)) {
            doc = self.doc_above(self.span().start);
            self.bump();
            if let TokenKind::Ident(name) = *self.peek() {
                let span = self.span();
                self.bump();
                package = Some(Ident {
                    name: name.to_string(),
                    span,
                });
            }
            self.end_decl();
        }
        let mut imports = Vec::new();
        while self.is_keyword("import") {
            self.bump();
            if self.eat_punct(P::LParen) {
                self.skip_commas();
                while !self.is_punct(P::RParen) && !matches!(self.peek(), TokenKind::Eof) {
                    let before = self.pos;
                    if let Some(import) = self.import_spec() {
                        imports.push(import);
                    } else {
                        self.recover();
                    }
                    self.skip_commas();
                    if self.pos == before {
                        // Recovery stopped at a closing bracket: step over it, or loop forever.
                        self.bump();
                    }
                }
                self.expect_punct(P::RParen);
            } else if let Some(import) = self.import_spec() {
                imports.push(import);
            }
            self.end_decl();
        }
        File {
            attributes,
            package,
            imports,
            decls: Vec::new(),
            doc,
        }
    }

    fn skip_commas(&mut self) {
        while self.is_comma() {
            self.bump();
        }
    }

    fn import_spec(&mut self) -> Option<Import> {
        let start = self.span();
        let alias = match *self.peek() {
            TokenKind::Ident(name) => {
                self.bump();
                Some(Ident {
                    name: name.to_string(),
                    span: start,
                })
            }
            _ => None,
        };
        match *self.peek() {
            TokenKind::String(token) => {
                self.bump();
                let path = self.decode_simple(&token)?;
                Some(Import {
                    alias,
                    path,
                    span: start.to(self.prev_span()),
                })
            }
            _ => {
                let found = self.describe();
                self.error_here(format!("expected import path, found {found}"));
                None
            }
        }
    }

    fn end_decl(&mut self) {
        if self.is_comma() {
            self.bump();
        } else if !matches!(self.peek(), TokenKind::Eof | TokenKind::Punct(P::RBrace)) {
            let found = self.describe();
            self.error_here(format!("expected ',' or newline, found {found}"));
            self.recover();
            if self.is_comma() {
                self.bump();
            }
        }
    }

    fn decls(&mut self, top: bool) -> Vec<Decl> {
        let mut decls = Vec::new();
        loop {
            self.skip_commas();
            match self.peek() {
                TokenKind::Eof => break,
                TokenKind::Punct(P::RBrace) if !top => break,
                TokenKind::Punct(P::RBrace) => {
                    self.error_here("unexpected '}'".into());
                    self.bump();
                    continue;
                }
                _ => {}
            }
            let before = self.pos;
            self.decl(&mut decls);
            if matches!(self.peek(), TokenKind::Punct(P::RBrace)) && !top {
                break;
            }
            self.end_decl();
            if self.pos == before {
                self.bump();
            }
        }
        decls
    }

    /// One declaration, pushed onto `decls` (nothing after an error).
    fn decl(&mut self, decls: &mut Vec<Decl>) {
        let start = self.span();
        match *self.peek() {
            TokenKind::Attribute { .. } => {
                decls.push(Decl::Attribute(self.attribute()));
                return;
            }
            TokenKind::Punct(P::Ellipsis) => {
                self.bump();
                let value = if self.starts_expr() {
                    Some(Box::new(self.expr()))
                } else {
                    None
                };
                decls.push(Decl::Ellipsis(Ellipsis {
                    value,
                    span: start.to(self.prev_span()),
                }));
                return;
            }
            TokenKind::Ident(word)
                if word == "let"
                    && matches!(self.peek_at(1), TokenKind::Ident(_))
                    && matches!(self.peek_at(2), TokenKind::Punct(P::Assign)) =>
            {
                decls.push(Decl::Let(self.let_clause()));
                return;
            }
            TokenKind::Ident(word)
                if (word == "for" || word == "if")
                    && !matches!(self.peek_at(1), TokenKind::Punct(P::Colon | P::Question))
                    // `if!: x` is a required field named `if`; `if !x {...}` a comprehension.
                    && !(matches!(self.peek_at(1), TokenKind::Punct(P::Bang))
                        && matches!(self.peek_at(2), TokenKind::Punct(P::Colon)))
                    && !matches!(self.peek_at(1), TokenKind::Comma { .. }) =>
            {
                decls.extend(self.comprehension().map(Decl::Embed));
                return;
            }
            TokenKind::Ident(word) if word == "try" && self.starts_try() => {
                decls.extend(self.comprehension().map(Decl::Embed));
                return;
            }
            _ => {}
        }
        // The field is built in place as a `Decl`: a field is over 300 bytes, and each move of
        // it on the way to the list was a copy.
        if let Some((field, _)) = self.try_field() {
            decls.push(field);
            return;
        }
        if !self.starts_expr() {
            let found = self.describe();
            self.error_here(format!("expected label or expression, found {found}"));
            self.recover();
            return;
        }
        let expr = self.alias_expr();
        decls.push(Decl::Embed(expr));
    }

    fn let_clause(&mut self) -> LetClause {
        let start = self.span();
        self.bump();
        let name = match self.take().kind {
            TokenKind::Ident(name) => Ident {
                name: name.to_string(),
                span: self.prev_span(),
            },
            _ => Ident {
                name: String::new(),
                span: self.prev_span(),
            },
        };
        self.expect_punct(P::Assign);
        let value = self.expr();
        LetClause {
            name,
            value,
            span: start.to(self.prev_span()),
        }
    }

    fn attribute(&mut self) -> Attribute {
        let token = self.take();
        match token.kind {
            TokenKind::Attribute { name, body } => Attribute {
                name: name.to_string(),
                body: body.to_string(),
                span: token.span,
            },
            _ => Attribute {
                name: String::new(),
                body: String::new(),
                span: token.span,
            },
        }
    }

    /// Parses `label: value` (with shorthand `a: b: c`) if a field starts here; otherwise
    /// leaves the position unchanged. The field comes as a [`Decl::Field`], with its span.
    fn try_field(&mut self) -> Option<(Decl, Span)> {
        // A name or a string is a label only when one of `~`, `?`, `!`, `:` or (after a name)
        // the `=` of an alias follows: otherwise `label` would read it and step back, so this
        // answers the same without decoding the string twice.
        if matches!(self.peek(), TokenKind::Ident(_) | TokenKind::String(_))
            && !matches!(
                self.peek_at(1),
                TokenKind::Punct(P::Tilde | P::Question | P::Bang | P::Colon | P::Assign)
            )
        {
            return None;
        }
        let save = self.pos;
        let diagnostics = self.diagnostics.len();
        let Some((label, constraint)) = self.label() else {
            self.pos = save;
            self.diagnostics.truncate(diagnostics);
            return None;
        };
        if !self.is_punct(P::Colon) {
            self.pos = save;
            self.diagnostics.truncate(diagnostics);
            return None;
        }
        self.bump();
        let doc = self.doc_above(label.span.start);
        if !self.enter() {
            self.leave();
            self.recover();
            return None;
        }
        let value = match self.try_field() {
            Some((inner, span)) => Expr {
                kind: ExprKind::Struct(StructLit {
                    decls: vec![inner],
                    shorthand: true,
                }),
                span,
            },
            None => self.alias_expr(),
        };
        self.leave();
        let mut attributes = Vec::new();
        while let TokenKind::Attribute { .. } = self.peek() {
            attributes.push(self.attribute());
        }
        let span = label.span.to(value.span);
        Some((
            Decl::Field(Field {
                label,
                constraint,
                value,
                attributes,
                doc,
                span,
            }),
            span,
        ))
    }

    fn label(&mut self) -> Option<(Label, FieldConstraint)> {
        let start = self.span();
        let mut alias = None;
        if let (TokenKind::Ident(name), TokenKind::Punct(P::Assign)) =
            (self.peek(), self.peek_at(1))
        {
            let name = *name;
            alias = Some(Ident {
                name: name.to_string(),
                span: start,
            });
            self.bump();
            self.bump();
        }
        let kind = match *self.peek() {
            TokenKind::Ident(name) => {
                let span = self.span();
                self.bump();
                LabelKind::Ident(Ident {
                    name: name.to_string(),
                    span,
                })
            }
            TokenKind::String(token) => {
                self.bump();
                let expr = self.string_expr(&token, self.prev_span());
                match expr.kind {
                    ExprKind::String(s) if token.quote == '"' && !token.multiline => {
                        LabelKind::String(s)
                    }
                    ExprKind::Interpolation(_) => LabelKind::Dynamic(expr),
                    _ => return None,
                }
            }
            TokenKind::Punct(P::LParen) => {
                self.bump();
                let expr = self.expr();
                if !self.eat_punct(P::RParen) {
                    return None;
                }
                LabelKind::Dynamic(expr)
            }
            TokenKind::Punct(P::LBrack) => {
                self.bump();
                let mut pattern_alias = None;
                if let (TokenKind::Ident(name), TokenKind::Punct(P::Assign)) =
                    (self.peek(), self.peek_at(1))
                {
                    let name = *name;
                    pattern_alias = Some(Ident {
                        name: name.to_string(),
                        span: self.span(),
                    });
                    self.bump();
                    self.bump();
                }
                let expr = self.expr();
                if !self.eat_punct(P::RBrack) {
                    return None;
                }
                LabelKind::Pattern {
                    alias: pattern_alias,
                    expr,
                }
            }
            _ => return None,
        };
        // A postfix alias (CUE's aliasv2): `label~X` names the field, `label~(K, X)` also the
        // label (`_` for neither); on a pattern, `K` names the label each field matched.
        let mut kind = kind;
        let mut label_alias = None;
        if self.eat_punct(P::Tilde) {
            let name = |this: &mut Self| match *this.peek() {
                TokenKind::Ident(name) => {
                    let span = this.span();
                    this.bump();
                    Some((name != "_").then_some(Ident {
                        name: name.to_string(),
                        span,
                    }))
                }
                _ => None,
            };
            if self.eat_punct(P::LParen) {
                let first = name(self)?;
                let (label, field) = if matches!(self.peek(), TokenKind::Comma { inserted: false })
                {
                    self.bump();
                    (first, name(self)?)
                } else {
                    // `~(X)` is `~X`.
                    (None, first)
                };
                if !self.eat_punct(P::RParen) {
                    return None;
                }
                match &mut kind {
                    LabelKind::Pattern { alias, .. } => *alias = alias.take().or(label),
                    _ => label_alias = label.map(Box::new),
                }
                alias = alias.or(field);
            } else {
                alias = alias.or(name(self)?);
            }
        }
        let constraint = if self.is_punct(P::Question)
            && matches!(self.peek_at(1), TokenKind::Punct(P::Colon))
        {
            self.bump();
            FieldConstraint::Optional
        } else if self.is_punct(P::Bang) && matches!(self.peek_at(1), TokenKind::Punct(P::Colon)) {
            self.bump();
            FieldConstraint::Required
        } else {
            FieldConstraint::Regular
        };
        let span = start.to(self.prev_span());
        Some((
            Label {
                alias,
                label_alias,
                kind,
                span,
            },
            constraint,
        ))
    }

    // ----- Comprehensions -----------------------------------------------------------------

    fn comprehension(&mut self) -> Option<Expr> {
        let start = self.span();
        let mut clauses = Vec::new();
        loop {
            let clause_start = self.span();
            if self.is_keyword("for") {
                self.bump();
                let first = self.ident()?;
                let (key, value) = if matches!(self.peek(), TokenKind::Comma { inserted: false }) {
                    self.bump();
                    let second = self.ident()?;
                    (Some(first), second)
                } else {
                    (None, first)
                };
                if !self.is_keyword("in") {
                    let found = self.describe();
                    self.error_here(format!("expected 'in', found {found}"));
                    self.recover();
                    return None;
                }
                self.bump();
                let source = self.expr();
                clauses.push(Clause::For {
                    key,
                    value,
                    source,
                    span: clause_start.to(self.prev_span()),
                });
            } else if self.is_keyword("if") {
                self.bump();
                let condition = self.expr();
                clauses.push(Clause::If {
                    condition,
                    span: clause_start.to(self.prev_span()),
                });
            } else if self.is_keyword("let") {
                clauses.push(Clause::Let(self.let_clause()));
            } else if self.is_keyword("try") && self.starts_try() {
                self.bump();
                let binding = match (*self.peek(), self.peek_at(1)) {
                    (TokenKind::Ident(_), TokenKind::Punct(P::Assign)) => {
                        let name = self.ident()?;
                        self.bump();
                        Some((name, self.expr()))
                    }
                    _ => None,
                };
                let bare = binding.is_none();
                clauses.push(Clause::Try {
                    binding,
                    span: clause_start.to(self.prev_span()),
                });
                if bare {
                    break;
                }
            } else {
                break;
            }
            // Clauses are separated by an optional comma, and a newline ends a clause as a
            // comma does (`for k, v in b` then `if v > 1` on the next line).
            let next_is_clause = matches!(self.peek_at(1), TokenKind::Ident(word)
                if ["for", "if", "let", "try"].contains(&&word[..]));
            match self.peek() {
                TokenKind::Comma { inserted: false } => self.bump(),
                TokenKind::Comma { inserted: true } if next_is_clause => self.bump(),
                _ => {}
            }
        }
        if !self.is_punct(P::LBrace) {
            let found = self.describe();
            self.error_here(format!(
                "expected '{{' after comprehension clauses, found {found}"
            ));
            self.recover();
            return None;
        }
        let body = self.operand();
        let mut span = start.to(body.span);
        let fallback = if (self.is_keyword("else") || self.is_keyword("fallback"))
            && matches!(self.peek_at(1), TokenKind::Punct(P::LBrace))
        {
            self.bump();
            let fallback = self.operand();
            span = span.to(fallback.span);
            Some(Box::new(fallback))
        } else {
            None
        };
        Some(Expr {
            kind: ExprKind::Comprehension(Comprehension {
                clauses,
                body: Box::new(body),
                fallback,
            }),
            span,
        })
    }

    /// Whether the `try` at hand starts a clause: `try {` or `try name =`.
    fn starts_try(&self) -> bool {
        match self.peek_at(1) {
            TokenKind::Punct(P::LBrace) => true,
            TokenKind::Ident(_) => matches!(self.peek_at(2), TokenKind::Punct(P::Assign)),
            _ => false,
        }
    }

    fn ident(&mut self) -> Option<Ident> {
        match *self.peek() {
            TokenKind::Ident(name) => {
                let span = self.span();
                self.bump();
                Some(Ident {
                    name: name.to_string(),
                    span,
                })
            }
            _ => {
                let found = self.describe();
                self.error_here(format!("expected identifier, found {found}"));
                self.recover();
                None
            }
        }
    }

    // ----- Expressions --------------------------------------------------------------------

    fn starts_expr(&self) -> bool {
        match self.peek() {
            TokenKind::Ident(_)
            | TokenKind::Int(_)
            | TokenKind::Float(_)
            | TokenKind::String(_)
            | TokenKind::Bottom => true,
            TokenKind::Punct(p) => matches!(
                *p,
                P::LParen
                    | P::LBrace
                    | P::LBrack
                    | P::Plus
                    | P::Minus
                    | P::Bang
                    | P::Star
                    | P::NotEq
                    | P::EqEq
                    | P::Less
                    | P::LessEq
                    | P::Greater
                    | P::GreaterEq
                    | P::Match
                    | P::NotMatch
            ),
            _ => false,
        }
    }

    fn alias_expr(&mut self) -> Expr {
        if let (TokenKind::Ident(name), TokenKind::Punct(P::Assign)) =
            (self.peek(), self.peek_at(1))
        {
            let name = *name;
            let span = self.span();
            self.bump();
            self.bump();
            let value = self.expr();
            let full = span.to(value.span);
            return Expr {
                kind: ExprKind::Alias(
                    Ident {
                        name: name.to_string(),
                        span,
                    },
                    Box::new(value),
                ),
                span: full,
            };
        }
        self.expr()
    }

    fn expr(&mut self) -> Expr {
        self.binary(1)
    }

    fn binary_op(&self) -> Option<BinaryOp> {
        let TokenKind::Punct(p) = self.peek() else {
            return None;
        };
        Some(match *p {
            P::Pipe => BinaryOp::Disjunction,
            P::Amp => BinaryOp::Conjunction,
            P::OrOr => BinaryOp::Or,
            P::AndAnd => BinaryOp::And,
            P::EqEq => BinaryOp::Equal,
            P::NotEq => BinaryOp::NotEqual,
            P::Less => BinaryOp::Less,
            P::LessEq => BinaryOp::LessEqual,
            P::Greater => BinaryOp::Greater,
            P::GreaterEq => BinaryOp::GreaterEqual,
            P::Match => BinaryOp::Match,
            P::NotMatch => BinaryOp::NotMatch,
            P::Plus => BinaryOp::Add,
            P::Minus => BinaryOp::Sub,
            P::Star => BinaryOp::Mul,
            P::Slash => BinaryOp::Div,
            _ => return None,
        })
    }

    fn binary(&mut self, min_precedence: u8) -> Expr {
        if !self.enter() {
            self.leave();
            let span = self.span();
            self.recover();
            return Expr {
                kind: ExprKind::Bottom,
                span,
            };
        }
        let mut left = self.unary();
        while let Some(op) = self.binary_op() {
            let precedence = op.precedence();
            if precedence < min_precedence {
                break;
            }
            self.bump();
            let right = self.binary(precedence + 1);
            let span = left.span.to(right.span);
            left = Expr {
                kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
                span,
            };
        }
        self.leave();
        left
    }

    fn unary(&mut self) -> Expr {
        let start = self.span();
        let op = match self.peek() {
            TokenKind::Punct(p) => match *p {
                P::Plus => Some(UnaryOp::Plus),
                P::Minus => Some(UnaryOp::Neg),
                P::Bang => Some(UnaryOp::Not),
                P::Star => Some(UnaryOp::Default),
                P::NotEq => Some(UnaryOp::NotEqual),
                P::EqEq => Some(UnaryOp::Equal),
                P::Less => Some(UnaryOp::Less),
                P::LessEq => Some(UnaryOp::LessEqual),
                P::Greater => Some(UnaryOp::Greater),
                P::GreaterEq => Some(UnaryOp::GreaterEqual),
                P::Match => Some(UnaryOp::Match),
                P::NotMatch => Some(UnaryOp::NotMatch),
                _ => None,
            },
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            if !self.enter() {
                self.leave();
                self.recover();
                return Expr {
                    kind: ExprKind::Bottom,
                    span: start,
                };
            }
            let operand = self.unary();
            self.leave();
            let span = start.to(operand.span);
            return Expr {
                kind: ExprKind::Unary(op, Box::new(operand)),
                span,
            };
        }
        self.primary()
    }

    fn primary(&mut self) -> Expr {
        let mut expr = self.operand();
        loop {
            if self.is_punct(P::Dot) {
                self.bump();
                let name = match *self.peek() {
                    TokenKind::Ident(name) => {
                        let span = self.span();
                        self.bump();
                        Ident {
                            name: name.to_string(),
                            span,
                        }
                    }
                    TokenKind::String(token) => {
                        let span = self.span();
                        self.bump();
                        let name = self.decode_simple(&token).unwrap_or_default();
                        Ident {
                            name: format!("\"{name}\""),
                            span,
                        }
                    }
                    _ => {
                        let found = self.describe();
                        self.error_here(format!("expected selector, found {found}"));
                        return expr;
                    }
                };
                let span = expr.span.to(name.span);
                expr = Expr {
                    kind: ExprKind::Selector(Box::new(expr), name),
                    span,
                };
            } else if self.is_punct(P::LBrack) {
                self.bump();
                if self.eat_punct(P::Colon) {
                    let hi = (!self.is_punct(P::RBrack)).then(|| Box::new(self.expr()));
                    self.expect_punct(P::RBrack);
                    let span = expr.span.to(self.prev_span());
                    expr = Expr {
                        kind: ExprKind::Slice(Box::new(expr), None, hi),
                        span,
                    };
                    continue;
                }
                let index = self.expr();
                if self.eat_punct(P::Colon) {
                    let hi = (!self.is_punct(P::RBrack)).then(|| Box::new(self.expr()));
                    self.expect_punct(P::RBrack);
                    let span = expr.span.to(self.prev_span());
                    expr = Expr {
                        kind: ExprKind::Slice(Box::new(expr), Some(Box::new(index)), hi),
                        span,
                    };
                    continue;
                }
                self.expect_punct(P::RBrack);
                let span = expr.span.to(self.prev_span());
                expr = Expr {
                    kind: ExprKind::Index(Box::new(expr), Box::new(index)),
                    span,
                };
            } else if self.is_punct(P::Question) {
                self.bump();
                let span = expr.span.to(self.prev_span());
                expr = Expr {
                    kind: ExprKind::Optional(Box::new(expr)),
                    span,
                };
            } else if self.is_punct(P::Ellipsis) {
                // `x...` opens `x` (`@experiment(explicitopen)`); a declaration or list
                // element that starts with `...` never reaches here.
                self.bump();
                let span = expr.span.to(self.prev_span());
                expr = Expr {
                    kind: ExprKind::Unary(UnaryOp::Open, Box::new(expr)),
                    span,
                };
            } else if self.is_punct(P::LParen) {
                self.bump();
                let mut args = Vec::new();
                self.skip_commas();
                while !self.is_punct(P::RParen) && !matches!(self.peek(), TokenKind::Eof) {
                    args.push(self.expr());
                    if self.is_comma() {
                        self.skip_commas();
                    } else if !self.is_punct(P::RParen) {
                        let found = self.describe();
                        self.error_here(format!(
                            "expected ',' or ')' in argument list, found {found}"
                        ));
                        self.recover();
                        break;
                    }
                }
                self.expect_punct(P::RParen);
                let span = expr.span.to(self.prev_span());
                expr = Expr {
                    kind: ExprKind::Call(Box::new(expr), args),
                    span,
                };
            } else {
                return expr;
            }
        }
    }

    fn operand(&mut self) -> Expr {
        let start = self.span();
        let token = *self.peek();
        match token {
            TokenKind::Ident(name) => {
                self.bump();
                let kind = match name {
                    "null" => ExprKind::Null,
                    "true" => ExprKind::Bool(true),
                    "false" => ExprKind::Bool(false),
                    "_" => ExprKind::Top,
                    _ => ExprKind::Ident(Ident {
                        name: name.to_string(),
                        span: start,
                    }),
                };
                Expr { kind, span: start }
            }
            TokenKind::Int(text) => {
                self.bump();
                Expr {
                    kind: ExprKind::Int(text.to_string()),
                    span: start,
                }
            }
            TokenKind::Float(text) => {
                self.bump();
                Expr {
                    kind: ExprKind::Float(text.to_string()),
                    span: start,
                }
            }
            TokenKind::Bottom => {
                self.bump();
                Expr {
                    kind: ExprKind::Bottom,
                    span: start,
                }
            }
            TokenKind::String(token) => {
                self.bump();
                self.string_expr(&token, start)
            }
            TokenKind::Punct(P::LParen) => {
                self.bracketed(start, P::RParen, |p| ExprKind::Paren(Box::new(p.expr())))
            }
            TokenKind::Punct(P::LBrace) => self.bracketed(start, P::RBrace, |p| {
                ExprKind::Struct(StructLit {
                    decls: p.decls(false),
                    shorthand: false,
                })
            }),
            TokenKind::Punct(P::LBrack) => {
                self.bracketed(start, P::RBrack, |p| ExprKind::List(p.list()))
            }
            _ => {
                let found = self.describe();
                self.error_here(format!("expected operand, found {found}"));
                if !matches!(
                    token,
                    TokenKind::Eof
                        | TokenKind::Punct(P::RBrace | P::RBrack | P::RParen)
                        | TokenKind::Comma { .. }
                ) {
                    self.bump();
                }
                Expr {
                    kind: ExprKind::Bottom,
                    span: start,
                }
            }
        }
    }

    fn list(&mut self) -> ListLit {
        let mut elements = Vec::new();
        let mut ellipsis = None;
        loop {
            self.skip_commas();
            if self.is_punct(P::RBrack) || matches!(self.peek(), TokenKind::Eof) {
                break;
            }
            if self.is_punct(P::Ellipsis) {
                let start = self.span();
                self.bump();
                let value = (self.starts_expr()).then(|| Box::new(self.expr()));
                ellipsis = Some(Ellipsis {
                    value,
                    span: start.to(self.prev_span()),
                });
                self.skip_commas();
                if !self.is_punct(P::RBrack) {
                    let found = self.describe();
                    self.error_here(format!("expected ']' after '...', found {found}"));
                    self.recover();
                }
                break;
            }
            if self.is_keyword("for")
                || self.is_keyword("if")
                || (self.is_keyword("try") && self.starts_try())
            {
                if let Some(c) = self.comprehension() {
                    elements.push(c);
                }
            } else if self.starts_expr() {
                elements.push(self.alias_expr());
            } else {
                let found = self.describe();
                self.error_here(format!("expected list element, found {found}"));
                self.recover();
                if !self.is_comma() {
                    break;
                }
            }
            if !self.is_comma() && !self.is_punct(P::RBrack) {
                let found = self.describe();
                self.error_here(format!("expected ',' or ']' in list, found {found}"));
                self.recover();
                if !self.is_comma() {
                    break;
                }
            }
        }
        ListLit { elements, ellipsis }
    }

    // ----- Strings ------------------------------------------------------------------------

    /// A string literal that must not interpolate (import paths, quoted selectors).
    fn decode_simple(&mut self, token: &StringToken) -> Option<String> {
        let span = self.prev_span();
        match self.string_expr(token, span).kind {
            ExprKind::String(s) => Some(s),
            _ => {
                self.diagnostics.push(
                    Diagnostic::error("SYNTAX", "interpolation not allowed here").with_span(span),
                );
                None
            }
        }
    }

    fn string_expr(&mut self, token: &StringToken, span: Span) -> Expr {
        let start = token.content_start as usize;
        let end = (token.content_end as usize).max(start);
        let raw = &self.text[start..end];
        let is_bytes = token.quote == '\'';
        let bytes = raw.as_bytes();
        if !token.multiline && !bytes.contains(&b'\\') {
            // No escape and no interpolation: the text as written.
            let kind = if is_bytes {
                ExprKind::Bytes(bytes.to_vec())
            } else {
                ExprKind::String(raw.to_owned())
            };
            return Expr { kind, span };
        }
        let mut parts: Vec<InterpolationPart> = Vec::new();
        let mut current: Vec<u8> = Vec::with_capacity(bytes.len());
        // An escape is a backslash followed by as many `#` as the literal's delimiters have.
        let escape_len = 1 + token.hashes;
        let is_escape = |i: usize| {
            bytes[i] == b'\\'
                && bytes
                    .get(i + 1..i + escape_len)
                    .is_some_and(|hashes| hashes.iter().all(|&b| b == b'#'))
        };
        let mut i = 0;
        while i < bytes.len() {
            if is_escape(i) {
                let j = i + escape_len;
                let Some(&c) = bytes.get(j) else {
                    self.string_error(start + i, "unterminated escape sequence");
                    break;
                };
                match c {
                    b'(' => {
                        // An interpolation: find the matching parenthesis.
                        let expr_start = j + 1;
                        let mut depth = 1;
                        let mut k = expr_start;
                        let mut in_string: Option<u8> = None;
                        while k < bytes.len() {
                            let b = bytes[k];
                            match in_string {
                                Some(q) => {
                                    if b == b'\\' {
                                        k += 1;
                                    } else if b == q {
                                        in_string = None;
                                    }
                                }
                                None => match b {
                                    b'"' | b'\'' => in_string = Some(b),
                                    b'(' => depth += 1,
                                    b')' => {
                                        depth -= 1;
                                        if depth == 0 {
                                            break;
                                        }
                                    }
                                    _ => {}
                                },
                            }
                            k += 1;
                        }
                        if depth != 0 {
                            self.string_error(start + i, "interpolation not terminated");
                            break;
                        }
                        if !current.is_empty() {
                            parts.push(InterpolationPart::Text(
                                String::from_utf8_lossy(&std::mem::take(&mut current)).into_owned(),
                            ));
                        }
                        let expr = self.sub_expr(start + expr_start, start + k);
                        parts.push(InterpolationPart::Expr(expr));
                        i = k + 1;
                    }
                    _ => {
                        i = self.escape(raw, j, start, is_bytes, &mut current);
                    }
                }
                continue;
            }
            current.push(bytes[i]);
            i += 1;
        }
        if is_bytes && parts.is_empty() && !token.multiline {
            // A bytes literal keeps its bytes as written, valid UTF-8 or not (`'\x80'`).
            return Expr {
                kind: ExprKind::Bytes(current),
                span,
            };
        }
        let mut text_parts = Vec::new();
        if token.multiline {
            // Strip the closing line's indentation from every line.
            if !current.is_empty() || parts.is_empty() {
                parts.push(InterpolationPart::Text(
                    String::from_utf8_lossy(&current).into_owned(),
                ));
            }
            parts = self.dedent(parts, span);
        } else if !current.is_empty() || parts.is_empty() {
            text_parts.push(current);
        }
        for t in text_parts {
            parts.push(InterpolationPart::Text(
                String::from_utf8_lossy(&t).into_owned(),
            ));
        }
        let only_text = parts
            .iter()
            .all(|p| matches!(p, InterpolationPart::Text(_)));
        if only_text {
            let text: String = parts
                .into_iter()
                .map(|p| match p {
                    InterpolationPart::Text(t) => t,
                    InterpolationPart::Expr(_) => String::new(),
                })
                .collect();
            let kind = if is_bytes {
                ExprKind::Bytes(text.into_bytes())
            } else {
                ExprKind::String(text)
            };
            return Expr { kind, span };
        }
        Expr {
            kind: ExprKind::Interpolation(Interpolation { is_bytes, parts }),
            span,
        }
    }

    fn string_error(&mut self, offset: usize, message: &str) {
        let span = Span::new(self.file, offset as u32, offset as u32 + 1);
        self.diagnostics
            .push(Diagnostic::error("SYNTAX", message).with_span(span));
    }

    /// Decodes one escape (after the backslash and hashes) at `j`; returns the next index.
    fn escape(
        &mut self,
        raw: &str,
        j: usize,
        base: usize,
        is_bytes: bool,
        out: &mut Vec<u8>,
    ) -> usize {
        let bytes = raw.as_bytes();
        let c = bytes[j];
        let simple = match c {
            b'a' => Some(7u8),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            b'\\' => Some(b'\\'),
            b'\'' => Some(b'\''),
            b'"' => Some(b'"'),
            b'/' => Some(b'/'),
            b'\n' => None,
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            return j + 1;
        }
        let hex = |len: usize| -> Option<u32> {
            raw.get(j + 1..j + 1 + len)
                .and_then(|h| u32::from_str_radix(h, 16).ok())
        };
        match c {
            b'u' | b'U' => {
                let len = if c == b'u' { 4 } else { 8 };
                match hex(len).and_then(char::from_u32) {
                    Some(ch) => {
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                    None => self.string_error(base + j, "invalid unicode escape"),
                }
                j + 1 + len
            }
            b'x' if is_bytes => {
                match hex(2) {
                    Some(v) => out.push(v as u8),
                    None => self.string_error(base + j, "invalid hex escape"),
                }
                j + 3
            }
            b'0'..=b'7' if is_bytes => {
                match raw
                    .get(j..j + 3)
                    .and_then(|o| u32::from_str_radix(o, 8).ok())
                {
                    Some(v) if v < 256 => out.push(v as u8),
                    _ => self.string_error(base + j, "invalid octal escape"),
                }
                j + 3
            }
            _ => {
                self.string_error(base + j, "unknown escape sequence");
                let len = raw[j..].chars().next().map_or(1, char::len_utf8);
                j + len
            }
        }
    }

    fn sub_expr(&mut self, start: usize, end: usize) -> Expr {
        // Parse the interpolated text on its own tokens, with spans in this file.
        let lexed = lex_range(self.file, self.text, start, end);
        let mut sub = Parser::with_tokens(self.file, self.text, lexed);
        sub.line_mark = self.line_mark;
        sub.depth = self.depth + 1;
        let expr = sub.expr();
        while matches!(sub.peek(), TokenKind::Comma { inserted: true }) {
            sub.bump();
        }
        if !matches!(sub.peek(), TokenKind::Eof) {
            let found = sub.describe();
            sub.error_here(format!(
                "expected ')' to end the interpolation, found {found}"
            ));
        }
        self.diagnostics.extend(sub.diagnostics);
        expr
    }

    fn dedent(&mut self, parts: Vec<InterpolationPart>, span: Span) -> Vec<InterpolationPart> {
        // The text after the last newline (only whitespace) is the indentation to remove.
        let last_text = match parts.last() {
            Some(InterpolationPart::Text(t)) => t.clone(),
            _ => String::new(),
        };
        let indent = match last_text.rfind('\n') {
            Some(i) if last_text[i + 1..].trim().is_empty() => last_text[i + 1..].to_string(),
            _ => {
                self.diagnostics.push(
                    Diagnostic::error(
                        "SYNTAX",
                        "closing quote of a multi-line string must be on its own line",
                    )
                    .with_span(span),
                );
                return parts;
            }
        };
        let count = parts.len();
        let mut out = Vec::with_capacity(count);
        for (index, part) in parts.into_iter().enumerate() {
            match part {
                InterpolationPart::Text(t) => {
                    let mut t = t;
                    if index == 0 {
                        // The opening quotes must be followed by a newline.
                        match t.strip_prefix('\n') {
                            Some(rest) => t = rest.to_string(),
                            None => match t.strip_prefix("\r\n") {
                                Some(rest) => t = rest.to_string(),
                                None => {
                                    self.diagnostics.push(
                                        Diagnostic::error(
                                            "SYNTAX",
                                            "multi-line string must start with a newline",
                                        )
                                        .with_span(span),
                                    );
                                }
                            },
                        }
                        t = strip_indent_start(&t, &indent);
                    }
                    let mut lines: Vec<String> = t.split('\n').map(str::to_string).collect();
                    for line in lines.iter_mut().skip(1) {
                        *line = strip_indent_start(line, &indent);
                    }
                    let mut joined = lines.join("\n");
                    if index == count - 1 {
                        // Drop the final newline and the closing line's indentation.
                        if let Some(i) = joined.rfind('\n') {
                            joined.truncate(i);
                        } else {
                            joined.clear();
                        }
                    }
                    out.push(InterpolationPart::Text(joined));
                }
                other => out.push(other),
            }
        }
        out
    }
}

fn strip_indent_start(line: &str, indent: &str) -> String {
    line.strip_prefix(indent)
        .unwrap_or(line.trim_start_matches([' ', '\t']))
        .to_string()
}

fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::Ident(name) => format!("'{name}'"),
        TokenKind::Int(t) | TokenKind::Float(t) => t.to_string(),
        TokenKind::String(_) => "string literal".into(),
        TokenKind::Attribute { name, .. } => format!("attribute @{name}"),
        TokenKind::Bottom => "'_|_'".into(),
        TokenKind::Punct(p) => format!("'{}'", p.as_str()),
        TokenKind::Comma { inserted: true } => "newline".into(),
        TokenKind::Comma { inserted: false } => "','".into(),
        TokenKind::Illegal(t) => format!("'{t}'"),
        TokenKind::Eof => "'EOF'".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> File {
        let (file, diagnostics) = parse_file(FileId(0), text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        file
    }

    #[test]
    fn the_header_is_the_package_clause_and_imports_only() {
        let text = "// Doc.\npackage x\n\nimport \"strings\"\nimport (\n\tc \"example.com/common\"\n\t\"example.com/other:o\"\n)\n\na: strings.ToUpper(\"x\")\n#B: {c: c.#T}\n";
        let (header, diagnostics) = parse_header(FileId(0), text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let whole = parse(text);
        assert!(header.decls.is_empty());
        assert_eq!(whole.decls.len(), 2);
        assert_eq!(header.package, whole.package);
        assert_eq!(header.doc.as_deref(), Some("Doc."));
        let paths: Vec<&str> = header.imports.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(
            paths,
            ["strings", "example.com/common", "example.com/other:o"]
        );
        assert_eq!(header.imports, whole.imports);
        // The head is all that is read: what follows it is not even lexed.
        let text = "package x\n\nimport \"a.example/c\"\n\na: 1\nb: \u{a7} \"unterminated\n";
        let (header, diagnostics) = parse_header(FileId(0), text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(header.imports[0].path, "a.example/c");
        assert!(!parse_file(FileId(0), text).1.is_empty());
        // An import group spread over lines, and a file that is all head.
        let text = "@extern(x)\npackage x\nimport (\n\t\"a.example/c\"\n\n\td \"a.example/d\"\n)\n";
        let (header, diagnostics) = parse_header(FileId(0), text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(header.imports.len(), 2);
        assert_eq!(header.attributes.len(), 1);
    }

    #[test]
    fn fields_shorthand_and_markers() {
        let file = parse("package x\na: b: c?: 1\nd!: int\n\"e-f\": string\n");
        assert_eq!(file.package.as_ref().map(|p| p.name.as_str()), Some("x"));
        assert_eq!(file.decls.len(), 3);
        let Decl::Field(a) = &file.decls[0] else {
            panic!()
        };
        let ExprKind::Struct(s) = &a.value.kind else {
            panic!()
        };
        assert!(s.shorthand);
        let Decl::Field(d) = &file.decls[1] else {
            panic!()
        };
        assert_eq!(d.constraint, FieldConstraint::Required);
    }

    #[test]
    fn a_doc_comment_belongs_to_the_first_field_on_the_next_line_only() {
        let (file, _) = parse_file(FileId(0), "// A point.\n#Point: {x: int, y: int}\n");
        let Decl::Field(point) = &file.decls[0] else {
            panic!("a field")
        };
        assert_eq!(point.doc.as_deref(), Some("A point."));
        let ExprKind::Struct(lit) = &point.value.kind else {
            panic!("a struct")
        };
        for decl in &lit.decls {
            let Decl::Field(f) = decl else {
                panic!("a field")
            };
            assert_eq!(f.doc, None);
        }
    }

    #[test]
    fn doc_comments_attach_to_fields() {
        let file = parse("// The id.\n// Unique.\nid: string\n\n// detached\n\nx: 1\n");
        let Decl::Field(id) = &file.decls[0] else {
            panic!()
        };
        assert_eq!(id.doc.as_deref(), Some("The id.\nUnique."));
        let Decl::Field(x) = &file.decls[1] else {
            panic!()
        };
        assert_eq!(x.doc, None);
    }

    #[test]
    fn every_unary_operator_starts_a_list_element() {
        // `[==1, ...==2]`: where an expression may start (a list element, the type after
        // `...`), each unary operator does.
        let (e, d) = parse_expr(FileId(0), "[==1, !=2, <3, =~\"x\", ...==4]");
        assert!(d.is_empty(), "{d:?}");
        let ExprKind::List(list) = e.kind else {
            panic!("a list")
        };
        assert_eq!(list.elements.len(), 4);
        assert!(matches!(
            list.elements[0].kind,
            ExprKind::Unary(UnaryOp::Equal, _)
        ));
        let rest = list
            .ellipsis
            .and_then(|e| e.value)
            .expect("a type after ...");
        assert!(matches!(rest.kind, ExprKind::Unary(UnaryOp::Equal, _)));
    }

    #[test]
    fn operators_follow_precedence() {
        let (e, d) = parse_expr(FileId(0), "a | b & c + d * e");
        assert!(d.is_empty());
        let ExprKind::Binary(BinaryOp::Disjunction, _, right) = e.kind else {
            panic!()
        };
        let ExprKind::Binary(BinaryOp::Conjunction, _, right) = right.kind else {
            panic!()
        };
        let ExprKind::Binary(BinaryOp::Add, _, right) = right.kind else {
            panic!()
        };
        assert!(matches!(right.kind, ExprKind::Binary(BinaryOp::Mul, ..)));
    }

    #[test]
    fn strings_raw_multiline_and_interpolation() {
        let (e, d) = parse_expr(FileId(0), r##"#"a\n\#(x)"#"##);
        assert!(d.is_empty(), "{d:?}");
        assert!(matches!(e.kind, ExprKind::Interpolation(_)));
        let (e, _) = parse_expr(FileId(0), "\"\"\"\n    a\n      b\n    \"\"\"");
        assert_eq!(e.kind, ExprKind::String("a\n  b".into()));
        let (e, _) = parse_expr(FileId(0), r#""x\(a + "y\(b)")z""#);
        let ExprKind::Interpolation(i) = e.kind else {
            panic!()
        };
        assert_eq!(i.parts.len(), 3);
    }

    #[test]
    fn comprehensions_patterns_and_attributes() {
        let file = parse(
            "a: [for x in y if x > 1 {x}]\n[=~\"^x\"]: int\nif a {b: 1}\nc: int @go(C) @json(\"c,omitempty\")\n#D: {...}\n",
        );
        assert_eq!(file.decls.len(), 5);
        let Decl::Field(c) = &file.decls[3] else {
            panic!()
        };
        assert_eq!(c.attributes.len(), 2);
        assert_eq!(c.attributes[1].body, "\"c,omitempty\"");
    }

    #[test]
    fn errors_are_reported_and_parsing_goes_on() {
        let (file, diagnostics) = parse_file(FileId(0), "a: {\nb: 1 +\n}\nc: 2\n");
        assert!(!diagnostics.is_empty());
        assert!(file.decls.iter().any(|d| matches!(d, Decl::Field(f) if matches!(&f.label.kind, LabelKind::Ident(i) if i.name == "c"))));
    }

    #[test]
    fn numbers_in_all_forms() {
        for (text, float) in [
            ("2.5", true),
            ("1.", true),
            (".5", true),
            ("1e3", true),
            ("1_000", false),
            ("0x1F", false),
            ("1Ki", false),
            ("1.5G", false),
        ] {
            let (e, d) = parse_expr(FileId(0), text);
            assert!(d.is_empty(), "{text}: {d:?}");
            match e.kind {
                ExprKind::Float(_) => assert!(float, "{text}"),
                ExprKind::Int(_) => assert!(!float, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        let file = parse("d: 2.5\n");
        assert_eq!(file.decls.len(), 1);
    }

    #[test]
    fn multibyte_text_anywhere_never_splits_a_character() {
        for text in [
            "a: \"é\\(x)ü\"",
            "a: \"\\(\"ж\" + b)\"",
            "a: 1 @go(ü\"é\")",
            "a: \"bAީ}}",
        ] {
            let _ = parse_file(FileId(0), text);
        }
    }

    #[test]
    fn a_broken_import_group_ends() {
        let (_, diagnostics) = parse_file(FileId(0), "import (\"strings\"\n}\n#A: 1\n");
        assert!(!diagnostics.is_empty());
        assert!(diagnostics.len() < 10, "{diagnostics:?}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let handle = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                for open in ["[", "{", "(", "-"] {
                    let text = format!("a: {}", open.repeat(100_000));
                    let (_, diagnostics) = parse_file(FileId(0), &text);
                    assert!(
                        diagnostics
                            .iter()
                            .any(|d| d.message.contains("nesting too deep")),
                        "{open}"
                    );
                }
            })
            .expect("thread starts");
        handle.join().expect("no stack overflow");
    }
}
