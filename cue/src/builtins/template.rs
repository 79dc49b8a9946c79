//! The `text/template` package: `template.Execute(text, data)` with the part of Go's
//! template language that event schemas use to derive strings (subjects, keys, messages)
//! from data, and `template.HTMLEscape` and friends are not provided.
//!
//! Supported: text; actions `{{pipeline}}`; `{{if}}`, `{{else if}}`, `{{else}}`, `{{end}}`;
//! `{{range}}` over lists (and structs, in the order of their keys, sorted) with `{{else}}`
//! and the variables `{{range $i, $e := ...}}`; `{{with}}`; variables `$` (the data) and
//! `$x := pipeline` in an action; comments `{{/* */}}`; trim markers `{{-` and `-}}`.
//! Operands are `.`, field chains (`.a.b`, `$x.a`), string literals (double quotes, with
//! backslash escapes, or backquotes), integers, `true`, `false` and `nil`. Pipelines pass each
//! command's result as the last argument of the next (`{{.name | printf "%q"}}`). Functions:
//! `and`, `or`, `not`, `len`, `index`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `print`, `println`
//! and `printf` with the verbs `%v`, `%s`, `%d`, `%q` and `%%`.
//!
//! Left out: `define`, `template` and `block` (one template per call), `break` and
//! `continue`, parenthesized pipelines, method calls, the escaping functions (`html`, `js`,
//! `urlquery`), `call`, `slice`, and printf's other verbs and flags: each is an error naming
//! it and its position rather than output that differs from Go's.
//!
//! Values print as Go's `fmt` prints what CUE decodes the data to: a whole float as an
//! integer (`3`), a list as `[a b]`, a struct as `map[k:v]` with sorted keys, a missing field
//! as `<no value>`.

use std::sync::Arc;

use super::{str_arg, string, Builtin, BuiltinError, Concrete};

const P: &str = "text/template";

pub(super) static FUNCS: &[Builtin] = &[builtin!(P, "Execute", [String, Any] -> String, execute)];

fn execute(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let text = str_arg(args, 0)?;
    let data = args.get(1).cloned().unwrap_or(Concrete::Null);
    let nodes = Parser::new(text).parse_all()?;
    let mut out = String::new();
    let mut vars = vec![("$".to_string(), Some(data.clone()))];
    run(&nodes, &Some(data), &mut vars, &mut out).map_err(BuiltinError::new)?;
    Ok(string(out))
}

/// A value in the template: `None` is Go's missing value (a field the data does not have).
type Val = Option<Concrete>;

#[derive(Debug)]
enum Node {
    Text(String),
    Action(Pipeline),
    If(Pipeline, Vec<Node>, Vec<Node>),
    With(Pipeline, Vec<Node>, Vec<Node>),
    Range(Pipeline, Vec<Node>, Vec<Node>),
}

#[derive(Debug)]
struct Pipeline {
    /// `$x :=` or `$i, $e :=`.
    decl: Vec<String>,
    commands: Vec<Vec<Operand>>,
    /// Where the action starts, for errors (`1:5`).
    at: String,
}

#[derive(Debug, Clone)]
enum Operand {
    /// `.a.b` (the empty chain is `.`).
    Field(Vec<String>),
    /// `$x.a.b`.
    Var(String, Vec<String>),
    Func(String),
    Literal(Concrete),
    Nil,
}

/// What closes a list of nodes.
enum Closer {
    Eof,
    End,
    Else,
    ElseIf(Pipeline),
}

struct Parser<'t> {
    text: &'t str,
    pos: usize,
    /// Whether the previous action ended with `-}}`.
    trim_next: bool,
}

fn line_col(text: &str, pos: usize) -> String {
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{line}:{col}")
}

impl<'t> Parser<'t> {
    fn new(text: &'t str) -> Self {
        Parser {
            text,
            pos: 0,
            trim_next: false,
        }
    }

    fn error(&self, at: usize, message: impl std::fmt::Display) -> BuiltinError {
        BuiltinError::new(format!("template: {}: {message}", line_col(self.text, at)))
    }

