//! Per-stream settings: retention, tags, enhanced-monitoring flags, the maximum record size,
//! resource policies, and the account's limits.

use super::*;

impl Streams {
    fn retention_change(&self, name: &StreamName, hours: i64, increase: bool) -> Result<()> {
        let s = self.get_active(name.as_str())?;
        if hours < i64::from(MIN_RETENTION_HOURS) {
            return Err(StreamsError::InvalidArgument(format!(
                "Minimum allowed retention period is {MIN_RETENTION_HOURS} hours. Requested retention period ({hours} hours) is too short."
            )));
        }
        if hours > i64::from(MAX_RETENTION_HOURS) {
            return Err(StreamsError::InvalidArgument(format!(
                "Maximum allowed retention period is {MAX_RETENTION_HOURS} hours. Requested retention period ({hours} hours) is too long."
            )));
        }
        let current = i64::from(s.meta.retention_hours);
        if increase && hours < current {
            return Err(StreamsError::InvalidArgument(format!(
                "Requested retention period ({hours} hours) for stream {name} can not be shorter than existing retention period ({current} hours). Use DecreaseRetentionPeriod API."
            )));
        }
        if !increase && hours > current {
            return Err(StreamsError::InvalidArgument(format!(
                "Requested retention period ({hours} hours) for stream {name} can not be longer than existing retention period ({current} hours). Use IncreaseRetentionPeriod API."
            )));
        }
        for shard in &s.meta.shards {
            self.logs.set_retention(shard.log, hours * HOUR_MS)?;
        }
        let mut m = s.meta.clone();
        m.retention_hours = hours as u32;
        self.persist(m, Vec::new())?;
        Ok(())
    }

    pub async fn increase_retention(&self, name: &StreamName, hours: i64) -> Result<()> {
        let _guard = self.control.lock().await;
        self.retention_change(name, hours, true)
    }

    pub async fn decrease_retention(&self, name: &StreamName, hours: i64) -> Result<()> {
        let _guard = self.control.lock().await;
        self.retention_change(name, hours, false)
    }

    pub async fn add_tags(&self, name: &StreamName, new: Vec<(String, String)>) -> Result<()> {
        let _guard = self.control.lock().await;
        let s = self.get(name.as_str())?;
        let mut m = s.meta.clone();
        tags::add_tags(&mut m.tags, &new, name.as_str(), &self.config.account_id)?;
        self.persist(m, Vec::new())?;
        Ok(())
    }

    pub async fn remove_tags(&self, name: &StreamName, keys: Vec<String>) -> Result<()> {
        let _guard = self.control.lock().await;
        let s = self.get(name.as_str())?;
        crate::tags::check_removed_keys(&keys, name.as_str(), &self.config().account_id)?;
        let mut m = s.meta.clone();
        for k in &keys {
            m.tags.remove(k);
        }
        self.persist(m, Vec::new())?;
        Ok(())
    }

    pub fn list_tags(
        &self,
        name: &StreamName,
        exclusive_start: Option<&str>,
        limit: Option<u32>,
    ) -> Result<TagsPage> {
        let s = self.get(name.as_str())?;
        let limit = limit.unwrap_or(50) as usize;
        let mut tags: Vec<(String, String)> = s
            .meta
            .tags
            .iter()
            .filter(|(k, _)| exclusive_start.is_none_or(|x| k.as_str() > x))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let has_more = tags.len() > limit;
        tags.truncate(limit);
        Ok(TagsPage { tags, has_more })
    }

    /// Resolves a resource ARN naming one of this server's streams.
    pub fn stream_of_arn(&self, arn: &str) -> Result<StreamName> {
        let parsed = Arn::parse(arn)
            .ok_or_else(|| StreamsError::ResourceNotFound(format!("Resource {arn} not found.")))?;
        match (
            parsed.account == self.config.account_id,
            parsed.stream_name(),
        ) {
            (true, Some(name)) => Ok(name.clone()),
            _ => Err(StreamsError::ResourceNotFound(format!(
                "Resource {arn} not found."
            ))),
        }
    }

