//! Markdown (run and experiment descriptions, `mlflow.note.content`) rendered to HTML that is safe
//! to put into the webview with `inner_html`.
//!
//! Descriptions come from the store, so anyone who can log a run writes them. The renderer keeps
//! Markdown's formatting and nothing that could run code, load anything or style the page:
//! - raw HTML, block or inline, is shown as text (escaped), never interpreted;
//! - links keep only `http:`, `https:`, `mailto:` and `#` destinations; any other link (relative
//!   paths, `javascript:`, `data:`, `file:` ...) is reduced to its text;
//! - images are never loaded: each becomes a link to the image (when its address is allowed) whose
//!   text is the image's alt text;
//! - table column alignment is dropped (it would be an inline `style`, which the CSP forbids).
//!
//! Text, code, titles and addresses are escaped by `pulldown-cmark`'s HTML writer.

use pulldown_cmark::{html, Alignment, CodeBlockKind, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

/// Renders Markdown to HTML that contains no script, no event handler, no style and no remote load.
pub fn render_markdown(text: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Sanitize::new(Parser::new_ext(text, options));
    let mut out = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// Whether a link may keep its destination: web and mail addresses and in-page anchors only.
pub fn is_safe_link(dest: &str) -> bool {
    let lower = dest.to_ascii_lowercase();
    dest.starts_with('#')
        || lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("mailto:")
}

/// What became of a link or image start, so its end is treated the same way.
enum Opened {
    /// Written as a link: its end closes the link.
    Link,
    /// Dropped: its content stays as plain text and its end is dropped too.
    Dropped,
}

/// Rewrites the parser's events so the HTML writer only produces safe markup.
struct Sanitize<'a, I: Iterator<Item = Event<'a>>> {
    inner: std::iter::Peekable<I>,
    /// One entry per link or image open at this point.
    open: Vec<Opened>,
    /// Events to send before reading the parser again.
    pending: Option<Event<'a>>,
}

impl<'a, I: Iterator<Item = Event<'a>>> Sanitize<'a, I> {
    fn new(inner: I) -> Self {
        Sanitize {
            inner: inner.peekable(),
            open: Vec::new(),
            pending: None,
        }
    }

    fn inside_link(&self) -> bool {
        self.open.iter().any(|o| matches!(o, Opened::Link))
    }

    /// The event that replaces `event`, or `None` to drop it.
    fn rewrite(&mut self, event: Event<'a>) -> Option<Event<'a>> {
        match event {
            // Raw HTML is shown as the text that was written.
            Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
            Event::Start(Tag::HtmlBlock) => Some(Event::Start(Tag::CodeBlock(CodeBlockKind::Indented))),
            Event::End(TagEnd::HtmlBlock) => Some(Event::End(TagEnd::CodeBlock)),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                // `<user@example.com>` arrives without its scheme; the writer would add it.
                let (link_type, dest_url) = match link_type {
                    LinkType::Email => (LinkType::Inline, CowStr::from(format!("mailto:{dest_url}"))),
                    other => (other, dest_url),
                };
                if is_safe_link(&dest_url) && !self.inside_link() {
                    self.open.push(Opened::Link);
                    Some(Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }))
                } else {
                    self.open.push(Opened::Dropped);
                    None
                }
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let alt_is_empty = matches!(self.inner.peek(), Some(Event::End(TagEnd::Image)));
                if is_safe_link(&dest_url) && !self.inside_link() {
                    self.open.push(Opened::Link);
                    if alt_is_empty {
                        self.pending = Some(Event::Text(dest_url.clone()));
                    }
                    let title = if title.is_empty() {
                        CowStr::from(format!("Image (not loaded): {dest_url}"))
                    } else {
                        title
                    };
                    Some(Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }))
                } else {
                    self.open.push(Opened::Dropped);
                    None
                }
            }
            Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => match self.open.pop() {
                Some(Opened::Link) => Some(Event::End(TagEnd::Link)),
                _ => None,
            },
            // Alignment would be written as `style="text-align: ..."`, refused by the CSP.
            Event::Start(Tag::Table(alignments)) => {
                Some(Event::Start(Tag::Table(vec![Alignment::None; alignments.len()])))
            }
            // Attributes only come with ENABLE_HEADING_ATTRIBUTES (off); cleared all the same.
            Event::Start(Tag::Heading { level, .. }) => Some(Event::Start(Tag::Heading {
                level,
                id: None,
                classes: Vec::new(),
                attrs: Vec::new(),
            })),
            other => Some(other),
        }
    }
}