    fn parse_all(&mut self) -> Result<Vec<Node>, BuiltinError> {
        let (nodes, end, at) = self.parse_list()?;
        match end {
            Closer::Eof => Ok(nodes),
            Closer::End => Err(self.error(at, "unexpected {{end}}")),
            Closer::Else | Closer::ElseIf(_) => Err(self.error(at, "unexpected {{else}}")),
        }
    }

    /// Nodes up to `{{end}}`, `{{else}}` or the end of the text; the position of what ended them.
    fn parse_list(&mut self) -> Result<(Vec<Node>, Closer, usize), BuiltinError> {
        let mut nodes = Vec::new();
        loop {
            let rest = &self.text[self.pos..];
            let Some(open) = rest.find("{{") else {
                let mut text = rest;
                if self.trim_next {
                    text = text.trim_start();
                }
                if !text.is_empty() {
                    nodes.push(Node::Text(text.to_string()));
                }
                self.pos = self.text.len();
                return Ok((nodes, Closer::Eof, self.pos));
            };
            let mut text = &rest[..open];
            if self.trim_next {
                text = text.trim_start();
            }
            let action_start = self.pos + open;
            let mut inner_start = action_start + 2;
            if self.text[inner_start..].starts_with("- ")
                || self.text[inner_start..].starts_with("-\t")
                || self.text[inner_start..].starts_with("-\n")
            {
                text = text.trim_end();
                inner_start += 1;
            }
            if !text.is_empty() {
                nodes.push(Node::Text(text.to_string()));
            }
            let Some(close) = self.text[inner_start..].find("}}") else {
                return Err(self.error(action_start, "unclosed action"));
            };
            let mut inner_end = inner_start + close;
            self.pos = inner_end + 2;
            self.trim_next = false;
            let inner_text = &self.text[inner_start..inner_end];
            if inner_text.ends_with(" -")
                || inner_text.ends_with("\t-")
                || inner_text.ends_with("\n-")
            {
                inner_end -= 1;
                self.trim_next = true;
            }
            let inner = self.text[inner_start..inner_end].trim();
            if inner.starts_with("/*") {
                if !inner.ends_with("*/") {
                    return Err(self.error(action_start, "unclosed comment"));
                }
                continue;
            }
            let mut words = Lexer::new(self.text, inner_start, inner_end);
            let first = words.peek_word();
            match first.as_deref() {
                Some("end") => return Ok((nodes, Closer::End, action_start)),
                Some("else") => {
                    words.word();
                    if words.peek_word().as_deref() == Some("if") {
                        words.word();
                        let p = self.pipeline(&mut words, action_start)?;
                        return Ok((nodes, Closer::ElseIf(p), action_start));
                    }
                    if !words.at_end() {
                        return Err(self.error(action_start, "unexpected words after {{else}}"));
                    }
                    return Ok((nodes, Closer::Else, action_start));
                }
                Some(keyword @ ("if" | "with" | "range")) => {
                    let keyword = keyword.to_string();
                    words.word();
                    let p = self.pipeline(&mut words, action_start)?;
                    nodes.push(self.control(&keyword, p, action_start)?);
                }
                Some(keyword @ ("define" | "template" | "block" | "break" | "continue")) => {
                    return Err(
                        self.error(action_start, format!("{{{{{keyword}}}}} is not supported"))
                    )
                }
                _ => nodes.push(Node::Action(self.pipeline(&mut words, action_start)?)),
            }
        }
    }

    /// The body (and else branch) of `if`, `with` or `range`, up to its `{{end}}`.
    fn control(&mut self, keyword: &str, p: Pipeline, at: usize) -> Result<Node, BuiltinError> {
        let (body, end, end_at) = self.parse_list()?;
        let otherwise = match end {
            Closer::End => Vec::new(),
            Closer::Eof => {
                return Err(self.error(
                    at,
                    format!("unexpected EOF: {{{{{keyword}}}}} has no {{{{end}}}}"),
                ))
            }
            Closer::Else => {
                let (otherwise, end, else_end) = self.parse_list()?;
                if !matches!(end, Closer::End) {
                    return Err(self.error(
                        else_end,
                        format!("{{{{{keyword}}}}}'s {{{{else}}}} must be followed by {{{{end}}}}"),
                    ));
                }
                otherwise
            }
            Closer::ElseIf(p) if keyword == "if" => vec![self.control("if", p, end_at)?],
            Closer::ElseIf(_) => {
                return Err(self.error(end_at, format!("{{{{else if}}}} inside {{{{{keyword}}}}}")))
            }
        };
        Ok(match keyword {
            "if" => Node::If(p, body, otherwise),
            "with" => Node::With(p, body, otherwise),
            _ => Node::Range(p, body, otherwise),
        })
    }

