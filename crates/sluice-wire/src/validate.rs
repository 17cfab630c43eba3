//! Constraint checks with AWS's ValidationException texts:
//! `N validation error(s) detected: Value 'v' at 'member' failed to satisfy constraint: ...`,
//! at most ten, joined by `; `.

use crate::WireError;

/// A regular expression as AWS prints it, with the function that matches it.
pub type Pattern<'a> = (&'a str, fn(&str) -> bool);

#[derive(Default)]
pub struct Validator {
    errors: Vec<String>,
}

fn lower_first(member: &str) -> String {
    let mut c = member.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Values longer than this are cut in messages: an error must not echo a megabyte back.
const MAX_SHOWN_CHARS: usize = 256;

fn shorten(v: &str) -> std::borrow::Cow<'_, str> {
    match v.char_indices().nth(MAX_SHOWN_CHARS) {
        Some((cut, _)) => format!("{}...", &v[..cut]).into(),
        None => v.into(),
    }
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, value: Option<&str>, member: &str, constraint: &str) {
        let value = match value {
            Some(v) => format!("'{}'", shorten(v)),
            None => "null".to_owned(),
        };
        self.errors.push(format!(
            "Value {value} at '{}' failed to satisfy constraint: {constraint}",
            lower_first(member)
        ));
    }

    /// Reports a missing required member; returns whether it is present.
    pub fn required<T>(&mut self, member: &str, v: &Option<T>) -> bool {
        if v.is_none() {
            self.push(None, member, "Member must not be null");
        }
        v.is_some()
    }

    /// Length (in characters) and an optional pattern, given as its text and a matcher.
    pub fn string(
        &mut self,
        member: &str,
        v: Option<&str>,
        min: usize,
        max: usize,
        pattern: Option<Pattern<'_>>,
    ) {
        let Some(s) = v else { return };
        if let Some((text, matches)) = pattern
            && !matches(s)
        {
            self.push(
                Some(s),
                member,
                &format!("Member must satisfy regular expression pattern: {text}"),
            );
        }
        let len = s.chars().count();
        if len < min {
            self.push(
                Some(s),
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        }
        if len > max {
            self.push(
                Some(s),
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    pub fn blob_len(&mut self, member: &str, len: Option<usize>, max: usize) {
        if let Some(n) = len
            && n > max
        {
            let shown = format!("java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]");
            self.push(
                Some(&shown),
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    pub fn range(&mut self, member: &str, v: Option<i64>, min: Option<i64>, max: Option<i64>) {
        let Some(n) = v else { return };
        let shown = n.to_string();
        if let Some(min) = min.filter(|m| n < *m) {
            self.push(
                Some(&shown),
                member,
                &format!("Member must have value greater than or equal to {min}"),
            );
        }
        if let Some(max) = max.filter(|m| n > *m) {
            self.push(
                Some(&shown),
                member,
                &format!("Member must have value less than or equal to {max}"),
            );
        }
    }

    pub fn one_of(&mut self, member: &str, v: Option<&str>, allowed: &[&str]) {
        let Some(s) = v else { return };
        if !allowed.contains(&s) {
            self.push(
                Some(s),
                member,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
        }
    }

    /// Length of a list or map.
    pub fn count(
        &mut self,
        member: &str,
        shown: impl FnOnce() -> String,
        n: Option<usize>,
        min: usize,
        max: usize,
    ) {
        let Some(n) = n else { return };
        if n < min {
            self.push(
                Some(&shown()),
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if n > max {
            self.push(
                Some(&shown()),
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// A free-form constraint text (for element and map-key constraints).
    pub fn custom(&mut self, member: &str, shown: &str, constraint: &str) {
        self.push(Some(shown), member, constraint);
    }

    pub fn finish(self) -> Result<(), WireError> {
        if self.errors.is_empty() {
            return Ok(());
        }
        let n = self.errors.len().min(10);
        let noun = if n == 1 { "error" } else { "errors" };
        Err(WireError::validation(format!(
            "{n} validation {noun} detected: {}",
            self.errors[..n].join("; ")
        )))
    }
}

pub fn is_stream_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

pub const STREAM_NAME_PATTERN: &str = "[a-zA-Z0-9_.-]+";
pub const STREAM_ARN_PATTERN: &str = r"arn:aws.*:kinesis:.*:\d{12}:stream/\S+";
pub const SEQUENCE_NUMBER_PATTERN: &str = r"0|([1-9]\d{0,128})";
pub const HASH_KEY_PATTERN: &str = r"0|([1-9]\d{0,38})";

pub fn is_stream_arn(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("arn:aws") else {
        return false;
    };
    let Some(i) = rest.find(":kinesis:") else {
        return false;
    };
    let after = &rest[i + ":kinesis:".len()..];
    // region:account:stream/name
    let mut parts = after.splitn(3, ':');
    let _region = parts.next();
    let account = parts.next().unwrap_or("");
    let resource = parts.next().unwrap_or("");
    account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource
            .strip_prefix("stream/")
            .is_some_and(|n| !n.is_empty() && !n.chars().any(char::is_whitespace))
}

/// `0|([1-9]\d{0,max_digits-1})`
pub fn is_decimal(s: &str, max_digits: usize) -> bool {
    s == "0"
        || (!s.is_empty()
            && s.len() <= max_digits
            && !s.starts_with('0')
            && s.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_in_messages() {
        let long = "é".repeat(1_000_000);
        let mut v = Validator::new();
        v.string("StreamName", Some(&long), 1, 128, None);
        let msg = v
            .finish()
            .expect_err("too long")
            .message
            .unwrap_or_default();
        assert!(msg.len() < 1_000, "{} bytes", msg.len());
        assert!(msg.contains(&format!("'{}...'", "é".repeat(256))), "{msg}");
    }

    #[test]
    fn messages_match_aws() {
        let mut v = Validator::new();
        v.string(
            "StreamName",
            Some(""),
            1,
            128,
            Some((STREAM_NAME_PATTERN, is_stream_name)),
        );
        let err = v.finish().expect_err("invalid");
        assert_eq!(
            err.message.as_deref(),
            Some(
                "2 validation errors detected: Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1"
            )
        );
        let mut v = Validator::new();
        v.required::<String>("ShardIterator", &None);
        assert_eq!(
            v.finish().expect_err("missing").message.as_deref(),
            Some(
                "1 validation error detected: Value null at 'shardIterator' failed to satisfy constraint: Member must not be null"
            )
        );
        let mut v = Validator::new();
        v.range("Limit", Some(100_000), Some(1), Some(10_000));
        assert!(
            v.finish()
                .expect_err("range")
                .message
                .unwrap_or_default()
                .contains("Value '100000' at 'limit'")
        );
    }

    #[test]
    fn arns_and_numbers() {
        assert!(is_stream_arn(
            "arn:aws:kinesis:us-east-1:000000000000:stream/s"
        ));
        assert!(!is_stream_arn("arn:aws:kinesis:us-east-1:0000:stream/s"));
        assert!(is_decimal("0", 39));
        assert!(!is_decimal("01", 39));
        assert!(is_decimal(&u128::MAX.to_string(), 39));
    }
}