impl<'a, I: Iterator<Item = Event<'a>>> Iterator for Sanitize<'a, I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        if let Some(event) = self.pending.take() {
            return Some(event);
        }
        loop {
            let event = self.inner.next()?;
            if let Some(out) = self.rewrite(event) {
                return Some(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every tag of the output, as (name, attribute text), so tests can check what markup exists.
    fn tags(html: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut rest = html;
        while let Some(start) = rest.find('<') {
            let after = &rest[start + 1..];
            let end = after.find('>').expect("every `<` in the output opens a tag");
            let inner = after[..end].trim_end_matches('/').trim();
            let inner = inner.strip_prefix('/').unwrap_or(inner);
            let (name, attrs) = inner.split_once(' ').unwrap_or((inner, ""));
            out.push((name.to_string(), attrs.trim().to_string()));
            rest = &after[end + 1..];
        }
        out
    }

    /// The safety invariant: only known elements, only `href`/`title`/`start`/code classes, no
    /// handler, style or source anywhere in a tag, and no `<` in text that is not a tag.
    fn assert_safe(html: &str) {
        const ELEMENTS: &[&str] = &[
            "p",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "em",
            "strong",
            "del",
            "a",
            "code",
            "pre",
            "ul",
            "ol",
            "li",
            "blockquote",
            "hr",
            "br",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
        ];
        for (name, attrs) in tags(html) {
            assert!(ELEMENTS.contains(&name.as_str()), "element <{name}> in {html}");
            let lower = attrs.to_ascii_lowercase();
            for bad in ["on", "style", "src", "srcset", "formaction", "xlink"] {
                for attr in lower.split('"').step_by(2) {
                    let attr_name = attr.trim().trim_end_matches('=');
                    assert!(
                        !(attr_name == bad || (bad == "on" && attr_name.starts_with("on"))),
                        "attribute {attr_name} in <{name} {attrs}>"
                    );
                }
            }
            if name == "a" && attrs.contains("href=") {
                let href = attrs.split("href=\"").nth(1).unwrap().split('"').next().unwrap();
                assert!(is_safe_link(href), "href {href} in {html}");
            }
        }
    }

    fn render(md: &str) -> String {
        let html = render_markdown(md);
        assert_safe(&html);
        html
    }

    #[test]
    fn formatting_is_kept() {
        let html = render("# Title\n\nSome *emphasis*, **strong**, ~~gone~~ and `code`.\n\n- a\n- b\n\n3. three\n");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>emphasis</em>"));
        assert!(html.contains("<strong>strong</strong>"));
        assert!(html.contains("<del>gone</del>"));
        assert!(html.contains("<code>code</code>"));
        assert!(html.contains("<ul>\n<li>a</li>"));
        assert!(html.contains("<ol start=\"3\">"));
    }

    #[test]
    fn code_blocks_escape_their_content() {
        let html = render("```html\n<script>alert(1)</script>\n```\n");
        assert!(
            html.contains("<pre><code class=\"language-html\">&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        let html = render("```\"><img src=x onerror=alert(1)>\nx\n```\n");
        assert!(!html.contains("<img"), "{html}");
    }

    #[test]
    fn tables_render_without_inline_styles() {
        let html = render("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<th>a</th>"));
        assert!(html.contains("<td>3</td>"));
        assert!(!html.contains("style"));
    }

    #[test]
    fn raw_html_blocks_are_shown_as_text() {
        let html = render("<script>alert('x')</script>\n");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert('x')&lt;/script&gt;"), "{html}");
        let html = render("<div onclick=\"steal()\">\n\n*md*\n\n</div>\n");
        assert!(html.contains("&lt;div onclick=\"steal()\"&gt;"), "{html}");
        assert!(html.contains("<em>md</em>"));
        let html = render("<style>body{display:none}</style>\n");
        assert!(html.contains("&lt;style&gt;"), "{html}");
        let html = render("<!-- a comment -->\n");
        assert!(html.contains("&lt;!-- a comment --&gt;"), "{html}");
    }

    #[test]
    fn inline_html_is_shown_as_text() {
        let html = render("before <img src=x onerror=alert(1)> after");
        assert_eq!(html, "<p>before &lt;img src=x onerror=alert(1)&gt; after</p>\n");
        let html = render("a <b>bold</b> <iframe src=\"https://evil\"></iframe>");
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"), "{html}");
        assert!(html.contains("&lt;iframe"), "{html}");
        let html = render("x <svg/onload=alert(1)> y");
        assert!(html.contains("&lt;svg/onload=alert(1)&gt;"), "{html}");
    }

    #[test]
    fn entities_decode_to_text_and_stay_escaped() {
        let html = render("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &copy; &#60;b&#62;");
        assert_eq!(html, "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; © &lt;b&gt;</p>\n");
    }

    #[test]
    fn web_mail_and_anchor_links_are_kept() {
        let html = render(
            "[docs](https://mlflow.org/docs \"MLflow\") [plain](http://x.test) [mail](mailto:a@b.c) [top](#top)",
        );
        assert!(
            html.contains("<a href=\"https://mlflow.org/docs\" title=\"MLflow\">docs</a>"),
            "{html}"
        );
        assert!(html.contains("<a href=\"http://x.test\">plain</a>"));
        assert!(html.contains("<a href=\"mailto:a@b.c\">mail</a>"));
        assert!(html.contains("<a href=\"#top\">top</a>"));
        let html = render("<https://example.com/a?b=1&c=2> and <someone@example.com>");
        assert!(
            html.contains("<a href=\"https://example.com/a?b=1&amp;c=2\">https://example.com/a?b=1&amp;c=2</a>"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"mailto:someone@example.com\">someone@example.com</a>"),
            "{html}"
        );
        let html = render("[upper](HTTPS://EXAMPLE.COM)");
        assert!(html.contains("href=\"HTTPS://EXAMPLE.COM\""), "{html}");
    }

    #[test]
    fn other_links_become_their_text() {
        for dest in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "&#106;avascript:alert(1)",
            "&#x6A;avascript&colon;alert(1)",
            "java%0ascript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "relative/page.html",
            "//evil.example/x",
            "<javascript:alert(1)>",
            " javascript:alert(1)",
        ] {
            let html = render(&format!("[click me]({dest})"));
            assert_eq!(html, "<p>click me</p>\n", "destination {dest}");
        }
        let html = render("<javascript:alert(1)>");
        assert_eq!(html, "<p>javascript:alert(1)</p>\n");
        let html = render("[ref][r]\n\n[r]: javascript:alert(1)\n");
        assert_eq!(html, "<p>ref</p>\n");
        let html = render("[*nested* `code`](javascript:x)");
        assert_eq!(html, "<p><em>nested</em> <code>code</code></p>\n");
    }

    #[test]
    fn titles_and_addresses_cannot_inject_attributes() {
        let html = render("[x](https://a.test \"t\\\" onmouseover=\\\"alert(1)\")");
        assert!(html.contains("title=\"t&quot; onmouseover=&quot;alert(1)\""), "{html}");
        let html = render("[x](<https://a.test/\" onclick=\"alert(1)>)");
        assert_eq!(
            html,
            "<p><a href=\"https://a.test/%22%20onclick=%22alert(1)\">x</a></p>\n"
        );
        let html = render("[x](https://a.test/'><script>alert(1)</script>)");
        assert_eq!(
            html,
            "<p><a href=\"https://a.test/&#x27;%3E%3Cscript%3Ealert(1)%3C/script%3E\">x</a></p>\n"
        );
        let html = render("[x](https://a.test 'it''s <b>')");
        assert!(!html.contains("<b>"), "{html}");
    }

    #[test]
    fn images_become_links_and_never_load() {
        let html = render("![a chart](https://example.com/chart.png)");
        assert_eq!(
            html,
            "<p><a href=\"https://example.com/chart.png\" title=\"Image (not loaded): https://example.com/chart.png\">a chart</a></p>\n"
        );
        let html = render("![](https://example.com/x.png \"Loss\")");
        assert_eq!(
            html,
            "<p><a href=\"https://example.com/x.png\" title=\"Loss\">https://example.com/x.png</a></p>\n"
        );
        let html = render("![local](plots/loss.png) ![js](javascript:alert(1)) ![](data:image/png;base64,AAAA)");
        assert_eq!(html, "<p>local js </p>\n");
        let html = render("![x\" onerror=\"alert(1)](https://a.test/i.png)");
        // Alt text is body text of the link now, not an attribute: quotes are harmless there.
        assert!(html.contains("\">x\" onerror=\"alert(1)</a>"), "{html}");
        let html = render("![*alt* text](https://a.test/i.png)");
        assert!(html.contains("><em>alt</em> text</a>"), "{html}");
    }

    #[test]
    fn badges_keep_the_outer_link_only() {
        let html = render("[![build](https://ci.test/badge.svg)](https://ci.test/job)");
        assert_eq!(html, "<p><a href=\"https://ci.test/job\">build</a></p>\n");
        let html = render("[![build](https://ci.test/badge.svg)](javascript:alert(1))");
        assert_eq!(html, "<p><a href=\"https://ci.test/badge.svg\" title=\"Image (not loaded): https://ci.test/badge.svg\">build</a></p>\n");
    }

    #[test]
    fn reference_images_and_links_follow_the_same_rules() {
        let html = render("![logo][l] [site][s]\n\n[l]: https://a.test/l.png\n[s]: https://a.test\n");
        assert!(html.contains("<a href=\"https://a.test/l.png\""), "{html}");
        assert!(html.contains("<a href=\"https://a.test\">site</a>"), "{html}");
        assert!(!html.contains("<img"));
    }

    #[test]
    fn hostile_inputs_from_the_fixtures_render_as_text() {
        for md in [
            "<img src=x onerror=alert(document.cookie)>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<p style=\"position:fixed;inset:0\">cover</p>",
            "<meta http-equiv=\"refresh\" content=\"0;url=https://evil\">",
            "<link rel=stylesheet href=https://evil/x.css>",
            "<object data=\"x\"></object><embed src=x>",
            "<form action=https://evil><button formaction=javascript:alert(1)>go</button></form>",
            "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
            "`<img src=x onerror=alert(1)>`",
            "> <script>alert(1)</script>",
            "| h |\n|---|\n| <img src=x onerror=alert(1)> |",
            "- [x](javascript:alert(1)) <b onmouseover=alert(1)>hover</b>",
            "***<u>***",
            "\0<script>\0",
        ] {
            let html = render(md);
            assert!(
                !html.contains("<img") && !html.contains("<script") && !html.contains("<meta"),
                "{md}: {html}"
            );
        }
    }

    #[test]
    fn empty_and_plain_text() {
        assert_eq!(render_markdown(""), "");
        assert_eq!(render("just text"), "<p>just text</p>\n");
        assert_eq!(render("a & b < c > d \"q\""), "<p>a &amp; b &lt; c &gt; d \"q\"</p>\n");
    }

    #[test]
    fn safe_link_check() {
        assert!(is_safe_link("https://x"));
        assert!(is_safe_link("MAILTO:x@y"));
        assert!(is_safe_link("#section"));
        assert!(!is_safe_link("http:/x"));
        assert!(!is_safe_link("httpx://x"));
        assert!(!is_safe_link("javascript:alert(1)"));
        assert!(!is_safe_link(""));
        assert!(!is_safe_link("/absolute"));
    }

    proptest::proptest! {
        /// Whatever the input, the output contains only allowed markup.
        #[test]
        fn any_input_renders_safely(md in "(\\PC|[<>\"'&\\[\\]()!*`#|\\n -])*") {
            assert_safe(&render_markdown(&md));
        }

        /// Markup-heavy inputs built from hostile fragments.
        #[test]
        fn hostile_fragments_render_safely(parts in proptest::collection::vec(proptest::sample::select(vec![
            "<img src=x onerror=alert(1)>", "<script>", "</script>", "[", "]", "(", ")", "![", "javascript:",
            "https://a.test", "\"", "'", "<", ">", "\n", "\n\n", "```", "`", "|", "---", "*", "&#106;", "&lt;",
            "<!--", "-->", "<div>", "mailto:a@b", "#x", " ", "  \n", "> ", "- ", "[r]: ", "<https://a.test>",
        ]), 0..40)) {
            assert_safe(&render_markdown(&parts.concat()));
        }
    }
}
