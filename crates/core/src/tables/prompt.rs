//! Prompt templates: a param such as `prompt_template` holding `{placeholders}`, with one param
//! per variable, shown as the filled prompt with the variables marked.

use crate::display::ParamValue;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A part of a filled prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum PromptPart {
    Text {
        text: String,
    },
    /// A placeholder and the value of the param of that name (`None`: the run has no such param).
    Var {
        name: String,
        value: Option<String>,
    },
}

/// A template param and the prompt it makes with the run's other params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilledPrompt {
    /// The param holding the template.
    pub param: String,
    pub template: String,
    pub parts: Vec<PromptPart>,
}

/// Params whose name says template or prompt (`prompt_template`, `system_prompt`, ...) and whose
/// value has at least one `{name}` placeholder, or any param with a placeholder that another
/// param fills.
pub fn filled_prompts(params: &BTreeMap<String, String>) -> Vec<FilledPrompt> {
    let decoded: BTreeMap<&str, String> = params.iter().map(|(k, v)| (k.as_str(), decode(v))).collect();
    let mut out = Vec::new();
    for (key, template) in &decoded {
        let names = placeholders(template);
        if names.is_empty() {
            continue;
        }
        let lower = key.to_lowercase();
        let named_like_a_template = lower.contains("template") || lower.contains("prompt");
        let filled_by_another = names.iter().any(|n| n != key && decoded.contains_key(n.as_str()));
        if !(named_like_a_template || filled_by_another) {
            continue;
        }
        out.push(FilledPrompt {
            param: key.to_string(),
            template: template.clone(),
            parts: fill(template, &|name| {
                (name != *key).then(|| decoded.get(name).cloned()).flatten()
            }),
        });
    }
    out
}

/// MaxFlow stores `json.dumps(value)`: a quoted string reads unquoted.
fn decode(stored: &str) -> String {
    match ParamValue::decode(stored) {
        ParamValue::Json(text) | ParamValue::Plain(text) => text,
        ParamValue::Artifact(_) => stored.to_string(),
    }
}

/// The names of a template's `{placeholders}`, each once, in order; `{{` and `}}` are literal
/// braces (Python's `str.format`), and `{}` or `{0}` are not named.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for part in fill(template, &|_| None) {
        if let PromptPart::Var { name, .. } = part {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// A template split into text and variables, each variable with its value from `lookup`.
pub fn fill(template: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Vec<PromptPart> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        text.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            text.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('{') {
            if let Some(end) = tail.find('}') {
                let inner = &tail[1..end];
                let name = inner.split([':', '!']).next().unwrap_or("").trim();
                if is_identifier(name) && !inner.contains('{') {
                    if !text.is_empty() {
                        parts.push(PromptPart::Text {
                            text: std::mem::take(&mut text),
                        });
                    }
                    parts.push(PromptPart::Var {
                        name: name.to_string(),
                        value: lookup(name),
                    });
                    rest = &tail[end + 1..];
                    continue;
                }
            }
        }
        text.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(PromptPart::Text { text });
    }
    parts
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str, value: Option<&str>) -> PromptPart {
        PromptPart::Var {
            name: name.into(),
            value: value.map(String::from),
        }
    }

    fn text(t: &str) -> PromptPart {
        PromptPart::Text { text: t.into() }
    }

    #[test]
    fn a_template_is_filled_from_the_other_params() {
        let params = BTreeMap::from([
            (
                "prompt_template".to_string(),
                "\"Answer as {persona}: {question}\\nUse {{json}}.\"".to_string(),
            ),
            ("persona".to_string(), "\"a pirate\"".to_string()),
            ("question".to_string(), "<b>Where?</b>".to_string()),
            ("temperature".to_string(), "0.2".to_string()),
        ]);
        let prompts = filled_prompts(&params);
        assert_eq!(prompts.len(), 1);
        assert_eq!(prompts[0].param, "prompt_template");
        assert_eq!(prompts[0].template, "Answer as {persona}: {question}\nUse {{json}}.");
        assert_eq!(
            prompts[0].parts,
            vec![
                text("Answer as "),
                var("persona", Some("a pirate")),
                text(": "),
                var("question", Some("<b>Where?</b>")),
                text("\nUse {json}."),
            ]
        );
    }

    #[test]
    fn missing_variables_and_odd_braces() {
        assert_eq!(
            fill("{a} {0} {} {b!r} {x y} }", &|n| (n == "a").then(|| "1".to_string())),
            vec![var("a", Some("1")), text(" {0} {} "), var("b", None), text(" {x y} }")]
        );
        assert_eq!(
            placeholders("{q} and {q} and {r:>10}"),
            vec!["q".to_string(), "r".to_string()]
        );
        // A param with braces that no other param fills and not named like a template: not a prompt.
        let params = BTreeMap::from([("config".to_string(), "{\"a\": 1}".to_string())]);
        assert!(filled_prompts(&params).is_empty());
        let params = BTreeMap::from([
            ("instructions".to_string(), "Say {word}".to_string()),
            ("word".to_string(), "hi".to_string()),
        ]);
        assert_eq!(
            filled_prompts(&params)[0].parts,
            vec![text("Say "), var("word", Some("hi"))]
        );
    }
}
