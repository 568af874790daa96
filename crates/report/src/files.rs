//! File names for what a review exports: the report from the review's name, chart images from
//! metric keys. A name made here is one plain file name, never a path: it cannot leave the folder
//! it is written into, hide itself or be `.`/`..`.

/// Longest stem, in characters.
const MAX_STEM_CHARS: usize = 100;

/// `text` as a file name's stem: path separators, characters file systems refuse and control
/// characters become `_`; leading and trailing dots and spaces go; `fallback` when nothing is left.
pub fn safe_stem(text: &str, fallback: &str) -> String {
    let replaced: String = text
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let stem: String = replaced
        .trim_matches(|c: char| c == '.' || c.is_whitespace())
        .chars()
        .take(MAX_STEM_CHARS)
        .collect();
    let stem = stem.trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if stem.is_empty() {
        fallback.to_string()
    } else {
        stem.to_string()
    }
}

/// `<review name>.html`.
pub fn report_file_name(review_name: &str) -> String {
    format!("{}.html", safe_stem(review_name, "review"))
}

/// `<metric key>.png` (`val/loss` → `val_loss.png`).
pub fn chart_file_name(metric_key: &str) -> String {
    format!("{}.png", safe_stem(metric_key, "chart"))
}

/// The `n`-th name to try for `file_name` when it is taken: `loss.png`, `loss-2.png`, `loss-3.png`…
pub fn numbered(file_name: &str, n: usize) -> String {
    if n <= 1 {
        return file_name.to_string();
    }
    match file_name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => format!("{stem}-{n}.{extension}"),
        _ => format!("{file_name}-{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Component, Path};

    #[test]
    fn names_come_from_titles() {
        assert_eq!(report_file_name("Q3 churn review"), "Q3 churn review.html");
        assert_eq!(chart_file_name("val/loss"), "val_loss.png");
        assert_eq!(chart_file_name("a:b*c?\n"), "a_b_c__.png");
        assert_eq!(report_file_name("   "), "review.html");
        assert_eq!(chart_file_name(".."), "chart.png");
        assert_eq!(chart_file_name(".hidden"), "hidden.png");
        assert_eq!(report_file_name(&"x".repeat(500)).chars().count(), MAX_STEM_CHARS + 5);
    }

    #[test]
    fn a_name_is_always_one_plain_file_in_the_folder() {
        for hostile in [
            "../../etc/passwd",
            "/abs/path",
            "..\\..\\win",
            "a/../..",
            ".",
            "C:\\x",
            "<script>",
        ] {
            for name in [report_file_name(hostile), chart_file_name(hostile)] {
                let components: Vec<_> = Path::new(&name).components().collect();
                assert!(
                    matches!(components.as_slice(), [Component::Normal(_)]),
                    "{hostile:?} → {name:?}"
                );
                assert!(!name.starts_with('.'), "{name}");
            }
        }
    }

    #[test]
    fn taken_names_get_a_number() {
        assert_eq!(numbered("loss.png", 1), "loss.png");
        assert_eq!(numbered("loss.png", 2), "loss-2.png");
        assert_eq!(numbered("val_loss.v2.png", 3), "val_loss.v2-3.png");
        assert_eq!(numbered("noext", 2), "noext-2");
    }
}
