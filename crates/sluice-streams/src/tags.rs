//! Tag rules shared by AddTagsToStream and TagResource.

use crate::StreamsError;
use std::collections::BTreeMap;

pub const MAX_TAGS_PER_STREAM: usize = 50;

/// Unicode's separator class `\p{Z}` (space, no-break and typographic spaces, line and paragraph
/// separators): the white space tags may hold. Tabs and other control characters are not in it.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

fn valid_tag_chars(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || is_separator(c) || "_./=+-%@:".contains(c))
}

/// The keys RemoveTagsFromStream (and UntagResource) may name: the characters tags may hold.
pub fn check_removed_keys(
    keys: &[String],
    stream: &str,
    account: &str,
) -> Result<(), StreamsError> {
    if keys.iter().any(|k| !valid_tag_chars(k)) {
        return Err(StreamsError::InvalidArgument(
            "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @.".into(),
        ));
    }
    if keys.iter().any(|k| k.contains('%')) {
        return Err(StreamsError::InvalidArgument(format!(
            "Failed to remove tags from stream {stream} under account {account} because some tags contained illegal characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@'."
        )));
    }
    Ok(())
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
    // `%` passes the first check but not the second, as AWS answers.
    if new.iter().any(|(k, v)| k.contains('%') || v.contains('%')) {
        return Err(StreamsError::InvalidArgument(format!(
            "Failed to add tags to stream {stream} under account {account} because some tags contained illegal characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@'."
        )));
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
