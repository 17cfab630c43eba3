//! Destination configurations: applying an UpdateDestination to the current configuration
//! (every given field replaces the current one), and checking a configuration before it is
//! stored, with AWS's InvalidArgumentException texts, including what delivery does not do yet.

use crate::error::{FirehoseError, Result};
use crate::keys::{self, PrefixKind};
use crate::model::*;

pub(crate) fn apply_update(s3: &mut S3Destination, u: S3DestinationUpdate) {
    let S3DestinationUpdate {
        role_arn,
        bucket_arn,
        prefix,
        error_output_prefix,
        size_mb,
        interval_s,
        compression,
        encryption,
        cloudwatch,
        processing,
        backup_enabled,
        backup,
        file_extension,
        custom_time_zone,
        conversion,
        dynamic_partitioning,
    } = u;
    if let Some(b) = backup {
        // The backup is written in the older S3 form's terms (no processing, no conversion).
        let current = s3.backup.get_or_insert_with(|| {
            Box::new(S3Destination {
                legacy_form: true,
                ..S3Destination::default()
            })
        });
        apply_update(current, *b);
    }
    if conversion.is_some() {
        s3.conversion = conversion;
    }
    if dynamic_partitioning.is_some() {
        s3.dynamic_partitioning = dynamic_partitioning;
    }
    if let Some(v) = role_arn {
        s3.role_arn = v;
    }
    if let Some(v) = bucket_arn {
        s3.bucket_arn = v;
    }
    if prefix.is_some() {
        s3.prefix = prefix;
    }
    if error_output_prefix.is_some() {
        s3.error_output_prefix = error_output_prefix;
    }
    if let Some(v) = size_mb {
        s3.buffering.size_mb = v;
    }
    if let Some(v) = interval_s {
        s3.buffering.interval_s = v;
    }
    if let Some(v) = compression {
        s3.compression = v;
    }
    if let Some(v) = encryption {
        s3.encryption = v;
    }
    if cloudwatch.is_some() {
        s3.cloudwatch = cloudwatch;
    }
    if processing.is_some() {
        s3.processing = processing;
    }
    if let Some(v) = backup_enabled {
        s3.backup_enabled = v;
    }
    if file_extension.is_some() {
        s3.file_extension = file_extension;
    }
    if custom_time_zone.is_some() {
        s3.custom_time_zone = custom_time_zone;
    }
}

pub(crate) fn apply_http_update(h: &mut HttpDestination, u: HttpDestinationUpdate) {
    let HttpDestinationUpdate {
        url,
        name,
        access_key,
        size_mb,
        interval_s,
        gzip,
        common_attributes,
        retry_duration_s,
        backup_all,
        s3,
        processing,
        cloudwatch,
        role_arn,
    } = u;
    if let Some(v) = url {
        h.url = v;
    }
    if name.is_some() {
        h.name = name;
    }
    if access_key.is_some() {
        h.access_key = access_key;
    }
    if let Some(v) = size_mb {
        h.buffering.size_mb = v;
    }
    if let Some(v) = interval_s {
        h.buffering.interval_s = v;
    }
    if let Some(v) = gzip {
        h.gzip = v;
    }
    if let Some(v) = common_attributes {
        h.common_attributes = v;
    }
    if let Some(v) = retry_duration_s {
        h.retry_duration_s = v;
    }
    if let Some(v) = backup_all {
        h.backup_all = v;
    }
    if let Some(v) = s3 {
        apply_update(&mut h.s3, v);
    }
    if processing.is_some() {
        h.processing = processing;
    }
    if cloudwatch.is_some() {
        h.cloudwatch = cloudwatch;
    }
    if role_arn.is_some() {
        h.role_arn = role_arn;
    }
}

pub(crate) fn apply_search_update(o: &mut SearchDestination, u: SearchDestinationUpdate) {
    let SearchDestinationUpdate {
        endpoint,
        cluster_endpoint,
        domain_arn,
        index_name,
        type_name,
        rotation,
        size_mb,
        interval_s,
        retry_duration_s,
        s3,
        processing,
        cloudwatch,
        role_arn,
        firehose_document_ids,
    } = u;
    if let Some(v) = endpoint {
        o.endpoint = v;
        o.cluster_endpoint = cluster_endpoint;
        o.domain_arn = domain_arn;
    }
    if let Some(v) = index_name {
        o.index_name = v;
    }
    if type_name.is_some() {
        o.type_name = type_name;
    }
    if let Some(v) = rotation {
        o.rotation = v;
    }
    if let Some(v) = size_mb {
        o.buffering.size_mb = v;
    }
    if let Some(v) = interval_s {
        o.buffering.interval_s = v;
    }
    if let Some(v) = retry_duration_s {
        o.retry_duration_s = v;
    }
    if let Some(v) = s3 {
        apply_update(&mut o.s3, v);
    }
    if processing.is_some() {
        o.processing = processing;
    }
    if cloudwatch.is_some() {
        o.cloudwatch = cloudwatch;
    }
    if let Some(v) = role_arn {
        o.role_arn = v;
    }
    if let Some(v) = firehose_document_ids {
        o.firehose_document_ids = v;
        o.document_id_options_given = true;
    }
}

