//! The member checks of Firehose requests, with AWS's ValidationException texts (collected by
//! [`Validator`]): names, tags, and each destination configuration's members.

use super::shapes::*;
use crate::validate::Validator;

pub(super) fn is_name(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

pub(super) fn name_member(v: &mut Validator, member: &str, s: Option<&str>) {
    v.string(member, s, 1, 64, Some(("[a-zA-Z0-9_.-]+", is_name)));
}

pub(super) fn is_tag_key(s: &str) -> bool {
    !s.starts_with("aws:")
        && s.chars()
            .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@%".contains(c))
}

pub(super) fn is_tag_value(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@%".contains(c))
}

pub(super) fn check_tags(v: &mut Validator, member: &str, tags: &[TagShape]) {
    for (i, t) in tags.iter().enumerate() {
        let m = format!("{member}.{}.member.key", i + 1);
        v.required(&m, &t.key);
        v.string(
            &m,
            t.key.as_deref(),
            1,
            128,
            Some(("^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$", is_tag_key)),
        );
        v.string(
            &format!("{member}.{}.member.value", i + 1),
            t.value.as_deref(),
            0,
            256,
            Some(("^[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$", is_tag_value)),
        );
    }
}

pub(super) fn is_role_arn(s: &str) -> bool {
    s.starts_with("arn:") && s.contains(":iam::") && s.contains(":role/")
}

pub(super) fn is_bucket_arn(s: &str) -> bool {
    s.starts_with("arn:")
        && s.split_once(":s3:::").is_some_and(|(_, b)| {
            !b.is_empty()
                && b.len() <= 255
                && b.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-')
        })
}

const COMPRESSIONS: [&str; 5] = ["UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"];
const PROCESSOR_TYPES: [&str; 6] = [
    "RecordDeAggregation",
    "Decompression",
    "CloudWatchLogProcessing",
    "Lambda",
    "MetadataExtraction",
    "AppendDelimiterToRecord",
];

/// The members common to S3 configurations and updates; `full` requires RoleARN and BucketARN.
pub(super) fn check_s3(v: &mut Validator, member: &str, c: &S3ConfigShape, full: bool) {
    let m = |x: &str| format!("{member}.{x}");
    if full {
        v.required(&m("roleARN"), &c.role_arn);
        v.required(&m("bucketARN"), &c.bucket_arn);
    }
    v.string(
        &m("roleARN"),
        c.role_arn.as_deref(),
        1,
        512,
        Some((
            "arn:.*:iam::\\d{12}:role/[a-zA-Z_0-9+=,.@\\-_/]+",
            is_role_arn,
        )),
    );
    v.string(
        &m("bucketARN"),
        c.bucket_arn.as_deref(),
        1,
        2048,
        Some(("arn:.*:s3:::[\\w\\.\\-]{1,255}", is_bucket_arn)),
    );
    v.string(&m("prefix"), c.prefix.as_deref(), 0, 1024, None);
    v.string(
        &m("errorOutputPrefix"),
        c.error_output_prefix.as_deref(),
        0,
        1024,
        None,
    );
    if let Some(h) = &c.buffering_hints {
        v.range(
            &m("bufferingHints.sizeInMBs"),
            h.size_in_mbs,
            Some(1),
            Some(128),
        );
        v.range(
            &m("bufferingHints.intervalInSeconds"),
            h.interval_in_seconds,
            Some(0),
            Some(900),
        );
    }
    v.one_of(
        &m("compressionFormat"),
        c.compression_format.as_deref(),
        &COMPRESSIONS,
    );
    v.one_of(
        &m("s3BackupMode"),
        c.s3_backup_mode.as_deref(),
        &["Disabled", "Enabled"],
    );
    if let Some(b) = &c.s3_backup_configuration {
        check_s3(v, &m("s3BackupConfiguration"), b, true);
    }
    if let Some(b) = &c.s3_backup_update {
        check_s3(v, &m("s3BackupUpdate"), b, false);
    }
    if let Some(p) = &c.processing_configuration {
        for (i, pr) in p.processors.iter().flatten().enumerate() {
            let pm = m(&format!(
                "processingConfiguration.processors.{}.member.type",
                i + 1
            ));
            v.required(&pm, &pr.kind);
            v.one_of(&pm, pr.kind.as_deref(), &PROCESSOR_TYPES);
        }
    }
    v.string(
        &m("fileExtension"),
        c.file_extension.as_deref(),
        0,
        128,
        Some(("^$|\\.[0-9a-z!\\-_.*'()]+", |s| {
            s.is_empty()
                || (s.starts_with('.')
                    && s.len() > 1
                    && s.chars().all(|c| {
                        c.is_ascii_digit() || c.is_ascii_lowercase() || "!-_.*'()".contains(c)
                    }))
        })),
    );
    v.string(
        &m("customTimeZone"),
        c.custom_time_zone.as_deref(),
        0,
        50,
        Some(("^$|[a-zA-Z/_]+", |s| {
            s.chars()
                .all(|c| c.is_ascii_alphabetic() || c == '/' || c == '_')
        })),
    );
}

pub(super) fn check_http(v: &mut Validator, member: &str, h: &HttpConfigShape, full: bool) {
    let m = |x: &str| format!("{member}.{x}");
    if full {
        v.required(&m("endpointConfiguration"), &h.endpoint_configuration);
        v.required(&m("s3Configuration"), &h.s3_configuration);
    }
    if let Some(e) = &h.endpoint_configuration {
        v.required(&m("endpointConfiguration.url"), &e.url);
        // AWS takes https:// only; Sluice also delivers to http:// (loopback, private networks).
        v.string(
            &m("endpointConfiguration.url"),
            e.url.as_deref(),
            1,
            1000,
            Some(("https?://.*", |s| {
                s.starts_with("https://") || s.starts_with("http://")
            })),
        );
        v.string(
            &m("endpointConfiguration.name"),
            e.name.as_deref(),
            1,
            256,
            None,
        );
        v.string(
            &m("endpointConfiguration.accessKey"),
            e.access_key.as_deref(),
            0,
            4096,
            None,
        );
    }
    if let Some(b) = &h.buffering_hints {
        v.range(
            &m("bufferingHints.sizeInMBs"),
            b.size_in_mbs,
            Some(1),
            Some(64),
        );
        v.range(
            &m("bufferingHints.intervalInSeconds"),
            b.interval_in_seconds,
            Some(0),
            Some(900),
        );
    }
    if let Some(r) = &h.request_configuration {
        v.one_of(
            &m("requestConfiguration.contentEncoding"),
            r.content_encoding.as_deref(),
            &["NONE", "GZIP"],
        );
        if let Some(a) = &r.common_attributes {
            v.count(
                &m("requestConfiguration.commonAttributes"),
                || format!("{} attributes", a.len()),
                Some(a.len()),
                0,
                50,
            );
        }
    }
    if let Some(r) = &h.retry_options {
        v.range(
            &m("retryOptions.durationInSeconds"),
            r.duration_in_seconds,
            Some(0),
            Some(7200),
        );
    }
    v.one_of(
        &m("s3BackupMode"),
        h.s3_backup_mode.as_deref(),
        &["FailedDataOnly", "AllData"],
    );
    if let Some(s3) = &h.s3_configuration {
        check_s3(v, &m("s3Configuration"), s3, true);
    }
    if let Some(s3) = &h.s3_update {
        check_s3(v, &m("s3Update"), s3, false);
    }
}

pub(super) fn check_search(v: &mut Validator, member: &str, o: &SearchConfigShape, full: bool) {
    let m = |x: &str| format!("{member}.{x}");
    if full {
        v.required(&m("roleARN"), &o.role_arn);
        v.required(&m("indexName"), &o.index_name);
        v.required(&m("s3Configuration"), &o.s3_configuration);
    }
    v.string(&m("indexName"), o.index_name.as_deref(), 1, 80, None);
    v.string(&m("typeName"), o.type_name.as_deref(), 0, 100, None);
    v.string(
        &m("clusterEndpoint"),
        o.cluster_endpoint.as_deref(),
        1,
        512,
        // AWS takes https: only; Sluice also sends to http:// clusters.
        Some(("https?:.*", |s| {
            s.starts_with("https:") || s.starts_with("http:")
        })),
    );
    v.string(&m("domainARN"), o.domain_arn.as_deref(), 1, 512, None);
    v.one_of(
        &m("indexRotationPeriod"),
        o.index_rotation_period.as_deref(),
        &["NoRotation", "OneHour", "OneDay", "OneWeek", "OneMonth"],
    );
    if let Some(b) = &o.buffering_hints {
        v.range(
            &m("bufferingHints.sizeInMBs"),
            b.size_in_mbs,
            Some(1),
            Some(100),
        );
        v.range(
            &m("bufferingHints.intervalInSeconds"),
            b.interval_in_seconds,
            Some(0),
            Some(900),
        );
    }
    if let Some(r) = &o.retry_options {
        v.range(
            &m("retryOptions.durationInSeconds"),
            r.duration_in_seconds,
            Some(0),
            Some(7200),
        );
    }
    v.one_of(
        &m("s3BackupMode"),
        o.s3_backup_mode.as_deref(),
        &["FailedDocumentsOnly", "AllDocuments"],
    );
    if let Some(d) = &o.document_id_options {
        v.required(
            &m("documentIdOptions.defaultDocumentIdFormat"),
            &d.default_document_id_format,
        );
        v.one_of(
            &m("documentIdOptions.defaultDocumentIdFormat"),
            d.default_document_id_format.as_deref(),
            &["FIREHOSE_DEFAULT", "NO_DOCUMENT_ID"],
        );
    }
    if let Some(s3) = &o.s3_configuration {
        check_s3(v, &m("s3Configuration"), s3, true);
    }
    if let Some(s3) = &o.s3_update {
        check_s3(v, &m("s3Update"), s3, false);
    }
}
