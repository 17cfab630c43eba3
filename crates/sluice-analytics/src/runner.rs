//! An application's runner: reads its input stream's shards, maps records to rows of the
//! in-application input stream, runs the pumps, writes the rows of the output streams to their
//! destinations, and then checkpoints each shard (`analytics_checkpoints`, `app/input/shard` →
//! the last sequence number taken). Delivery is at least once: after a crash, records after the
//! last checkpoint are read again.

use crate::mapping::{Mapper, encode_row};
use crate::model::*;
use crate::plan::{AppPlan, ERROR_STREAM, Row};
use crate::service::{Analytics, AppState, CHECKPOINTS_TABLE, compile};
use crate::value::Value;
use sluice_storage::MetaOp;
use sluice_streams::model::{IteratorType, ListShardsInput, PutRecordInput};
use sluice_types::StreamName;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Records read from a shard per GetRecords.
const READ_LIMIT: u32 = 10_000;
/// How long a runner waits when no input came.
const IDLE: Duration = Duration::from_millis(100);

pub fn stream_name(arn: &str) -> Option<StreamName> {
    sluice_types::Arn::parse(arn).and_then(|a| a.stream_name().cloned())
}

pub fn delivery_stream_name(arn: &str) -> Option<String> {
    let (_, rest) = arn.split_once(":deliverystream/")?;
    (arn.starts_with("arn:") && !rest.is_empty()).then(|| rest.to_owned())
}

fn checkpoint_key(app: &str, input: &str, shard: &str) -> String {
    format!("{app}/{input}/{shard}")
}

/// A shard being read.
struct ShardReader {
    id: String,
    iterator: Option<String>,
    /// The last sequence number taken, to checkpoint.
    last: Option<String>,
    done: bool,
    /// The shards it was split or merged from: read to their end before it.
    parents: Vec<String>,
    /// The in-application stream its rows go into (one of InputParallelism's, by shard).
    stream: String,
}

/// Where an input's records come from.
enum Source {
    /// A data stream's shards; a shard's iterator is a shard iterator, its position the last
    /// sequence number taken.
    Stream(StreamName),
    /// A delivery stream's log, read as one "shard" ([`DELIVERY_SHARD`]) whose iterator and
    /// position are both the offset to read next.
    Delivery(String),
}

const DELIVERY_SHARD: &str = "delivery-stream";

struct InputReader {
    input: Input,
    source: Source,
    mapper: Mapper,
    shards: Vec<ShardReader>,
}

/// One read of a shard: each record's data, arrival time and the position after it, and the
/// iterator to read from next (none once a closed shard is read to its end).
struct Page {
    records: Vec<PageRecord>,
    next: Option<String>,
}

struct PageRecord {
    data: bytes::Bytes,
    arrival_ms: i64,
    /// The position after it (to checkpoint).
    position: String,
    partition_key: String,
    /// Left out by the input's preprocessing function (Dropped), or why it failed there.
    processed: Result<bool, String>,
}

impl Analytics {
    /// A reference table's rows, from its bucket.
    async fn load_reference(&self, r: &ReferenceSource) -> Result<Vec<Row>, String> {
        let objects = self
            .objects
            .as_ref()
            .ok_or("this server has no object store to read reference data from")?;
        let bucket = bucket_of_arn(&r.bucket_arn)
            .ok_or_else(|| format!("{} is not the ARN of an S3 bucket", r.bucket_arn))?;
        let data = objects
            .get(bucket, &r.file_key)
            .await
            .map_err(|e| e.to_string())?;
        let mapper = Mapper::new(&r.schema)?;
        let (rows, skipped) = mapper.table_rows(&data);
        if let Some(e) = skipped.first() {
            tracing::warn!(
                table = %r.table_name,
                skipped = skipped.len(),
                first = %format!("{} ({})", e.message, e.data),
                "rows of the reference data that do not map were left out"
            );
        }
        Ok(rows)
    }

