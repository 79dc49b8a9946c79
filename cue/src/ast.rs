//! The syntax tree of a CUE file, as the parser produces it and the compiler consumes it.
//!
//! Every node carries a [`Span`] (byte offsets into its file's text). The tree is lossless
//! enough to point at anything a user wrote, but not a concrete syntax tree: commas,
//! parentheses and whitespace are not kept (comments are, as doc comments on fields).

use crate::source::Span;

/// A whole parsed file: `package`, `import`s, then declarations.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// Attributes that stand before the package clause (`@extern(embed)`).
    pub attributes: Vec<Attribute>,
    /// The name after `package`, if the file has a package clause.
    pub package: Option<Ident>,
    pub imports: Vec<Import>,
    pub decls: Vec<Decl>,
    /// The doc comment directly above the package clause, if any.
    pub doc: Option<String>,
}

/// One import spec: `import "strings"` or `import s "strings"`, or one line of an import group.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// The local name given before the path (`s` in `import s "strings"`).
    pub alias: Option<Ident>,
    /// The import path as written, without quotes: `strings`, `schemas.example.com/common`,
    /// `example.com/foo:pkgname`.
    pub path: String,
    pub span: Span,
}

/// A name as written in the source. Definitions keep their `#`, hidden fields their `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A declaration inside a struct (or at file level).
#[derive(Debug, Clone, PartialEq)]
pub enum Decl {
    Field(Field),
    /// An expression embedded in a struct: `{ #Base, a: 1 }` or a comprehension.
    Embed(Expr),
    /// `let x = expr`
    Let(LetClause),
    /// `...` or `...T` inside a struct (opens it).
    Ellipsis(Ellipsis),
    /// An attribute standing alone as a declaration: `@protobuf(...)`.
    Attribute(Attribute),
}

/// `label: value @attr()`, after shorthand expansion (`a: b: 1` becomes `a: {b: 1}` with the
/// inner struct marked [`StructLit::shorthand`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub label: Label,
    /// Whether the label was followed by `?` (optional) or `!` (required).
    pub constraint: FieldConstraint,
    pub value: Expr,
    pub attributes: Vec<Attribute>,
    /// The doc comment(s) directly above the field, joined by newlines, without `//`.
    pub doc: Option<String>,
    /// The span of the whole field, from its label to the end of its value.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldConstraint {
    /// `a: T`
    Regular,
    /// `a?: T`
    Optional,
    /// `a!: T`
    Required,
}

/// The left-hand side of a field.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// `X=` before the label, or `~X` (`~(K, X)`) after it: an alias that names the field's
    /// value.
    pub alias: Option<Ident>,
    /// `K` in a postfix alias `~(K, X)`: names the field's label, as a string.
    pub label_alias: Option<Box<Ident>>,
    pub kind: LabelKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LabelKind {
    /// `name`, `#Def`, `_hidden`.
    Ident(Ident),
    /// `"quoted-name"` (a simple string, no interpolation).
    String(String),
    /// `"x-\(y)"` or `(expr)`: a label computed at evaluation time.
    Dynamic(Expr),
    /// `[expr]` or `[X=expr]`: a pattern constraint applying to every matching label.
    Pattern { alias: Option<Ident>, expr: Expr },
}

/// `...` or `...T`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ellipsis {
    pub value: Option<Box<Expr>>,
    pub span: Span,
}

/// `@name(body)`: kept verbatim; `body` is the text between the parentheses.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub body: String,
    pub span: Span,
}