    fn pipeline(&self, words: &mut Lexer, at: usize) -> Result<Pipeline, BuiltinError> {
        let mut decl = Vec::new();
        // `$x :=` or `$i, $e :=`.
        let save = words.pos;
        let mut names = Vec::new();
        while let Some(w) = words.peek_word() {
            if !w.starts_with('$') || w.contains('.') {
                break;
            }
            words.word();
            names.push(w);
            if words.eat(",") {
                continue;
            }
            break;
        }
        if !names.is_empty() && (words.eat(":=") || words.eat("=")) {
            decl = names;
        } else {
            words.pos = save;
        }
        let mut commands = vec![Vec::new()];
        loop {
            words.skip_space();
            if words.at_end() {
                break;
            }
            if words.eat("|") {
                commands.push(Vec::new());
                continue;
            }
            let operand = words.operand().map_err(|(p, m)| self.error(p, m))?;
            commands
                .last_mut()
                .expect("one command at least")
                .push(operand);
        }
        if commands.iter().any(Vec::is_empty) {
            return Err(self.error(at, "missing value for command"));
        }
        Ok(Pipeline {
            decl,
            commands,
            at: line_col(self.text, at),
        })
    }
}

/// The words of one action.
struct Lexer<'t> {
    text: &'t str,
    pos: usize,
    end: usize,
}

impl<'t> Lexer<'t> {
    fn new(text: &'t str, pos: usize, end: usize) -> Self {
        Lexer { text, pos, end }
    }

    fn rest(&self) -> &'t str {
        &self.text[self.pos..self.end]
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn at_end(&mut self) -> bool {
        self.skip_space();
        self.pos >= self.end
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn word_len(&self) -> usize {
        self.rest()
            .find(|c: char| c.is_whitespace() || matches!(c, '|' | ',' | ':' | '=' | '(' | ')'))
            .unwrap_or(self.rest().len())
    }

    fn peek_word(&mut self) -> Option<String> {
        self.skip_space();
        let n = self.word_len();
        (n > 0).then(|| self.rest()[..n].to_string())
    }

    fn word(&mut self) -> Option<String> {
        let w = self.peek_word()?;
        self.pos += w.len();
        Some(w)
    }

    fn operand(&mut self) -> Result<Operand, (usize, String)> {
        self.skip_space();
        let at = self.pos;
        let rest = self.rest();
        let first = rest.chars().next().unwrap_or(' ');
        if first == '"' || first == '`' {
            return self.string_literal();
        }
        if first == '(' {
            return Err((at, "parenthesized pipelines are not supported".into()));
        }
        let Some(word) = self.word() else {
            return Err((at, format!("unexpected {first:?} in command")));
        };
        let chain = |s: &str| -> Vec<String> {
            s.split('.')
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect()
        };
        Ok(match word.as_str() {
            "true" => Operand::Literal(Concrete::Bool(true)),
            "false" => Operand::Literal(Concrete::Bool(false)),
            "nil" => Operand::Nil,
            w if w.starts_with('.') => Operand::Field(chain(w)),
            w if w.starts_with('$') => {
                let (name, path) = w.split_once('.').unwrap_or((w, ""));
                Operand::Var(name.to_string(), chain(path))
            }
            w if w.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+') => {
                match w.parse::<i128>() {
                    Ok(n) => Operand::Literal(Concrete::Int(n)),
                    Err(_) => match w.parse::<f64>() {
                        Ok(f) if f.is_finite() => Operand::Literal(Concrete::Float(f)),
                        _ => return Err((at, format!("bad number syntax: {w:?}"))),
                    },
                }
            }
            w if w.chars().all(|c| c.is_alphanumeric() || c == '_') => Operand::Func(w.to_string()),
            w => return Err((at, format!("unexpected {w:?} in command"))),
        })
    }

