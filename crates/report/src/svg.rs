//! Charts inlined into the report: the SVG `runlens-charts` draws is parsed and written again
//! with only the elements and attributes a chart needs, every value escaped. Scripts, links,
//! images, `url(…)` references, comments and the XML declaration cannot pass, whatever text a
//! run name or metric key carried into the drawing.

use crate::markup::escape;

/// The drawing elements plotters writes (and `g`/`tspan`, harmless).
const ELEMENTS: &[&str] = &[
    "svg", "g", "rect", "line", "polyline", "polygon", "circle", "ellipse", "path", "text", "tspan",
];

/// Geometry and presentation only: nothing that names a resource or runs code.
const ATTRIBUTES: &[&str] = &[
    "width",
    "height",
    "viewBox",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "dx",
    "dy",
    "d",
    "points",
    "fill",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-dasharray",
    "stroke-linecap",
    "stroke-linejoin",
    "opacity",
    "transform",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "text-anchor",
    "dominant-baseline",
];

/// An SVG element safe to put into the report as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct SafeSvg(String);

impl SafeSvg {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a drawing was not inlined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// The drawing as an inline `<svg>` labelled `label` (for screen readers), rebuilt from the
/// allow-lists. Elements or attributes outside them are dropped; a drawing that does not parse,
/// or whose root is not `<svg>`, is refused.
pub fn inline(document: &str, label: &str) -> Result<SafeSvg, Refused> {
    let parsed =
        roxmltree::Document::parse(document).map_err(|e| Refused(format!("the chart is not valid SVG: {e}")))?;
    let root = parsed.root_element();
    if root.tag_name().name() != "svg" {
        return Err(Refused(format!(
            "the chart's root is <{}>, not <svg>",
            root.tag_name().name()
        )));
    }
    let mut out = String::with_capacity(document.len());
    out.push_str("<svg class=\"chart-svg\" role=\"img\" aria-label=\"");
    out.push_str(&escape(label));
    out.push('"');
    write_attributes(root, &mut out);
    out.push('>');
    for child in root.children() {
        write_node(child, &mut out);
    }
    out.push_str("</svg>");
    Ok(SafeSvg(out))
}

fn write_node(node: roxmltree::Node<'_, '_>, out: &mut String) {
    if node.is_text() {
        out.push_str(&escape(node.text().unwrap_or_default()));
        return;
    }
    if !node.is_element() {
        return;
    }
    let name = node.tag_name().name();
    // An SVG element in the SVG namespace (or none), from the list; anything else goes, children
    // and all (a `<script>` or `<foreignObject>` must not leave its text behind either).
    let in_svg_namespace = node
        .tag_name()
        .namespace()
        .is_none_or(|ns| ns == "http://www.w3.org/2000/svg");
    let Some(name) = ELEMENTS.iter().find(|e| **e == name).filter(|_| in_svg_namespace) else {
        return;
    };
    out.push('<');
    out.push_str(name);
    write_attributes(node, out);
    out.push('>');
    for child in node.children() {
        write_node(child, out);
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn write_attributes(node: roxmltree::Node<'_, '_>, out: &mut String) {
    for attribute in node.attributes() {
        if attribute.namespace().is_some() {
            continue;
        }
        let Some(name) = ATTRIBUTES.iter().find(|a| **a == attribute.name()) else {
            continue;
        };
        if names_a_resource(attribute.value()) {
            continue;
        }
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        out.push_str(&escape(attribute.value()));
        out.push('"');
    }
}

/// `url(…)` in any spelling (`URL (`, with escapes removed by the parser already).
fn names_a_resource(value: &str) -> bool {
    let squeezed: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    squeezed.contains("url(") || squeezed.contains("javascript:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drawing_keeps_its_shapes_and_text() {
        let drawn = r##"<?xml version="1.0"?>
<svg width="200" height="100" viewBox="0 0 200 100" xmlns="http://www.w3.org/2000/svg">
<rect x="0" y="0" width="200" height="100" opacity="1" fill="#FFFFFF" stroke="none"/>
<polyline fill="none" opacity="1" stroke="#3B7DDD" stroke-width="2" points="1,2 3,4 "/>
<text x="10" y="20" dy="0.76em" text-anchor="start" font-family="sans-serif" font-size="10" opacity="1" fill="#000000">
val/loss &lt;b&gt; &amp; co
</text>
</svg>"##;
        let svg = inline(drawn, "val/loss").unwrap();
        let s = svg.as_str();
        assert!(s.starts_with("<svg class=\"chart-svg\" role=\"img\" aria-label=\"val/loss\" width=\"200\""));
        assert!(s.contains("viewBox=\"0 0 200 100\""));
        assert!(s.contains(
            "<polyline fill=\"none\" opacity=\"1\" stroke=\"#3B7DDD\" stroke-width=\"2\" points=\"1,2 3,4 \">"
        ));
        assert!(s.contains("val/loss &lt;b&gt; &amp; co"));
        assert!(!s.contains("<?xml") && !s.contains("xmlns") && !s.contains("http"));
    }

    #[test]
    fn scripts_links_and_handlers_do_not_pass() {
        let hostile = r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">
<script>alert(1)</script>
<a href="https://evil.example/"><text x="1">click</text></a>
<image href="https://evil.example/x.png" xlink:href="http://evil.example/y.png"/>
<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">html</div></foreignObject>
<rect fill="url(https://evil.example/#p)" stroke="URL ( #x )" width="5" style="background:url(x)" onclick="alert(2)"/>
<text x="1" y="2">&lt;script&gt;alert(3)&lt;/script&gt;</text>
<!-- a comment -->
</svg>"##;
        let s = inline(hostile, "<script>").unwrap().0;
        for banned in [
            "<script",
            "onload",
            "onclick",
            "href",
            "<a",
            "<image",
            "foreignObject",
            "url(",
            "URL",
            "style=",
            "<!--",
            "evil",
            "click",
        ] {
            assert!(!s.contains(banned), "{banned} passed: {s}");
        }
        assert!(s.contains("&lt;script&gt;alert(3)&lt;/script&gt;"), "{s}");
        assert!(s.contains("aria-label=\"&lt;script&gt;\""), "{s}");
        assert!(s.contains("<rect width=\"5\"></rect>"), "{s}");
    }

    #[test]
    fn what_is_not_an_svg_drawing_is_refused() {
        assert!(inline("<html><body/></html>", "x").is_err());
        assert!(inline("not xml", "x").is_err());
        assert!(inline("<!DOCTYPE svg [<!ENTITY e 'x'>]><svg>&e;</svg>", "x").is_err());
    }
}