    pub(crate) async fn run(
        self: Arc<Self>,
        name: String,
        state: Arc<AppState>,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        let m = state.meta.read().clone();
        let (mut plan, mappers) = match compile(&m) {
            Ok(x) => x,
            Err(e) => {
                tracing::error!(application = %name, error = %e, "application does not compile; stopped");
                let _ = self.set_status(&state, ApplicationStatus::Ready);
                return;
            }
        };
        // Reference tables load once per start (UpdateApplication restarts, so reloads). Until
        // a table loads, the application stays STARTING and tries again each second.
        for r in &m.references {
            loop {
                if state.stop.load(Ordering::SeqCst) || *shutdown.borrow() {
                    return;
                }
                match self.load_reference(r).await {
                    Ok(rows) => {
                        tracing::info!(application = %name, table = %r.table_name, rows = rows.len(), "reference table loaded");
                        plan.set_table(&r.table_name, rows);
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(application = %name, table = %r.table_name, error = %e, "reference data cannot be loaded; retrying");
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                            _ = state.wake.notified() => {}
                            _ = shutdown.changed() => {}
                        }
                    }
                }
            }
        }
        let mut readers = Vec::new();
        for (input, (_, mapper)) in m.inputs.iter().zip(mappers) {
            let source = match &input.source {
                Resource::KinesisStream { arn, .. } => stream_name(arn).map(Source::Stream),
                Resource::DeliveryStream { arn, .. } => {
                    delivery_stream_name(arn).map(Source::Delivery)
                }
            };
            let Some(source) = source else {
                tracing::error!(application = %name, arn = %input.source.arn(), "the input's ARN names no stream; stopped");
                let _ = self.set_status(&state, ApplicationStatus::Ready);
                return;
            };
            readers.push(InputReader {
                input: input.clone(),
                source,
                mapper,
                shards: Vec::new(),
            });
        }
        if let Err(e) = self.set_status(&state, ApplicationStatus::Running) {
            tracing::error!(application = %name, error = %e, "cannot record RUNNING");
        }
        let mut last_rowtime = i64::MIN;
        let mut partition = 0u64;
        loop {
            if state.stop.load(Ordering::SeqCst) || *shutdown.borrow() {
                return;
            }
            let mut took = 0usize;
            let mut produced: Vec<(String, Row)> = Vec::new();
            let mut checkpoints: Vec<MetaOp> = Vec::new();
            for r in &mut readers {
                if let Err(e) = self.refresh_shards(&m, r).await {
                    tracing::warn!(application = %name, error = %e, "listing the input's shards failed");
                    continue;
                }
                // Parents before children: a shard waits while a shard it came from is unread.
                let unread: std::collections::HashSet<String> = r
                    .shards
                    .iter()
                    .filter(|s| !s.done)
                    .map(|s| s.id.clone())
                    .collect();
                for sh in r.shards.iter_mut().filter(|s| !s.done) {
                    if sh.parents.iter().any(|p| unread.contains(p)) {
                        continue;
                    }
                    let Some(it) = sh.iterator.take() else {
                        continue;
                    };
                    let page = match self.read_page(&r.source, &it).await {
                        Ok(p) => p,
                        Err(e) => {
                            tracing::debug!(application = %name, shard = %sh.id, error = %e, "reading failed; a new iterator next time");
                            continue;
                        }
                    };
                    let mut page = page;
                    if let Some(p) = &r.input.processor {
                        self.preprocess(&name, &r.input, &sh.id, p, &mut page.records)
                            .await;
                    }
                    for rec in &page.records {
                        // ROWTIME: when the row enters the in-application stream, never going back.
                        last_rowtime = last_rowtime.max(self.now());
                        let failed = match &rec.processed {
                            Ok(true) => None,
                            Ok(false) => {
                                sh.last = Some(rec.position.clone());
                                continue;
                            }
                            Err(e) => Some(e.clone()),
                        };
                        let rows = match failed {
                            None => r.mapper.rows(&rec.data, last_rowtime, rec.arrival_ms),
                            Some(message) => vec![Err(crate::mapping::MappingError {
                                message,
                                data: String::from_utf8_lossy(&rec.data).into_owned(),
                            })],
                        };
                        for row in rows {
                            match row {
                                Ok(row) => plan.push(&sh.stream, row, &mut produced),
                                Err(e) => {
                                    let err_row = vec![
                                        Value::Timestamp(last_rowtime),
                                        Value::Timestamp(last_rowtime),
                                        Value::Str("Error".into()),
                                        Value::Str("Error mapping the record".into()),
                                        Value::Str(e.message),
                                        Value::Timestamp(last_rowtime),
                                        Value::Str(e.data),
                                    ];
                                    plan.push(ERROR_STREAM, err_row, &mut produced);
                                }
                            }
                        }
                        sh.last = Some(rec.position.clone());
                    }
                    took += page.records.len();
                    if let Some(seq) = &sh.last
                        && !page.records.is_empty()
                    {
                        checkpoints.push(MetaOp::Put {
                            table: CHECKPOINTS_TABLE.into(),
                            key: checkpoint_key(&name, &r.input.id, &sh.id),
                            value: seq.clone().into_bytes(),
                        });
                    }
                    match page.next {
                        Some(next) => sh.iterator = Some(next),
                        None => sh.done = true,
                    }
                }
            }
            plan.tick(self.now(), &mut produced);
            if !m.logging.is_empty() {
                for (s, row) in produced.iter().filter(|(s, _)| s == ERROR_STREAM) {
                    let _ = s;
                    let text: Vec<String> = row.iter().map(|v| v.to_string()).collect();
                    for o in &m.logging {
                        tracing::warn!(application = %name, log_stream = %o.log_stream_arn, error = %text.join(" | "), "application error");
                    }
                }
            }
            let stopping = || state.stop.load(Ordering::SeqCst) || *shutdown.borrow();
            if !self
                .write_outputs(&name, &m, &plan, produced, &mut partition, &stopping)
                .await
            {
                // Stopping with rows unwritten: no checkpoint, so they are read again.
                return;
            }
            if !checkpoints.is_empty()
                && let Err(e) = self.meta.commit(checkpoints)
            {
                tracing::warn!(application = %name, error = %e, "checkpointing failed");
            }
            if took == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(IDLE) => {}
                    _ = state.wake.notified() => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }

