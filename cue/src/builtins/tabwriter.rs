//! The `text/tabwriter` package: tab-separated cells aligned into columns as Go's
//! `text/tabwriter` does with CUE's settings (no minimum width, padding 1, spaces).
//!
//! A cell is text ended by a tab; the text after a line's last tab is not part of a column.
//! A column block is a run of consecutive lines that all have a cell in that column; each
//! cell of a block is padded to the widest one plus one space. Blocks nest: column 1 is
//! aligned within the lines of one block of column 0.

use super::{format_concrete, string, Builtin, BuiltinError, Concrete};

const P: &str = "text/tabwriter";

pub(super) static FUNCS: &[Builtin] = &[builtin!(P, "Write", [Any] -> String, write)];

fn write(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let text = match args.first() {
        Some(Concrete::String(s)) => s.to_string(),
        Some(Concrete::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
        Some(Concrete::List(items)) => {
            let mut text = String::new();
            for item in items.iter() {
                match item {
                    Concrete::String(s) => text.push_str(s),
                    Concrete::Bytes(b) => text.push_str(&String::from_utf8_lossy(b)),
                    other => {
                        return Err(BuiltinError::new(format!(
                            "cannot use value {} as string",
                            format_concrete(other)
                        )))
                    }
                }
                text.push('\n');
            }
            text
        }
        Some(other) => {
            return Err(BuiltinError::new(format!(
                "tabwriter.Write: unsupported type {}",
                super::kind_name(other)
            )))
        }
        None => return Err(BuiltinError::new("missing argument")),
    };
    Ok(string(align(&text)))
}

/// Aligns the cells of `text`.
pub(crate) fn align(text: &str) -> String {
    let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut out = String::with_capacity(text.len());
    let mut widths = Vec::new();
    format_block(&lines, 0, lines.len(), &mut widths, &mut out);
    out
}

/// Writes lines `start..end`, aligning column `widths.len()` and those after it.
fn format_block(
    lines: &[Vec<&str>],
    start: usize,
    end: usize,
    widths: &mut Vec<usize>,
    out: &mut String,
) {
    let column = widths.len();
    let mut written = start;
    let mut line = start;
    while line < end {
        // Does this line have a (tab-ended) cell in this column?
        if column + 1 >= lines[line].len() {
            line += 1;
            continue;
        }
        write_lines(lines, written, line, widths, out);
        let block_start = line;
        let mut width = 0;
        while line < end && column + 1 < lines[line].len() {
            width = width.max(lines[line][column].chars().count() + 1);
            line += 1;
        }
        widths.push(width);
        format_block(lines, block_start, line, widths, out);
        widths.pop();
        written = line;
    }
    write_lines(lines, written, end, widths, out);
}

fn write_lines(lines: &[Vec<&str>], start: usize, end: usize, widths: &[usize], out: &mut String) {
    for (index, cells) in lines.iter().enumerate().take(end).skip(start) {
        for (j, cell) in cells.iter().enumerate() {
            out.push_str(cell);
            if let Some(&width) = widths.get(j) {
                if j + 1 < cells.len() {
                    let used = cell.chars().count();
                    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
                }
            }
        }
        if index + 1 < lines.len() {
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::P;

    #[test]
    fn columns_are_aligned_per_block() {
        check(
            P,
            "Write",
            &[
                (
                    vec![s("a\tb\tc\naaa\tbb\tvv")],
                    Ok(s("a   b  c\naaa bb vv")),
                ),
                (
                    vec![l(vec![s("a\tb\tc"), s("aaa\tbb\tvv")])],
                    Ok(s("a   b  c\naaa bb vv\n")),
                ),
                // A line without a cell in column 0 ends the block.
                (vec![s("x\ty\nlonger\nxx\ty")], Ok(s("x y\nlonger\nxx y"))),
                (vec![s("é\tz\nab\tz")], Ok(s("é  z\nab z"))),
                (vec![i(1)], Err("tabwriter.Write: unsupported type int")),
            ],
        );
    }
}
