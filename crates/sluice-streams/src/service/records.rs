//! The data plane: PutRecord, PutRecords, GetShardIterator and GetRecords.

use super::*;

impl Streams {
    fn check_record_size(&self, s: &StreamState, r: &PutRecordInput) -> Result<()> {
        let max = s.meta.max_record_size_kib as usize * 1024;
        if r.data.len() + r.partition_key.len() > max {
            return Err(StreamsError::Validation(format!(
                "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]' at 'data' failed to satisfy constraint: Member must have length less than or equal to {max}",
                n = r.data.len()
            )));
        }
        Ok(())
    }

    fn route(&self, s: &StreamState, r: &PutRecordInput) -> Result<(u32, LogId)> {
        let hash = r
            .explicit_hash_key
            .map_or_else(|| partition_hash(&r.partition_key), HashKey);
        s.route(hash.0).ok_or_else(|| {
            StreamsError::InvalidArgument(format!("No open shard owns hash key {hash}"))
        })
    }

    pub async fn put_record(
        &self,
        name: &StreamName,
        record: PutRecordInput,
        ordering: Option<&str>,
    ) -> Result<PutRecordOutput> {
        let gate = self.get_writable(name.as_str())?.gate.clone();
        let _open = gate.read().await;
        // Fetched again under the gate: a reshard may have replaced the state meanwhile.
        let s = self.get_writable(name.as_str())?;
        if let Some(o) = ordering
            && !SequenceNumber::is_well_formed(o)
        {
            return Err(StreamsError::InvalidArgument(format!(
                "ExclusiveMinimumSequenceNumber {o} used in PutRecord on stream {name} under account {} is invalid.",
                self.config.account_id
            )));
        }
        self.check_record_size(&s, &record)?;
        let (shard, log) = self.route(&s, &record)?;
        let size = record.data.len() + record.partition_key.len();
        if !self.limiter.admit_write(log, size, self.now()) {
            return Err(StreamsError::ProvisionedThroughputExceeded(
                self.write_throttled(ShardId::new(shard), name.as_str()),
            ));
        }
        let stored = self.stored_record(&s, record)?;
        let now = self.now();
        let mut acks = self
            .logs
            .append(vec![LogAppend {
                log,
                timestamp_ms: now,
                records: vec![stored],
            }])
            .await;
        let ack = acks.pop().ok_or(StorageError::ShuttingDown)??;
        self.fanout.notify(log);
        self.record_on_demand_write(&s, size as u64, 1);
        s.metrics.incoming_records.increment(1);
        s.metrics.incoming_bytes.increment(size as u64);
        let shard_id = ShardId::new(shard);
        Ok(PutRecordOutput {
            shard_id,
            sequence_number: SequenceNumber::at(
                shard_id,
                ack.first_offset,
                s.shard_created_ms(shard),
                now,
            ),
            encrypted: s.meta.encryption.is_some(),
        })
    }

    pub async fn put_records(
        &self,
        name: &StreamName,
        records: Vec<PutRecordInput>,
    ) -> Result<Vec<PutRecordsEntry>> {
        let gate = self.get_writable(name.as_str())?.gate.clone();
        let _open = gate.read().await;
        let s = self.get_writable(name.as_str())?;
        for r in &records {
            self.check_record_size(&s, r)?;
        }
        let now = self.now();
        let n = records.len();
        let mut bytes = 0u64;
        // Group by shard, keeping each shard's records in request order.
        let mut groups: BTreeMap<u32, (LogId, Vec<usize>, Vec<AppendRecord>)> = BTreeMap::new();
        let mut throttled: Vec<(usize, u32)> = Vec::new();
        for (i, r) in records.into_iter().enumerate() {
            let (shard, log) = self.route(&s, &r)?;
            let size = r.data.len() + r.partition_key.len();
            if !self.limiter.admit_write(log, size, now) {
                throttled.push((i, shard));
                continue;
            }
            bytes += size as u64;
            let g = groups
                .entry(shard)
                .or_insert_with(|| (log, Vec::new(), Vec::new()));
            g.1.push(i);
            g.2.push(self.stored_record(&s, r)?);
        }
        let mut positions = Vec::with_capacity(groups.len());
        let mut appends = Vec::with_capacity(groups.len());
        for (shard, (log, idx, recs)) in groups {
            positions.push((shard, log, idx));
            appends.push(LogAppend {
                log,
                timestamp_ms: now,
                records: recs,
            });
        }
        let acks = self.logs.append(appends).await;
        let mut out: Vec<Option<PutRecordsEntry>> = vec![None; n];
        for (i, shard) in throttled {
            out[i] = Some(PutRecordsEntry::Failed {
                error_code: "ProvisionedThroughputExceededException",
                message: self.write_throttled(ShardId::new(shard), name.as_str()),
            });
        }
        for ((shard, log, idx), ack) in positions.into_iter().zip(acks) {
            if ack.is_ok() {
                self.fanout.notify(log);
            }
            let shard_id = ShardId::new(shard);
            let created_ms = s.shard_created_ms(shard);
            for (k, i) in idx.into_iter().enumerate() {
                out[i] = Some(match &ack {
                    Ok(a) => PutRecordsEntry::Ok(PutRecordOutput {
                        shard_id,
                        sequence_number: SequenceNumber::at(
                            shard_id,
                            a.first_offset + k as u64,
                            created_ms,
                            now,
                        ),
                        encrypted: s.meta.encryption.is_some(),
                    }),
                    Err(e) => {
                        if k == 0 {
                            tracing::error!(error = %e, "PutRecords append failed");
                        }
                        PutRecordsEntry::Failed {
                            error_code: "InternalFailure",
                            message: format!("Internal Service Failure: {e}"),
                        }
                    }
                });
            }
        }
        let ok = out
            .iter()
            .filter(|e| matches!(e, Some(PutRecordsEntry::Ok(_))))
            .count();
        s.metrics.incoming_records.increment(ok as u64);
        s.metrics.incoming_bytes.increment(bytes);
        self.record_on_demand_write(&s, bytes, ok as u64);
        Ok(out
            .into_iter()
            .map(|e| {
                e.unwrap_or(PutRecordsEntry::Failed {
                    error_code: "InternalFailure",
                    message: "Internal Service Failure".into(),
                })
            })
            .collect())
    }