/// Processor types the delivery path runs, so far.
const SUPPORTED_PROCESSORS: &[&str] = &[
    "AppendDelimiterToRecord",
    "Decompression",
    "CloudWatchLogProcessing",
    "RecordDeAggregation",
    "Lambda",
    "MetadataExtraction",
];

pub(crate) fn validate_destination(d: &DestinationConfig) -> Result<()> {
    match d {
        DestinationConfig::S3(s3) => validate_s3(s3),
        DestinationConfig::Http(h) => {
            if !(h.url.starts_with("http://") || h.url.starts_with("https://")) {
                return Err(FirehoseError::InvalidArgument(format!(
                    "The endpoint URL {} is not a valid http:// or https:// URL.",
                    h.url
                )));
            }
            validate_processing(h.processing.as_ref())?;
            validate_s3(&h.s3)
        }
        DestinationConfig::Search(o) => {
            if !(o.endpoint.starts_with("http://") || o.endpoint.starts_with("https://")) {
                return Err(FirehoseError::InvalidArgument(format!(
                    "The cluster endpoint {} is not a valid http:// or https:// URL.",
                    o.endpoint
                )));
            }
            validate_processing(o.processing.as_ref())?;
            validate_s3(&o.s3)
        }
    }
}

fn validate_processing(p: Option<&Processing>) -> Result<()> {
    crate::processors::Transforms::of(p).map_err(FirehoseError::InvalidArgument)?;
    crate::lambda::LambdaProcessor::of(p).map_err(FirehoseError::InvalidArgument)?;
    if let Some(p) = p
        && p.is_enabled()
    {
        for proc in &p.processors {
            if !SUPPORTED_PROCESSORS.contains(&proc.kind.as_str()) {
                return Err(FirehoseError::InvalidArgument(format!(
                    "Processor type {} is not supported by Sluice yet (supported: {}).",
                    proc.kind,
                    SUPPORTED_PROCESSORS.join(", ")
                )));
            }
        }
    }
    Ok(())
}

fn validate_s3(s3: &S3Destination) -> Result<()> {
    let invalid = |m: String| Err(FirehoseError::InvalidArgument(m));
    let uses_keys = s3
        .prefix
        .as_deref()
        .is_some_and(|p| p.contains("!{partitionKeyFromQuery:"));
    match (s3.partitioning(), s3.metadata_query()) {
        (true, Some(_)) if s3.converting().is_some() => {
            return invalid(
                "Dynamic partitioning together with record format conversion is not supported by Sluice yet.".into(),
            );
        }
        (true, Some(q)) => {
            crate::partition::Query::compile(q).map_err(FirehoseError::InvalidArgument)?;
            if !uses_keys {
                return invalid(
                    "When dynamic partitioning is enabled, the Prefix must use at least one !{partitionKeyFromQuery:KEY} expression.".into(),
                );
            }
            if s3.error_output_prefix.as_deref().is_none_or(str::is_empty) {
                return invalid(
                    "ErrorOutputPrefix is required when dynamic partitioning is enabled.".into(),
                );
            }
        }
        (true, None) => {
            return invalid(
                "Dynamic partitioning needs a MetadataExtraction processor with a MetadataExtractionQuery (partition keys from Lambda are not supported by Sluice yet).".into(),
            );
        }
        (false, Some(_)) => {
            return invalid(
                "The MetadataExtraction processor can be used only when dynamic partitioning is enabled.".into(),
            );
        }
        (false, None) if uses_keys => {
            return invalid(
                "!{partitionKeyFromQuery:...} can be used only when dynamic partitioning is enabled.".into(),
            );
        }
        (false, None) => {}
    }
    if let Some(p) = &s3.prefix {
        keys::validate_prefix(p, PrefixKind::Prefix).map_err(FirehoseError::InvalidArgument)?;
    }
    if let Some(p) = &s3.error_output_prefix {
        keys::validate_prefix(p, PrefixKind::ErrorOutputPrefix)
            .map_err(FirehoseError::InvalidArgument)?;
    }
    if let Some(tz) = s3.custom_time_zone.as_deref()
        && !tz.is_empty()
        && tz != "UTC"
    {
        return invalid(format!(
            "CustomTimeZone {tz} is not supported by Sluice yet; object keys use UTC."
        ));
    }
    validate_processing(s3.processing.as_ref())?;
    if s3.backup_enabled && s3.backup.is_none() {
        return invalid("S3BackupConfiguration is required when S3BackupMode is Enabled.".into());
    }
    if let Some(b) = &s3.backup
        && (b.bucket_arn.is_empty() || b.role_arn.is_empty())
    {
        return invalid(
            "S3BackupUpdate needs RoleARN and BucketARN when there is no backup destination yet."
                .into(),
        );
    }
    Ok(())
}
