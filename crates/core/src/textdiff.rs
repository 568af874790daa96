//! Word-level differences between two texts (two runs' outputs for one input): the texts are
//! split into words, runs of spaces and single punctuation marks, and the shortest edit between
//! the two token lists is found with Myers' algorithm. Adjacent changes of one kind are merged.

use serde::{Deserialize, Serialize};

/// Above this many differing tokens the texts are shown as removed and added whole: the
/// search's cost grows with the square of the difference.
const MAX_EDIT: usize = 1500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Same,
    Removed,
    Added,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    pub change: Change,
    pub text: String,
}

/// Words (letters, digits, `_`, `'` inside a word), runs of whitespace, and any other single
/// character.
pub fn tokens(text: &str) -> Vec<&str> {
    #[derive(PartialEq, Clone, Copy)]
    enum Class {
        Word,
        Space,
        Other,
    }
    let class = |c: char| {
        if c.is_alphanumeric() || c == '_' {
            Class::Word
        } else if c.is_whitespace() {
            Class::Space
        } else {
            Class::Other
        }
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut current: Option<Class> = None;
    for (i, c) in text.char_indices() {
        let k = class(c);
        let continues = match current {
            Some(Class::Other) | None => false,
            Some(prev) => prev == k,
        };
        if !continues {
            if i > start {
                out.push(&text[start..i]);
            }
            start = i;
        }
        current = Some(k);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The word-level changes that turn `old` into `new`.
pub fn word_diff(old: &str, new: &str) -> Vec<Piece> {
    let a = tokens(old);
    let b = tokens(new);
    // Common beginning and end first: outputs usually differ in a few places.
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut ops: Vec<(Change, &str)> = Vec::new();
    ops.extend(a[..prefix].iter().map(|t| (Change::Same, *t)));
    match myers(am, bm) {
        Some(middle) => ops.extend(middle),
        None => {
            ops.extend(am.iter().map(|t| (Change::Removed, *t)));
            ops.extend(bm.iter().map(|t| (Change::Added, *t)));
        }
    }
    ops.extend(a[a.len() - suffix..].iter().map(|t| (Change::Same, *t)));
    merge(ops)
}

/// Whether two texts differ only in whitespace at their ends.
pub fn same_text(a: &str, b: &str) -> bool {
    a.trim() == b.trim()
}

/// Adjacent changes of one kind become one piece; changes separated only by spaces become one
/// removed and one added piece ("[-a b-]{+c d+}" reads better than "[-a-]{+c+} [-b-]{+d+}").
fn merge(ops: Vec<(Change, &str)>) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let mut removed = String::new();
    let mut added = String::new();
    let mut gap = String::new();
    let flush = |out: &mut Vec<Piece>, removed: &mut String, added: &mut String| {
        for (change, text) in [(Change::Removed, removed), (Change::Added, added)] {
            if !text.is_empty() {
                out.push(Piece {
                    change,
                    text: std::mem::take(text),
                });
            }
        }
    };
    let push_same = |out: &mut Vec<Piece>, text: &str| match out.last_mut() {
        Some(last) if last.change == Change::Same => last.text.push_str(text),
        _ => out.push(Piece {
            change: Change::Same,
            text: text.to_string(),
        }),
    };
    let mut i = 0;
    while i < ops.len() {
        let (change, text) = ops[i];
        match change {
            Change::Removed | Change::Added => {
                // Spaces held back between two changes join both sides of the change.
                removed.push_str(&gap);
                added.push_str(&gap);
                gap.clear();
                if change == Change::Removed {
                    removed.push_str(text);
                } else {
                    added.push_str(text);
                }
            }
            Change::Same => {
                let in_change = !removed.is_empty() || !added.is_empty();
                let next_changes = ops.get(i + 1).is_some_and(|(c, _)| *c != Change::Same);
                if in_change && text.trim().is_empty() && next_changes {
                    gap.push_str(text);
                } else {
                    flush(&mut out, &mut removed, &mut added);
                    push_same(&mut out, text);
                }
            }
        }
        i += 1;
    }
    flush(&mut out, &mut removed, &mut added);
    out
}

/// Myers' O((N+M)·D) shortest edit script; `None` when the edit is longer than [`MAX_EDIT`].
fn myers<'a>(a: &[&'a str], b: &[&'a str]) -> Option<Vec<(Change, &'a str)>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    if n == 0 || m == 0 {
        let mut out: Vec<(Change, &str)> = a.iter().map(|t| (Change::Removed, *t)).collect();
        out.extend(b.iter().map(|t| (Change::Added, *t)));
        return Some(out);
    }
    let max = (n + m) as usize;
    let limit = max.min(MAX_EDIT) as isize;
    let offset = max as isize;
    let mut v = vec![0isize; 2 * max + 2];
    // For each d, the frontier before step d over diagonals -d..=d (all the walk back reads).
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let mut found = None;
    'outer: for d in 0..=limit {
        trace.push(v[(offset - d) as usize..=(offset + d) as usize].to_vec());
        let mut k = -d;
        while k <= d {
            let idx = (k + offset) as usize;
            let mut x = if k == -d || (k != d && v[idx - 1] < v[idx + 1]) {
                v[idx + 1]
            } else {
                v[idx - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[idx] = x;
            if x >= n && y >= m {
                found = Some(d);
                break 'outer;
            }
            k += 2;
        }
    }
    let d_end = found?;
    let mut out: Vec<(Change, &str)> = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (1..=d_end).rev() {
        let frontier = &trace[d as usize];
        let at = |k: isize| frontier[(k + d) as usize];
        let k = x - y;
        let prev_k = if k == -d || (k != d && at(k - 1) < at(k + 1)) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = at(prev_k);
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            out.push((Change::Same, a[(x - 1) as usize]));
            x -= 1;
            y -= 1;
        }
        if x == prev_x {
            out.push((Change::Added, b[(y - 1) as usize]));
        } else {
            out.push((Change::Removed, a[(x - 1) as usize]));
        }
        x = prev_x;
        y = prev_y;
    }
    while x > 0 && y > 0 {
        out.push((Change::Same, a[(x - 1) as usize]));
        x -= 1;
        y -= 1;
    }
    out.reverse();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|p| match p.change {
                Change::Same => p.text.clone(),
                Change::Removed => format!("[-{}-]", p.text),
                Change::Added => format!("{{+{}+}}", p.text),
            })
            .collect()
    }

    fn sides(pieces: &[Piece]) -> (String, String) {
        let old = pieces
            .iter()
            .filter(|p| p.change != Change::Added)
            .map(|p| p.text.as_str())
            .collect();
        let new = pieces
            .iter()
            .filter(|p| p.change != Change::Removed)
            .map(|p| p.text.as_str())
            .collect();
        (old, new)
    }

    #[test]
    fn tokens_are_words_spaces_and_marks() {
        assert_eq!(
            tokens("Hi, wörld!  x_1"),
            vec!["Hi", ",", " ", "wörld", "!", "  ", "x_1"]
        );
        assert!(tokens("").is_empty());
    }

    #[test]
    fn words_that_changed_are_marked() {
        let d = word_diff(
            "The capital of France is Paris.",
            "The capital of France is Lyon, not Paris.",
        );
        assert_eq!(render(&d), "The capital of France is {+Lyon, not +}Paris.");
        let d = word_diff("a b c", "a x c");
        assert_eq!(render(&d), "a [-b-]{+x+} c");
        // Neighbouring changes read as one.
        let d = word_diff(
            "City 0, the capital of country 0.",
            "I believe country 0 has City 0 as its capital.",
        );
        let changes = d.iter().filter(|p| p.change != Change::Same).count();
        assert!(changes <= 6, "{}", render(&d));
        assert_eq!(render(&word_diff("x a b y", "x c d y")), "x [-a b-]{+c d+} y");
        assert_eq!(render(&word_diff("same", "same")), "same");
        assert_eq!(render(&word_diff("", "new text")), "{+new text+}");
        assert_eq!(render(&word_diff("old", "")), "[-old-]");
    }

    #[test]
    fn both_texts_can_be_read_back_from_the_diff() {
        let cases = [
            ("one two three four", "two three five four one"),
            ("<b>markup</b> & text", "<i>markup</i> and text"),
            ("línea 1\nlínea 2", "línea 1\nlínea 3\nlínea 2"),
        ];
        for (a, b) in cases {
            let d = word_diff(a, b);
            assert_eq!(sides(&d), (a.to_string(), b.to_string()), "{a:?} -> {b:?}");
        }
    }

    #[test]
    fn long_texts_stay_cheap() {
        let a: String = (0..20_000).map(|i| format!("w{i} ")).collect();
        let b: String = (0..20_000).map(|i| format!("v{i} ")).collect();
        let d = word_diff(&a, &b);
        assert_eq!(sides(&d), (a, b));
        assert!(same_text(" x \n", "x"));
    }
}