    fn string_literal(&mut self) -> Result<Operand, (usize, String)> {
        let at = self.pos;
        let rest = self.rest();
        if let Some(raw) = rest.strip_prefix('`') {
            let Some(close) = raw.find('`') else {
                return Err((at, "unterminated raw quoted string".into()));
            };
            self.pos += close + 2;
            return Ok(Operand::Literal(string(&raw[..close])));
        }
        let mut out = String::new();
        let mut chars = rest.char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(Operand::Literal(string(out)));
                }
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some(c @ ('\\' | '"' | '\'')) => out.push(c),
                    other => {
                        return Err((
                            at,
                            format!("unknown escape sequence \\{}", other.unwrap_or(' ')),
                        ))
                    }
                },
                c => out.push(c),
            }
        }
        Err((at, "unterminated quoted string".into()))
    }
}

// ----- execution -------------------------------------------------------------------------------

type Vars = Vec<(String, Val)>;

fn run(nodes: &[Node], dot: &Val, vars: &mut Vars, out: &mut String) -> Result<(), String> {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Action(p) => {
                let v = pipeline(p, dot, vars)?;
                if p.decl.is_empty() {
                    print(&v, out);
                } else {
                    vars.push((p.decl[0].clone(), v));
                }
            }
            Node::If(p, body, otherwise) => {
                let mark = vars.len();
                let v = pipeline(p, dot, vars)?;
                declare(p, None, v.clone(), vars);
                let branch = if truth(&v) { body } else { otherwise };
                run(branch, dot, vars, out)?;
                vars.truncate(mark);
            }
            Node::With(p, body, otherwise) => {
                let mark = vars.len();
                let v = pipeline(p, dot, vars)?;
                declare(p, None, v.clone(), vars);
                if truth(&v) {
                    run(body, &v, vars, out)?;
                } else {
                    run(otherwise, dot, vars, out)?;
                }
                vars.truncate(mark);
            }
            Node::Range(p, body, otherwise) => {
                let v = pipeline(p, dot, vars)?;
                let items: Vec<(Concrete, Concrete)> = match &v {
                    Some(Concrete::List(items)) => items
                        .iter()
                        .enumerate()
                        .map(|(i, e)| (Concrete::Int(i as i128), e.clone()))
                        .collect(),
                    Some(Concrete::Struct(fields)) => {
                        let mut fields: Vec<_> = fields.iter().collect();
                        fields.sort_by(|a, b| a.0.cmp(&b.0));
                        fields
                            .into_iter()
                            .map(|(k, e)| (Concrete::String(k.clone()), e.clone()))
                            .collect()
                    }
                    Some(Concrete::Int(n)) if *n >= 0 && *n <= 1_000_000 => (0..*n)
                        .map(|i| (Concrete::Int(i), Concrete::Int(i)))
                        .collect(),
                    None | Some(Concrete::Null) => Vec::new(),
                    Some(other) => {
                        return Err(format!(
                            "template: {}: range can't iterate over {}",
                            p.at,
                            text_of(&Some(other.clone()))
                        ))
                    }
                };
                if items.is_empty() {
                    run(otherwise, dot, vars, out)?;
                }
                for (key, item) in items {
                    let mark = vars.len();
                    declare(p, Some(key), Some(item.clone()), vars);
                    run(body, &Some(item), vars, out)?;
                    vars.truncate(mark);
                }
            }
        }
    }
    Ok(())
}

/// The variables a control action declares: `$e` (the value), or `$i, $e` (key and value).
fn declare(p: &Pipeline, key: Option<Concrete>, value: Val, vars: &mut Vars) {
    match p.decl.as_slice() {
        [one] => vars.push((one.clone(), value)),
        [k, e] => {
            vars.push((k.clone(), key));
            vars.push((e.clone(), value));
        }
        _ => {}
    }
}

