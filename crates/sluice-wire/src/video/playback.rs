//! The request shapes of the playback operations: GetHLSStreamingSessionURL and
//! GetDASHStreamingSessionURL (one decoder: their inputs differ in a few members) and GetClip.

use super::shapes::TimeSelector;
use super::*;
use crate::validate::Validator;
use serde::Deserialize;
use sluice_video::hls::{Container, Discontinuity, PlaybackMode, Protocol};

pub(super) fn session(op: Operation, body: &[u8], mut v: Validator) -> Result<Request, WireError> {
    use Operation::*;
    // Both operations' members; each reads its own and ignores the other's.
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct In {
        #[serde(flatten)]
        id: StreamId,
        playback_mode: Option<String>,
        #[serde(rename = "HLSFragmentSelector")]
        hls_selector: Option<TimeSelector>,
        #[serde(rename = "DASHFragmentSelector")]
        dash_selector: Option<TimeSelector>,
        container_format: Option<String>,
        discontinuity_mode: Option<String>,
        display_fragment_timestamp: Option<String>,
        display_fragment_number: Option<String>,
        expires: Option<i64>,
        max_media_playlist_fragment_results: Option<i64>,
        max_manifest_fragment_results: Option<i64>,
    }
    let dash = op == GetDASHStreamingSessionURL;
    let i: In = parse(body)?;
    i.id.check(&mut v);
    let (selector, selector_name, max, max_name) = if dash {
        (
            i.dash_selector.as_ref(),
            "DASHFragmentSelector",
            i.max_manifest_fragment_results,
            "MaxManifestFragmentResults",
        )
    } else {
        (
            i.hls_selector.as_ref(),
            "HLSFragmentSelector",
            i.max_media_playlist_fragment_results,
            "MaxMediaPlaylistFragmentResults",
        )
    };
    v.one_of(
        "PlaybackMode",
        i.playback_mode.as_deref(),
        &["LIVE", "LIVE_REPLAY", "ON_DEMAND"],
    );
    if !dash {
        v.one_of(
            "ContainerFormat",
            i.container_format.as_deref(),
            &["FRAGMENTED_MP4", "MPEG_TS"],
        );
        v.one_of(
            "DiscontinuityMode",
            i.discontinuity_mode.as_deref(),
            &["ALWAYS", "NEVER", "ON_DISCONTINUITY"],
        );
    } else {
        v.one_of(
            "DisplayFragmentNumber",
            i.display_fragment_number.as_deref(),
            &["ALWAYS", "NEVER"],
        );
    }
    v.one_of(
        "DisplayFragmentTimestamp",
        i.display_fragment_timestamp.as_deref(),
        &["ALWAYS", "NEVER"],
    );
    v.range("Expires", i.expires, Some(300), Some(43200));
    v.range(max_name, max, Some(1), Some(5000));
    if let Some(s) = selector {
        v.one_of(
            &format!("{selector_name}.FragmentSelectorType"),
            s.fragment_selector_type.as_deref(),
            &["PRODUCER_TIMESTAMP", "SERVER_TIMESTAMP"],
        );
    }
    finish(v)?;
    let mode = match i.playback_mode.as_deref() {
        Some("LIVE_REPLAY") => PlaybackMode::LiveReplay,
        Some("ON_DEMAND") => PlaybackMode::OnDemand,
        _ => PlaybackMode::Live,
    };
    let kind = match selector.and_then(|s| s.fragment_selector_type.as_deref()) {
        Some("PRODUCER_TIMESTAMP") => TimestampKind::Producer,
        _ => TimestampKind::Server,
    };
    let range = selector.and_then(|s| s.timestamp_range.as_ref());
    Ok(Request::PlaybackSession(SessionInput {
        stream: i.id.stream()?,
        protocol: if dash { Protocol::Dash } else { Protocol::Hls },
        mode,
        kind,
        container: if i.container_format.as_deref() == Some("MPEG_TS") {
            Container::Ts
        } else {
            Container::Fmp4
        },
        start_ms: range.and_then(|r| r.start_timestamp).map(ms_of_seconds),
        end_ms: range.and_then(|r| r.end_timestamp).map(ms_of_seconds),
        discontinuity: i.discontinuity_mode.as_deref().map(|d| match d {
            "ALWAYS" => Discontinuity::Always,
            "NEVER" => Discontinuity::Never,
            _ => Discontinuity::OnDiscontinuity,
        }),
        display_timestamps: i.display_fragment_timestamp.as_deref() == Some("ALWAYS"),
        display_fragment_numbers: i.display_fragment_number.as_deref() == Some("ALWAYS"),
        expires_s: i.expires.unwrap_or(300),
        max_fragments: max.map(|m| m as u64),
    }))
}

pub(super) fn clip(body: &[u8], mut v: Validator) -> Result<Request, WireError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct In {
        #[serde(flatten)]
        id: StreamId,
        clip_fragment_selector: Option<TimeSelector>,
    }
    let i: In = parse(body)?;
    i.id.check(&mut v);
    v.required("ClipFragmentSelector", &i.clip_fragment_selector);
    let mut range = None;
    if let Some(s) = &i.clip_fragment_selector {
        v.required(
            "ClipFragmentSelector.FragmentSelectorType",
            &s.fragment_selector_type,
        );
        v.one_of(
            "ClipFragmentSelector.FragmentSelectorType",
            s.fragment_selector_type.as_deref(),
            &["PRODUCER_TIMESTAMP", "SERVER_TIMESTAMP"],
        );
        v.required("ClipFragmentSelector.TimestampRange", &s.timestamp_range);
        if let Some(r) = &s.timestamp_range {
            v.required(
                "ClipFragmentSelector.TimestampRange.StartTimestamp",
                &r.start_timestamp,
            );
            v.required(
                "ClipFragmentSelector.TimestampRange.EndTimestamp",
                &r.end_timestamp,
            );
            if let (Some(a), Some(b)) = (r.start_timestamp, r.end_timestamp) {
                range = Some((ms_of_seconds(a), ms_of_seconds(b)));
            }
        }
    }
    finish(v)?;
    let kind = match i
        .clip_fragment_selector
        .as_ref()
        .and_then(|s| s.fragment_selector_type.as_deref())
    {
        Some("SERVER_TIMESTAMP") => TimestampKind::Server,
        _ => TimestampKind::Producer,
    };
    let (start_ms, end_ms) = range.unwrap_or_default();
    Ok(Request::GetClip {
        stream: i.id.stream()?,
        kind,
        start_ms,
        end_ms,
    })
}