    /// A record as the log stores it: encrypted when the stream's encryption is on (see `kms`).
    fn stored_record(&self, s: &StreamState, r: PutRecordInput) -> Result<AppendRecord> {
        match &s.meta.encryption {
            None => Ok(AppendRecord {
                key: Bytes::from(r.partition_key.into_bytes()),
                value: r.data,
            }),
            Some(e) => {
                let (key, value) =
                    self.keys
                        .seal(e.key_number, r.partition_key.as_bytes(), &r.data)?;
                Ok(AppendRecord { key, value })
            }
        }
    }

    /// The records of a read below a closed shard's end, as returned, with their data bytes.
    pub(super) fn records_before(
        &self,
        shard: &ShardMeta,
        stored: Vec<sluice_storage::StoredRecord>,
        end: Option<u64>,
    ) -> Result<(Vec<Record>, u64)> {
        let mut records = Vec::with_capacity(stored.len());
        let mut bytes = 0u64;
        for r in stored {
            if end.is_some_and(|e| r.offset >= e) {
                break;
            }
            let r = self.record_of(shard, r)?;
            bytes += r.data.len() as u64;
            records.push(r);
        }
        Ok((records, bytes))
    }

    /// A stored record as GetRecords and SubscribeToShard return it (decrypted if need be).
    pub(super) fn record_of(
        &self,
        shard: &ShardMeta,
        r: sluice_storage::StoredRecord,
    ) -> Result<Record> {
        let (partition_key, data, encrypted) = self.keys.open_record(&r.key, r.value)?;
        Ok(Record {
            sequence_number: SequenceNumber::at(
                ShardId::new(shard.index),
                r.offset,
                shard.created_ms,
                r.timestamp_ms,
            ),
            arrival_ms: r.timestamp_ms,
            partition_key,
            data,
            encrypted,
        })
    }

    /// AWS's text for a write over a shard's limit.
    fn write_throttled(&self, shard: ShardId, stream: &str) -> String {
        format!(
            "Rate exceeded for shard {shard} in stream {stream} under account {}.",
            self.config.account_id
        )
    }

    pub(super) fn shard_not_found(&self, shard: &str, stream: &str) -> StreamsError {
        StreamsError::ShardNotFound {
            shard: shard.to_owned(),
            stream: stream.to_owned(),
            account: self.config.account_id.clone(),
        }
    }

    pub async fn get_shard_iterator(
        &self,
        name: &StreamName,
        shard: &str,
        kind: IteratorType,
    ) -> Result<String> {
        let shard_id = parse_shard_id(shard).ok_or_else(|| {
            StreamsError::ResourceNotFound(format!(
                "Could not find shard {shard} in stream {name} under account {}.",
                self.config.account_id
            ))
        })?;
        let s = match self.get(name.as_str()) {
            Ok(s) => s,
            Err(StreamsError::StreamNotFound { .. }) => {
                return Err(self.shard_not_found(&shard_id.to_string(), name.as_str()));
            }
            Err(e) => return Err(e),
        };
        let sh = s
            .shard(shard_id.index())
            .ok_or_else(|| self.shard_not_found(&shard_id.to_string(), name.as_str()))?;
        let offset = self
            .start_offset(
                sh,
                shard_id,
                name.as_str(),
                kind,
                "GetShardIterator",
                "StartingSequenceNumber",
            )
            .await?;
        Ok(self.iterators.encode(&IteratorPosition {
            stream: s.meta.name.clone(),
            stream_created_ms: s.meta.created_ms,
            shard: shard_id.index(),
            offset,
            issued_ms: self.now(),
        }))
    }

