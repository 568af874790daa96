//! Ids and default names the file store makes up: 18-digit experiment ids and
//! `adjective-noun-123` run names, in the shapes MLflow uses.

use uuid::Uuid;

const EXPERIMENT_ID_DIGITS: usize = 18;

/// A random experiment id as MLflow's file store makes them: the last 18 decimal digits of a
/// random UUID, with any leading zeros replaced by extra random digits at the end so the id
/// keeps 18 digits and never starts with 0.
pub(super) fn random_experiment_id() -> String {
    let digits = Uuid::new_v4().as_u128().to_string();
    let tail = &digits[digits.len().saturating_sub(EXPERIMENT_ID_DIGITS)..];
    let trimmed = tail.trim_start_matches('0');
    let missing = tail.len() - trimmed.len();
    let mut id = trimmed.to_string();
    id.extend(random_digits(missing));
    if id.starts_with('0') || id.is_empty() {
        // Only when every digit came out 0; start over rather than return "0" (the Default id).
        return random_experiment_id();
    }
    id
}

fn random_digits(n: usize) -> impl Iterator<Item = char> {
    let pool = Uuid::new_v4().as_u128();
    (0..n).map(move |i| char::from(b'0' + ((pool >> (i * 4)) % 10) as u8))
}

const ADJECTIVES: &[&str] = &[
    "amber", "brave", "bright", "calm", "clever", "cosmic", "crisp", "curious", "daring", "eager", "fancy", "fleet",
    "gentle", "glad", "golden", "grand", "happy", "honest", "jolly", "keen", "kind", "lively", "lucky", "merry",
    "mighty", "nimble", "noble", "patient", "polite", "proud", "quick", "quiet", "rapid", "royal", "shiny", "silent",
    "smooth", "snappy", "steady", "sunny", "swift", "tidy", "upbeat", "vivid", "warm", "wise", "witty", "zesty",
];

const NOUNS: &[&str] = &[
    "ant", "bat", "bear", "bee", "bird", "boar", "carp", "cat", "colt", "crab", "crow", "deer", "dove", "duck", "eel",
    "elk", "finch", "fox", "frog", "goat", "gull", "hare", "hawk", "hen", "horse", "jay", "kite", "lark", "lion",
    "lynx", "mole", "moth", "newt", "owl", "panda", "pig", "pony", "ram", "robin", "seal", "shark", "sheep", "slug",
    "snail", "swan", "toad", "trout", "wasp", "whale", "wolf", "wren", "yak",
];

/// A run name such as `swift-owl-417`, at most 20 characters (MLflow's `_generate_random_name`).
pub(crate) fn random_run_name() -> String {
    loop {
        let r = Uuid::new_v4().as_u128();
        let adjective = ADJECTIVES[(r % ADJECTIVES.len() as u128) as usize];
        let noun = NOUNS[((r >> 16) % NOUNS.len() as u128) as usize];
        let number = (r >> 32) % 1001;
        let name = format!("{adjective}-{noun}-{number}");
        if name.len() <= 20 {
            return name;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experiment_ids_have_eighteen_digits() {
        for _ in 0..200 {
            let id = random_experiment_id();
            assert_eq!(id.len(), 18, "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_digit()) && !id.starts_with('0'), "{id}");
        }
    }

    #[test]
    fn run_names_look_like_mlflow_ones() {
        for _ in 0..200 {
            let name = random_run_name();
            let parts: Vec<_> = name.split('-').collect();
            assert_eq!(parts.len(), 3, "{name}");
            assert!(name.len() <= 20 && parts[2].parse::<u32>().unwrap() <= 1000, "{name}");
        }
    }
}