fn pipeline(p: &Pipeline, dot: &Val, vars: &Vars) -> Result<Val, String> {
    let mut last: Option<Val> = None;
    for command in &p.commands {
        last = Some(command_value(command, last, dot, vars, &p.at)?);
    }
    Ok(last.flatten())
}

fn operand_value(o: &Operand, dot: &Val, vars: &Vars, at: &str) -> Result<Val, String> {
    match o {
        Operand::Field(path) => field(dot, path, at),
        Operand::Var(name, path) => {
            let Some((_, v)) = vars.iter().rev().find(|(n, _)| n == name) else {
                return Err(format!("template: {at}: undefined variable: {name}"));
            };
            field(v, path, at)
        }
        Operand::Literal(c) => Ok(Some(c.clone())),
        Operand::Nil => Ok(Some(Concrete::Null)),
        Operand::Func(name) => Err(format!("template: {at}: {name} is a function, not a value")),
    }
}

fn field(v: &Val, path: &[String], at: &str) -> Result<Val, String> {
    let mut v = v.clone();
    for name in path {
        v = match &v {
            Some(Concrete::Struct(fields)) => fields
                .iter()
                .find(|(k, _)| &**k == name.as_str())
                .map(|(_, v)| v.clone()),
            None | Some(Concrete::Null) => None,
            Some(other) => {
                return Err(format!(
                    "template: {at}: can't evaluate field {name} in type {}",
                    super::kind_name(other)
                ))
            }
        };
    }
    Ok(v)
}

fn command_value(
    command: &[Operand],
    piped: Option<Val>,
    dot: &Val,
    vars: &Vars,
    at: &str,
) -> Result<Val, String> {
    let Operand::Func(name) = &command[0] else {
        if command.len() > 1 || piped.is_some() {
            return Err(format!(
                "template: {at}: can't give argument to non-function"
            ));
        }
        return operand_value(&command[0], dot, vars, at);
    };
    let mut args = Vec::new();
    for o in &command[1..] {
        args.push(operand_value(o, dot, vars, at)?);
    }
    if let Some(p) = piped {
        args.push(p);
    }
    call(name, &args, at)
}

