//! Python literals as JSON: the legacy `llm_predictions.csv` writes dict cells with Python's
//! `repr` (`{'question': "What's 2+2?", 'n': 1, 'ok': True, 'x': None}`). This reads the
//! literals `repr` writes for dicts, lists, tuples, strings, numbers, booleans and `None`, and
//! nothing else (no expressions, no calls).

use serde_json::{Map, Number, Value};

/// The value of a Python literal; `None` when `text` is not one literal from start to end.
pub fn parse(text: &str) -> Option<Value> {
    let mut p = Parser {
        chars: text.chars().collect(),
        at: 0,
        depth: 0,
    };
    let value = p.value()?;
    p.space();
    (p.at == p.chars.len()).then_some(value)
}

/// Deeper nesting than this is refused (a hostile cell must not overflow the stack).
const MAX_DEPTH: usize = 128;

struct Parser {
    chars: Vec<char>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.space();
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn word(&mut self, w: &str) -> bool {
        let end = self.at + w.chars().count();
        if end <= self.chars.len() && self.chars[self.at..end].iter().copied().eq(w.chars()) {
            let next = self.chars.get(end).copied();
            if !next.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                self.at = end;
                return true;
            }
        }
        false
    }

    fn value(&mut self) -> Option<Value> {
        self.space();
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let out = match self.peek()? {
            '{' => self.dict(),
            '[' => self.sequence(']'),
            '(' => self.sequence(')'),
            '\'' | '"' => self.strings().map(Value::String),
            'T' if self.word("True") => Some(Value::Bool(true)),
            'F' if self.word("False") => Some(Value::Bool(false)),
            'N' if self.word("None") => Some(Value::Null),
            'n' if self.word("nan") => Some(Value::Null),
            _ => self.number(),
        };
        self.depth -= 1;
        out
    }

    fn dict(&mut self) -> Option<Value> {
        self.at += 1;
        let mut map = Map::new();
        loop {
            if self.eat('}') {
                return Some(Value::Object(map));
            }
            let key = match self.value()? {
                Value::String(s) => s,
                Value::Null => "None".into(),
                other => other.to_string(),
            };
            if !self.eat(':') {
                return None;
            }
            let value = self.value()?;
            map.insert(key, value);
            if !self.eat(',') {
                return self.eat('}').then_some(Value::Object(map));
            }
        }
    }

    fn sequence(&mut self, close: char) -> Option<Value> {
        self.at += 1;
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(Value::Array(items));
            }
            items.push(self.value()?);
            if !self.eat(',') {
                return self.eat(close).then_some(Value::Array(items));
            }
        }
    }

    /// One string, or several written side by side (`'a' 'b'`), which Python joins.
    fn strings(&mut self) -> Option<String> {
        let mut out = self.string()?;
        loop {
            let save = self.at;
            self.space();
            match self.peek() {
                Some('\'' | '"') => out.push_str(&self.string()?),
                _ => {
                    self.at = save;
                    return Some(out);
                }
            }
        }
    }

    fn string(&mut self) -> Option<String> {
        let quote = self.peek()?;
        self.at += 1;
        let mut out = String::new();
        loop {
            let c = self.peek()?;
            self.at += 1;
            match c {
                c if c == quote => return Some(out),
                '\\' => {
                    let e = self.peek()?;
                    self.at += 1;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '0' => out.push('\0'),
                        'a' => out.push('\u{7}'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'v' => out.push('\u{b}'),
                        '\\' | '\'' | '"' => out.push(e),
                        '\n' => {}
                        'x' => out.push(self.hex(2)?),
                        'u' => out.push(self.hex(4)?),
                        'U' => out.push(self.hex(8)?),
                        other => {
                            out.push('\\');
                            out.push(other);
                        }
                    }
                }
                c => out.push(c),
            }
        }
    }

    fn hex(&mut self, digits: usize) -> Option<char> {
        let end = self.at + digits;
        let text: String = self.chars.get(self.at..end)?.iter().collect();
        self.at = end;
        char::from_u32(u32::from_str_radix(&text, 16).ok()?)
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E' | '_'))
        {
            self.at += 1;
        }
        let text: String = self.chars[start..self.at].iter().filter(|c| **c != '_').collect();
        if text.is_empty() {
            return None;
        }
        if let Ok(i) = text.parse::<i64>() {
            return Some(Value::Number(i.into()));
        }
        let f = text.parse::<f64>().ok()?;
        Some(Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_what_repr_writes() {
        assert_eq!(
            parse(r#"{'question': "What's 2+2?", 'n': 1, 'ok': True, 'x': None, 'f': -0.5}"#),
            Some(json!({"question": "What's 2+2?", "n": 1, "ok": true, "x": null, "f": -0.5}))
        );
        assert_eq!(
            parse(r"{'text': 'line 1\nline \'2\' \\ \xe9 \u263a'}"),
            Some(json!({"text": "line 1\nline '2' \\ é ☺"}))
        );
        assert_eq!(parse("[1, (2, 3), []]"), Some(json!([1, [2, 3], []])));
        assert_eq!(parse("('a',)"), Some(json!(["a"])));
        assert_eq!(parse("'a' 'b'"), Some(json!("ab")));
        assert_eq!(parse("{1: 'one'}"), Some(json!({"1": "one"})));
        assert_eq!(parse(" {} "), Some(json!({})));
    }

    #[test]
    fn refuses_anything_else() {
        for bad in [
            "{'a': 1",
            "{'a' 1}",
            "os.system('x')",
            "{'a': f(1)}",
            "'unclosed",
            "[1, 2] extra",
            "{'a': Truex}",
            "",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        let deep = "[".repeat(1000) + &"]".repeat(1000);
        assert_eq!(parse(&deep), None, "too deep");
    }
}