    pub async fn set_shard_level_metrics(
        &self,
        name: &StreamName,
        metrics: &[String],
        enable: bool,
    ) -> Result<EnhancedMonitoringOutput> {
        let _guard = self.control.lock().await;
        let s = self.get_active(name.as_str())?;
        let expanded: Vec<String> = if metrics.iter().any(|m| m == "ALL") {
            crate::ALL_SHARD_LEVEL_METRICS
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
        } else {
            metrics.to_vec()
        };
        let mut m = s.meta.clone();
        let current: Vec<String> = m.shard_level_metrics.iter().cloned().collect();
        for metric in expanded {
            if enable {
                m.shard_level_metrics.insert(metric);
            } else {
                m.shard_level_metrics.remove(&metric);
            }
        }
        let desired = m.shard_level_metrics.iter().cloned().collect();
        self.persist(m, Vec::new())?;
        Ok(EnhancedMonitoringOutput {
            name: name.clone(),
            arn: self.stream_arn(name.as_str()),
            current,
            desired,
        })
    }

    pub async fn update_max_record_size(&self, name: &StreamName, kib: u32) -> Result<()> {
        let _guard = self.control.lock().await;
        let s = self.get_active(name.as_str())?;
        let mut m = s.meta.clone();
        m.max_record_size_kib = kib;
        self.persist(m, Vec::new())?;
        Ok(())
    }

    /// StartStreamEncryption: records written from now on are encrypted with `key_id`'s key. The
    /// stream reads UPDATING for `--update-delay-ms`, as AWS's does for a few seconds.
    pub async fn start_encryption(&self, name: &StreamName, key_id: &str) -> Result<()> {
        let _guard = self.control.lock().await;
        let s = self.get_only_active(name)?;
        let key_number = self.keys.resolve(key_id)?;
        let mut m = s.meta.clone();
        m.encryption = Some(crate::meta::EncryptionMeta {
            key_id: key_id.to_owned(),
            key_number,
        });
        let now = self.now();
        m.updating_until_ms =
            (self.config.update_delay_ms > 0).then(|| now + self.config.update_delay_ms);
        self.persist(m, Vec::new())?;
        Ok(())
    }

    /// StopStreamEncryption: records written from now on are stored in the clear; records already
    /// encrypted stay so and stay readable.
    pub async fn stop_encryption(&self, name: &StreamName, key_id: &str) -> Result<()> {
        let _guard = self.control.lock().await;
        let s = self.get_only_active(name)?;
        match &s.meta.encryption {
            None => {
                return Err(StreamsError::InvalidArgument(format!(
                    "Stream {name} under account {} is not encrypted.",
                    self.config.account_id
                )));
            }
            Some(e)
                if crate::kms::normalize_key_id(&e.key_id)
                    != crate::kms::normalize_key_id(key_id) =>
            {
                return Err(StreamsError::InvalidArgument(format!(
                    "KeyId {key_id} is not the key stream {name} under account {} is encrypted with.",
                    self.config.account_id
                )));
            }
            Some(_) => {}
        }
        let mut m = s.meta.clone();
        m.encryption = None;
        let now = self.now();
        m.updating_until_ms =
            (self.config.update_delay_ms > 0).then(|| now + self.config.update_delay_ms);
        self.persist(m, Vec::new())?;
        Ok(())
    }

    pub fn describe_limits(&self) -> Limits {
        let streams = self.streams.read();
        Limits {
            shard_limit: self.config.shard_limit,
            open_shard_count: streams
                .values()
                .map(|s| s.meta.open_shards().count() as u32)
                .sum(),
            on_demand_stream_count: streams
                .values()
                .filter(|s| s.meta.mode == StreamMode::OnDemand)
                .count() as u32,
            on_demand_stream_count_limit: self.config.on_demand_stream_limit,
        }
    }
}
