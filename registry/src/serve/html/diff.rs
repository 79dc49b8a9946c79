//! A line diff for the compare page: the longest common subsequence of two texts' lines, after
//! their common first and last lines are set aside, so that two versions of one definition
//! (mostly equal) cost little.

/// What happened to a line from the old text to the new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Same,
    Removed,
    Added,
}

/// One line of a diff, with its numbers in the old and the new text (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DiffLine<'t> {
    pub(crate) change: Change,
    pub(crate) text: &'t str,
    pub(crate) old: Option<usize>,
    pub(crate) new: Option<usize>,
}

/// Above this many cells (old lines × new lines, after trimming) the middle is shown as all
/// removed then all added rather than aligned.
const MAX_CELLS: usize = 1_000_000;

/// The lines of `old` and `new`, aligned: every old line once (same or removed) and every new
/// line once (same or added), in order.
pub(crate) fn line_diff<'t>(old: &'t str, new: &'t str) -> Vec<DiffLine<'t>> {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let old_middle = &old[prefix..old.len() - suffix];
    let new_middle = &new[prefix..new.len() - suffix];

    let mut out = Vec::with_capacity(old.len().max(new.len()) + 8);
    for (i, text) in old[..prefix].iter().enumerate() {
        out.push(same(text, i, i));
    }
    let middle = if old_middle.len().saturating_mul(new_middle.len()) <= MAX_CELLS {
        aligned(old_middle, new_middle)
    } else {
        let mut changes = vec![(Change::Removed, 0); old_middle.len()];
        changes.resize(old_middle.len() + new_middle.len(), (Change::Added, 0));
        changes
    };
    let (mut i, mut j) = (prefix, prefix);
    for (change, _) in middle {
        match change {
            Change::Same => {
                out.push(same(old[i], i, j));
                i += 1;
                j += 1;
            }
            Change::Removed => {
                out.push(DiffLine {
                    change,
                    text: old[i],
                    old: Some(i + 1),
                    new: None,
                });
                i += 1;
            }
            Change::Added => {
                out.push(DiffLine {
                    change,
                    text: new[j],
                    old: None,
                    new: Some(j + 1),
                });
                j += 1;
            }
        }
    }
    for k in 0..suffix {
        out.push(same(old[i + k], i + k, j + k));
    }
    out
}

fn same(text: &str, old: usize, new: usize) -> DiffLine<'_> {
    DiffLine {
        change: Change::Same,
        text,
        old: Some(old + 1),
        new: Some(new + 1),
    }
}

/// The edit script of `old` into `new` from a longest-common-subsequence table; removals come
/// before additions where both are possible.
fn aligned(old: &[&str], new: &[&str]) -> Vec<(Change, usize)> {
    let (n, m) = (old.len(), new.len());
    // lcs[i][j]: the LCS length of old[i..] and new[j..].
    let width = m + 1;
    let mut lcs = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * width + j] = if old[i] == new[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n + m);
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            out.push((Change::Same, i));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
            out.push((Change::Removed, i));
            i += 1;
        } else {
            out.push((Change::Added, j));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(old: &str, new: &str) -> String {
        line_diff(old, new)
            .iter()
            .map(|line| {
                let mark = match line.change {
                    Change::Same => ' ',
                    Change::Removed => '-',
                    Change::Added => '+',
                };
                format!("{mark}{}\n", line.text)
            })
            .collect()
    }

    #[test]
    fn aligns_changes_between_common_lines() {
        let old = "a\nb\nc\nd\ne\n";
        let new = "a\nc\nd2\ne\nf\n";
        assert_eq!(render(old, new), " a\n-b\n c\n-d\n+d2\n e\n+f\n");
        let numbered: Vec<(Option<usize>, Option<usize>)> = line_diff(old, new)
            .iter()
            .map(|line| (line.old, line.new))
            .collect();
        assert_eq!(numbered[0], (Some(1), Some(1)));
        assert_eq!(numbered[2], (Some(3), Some(2)));
        assert_eq!(numbered[6], (None, Some(5)));
    }

    #[test]
    fn empty_and_equal_texts() {
        assert_eq!(render("", "x\n"), "+x\n");
        assert_eq!(render("x\n", ""), "-x\n");
        assert_eq!(render("x\ny\n", "x\ny\n"), " x\n y\n");
    }

    #[test]
    fn large_changes_are_shown_whole_without_a_table() {
        let old: String = (0..1100).map(|i| format!("old {i}\n")).collect();
        let new: String = (0..1100).map(|i| format!("new {i}\n")).collect();
        let (old, new) = (format!("head\n{old}tail\n"), format!("head\n{new}tail\n"));
        let diff = line_diff(&old, &new);
        assert_eq!(diff.len(), 2 + 2 * 1100);
        assert_eq!(diff[0].change, Change::Same);
        assert!(diff[1..=1100]
            .iter()
            .all(|line| line.change == Change::Removed));
        assert!(diff[1101..=2200]
            .iter()
            .all(|line| line.change == Change::Added));
        assert_eq!((diff[2201].old, diff[2201].new), (Some(1102), Some(1102)));
    }
}
