//! The `encoding/csv` package: RFC 4180 records as Go's `encoding/csv` reads and writes them
//! (comma-separated, `"` quoting with doubled quotes, every record as long as the first).

use super::{format_concrete, list, list_arg, string, Builtin, BuiltinError, Concrete};

const P: &str = "encoding/csv";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Encode", [List] -> String, encode),
    builtin!(P, "Decode", [Any] -> List, |a| {
        let text = super::bytes_or_str_arg(a, 0)?;
        let records = decode(&String::from_utf8_lossy(text)).map_err(BuiltinError::new)?;
        Ok(list(
            records
                .into_iter()
                .map(|record| list(record.into_iter().map(string).collect()))
                .collect(),
        ))
    }),
];

/// A list of lists as CSV lines: strings as they are, other values as their JSON text.
fn encode(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let mut out = String::new();
    for (row_index, row) in list_arg(args, 0)?.iter().enumerate() {
        let Concrete::List(cells) = row else {
            return Err(BuiltinError::new(format!(
                "row {row_index}: cannot use value {} as list",
                format_concrete(row)
            )));
        };
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let text = match cell {
                Concrete::String(s) => s.to_string(),
                Concrete::List(_) | Concrete::Struct(_) | Concrete::Bytes(_) => {
                    super::json::marshal(cell)?
                }
                other => format_concrete(other),
            };
            write_field(&mut out, &text);
        }
        out.push('\n');
    }
    Ok(string(out))
}

/// Writes one field, quoted when Go would: it holds a comma, quote, CR or LF, starts with a
/// space, or is `\.`.
fn write_field(out: &mut String, field: &str) {
    let needs_quotes = field == r"\."
        || field.contains([',', '"', '\r', '\n'])
        || field.starts_with(char::is_whitespace);
    if !needs_quotes {
        out.push_str(field);
        return;
    }
    out.push('"');
    out.push_str(&field.replace('"', "\"\""));
    out.push('"');
}

/// Reads every record; the error names the line (1-based) as Go's `csv.ParseError` does.
fn decode(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut expected_fields: Option<usize> = None;
    let chars: Vec<char> = text.chars().collect();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let record_line = line;
        // A blank line is skipped.
        if chars[i] == '\n' || (chars[i] == '\r' && chars.get(i + 1) == Some(&'\n')) {
            i += if chars[i] == '\r' { 2 } else { 1 };
            line += 1;
            continue;
        }
        let mut record = Vec::new();
        loop {
            let mut field = String::new();
            if chars.get(i) == Some(&'"') {
                let quote_line = line;
                let quote_column = i;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(format!(
                                "record on line {record_line}; parse error on line {quote_line}, column {}: extraneous or missing \" in quoted-field",
                                quote_column + 1
                            ))
                        }
                        Some('"') if chars.get(i + 1) == Some(&'"') => {
                            field.push('"');
                            i += 2;
                        }
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some(&c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            field.push(c);
                            i += 1;
                        }
                    }
                }
                if !matches!(chars.get(i), None | Some(',' | '\n' | '\r')) {
                    return Err(format!(
                        "parse error on line {line}, column {}: extraneous or missing \" in quoted-field",
                        i + 1
                    ));
                }
            } else {
                while let Some(&c) = chars.get(i) {
                    if c == ',' || c == '\n' || (c == '\r' && chars.get(i + 1) == Some(&'\n')) {
                        break;
                    }
                    if c == '"' {
                        return Err(format!(
                            "parse error on line {line}, column {}: bare \" in non-quoted-field",
                            i + 1
                        ));
                    }
                    field.push(c);
                    i += 1;
                }
            }
            record.push(field);
            match chars.get(i) {
                Some(',') => i += 1,
                Some('\r') => {
                    i += 2;
                    line += 1;
                    break;
                }
                Some('\n') => {
                    i += 1;
                    line += 1;
                    break;
                }
                _ => break,
            }
        }
        match expected_fields {
            None => expected_fields = Some(record.len()),
            Some(n) if n != record.len() => {
                return Err(format!(
                    "record on line {record_line}: wrong number of fields"
                ))
            }
            Some(_) => {}
        }
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::P;

    #[test]
    fn decode_records() {
        let row = |cells: &[&str]| l(cells.iter().map(|c| s(c)).collect());
        check(
            P,
            "Decode",
            &[
                (
                    vec![s("1,2,3\n4,5,6")],
                    Ok(l(vec![row(&["1", "2", "3"]), row(&["4", "5", "6"])])),
                ),
                (
                    vec![s("\"a,\"\"b\",c\r\n\nd,e\n")],
                    Ok(l(vec![row(&["a,\"b", "c"]), row(&["d", "e"])])),
                ),
                (vec![s("")], Ok(l(vec![]))),
                (
                    vec![s("a,b\nc\n")],
                    Err("record on line 2: wrong number of fields"),
                ),
                (
                    vec![s("a\"b")],
                    Err("parse error on line 1, column 2: bare \" in non-quoted-field"),
                ),
            ],
        );
    }

    #[test]
    fn encode_records() {
        check(
            P,
            "Encode",
            &[
                (
                    vec![l(vec![l(vec![i(1), i(2), i(3)]), l(vec![i(4), i(5)])])],
                    Ok(s("1,2,3\n4,5\n")),
                ),
                (
                    vec![l(vec![l(vec![s("a,b"), s("say \"hi\""), s(" x")])])],
                    Ok(s("\"a,b\",\"say \"\"hi\"\"\",\" x\"\n")),
                ),
                (
                    vec![l(vec![s("x")])],
                    Err("row 0: cannot use value \"x\" as list"),
                ),
            ],
        );
    }
}