/// `let name = expr`
#[derive(Debug, Clone, PartialEq)]
pub struct LetClause {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `_|_`
    Bottom,
    /// `_`
    Top,
    Null,
    Bool(bool),
    /// An integer literal as written (`1_000`, `0x1F`, `1Ki`): the parser checks the syntax, the
    /// compiler computes the value, so a literal out of range gets a positioned error.
    Int(String),
    /// A float literal as written (`1.5`, `1e3`, `.5`, `1.5G`).
    Float(String),
    /// A string literal after unescaping (single-line, multi-line or raw).
    String(String),
    /// A bytes literal (`'...'`) after unescaping.
    Bytes(Vec<u8>),
    /// A string or bytes literal with `\(expr)` parts.
    Interpolation(Interpolation),
    /// A name: a field, let, alias, import, or predeclared identifier (`int`, `string`, `len`...).
    Ident(Ident),
    /// `x.name` (also `x."quoted"`).
    Selector(Box<Expr>, Ident),
    /// `x[i]`
    Index(Box<Expr>, Box<Expr>),
    /// `x[lo:hi]`
    Slice(Box<Expr>, Option<Box<Expr>>, Option<Box<Expr>>),
    /// `x?`: a reference that a `try` clause tests for being defined (`@experiment(try)`).
    Optional(Box<Expr>),
    /// `f(a, b)`
    Call(Box<Expr>, Vec<Expr>),
    /// A unary operator applied to an operand, including the bound constraints
    /// (`>=0`, `=~"re"`, `!=null`) and the default marker `*x`.
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `(expr)`: kept so that positions and printing can follow the source.
    Paren(Box<Expr>),
    Struct(StructLit),
    List(ListLit),
    /// A comprehension: clauses followed by a struct literal. Appears as an embedding in a
    /// struct (`if x { a: 1 }`) or as an element of a list (`[for x in y { x }]`).
    Comprehension(Comprehension),
    /// `X=expr` in a position where an alias is allowed but is not a label (list elements,
    /// embeddings). The evaluator reports it as unsupported where CUE does not allow it.
    Alias(Ident, Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Interpolation {
    /// Whether this is a bytes (`'...'`) interpolation rather than a string.
    pub is_bytes: bool,
    pub parts: Vec<InterpolationPart>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InterpolationPart {
    /// Literal text after unescaping.
    Text(String),
    /// `\(expr)`
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StructLit {
    pub decls: Vec<Decl>,
    /// True when this struct was created by the shorthand `a: b: 1`, not written in braces.
    pub shorthand: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListLit {
    /// The elements before any trailing ellipsis; comprehensions are elements too.
    pub elements: Vec<Expr>,
    /// `...` or `...T` as the last element: the list is open.
    pub ellipsis: Option<Ellipsis>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comprehension {
    pub clauses: Vec<Clause>,
    /// The struct the comprehension yields for each iteration.
    pub body: Box<Expr>,
    /// `else { ... }` or `fallback { ... }`: what the comprehension yields when its clauses
    /// yield nothing (`@experiment(try)`).
    pub fallback: Option<Box<Expr>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Clause {
    /// `for key, value in source` (key optional).
    For {
        key: Option<Ident>,
        value: Ident,
        source: Expr,
        span: Span,
    },
    /// `if condition`
    If { condition: Expr, span: Span },
    /// `let name = value`
    Let(LetClause),
    /// `try` (right before the body: the body's `x?` references must all be defined) or
    /// `try name = value` (`value`'s `x?` references must be; `name` is bound to it).
    Try {
        binding: Option<(Ident, Expr)>,
        span: Span,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `+x`
    Plus,
    /// `-x`
    Neg,
    /// `!x`
    Not,
    /// `*x`: marks a default in a disjunction.
    Default,
    /// `!=x`
    NotEqual,
    /// `==x`
    Equal,
    /// `<x`
    Less,
    /// `<=x`
    LessEqual,
    /// `>x`
    Greater,
    /// `>=x`
    GreaterEqual,
    /// `=~x`
    Match,
    /// `!~x`
    NotMatch,
    /// `x...`, written after its operand: opens the closed struct `x`, recursively
    /// (`@experiment(explicitopen)`).
    Open,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `|` (precedence 1)
    Disjunction,
    /// `&` (precedence 2)
    Conjunction,
    /// `||` (precedence 3)
    Or,
    /// `&&` (precedence 4)
    And,
    /// `==` (precedence 5, as all comparisons)
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Match,
    NotMatch,
    /// `+` (precedence 6)
    Add,
    Sub,
    /// `*` (precedence 7)
    Mul,
    /// `/`
    Div,
}

impl UnaryOp {
    /// The operator as written in CUE.
    pub fn as_str(self) -> &'static str {
        match self {
            UnaryOp::Plus => "+",
            UnaryOp::Neg => "-",
            UnaryOp::Not => "!",
            UnaryOp::Default => "*",
            UnaryOp::NotEqual => "!=",
            UnaryOp::Equal => "==",
            UnaryOp::Less => "<",
            UnaryOp::LessEqual => "<=",
            UnaryOp::Greater => ">",
            UnaryOp::GreaterEqual => ">=",
            UnaryOp::Match => "=~",
            UnaryOp::NotMatch => "!~",
            UnaryOp::Open => "...",
        }
    }
}

impl BinaryOp {
    /// The operator as written in CUE.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Disjunction => "|",
            BinaryOp::Conjunction => "&",
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Equal => "==",
            BinaryOp::NotEqual => "!=",
            BinaryOp::Less => "<",
            BinaryOp::LessEqual => "<=",
            BinaryOp::Greater => ">",
            BinaryOp::GreaterEqual => ">=",
            BinaryOp::Match => "=~",
            BinaryOp::NotMatch => "!~",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }

    /// Binding strength: higher binds tighter (spec: `|` is 1, `*` and `/` are 7).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Disjunction => 1,
            BinaryOp::Conjunction => 2,
            BinaryOp::Or => 3,
            BinaryOp::And => 4,
            BinaryOp::Equal
            | BinaryOp::NotEqual
            | BinaryOp::Less
            | BinaryOp::LessEqual
            | BinaryOp::Greater
            | BinaryOp::GreaterEqual
            | BinaryOp::Match
            | BinaryOp::NotMatch => 5,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div => 7,
        }
    }
}