    /// Adds the shards not yet read, each from its checkpoint or the starting position.
    async fn refresh_shards(
        &self,
        m: &ApplicationMeta,
        r: &mut InputReader,
    ) -> Result<(), sluice_streams::StreamsError> {
        if !r.shards.is_empty() && r.shards.iter().all(|s| s.iterator.is_some() || s.done) {
            return Ok(());
        }
        let stream = match &r.source {
            Source::Stream(s) => s.clone(),
            Source::Delivery(ds) => {
                let Some(f) = &self.firehose else {
                    return Ok(());
                };
                let checkpoint = r.shards.first().and_then(|s| s.last.clone()).or_else(|| {
                    self.meta
                        .get(
                            CHECKPOINTS_TABLE,
                            &checkpoint_key(&m.name, &r.input.id, DELIVERY_SHARD),
                        )
                        .ok()
                        .flatten()
                        .map(|v| String::from_utf8_lossy(&v).into_owned())
                });
                let offset = match (&checkpoint, r.input.starting_position.as_deref()) {
                    (Some(next), _) => next.parse().unwrap_or(0),
                    (None, Some("TRIM_HORIZON" | "LAST_STOPPED_POINT")) => {
                        f.start_offset(ds, None).await.unwrap_or(0)
                    }
                    (None, _) => f
                        .start_offset(ds, Some(m.started_ms.unwrap_or_else(|| self.now())))
                        .await
                        .unwrap_or(0),
                };
                r.shards = vec![ShardReader {
                    id: DELIVERY_SHARD.into(),
                    iterator: Some(offset.to_string()),
                    last: checkpoint,
                    done: false,
                    parents: Vec::new(),
                    stream: r.input.stream_name(),
                }];
                return Ok(());
            }
        };
        let mut all = Vec::new();
        let mut token = None;
        loop {
            let page = self.streams.list_shards(ListShardsInput {
                stream: token.is_none().then(|| stream.clone()),
                next_token: token.take(),
                exclusive_start_shard_id: None,
                max_results: Some(1000),
                filter: None,
            })?;
            all.extend(page.shards);
            match page.next_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        for s in all {
            let id = s.shard_id.to_string();
            let known = r.shards.iter().position(|x| x.id == id);
            if known.is_some_and(|i| r.shards[i].iterator.is_some() || r.shards[i].done) {
                continue;
            }
            let checkpoint = self
                .meta
                .get(
                    CHECKPOINTS_TABLE,
                    &checkpoint_key(&m.name, &r.input.id, &id),
                )
                .ok()
                .flatten()
                .map(|v| String::from_utf8_lossy(&v).into_owned());
            let last = known.and_then(|i| r.shards[i].last.clone()).or(checkpoint);
            let kind = match (&last, r.input.starting_position.as_deref()) {
                (Some(seq), _) => IteratorType::AfterSequenceNumber(seq.clone()),
                (None, Some("TRIM_HORIZON")) => IteratorType::TrimHorizon,
                (None, Some("LAST_STOPPED_POINT")) => IteratorType::TrimHorizon,
                (None, _) => IteratorType::AtTimestamp(m.started_ms.unwrap_or_else(|| self.now())),
            };
            let iterator = self.streams.get_shard_iterator(&stream, &id, kind).await?;
            match known {
                Some(i) => r.shards[i].iterator = Some(iterator),
                None => r.shards.push(ShardReader {
                    stream: {
                        let names = r.input.stream_names();
                        names[r.shards.len() % names.len()].clone()
                    },
                    id,
                    iterator: Some(iterator),
                    last,
                    done: false,
                    parents: s
                        .parent
                        .iter()
                        .chain(s.adjacent_parent.iter())
                        .map(|p| p.to_string())
                        .collect(),
                }),
            }
        }
        Ok(())
    }

    /// Runs the input's Lambda preprocessor over a page's records, in AWS's record preprocessing
    /// format: `{"invocationId", "applicationArn", "streamArn", "records": [{"recordId",
    /// "kinesisStreamRecordMetadata" | "kinesisFirehoseRecordMetadata", "data"}]}`, answered with
    /// `{"records": [{"recordId", "result": "Ok" | "Dropped" | "ProcessingFailed", "data"}]}`.
    /// `Ok` records go on with the answered data; the others, and every record of an invocation
    /// that fails four times or of an answer that leaves one out, go to `error_stream`.
    async fn preprocess(
        &self,
        name: &str,
        input: &Input,
        shard: &str,
        p: &LambdaProcessor,
        records: &mut [PageRecord],
    ) {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        if records.is_empty() {
            return;
        }
        let Some(f) = &self.firehose else {
            for r in records.iter_mut() {
                r.processed = Err("no Lambda runner here".into());
            }
            return;
        };
        let firehose_input = matches!(input.source, Resource::DeliveryStream { .. });
        let items: Vec<serde_json::Value> = records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut item = serde_json::json!({
                    "recordId": format!("{i}"),
                    "data": b64.encode(&r.data),
                });
                if firehose_input {
                    item["kinesisFirehoseRecordMetadata"] =
                        serde_json::json!({ "approximateArrivalTimestamp": r.arrival_ms });
                } else {
                    item["kinesisStreamRecordMetadata"] = serde_json::json!({
                        "sequenceNumber": r.position,
                        "partitionKey": r.partition_key,
                        "shardId": shard,
                        "approximateArrivalTimestamp": r.arrival_ms,
                    });
                }
                item
            })
            .collect();
        let event = serde_json::json!({
            "invocationId": f.invocation_id(),
            "applicationArn": self.arn(name),
            "streamArn": input.source.arn(),
            "records": items,
        });
        let answer = match f.invoke_function(&p.arn, &event, 3).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(application = %name, function = %p.arn, error = %e, "the input's preprocessing function failed");
                for r in records.iter_mut() {
                    r.processed = Err(format!("Lambda invocation failed: {e}"));
                }
                return;
            }
        };
        let mut results: std::collections::HashMap<String, &serde_json::Value> =
            std::collections::HashMap::new();
        for a in answer["records"].as_array().into_iter().flatten() {
            if let Some(id) = a["recordId"].as_str() {
                results.insert(id.to_owned(), a);
            }
        }
        for (i, r) in records.iter_mut().enumerate() {
            r.processed = match results.get(&i.to_string()) {
                None => Err("the preprocessing function's answer left this record out".into()),
                Some(a) => match a["result"].as_str() {
                    Some("Ok") => match a["data"].as_str().map(|d| b64.decode(d)) {
                        Some(Ok(data)) => {
                            r.data = bytes::Bytes::from(data);
                            Ok(true)
                        }
                        _ => {
                            Err("the preprocessing function answered Ok without base64 data".into())
                        }
                    },
                    Some("Dropped") => Ok(false),
                    Some("ProcessingFailed") => {
                        Err("the preprocessing function answered ProcessingFailed".into())
                    }
                    other => Err(format!(
                        "the preprocessing function answered result {other:?}"
                    )),
                },
            };
        }
    }

    /// One read of a shard of `source` from `iterator`.
    async fn read_page(&self, source: &Source, iterator: &str) -> Result<Page, String> {
        match source {
            Source::Stream(_) => {
                let page = self
                    .streams
                    .get_records(iterator, Some(READ_LIMIT))
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Page {
                    records: page
                        .records
                        .into_iter()
                        .map(|r| PageRecord {
                            data: r.data,
                            arrival_ms: r.arrival_ms,
                            position: r.sequence_number.to_string(),
                            partition_key: r.partition_key,
                            processed: Ok(true),
                        })
                        .collect(),
                    next: page.next_iterator,
                })
            }
            Source::Delivery(ds) => {
                let f = self.firehose.as_ref().ok_or("no Firehose here")?;
                let offset: u64 = iterator.parse().map_err(|_| "bad offset")?;
                let (records, next) = f
                    .read_records(ds, offset, READ_LIMIT as usize)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Page {
                    records: records
                        .into_iter()
                        .map(|r| PageRecord {
                            data: r.value,
                            arrival_ms: r.timestamp_ms,
                            position: (r.offset + 1).to_string(),
                            partition_key: String::new(),
                            processed: Ok(true),
                        })
                        .collect(),
                    next: Some(next.to_string()),
                })
            }
        }
    }

    /// Writes each output's rows, retrying what a destination refuses (doubling the wait up to
    /// 5 s) until it takes them, as AWS does: a destination that is away holds the application
    /// back, and nothing is dropped. Answers false if it gave up because the application is
    /// stopping; the caller then does not checkpoint, so the input is read again.
    async fn write_outputs(
        &self,
        name: &str,
        m: &ApplicationMeta,
        plan: &AppPlan,
        produced: Vec<(String, Row)>,
        partition: &mut u64,
        stopping: &(dyn Fn() -> bool + Sync),
    ) -> bool {
        for o in &m.outputs {
            let Some(def) = plan.streams.get(&o.name) else {
                continue;
            };
            let mut pending: Vec<bytes::Bytes> = produced
                .iter()
                .filter(|(s, _)| *s == o.name)
                .map(|(_, r)| bytes::Bytes::from(encode_row(def, r, o.format)))
                .collect();
            let mut wait = Duration::from_millis(100);
            let mut attempts = 0u32;
            while !pending.is_empty() {
                let (refused, error) = self.try_write(name, o, pending, partition).await;
                if refused.is_empty() {
                    break;
                }
                attempts += 1;
                if attempts == 1 || attempts.is_power_of_two() {
                    tracing::warn!(application = %name, output = %o.id, records = refused.len(), attempts, error = %error.unwrap_or_default(), "the destination refused output records; retrying");
                }
                pending = refused;
                if stopping() {
                    return false;
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
        true
    }

    /// One attempt at writing `records` to an output: the records refused, and why.
    async fn try_write(
        &self,
        name: &str,
        o: &Output,
        records: Vec<bytes::Bytes>,
        partition: &mut u64,
    ) -> (Vec<bytes::Bytes>, Option<String>) {
        let mut refused = Vec::new();
        let mut error = None;
        // Batches of at most 500 records and 4 MiB (PutRecords' and PutRecordBatch's limits).
        let mut batches: Vec<Vec<bytes::Bytes>> = Vec::new();
        let mut size = 0usize;
        for r in records {
            if batches
                .last()
                .is_none_or(|b| b.len() == 500 || size + r.len() > 4 << 20)
            {
                batches.push(Vec::new());
                size = 0;
            }
            size += r.len();
            if let Some(b) = batches.last_mut() {
                b.push(r);
            }
        }
        match &o.destination {
            Resource::KinesisStream { arn, .. } => {
                let Some(stream) = stream_name(arn) else {
                    return (Vec::new(), None);
                };
                for chunk in batches {
                    let batch = chunk
                        .iter()
                        .map(|data| {
                            *partition += 1;
                            PutRecordInput {
                                partition_key: format!("{name}-{}", *partition),
                                data: data.clone(),
                                explicit_hash_key: None,
                            }
                        })
                        .collect();
                    match self.streams.put_records(&stream, batch).await {
                        Ok(entries) => {
                            for (e, data) in entries.iter().zip(chunk) {
                                if let sluice_streams::model::PutRecordsEntry::Failed {
                                    message,
                                    ..
                                } = e
                                {
                                    error.get_or_insert_with(|| message.clone());
                                    refused.push(data);
                                }
                            }
                        }
                        Err(e) => {
                            error = Some(e.to_string());
                            refused.extend(chunk);
                        }
                    }
                }
            }
            Resource::DeliveryStream { arn, .. } => {
                let (Some(f), Some(ds)) = (&self.firehose, delivery_stream_name(arn)) else {
                    return (Vec::new(), None);
                };
                for chunk in batches {
                    match f.put_record_batch(&ds, chunk.clone()).await {
                        Ok((entries, _)) => {
                            for (e, data) in entries.iter().zip(chunk) {
                                if let sluice_firehose::model::PutEntry::Failed {
                                    message, ..
                                } = e
                                {
                                    error.get_or_insert_with(|| message.clone());
                                    refused.push(data);
                                }
                            }
                        }
                        Err(e) => {
                            error = Some(e.to_string());
                            refused.extend(chunk);
                        }
                    }
                }
            }
        }
        (refused, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_come_from_arns() {
        assert_eq!(
            stream_name("arn:aws:kinesis:us-east-1:000000000000:stream/in").map(|s| s.to_string()),
            Some("in".into())
        );
        assert_eq!(
            delivery_stream_name("arn:aws:firehose:us-east-1:000000000000:deliverystream/out"),
            Some("out".into())
        );
        assert_eq!(
            delivery_stream_name("arn:aws:firehose:us-east-1:0:deliverystream/"),
            None
        );
    }
}
