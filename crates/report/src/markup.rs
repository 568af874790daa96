//! The one way the report writes HTML: markup only as `&'static str` (written here, in the
//! source), everything else escaped, so no value read from a store can become markup.

/// Text as HTML text or as a double- or single-quoted attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// An HTML document being written.
#[derive(Debug, Default)]
pub struct Html(String);

impl Html {
    pub fn new() -> Html {
        Html::default()
    }

    /// Markup written in the source. Taking only `&'static str` keeps values out of it.
    pub fn raw(&mut self, markup: &'static str) -> &mut Html {
        self.0.push_str(markup);
        self
    }

    /// Any text, escaped.
    pub fn text(&mut self, text: &str) -> &mut Html {
        self.0.push_str(&escape(text));
        self
    }

    /// `<tag class="…">text</tag>`, the text escaped.
    pub fn element(&mut self, open: &'static str, text: &str, close: &'static str) -> &mut Html {
        self.raw(open).text(text).raw(close)
    }

    /// A chart that [`crate::svg::inline`] rebuilt from its allow-list.
    pub(crate) fn svg(&mut self, svg: &crate::svg::SafeSvg) -> &mut Html {
        self.0.push_str(svg.as_str());
        self
    }

    pub fn finish(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_special_characters_are_escaped() {
        assert_eq!(
            escape(r#"<script>alert('x') & "y"</script>"#),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
        // Escaping is not undone: an entity in a value stays visible as written.
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(escape("plain — ünïcode"), "plain — ünïcode");
    }

    #[test]
    fn values_become_text_and_source_markup_stays() {
        let mut html = Html::new();
        html.element("<td class=\"v\">", "\"><img src=x onerror=alert(1)>", "</td>");
        assert_eq!(
            html.finish(),
            "<td class=\"v\">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</td>"
        );
    }
}