fn call(name: &str, args: &[Val], at: &str) -> Result<Val, String> {
    let arity = |n: usize| -> Result<(), String> {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "template: {at}: wrong number of args for {name}: want {n} got {}",
                args.len()
            ))
        }
    };
    let at_least = |n: usize| -> Result<(), String> {
        if args.len() >= n {
            Ok(())
        } else {
            Err(format!(
                "template: {at}: wrong number of args for {name}: want at least {n} got {}",
                args.len()
            ))
        }
    };
    let compare = |op: &str| -> Result<Val, String> {
        arity(2)?;
        let ordering = order(&args[0], &args[1]).ok_or_else(|| {
            format!("template: {at}: error calling {name}: incompatible types for comparison")
        })?;
        use std::cmp::Ordering::*;
        Ok(Some(Concrete::Bool(match op {
            "lt" => ordering == Less,
            "le" => ordering != Greater,
            "gt" => ordering == Greater,
            _ => ordering != Less,
        })))
    };
    match name {
        "and" => {
            at_least(1)?;
            Ok(args
                .iter()
                .find(|a| !truth(a))
                .unwrap_or(&args[args.len() - 1])
                .clone())
        }
        "or" => {
            at_least(1)?;
            Ok(args
                .iter()
                .find(|a| truth(a))
                .unwrap_or(&args[args.len() - 1])
                .clone())
        }
        "not" => {
            arity(1)?;
            Ok(Some(Concrete::Bool(!truth(&args[0]))))
        }
        "len" => {
            arity(1)?;
            let n = match &args[0] {
                Some(Concrete::String(s)) => s.len(),
                Some(Concrete::Bytes(b)) => b.len(),
                Some(Concrete::List(l)) => l.len(),
                Some(Concrete::Struct(f)) => f.len(),
                other => {
                    return Err(format!(
                        "template: {at}: error calling len: len of type {}",
                        type_of(other)
                    ))
                }
            };
            Ok(Some(Concrete::Int(n as i128)))
        }
        "index" => {
            at_least(1)?;
            let mut v = args[0].clone();
            for key in &args[1..] {
                v = match (&v, key) {
                    (Some(Concrete::List(items)), Some(Concrete::Int(i))) => {
                        let item = usize::try_from(*i).ok().and_then(|i| items.get(i));
                        match item {
                            Some(item) => Some(item.clone()),
                            None => {
                                return Err(format!(
                                    "template: {at}: error calling index: index out of range: {i}"
                                ))
                            }
                        }
                    }
                    (Some(Concrete::Struct(fields)), Some(Concrete::String(k))) => {
                        fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
                    }
                    _ => {
                        return Err(format!(
                            "template: {at}: error calling index: cannot index {} with {}",
                            type_of(&v),
                            type_of(key)
                        ))
                    }
                };
            }
            Ok(v)
        }
        "eq" => {
            at_least(2)?;
            let first = &args[0];
            Ok(Some(Concrete::Bool(args[1..].iter().any(|a| {
                order(first, a) == Some(std::cmp::Ordering::Equal)
            }))))
        }
        "ne" => {
            arity(2)?;
            Ok(Some(Concrete::Bool(
                order(&args[0], &args[1]) != Some(std::cmp::Ordering::Equal),
            )))
        }
        "lt" | "le" | "gt" | "ge" => compare(name),
        "print" => {
            // Go's Sprint: a space between operands when neither is a string.
            let mut out = String::new();
            for (i, a) in args.iter().enumerate() {
                let is_string = |v: &Val| matches!(v, Some(Concrete::String(_)));
                if i > 0 && !is_string(a) && !is_string(&args[i - 1]) {
                    out.push(' ');
                }
                print(a, &mut out);
            }
            Ok(Some(string(out)))
        }
        "println" => {
            let mut out = String::new();
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print(a, &mut out);
            }
            out.push('\n');
            Ok(Some(string(out)))
        }
        "printf" => {
            at_least(1)?;
            let Some(Concrete::String(format)) = &args[0] else {
                return Err(format!(
                    "template: {at}: error calling printf: the format must be a string"
                ));
            };
            printf(format, &args[1..])
                .map(|s| Some(string(s)))
                .map_err(|e| format!("template: {at}: error calling printf: {e}"))
        }
        "html" | "js" | "urlquery" | "call" | "slice" => Err(format!(
            "template: {at}: function {name:?} is not supported"
        )),
        _ => Err(format!("template: {at}: function {name:?} not defined")),
    }
}

fn printf(format: &str, args: &[Val]) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = format.chars();
    let mut next = args.iter();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let verb = chars.next().ok_or("format ends with %")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = next.next() else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        match (verb, arg) {
            ('v' | 's', a) => print(a, &mut out),
            ('d', Some(Concrete::Int(n))) => out.push_str(&n.to_string()),
            ('q', Some(Concrete::String(s))) => out.push_str(&super::quote_string(s)),
            ('d' | 'q', a) => out.push_str(&format!("%!{verb}({}={})", type_of(a), text_of(a))),
            _ => return Err(format!("verb %{verb} is not supported")),
        }
    }
    if next.next().is_some() {
        out.push_str("%!(EXTRA)");
    }
    Ok(out)
}

/// Go's truth: false, 0, nil, and empty strings, lists and structs are false.
fn truth(v: &Val) -> bool {
    match v {
        None | Some(Concrete::Null) => false,
        Some(Concrete::Bool(b)) => *b,
        Some(Concrete::Int(n)) => *n != 0,
        Some(Concrete::Float(f)) => *f != 0.0,
        Some(Concrete::String(s)) => !s.is_empty(),
        Some(Concrete::Bytes(b)) => !b.is_empty(),
        Some(Concrete::List(l)) => !l.is_empty(),
        Some(Concrete::Struct(f)) => !f.is_empty(),
    }
}

