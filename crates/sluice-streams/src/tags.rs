//! Tag rules shared by AddTagsToStream and TagResource.

use crate::StreamsError;
use std::collections::BTreeMap;

pub const MAX_TAGS_PER_STREAM: usize = 50;

fn valid_tag_chars(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_./=+-%@:".contains(c))
}

pub fn add_tags(
    existing: &mut BTreeMap<String, String>,
    new: &[(String, String)],
    stream: &str,
    account: &str,
) -> Result<(), StreamsError> {
    if new
        .iter()
        .any(|(k, v)| !valid_tag_chars(k) || !valid_tag_chars(v))
    {
        return Err(StreamsError::InvalidArgument(
            "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @.".into(),
        ));
    }
    let mut merged = existing.clone();
    for (k, v) in new {
        merged.insert(k.clone(), v.clone());
    }
    if merged.len() > MAX_TAGS_PER_STREAM {
        return Err(StreamsError::InvalidArgument(format!(
            "Failed to add tags to stream {stream} under account {account} because a given stream cannot have more than {MAX_TAGS_PER_STREAM} tags associated with it."
        )));
    }
    *existing = merged;
    Ok(())
}