    /// The first offset to read for a starting position on shard `sh` (GetShardIterator and
    /// SubscribeToShard). `op` and `member` name the request in error messages.
    pub(super) async fn start_offset(
        &self,
        sh: &ShardMeta,
        shard_id: ShardId,
        name: &str,
        kind: IteratorType,
        op: &str,
        member: &str,
    ) -> Result<u64> {
        let parse_seq = |seq: &str| -> Result<SequenceNumber> {
            let parsed = seq.parse::<SequenceNumber>().map_err(|_| {
                StreamsError::InvalidArgument(format!(
                    "{member} {seq} used in {op} on shard {shard_id} in stream {name} under account {} is invalid.",
                    self.config.account_id
                ))
            })?;
            if parsed.shard() != shard_id {
                return Err(StreamsError::InvalidArgument(format!(
                    "Invalid {member}. It encodes {}, while it was used in a call to a shard with {shard_id}",
                    parsed.shard()
                )));
            }
            Ok(parsed)
        };
        let offset = match kind {
            IteratorType::TrimHorizon => sh.starting_offset,
            IteratorType::Latest => self.logs.bounds(sh.log)?.next_offset,
            IteratorType::AtSequenceNumber(seq) => parse_seq(&seq)?.offset(),
            IteratorType::AfterSequenceNumber(seq) => parse_seq(&seq)?.offset().saturating_add(1),
            IteratorType::AtTimestamp(ts) => {
                let now = self.now();
                if ts > now {
                    return Err(StreamsError::InvalidArgument(format!(
                        "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: {ts}, currentTimestampInMillis: {now}"
                    )));
                }
                self.logs.offset_at_time(sh.log, ts).await?
            }
        };
        Ok(offset)
    }

    pub async fn get_records(
        &self,
        iterator: &str,
        limit: Option<u32>,
    ) -> Result<GetRecordsOutput> {
        let pos = self
            .iterators
            .decode(iterator)
            .ok_or_else(|| StreamsError::InvalidArgument("Invalid ShardIterator.".into()))?;
        let now = self.now();
        if now - pos.issued_ms > ITERATOR_TTL_MS {
            return Err(StreamsError::ExpiredIterator {
                created: java_date(pos.issued_ms),
                now: java_date(now),
            });
        }
        let shard_id = ShardId::new(pos.shard);
        let gone = || self.shard_not_found(&shard_id.to_string(), &pos.stream);
        let s = self.get(&pos.stream).map_err(|_| gone())?;
        if s.meta.created_ms != pos.stream_created_ms {
            return Err(gone());
        }
        let sh = s.shard(pos.shard).ok_or_else(gone)?;
        let limits = ReadLimits {
            max_records: limit.unwrap_or(10_000).clamp(1, 10_000) as usize,
            max_bytes: GET_RECORDS_MAX_BYTES,
        };
        let end = sh.ending_offset;
        if !self.limiter.admit_read(sh.log, now) {
            return Err(StreamsError::ProvisionedThroughputExceeded(format!(
                "Rate exceeded for Shard - {shard_id} in stream {} under account {}.",
                pos.stream, self.config.account_id
            )));
        }
        let batch = self.logs.read(sh.log, pos.offset, limits).await?;
        let bounds = self.logs.bounds(sh.log)?;
        let next_in_batch = batch.next_offset;
        let (records, bytes) = self.records_before(sh, batch.records, end)?;
        let next_offset = records
            .last()
            .map_or(next_in_batch, |r| r.sequence_number.offset() + 1);
        let millis_behind_latest = match records.last() {
            Some(last) if next_offset < bounds.next_offset => (now - last.arrival_ms).max(0),
            _ => 0,
        };
        let at_end = end.is_some_and(|e| next_offset >= e);
        let next_iterator = (!at_end).then(|| {
            self.iterators.encode(&IteratorPosition {
                offset: next_offset,
                issued_ms: now,
                ..pos.clone()
            })
        });
        let child_shards = at_end.then(|| self.child_shards(&s, pos.shard));
        s.metrics.get_records_calls.increment(1);
        s.metrics.outgoing_bytes.increment(bytes);
        self.limiter.charge_read(sh.log, bytes, now);
        s.metrics.outgoing_records.increment(records.len() as u64);
        Ok(GetRecordsOutput {
            records,
            next_iterator,
            millis_behind_latest,
            child_shards,
        })
    }
}