fn order(a: &Val, b: &Val) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Some(Concrete::Int(x)), Some(Concrete::Int(y))) => Some(x.cmp(y)),
        (Some(Concrete::Int(x)), Some(Concrete::Float(y))) => (*x as f64).partial_cmp(y),
        (Some(Concrete::Float(x)), Some(Concrete::Int(y))) => x.partial_cmp(&(*y as f64)),
        (Some(Concrete::Float(x)), Some(Concrete::Float(y))) => x.partial_cmp(y),
        (Some(Concrete::String(x)), Some(Concrete::String(y))) => Some(x.cmp(y)),
        (Some(Concrete::Bool(x)), Some(Concrete::Bool(y))) if x == y => {
            Some(std::cmp::Ordering::Equal)
        }
        (Some(Concrete::Bool(_)), Some(Concrete::Bool(_))) => Some(std::cmp::Ordering::Less),
        (None | Some(Concrete::Null), None | Some(Concrete::Null)) => {
            Some(std::cmp::Ordering::Equal)
        }
        _ => None,
    }
}

fn type_of(v: &Val) -> &'static str {
    match v {
        None | Some(Concrete::Null) => "nil",
        Some(c) => super::kind_name(c),
    }
}

fn text_of(v: &Val) -> String {
    let mut out = String::new();
    print(v, &mut out);
    out
}

/// `v` as Go's `fmt` prints the value CUE decodes it to.
fn print(v: &Val, out: &mut String) {
    match v {
        None => out.push_str("<no value>"),
        Some(Concrete::Null) => out.push_str("<nil>"),
        Some(Concrete::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Concrete::Int(n)) => out.push_str(&n.to_string()),
        Some(Concrete::Float(f)) => out.push_str(&go_float(*f)),
        Some(Concrete::String(s)) => out.push_str(s),
        Some(Concrete::Bytes(b)) => {
            out.push('[');
            let parts: Vec<String> = b.iter().map(u8::to_string).collect();
            out.push_str(&parts.join(" "));
            out.push(']');
        }
        Some(Concrete::List(items)) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print(&Some(item.clone()), out);
            }
            out.push(']');
        }
        Some(Concrete::Struct(fields)) => {
            let mut fields: Vec<&(Arc<str>, Concrete)> = fields.iter().collect();
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            out.push_str("map[");
            for (i, (k, item)) in fields.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                print(&Some(item.clone()), out);
            }
            out.push(']');
        }
    }
}

/// A float as Go's `%v` prints a float64: the shortest digits, an exponent (`1e+21`) for
/// large or small magnitudes, no fraction for a whole value.
fn go_float(f: f64) -> String {
    let magnitude = f.abs();
    if magnitude != 0.0 && !(1e-4..1e21).contains(&magnitude) {
        let text = format!("{f:e}");
        return match text.split_once('e') {
            Some((mantissa, exponent)) => {
                let (sign, digits) = match exponent.strip_prefix('-') {
                    Some(d) => ('-', d),
                    None => ('+', exponent),
                };
                format!("{mantissa}e{sign}{digits:0>2}")
            }
            None => text,
        };
    }
    format!("{f}")
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::P;

    #[test]
    fn fields_and_the_dot_are_printed() {
        check(
            P,
            "Execute",
            &[
                (vec![s("{{.}}-{{.}}"), s("foo")], Ok(s("foo-foo"))),
                (
                    vec![
                        s("orders.{{.region}}.{{.kind.name}}"),
                        st(vec![
                            ("region", s("eu")),
                            ("kind", st(vec![("name", s("created"))])),
                        ]),
                    ],
                    Ok(s("orders.eu.created")),
                ),
                (vec![s("{{.missing}}"), st(vec![])], Ok(s("<no value>"))),
                (
                    vec![s("{{.}} {{.a}}"), st(vec![("b", i(2)), ("a", f(3.0))])],
                    Ok(s("map[a:3 b:2] 3")),
                ),
                (
                    vec![s("{{.}}"), l(vec![i(1), s("x"), b(true)])],
                    Ok(s("[1 x true]")),
                ),
                (vec![s("{{/* note */}}a  {{- \" b\" -}}  c")], Ok(s("a bc"))),
            ],
        );
    }

    #[test]
    fn control_actions_and_variables() {
        let data = st(vec![
            ("items", l(vec![s("a"), s("b")])),
            ("on", b(false)),
            ("n", i(2)),
        ]);
        check(
            P,
            "Execute",
            &[
                (
                    vec![
                        s("{{if .on}}yes{{else if .n}}n={{.n}}{{else}}no{{end}}"),
                        data.clone(),
                    ],
                    Ok(s("n=2")),
                ),
                (
                    vec![
                        s("{{range $i, $e := .items}}{{$i}}={{$e}};{{else}}none{{end}}"),
                        data.clone(),
                    ],
                    Ok(s("0=a;1=b;")),
                ),
                (
                    vec![s("{{range .none}}x{{else}}none{{end}}"), data.clone()],
                    Ok(s("none")),
                ),
                (
                    vec![s("{{with .items}}{{len .}}{{end}}"), data.clone()],
                    Ok(s("2")),
                ),
                (
                    vec![
                        s("{{$x := .n}}{{range .items}}{{$x}}{{.}}{{end}}{{$.n}}"),
                        data.clone(),
                    ],
                    Ok(s("2a2b2")),
                ),
            ],
        );
    }

    #[test]
    fn pipelines_and_functions() {
        let data = st(vec![
            ("name", s("ab")),
            ("n", i(3)),
            ("xs", l(vec![i(5), i(6)])),
        ]);
        check(
            P,
            "Execute",
            &[
                (
                    vec![s("{{.name | printf \"%q\"}}"), data.clone()],
                    Ok(s("\"ab\"")),
                ),
                (
                    vec![s("{{printf \"%s-%d%%\" .name .n}}"), data.clone()],
                    Ok(s("ab-3%")),
                ),
                (
                    vec![s("{{if and (eq .n 3) .name}}x{{end}}"), data.clone()],
                    Err("template: 1:10: parenthesized pipelines are not supported"),
                ),
                (
                    vec![
                        s("{{if eq .n 1 2 3}}x{{end}}{{if lt .n 4}}y{{end}}{{index .xs 1}}"),
                        data.clone(),
                    ],
                    Ok(s("xy6")),
                ),
                (
                    vec![s("{{print 1 2 \"a\" 3}}"), data.clone()],
                    Ok(s("1 2a3")),
                ),
                (
                    vec![s("{{not .name}}|{{or 0 .n}}"), data.clone()],
                    Ok(s("false|3")),
                ),
            ],
        );
    }

    #[test]
    fn bad_templates_name_what_and_where() {
        let data = st(vec![("n", i(3))]);
        check(
            P,
            "Execute",
            &[
                (
                    vec![s("a\n{{if .n}}x"), data.clone()],
                    Err("template: 2:1: unexpected EOF: {{if}} has no {{end}}"),
                ),
                (
                    vec![s("{{end}}"), data.clone()],
                    Err("template: 1:1: unexpected {{end}}"),
                ),
                (
                    vec![s("{{.n"), data.clone()],
                    Err("template: 1:1: unclosed action"),
                ),
                (
                    vec![s("x {{nope .n}}"), data.clone()],
                    Err("template: 1:3: function \"nope\" not defined"),
                ),
                (
                    vec![s("{{html .n}}"), data.clone()],
                    Err("template: 1:1: function \"html\" is not supported"),
                ),
                (
                    vec![s("{{template \"x\"}}"), data.clone()],
                    Err("template: 1:1: {{template}} is not supported"),
                ),
                (
                    vec![s("{{.n.x}}"), data.clone()],
                    Err("template: 1:1: can't evaluate field x in type int"),
                ),
                (
                    vec![s("{{range .n}}{{end}}"), s("x")],
                    Err("template: 1:1: can't evaluate field n in type string"),
                ),
                (
                    vec![s("{{printf \"%x\" .n}}"), data.clone()],
                    Err("template: 1:1: error calling printf: verb %x is not supported"),
                ),
                (
                    vec![s("{{$y}}"), data],
                    Err("template: 1:1: undefined variable: $y"),
                ),
            ],
        );
    }
}
