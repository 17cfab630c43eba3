//! Enhanced fan-out consumers: RegisterStreamConsumer, DescribeStreamConsumer,
//! ListStreamConsumers and DeregisterStreamConsumer. A consumer lives in its stream's metadata;
//! its ARN is the stream's ARN followed by `/consumer/{name}:{creation time in seconds}`.

use super::*;
use crate::meta::ConsumerMeta;
use sluice_types::ArnResource;

/// AWS's limit on registered consumers per stream.
pub const MAX_CONSUMERS_PER_STREAM: usize = 20;

impl Streams {
    pub(super) fn consumer_arn(&self, stream: &str, c: &ConsumerMeta) -> String {
        format!(
            "{}/consumer/{}:{}",
            self.stream_arn(stream),
            c.name,
            c.created_ms.div_euclid(1000)
        )
    }

    /// The consumer's status now; `None` once a deregistered consumer's DELETING time is over.
    pub(super) fn consumer_status(&self, c: &ConsumerMeta) -> Option<ConsumerStatus> {
        let now = self.now();
        match c.deleting_until_ms {
            Some(t) if now >= t => None,
            Some(_) => Some(ConsumerStatus::Deleting),
            None if now < c.active_at_ms => Some(ConsumerStatus::Creating),
            None => Some(ConsumerStatus::Active),
        }
    }

    pub(super) fn consumer_not_found(&self, what: &str) -> StreamsError {
        StreamsError::ResourceNotFound(format!(
            "Consumer {what} under account {} not found.",
            self.config.account_id
        ))
    }

    /// The stream a StreamARN names (ResourceNotFound if it is not one of ours).
    fn stream_of_stream_arn(&self, arn: &str) -> Result<Arc<StreamState>> {
        let name = match Arn::parse(arn).map(|a| a.resource) {
            Some(ArnResource::Stream(name)) => name,
            _ => {
                return Err(StreamsError::InvalidArgument(format!(
                    "StreamARN {arn} is invalid."
                )));
            }
        };
        let s = self.get(name.as_str())?;
        if self.stream_arn(&s.meta.name) != arn {
            return Err(self.not_found(name.as_str()));
        }
        Ok(s)
    }

    /// The stream and the index of the consumer in it that `r` names, if it still exists.
    pub(super) fn resolve_consumer(&self, r: &ConsumerRef) -> Result<(Arc<StreamState>, usize)> {
        let (s, name, created_secs, shown) = match r {
            ConsumerRef::Name { stream_arn, name } => {
                let s = self.stream_of_stream_arn(stream_arn)?;
                (
                    s,
                    name.clone(),
                    None,
                    format!("{stream_arn}/consumer/{name}"),
                )
            }
            ConsumerRef::Arn(arn) => {
                let Some(ArnResource::Consumer {
                    stream,
                    consumer,
                    creation_epoch_secs,
                }) = Arn::parse(arn).map(|a| a.resource)
                else {
                    return Err(StreamsError::InvalidArgument(format!(
                        "ConsumerARN {arn} is invalid."
                    )));
                };
                let s = self
                    .get(stream.as_str())
                    .map_err(|_| self.consumer_not_found(arn))?;
                if !arn.starts_with(&format!("{}/consumer/", self.stream_arn(&s.meta.name))) {
                    return Err(self.consumer_not_found(arn));
                }
                (s, consumer, Some(creation_epoch_secs), arn.clone())
            }
        };
        let i = s
            .meta
            .consumers
            .iter()
            .position(|c| {
                c.name == name
                    && created_secs.is_none_or(|t| c.created_ms.div_euclid(1000) == t)
                    && self.consumer_status(c).is_some()
            })
            .ok_or_else(|| self.consumer_not_found(&shown))?;
        Ok((s, i))
    }

    fn consumer_description(&self, s: &StreamState, c: &ConsumerMeta) -> ConsumerDescription {
        ConsumerDescription {
            name: c.name.clone(),
            arn: self.consumer_arn(&s.meta.name, c),
            status: self.consumer_status(c).unwrap_or(ConsumerStatus::Deleting),
            created_ms: c.created_ms,
            stream_arn: self.stream_arn(&s.meta.name),
        }
    }

    /// The stream's consumers without those whose deregistration is over.
    fn live_consumers(&self, m: &StreamMeta) -> Vec<ConsumerMeta> {
        m.consumers
            .iter()
            .filter(|c| self.consumer_status(c).is_some())
            .cloned()
            .collect()
    }

    pub async fn register_consumer(
        &self,
        stream_arn: &str,
        name: &str,
        tags: &[(String, String)],
    ) -> Result<ConsumerDescription> {
        let _guard = self.control.lock().await;
        let s = self.stream_of_stream_arn(stream_arn)?;
        let s = self.get_active(&s.meta.name)?;
        let mut m = s.meta.clone();
        m.consumers = self.live_consumers(&m);
        if m.consumers.iter().any(|c| c.name == name) {
            return Err(StreamsError::ResourceInUse(format!(
                "Consumer {name} under stream {} under account {} already exists.",
                m.name, self.config.account_id
            )));
        }
        if m.consumers.len() >= MAX_CONSUMERS_PER_STREAM {
            return Err(StreamsError::LimitExceeded(format!(
                "Stream {} under account {} has reached the limit of {MAX_CONSUMERS_PER_STREAM} registered consumers.",
                m.name, self.config.account_id
            )));
        }
        let mut tag_map = BTreeMap::new();
        tags::add_tags(&mut tag_map, tags, name, &self.config.account_id)?;
        let now = self.now();
        let c = ConsumerMeta {
            name: name.to_owned(),
            created_ms: now,
            active_at_ms: now + self.config.consumer_delay_ms,
            deleting_until_ms: None,
            tags: tag_map,
            resource_policy: None,
        };
        m.consumers.push(c.clone());
        let s = self.persist(m, Vec::new())?;
        Ok(self.consumer_description(&s, &c))
    }

    pub fn describe_consumer(&self, r: &ConsumerRef) -> Result<ConsumerDescription> {
        let (s, i) = self.resolve_consumer(r)?;
        Ok(self.consumer_description(&s, &s.meta.consumers[i]))
    }

    /// ListStreamConsumers. The NextToken is base64("1|created_ms|index|issued_ms|stream").
    pub fn list_consumers(
        &self,
        stream_arn: &str,
        stream_created_ms: Option<i64>,
        next_token: Option<&str>,
        max_results: Option<u32>,
    ) -> Result<ListConsumersOutput> {
        let s = self.stream_of_stream_arn(stream_arn)?;
        if stream_created_ms
            .is_some_and(|t| t.div_euclid(1000) != s.meta.created_ms.div_euclid(1000))
        {
            return Err(self.not_found(&s.meta.name));
        }
        let start = match next_token {
            None => 0,
            Some(t) => {
                let (name, created, index, issued) = decode_list_token(t).ok_or_else(|| {
                    StreamsError::InvalidArgument(format!("NextToken {t} is invalid."))
                })?;
                if self.now() - issued > ITERATOR_TTL_MS {
                    return Err(StreamsError::ExpiredNextToken);
                }
                if name != s.meta.name || created != s.meta.created_ms {
                    return Err(StreamsError::InvalidArgument(format!(
                        "NextToken {t} is invalid."
                    )));
                }
                index as usize
            }
        };
        let max = max_results.unwrap_or(100).clamp(1, 10_000) as usize;
        let live = self.live_consumers(&s.meta);
        let consumers: Vec<_> = live
            .iter()
            .skip(start)
            .take(max)
            .map(|c| self.consumer_description(&s, c))
            .collect();
        let next = start + consumers.len();
        let next_token = (next < live.len())
            .then(|| encode_list_token(&s.meta.name, s.meta.created_ms, next as u32, self.now()));
        Ok(ListConsumersOutput {
            consumers,
            next_token,
        })
    }

    pub async fn deregister_consumer(&self, r: &ConsumerRef) -> Result<()> {
        let _guard = self.control.lock().await;
        let (s, i) = self.resolve_consumer(r)?;
        let target = s.meta.consumers[i].clone();
        if target.deleting_until_ms.is_some() {
            return Ok(());
        }
        let mut m = s.meta.clone();
        let now = self.now();
        if self.config.consumer_delay_ms <= 0 {
            m.consumers.retain(|c| c != &target);
        } else if let Some(c) = m.consumers.iter_mut().find(|c| **c == target) {
            c.deleting_until_ms = Some(now + self.config.consumer_delay_ms);
        }
        m.consumers.retain(|c| self.consumer_status(c).is_some());
        let arn = self.consumer_arn(&m.name, &target);
        self.persist(m, Vec::new())?;
        self.fanout.end_consumer(&arn);
        Ok(())
    }
}

/// TagResource, UntagResource and ListTagsForResource: an ARN names a stream or a consumer.
impl Streams {
    pub(super) fn is_consumer_arn(arn: &str) -> bool {
        matches!(
            Arn::parse(arn).map(|a| a.resource),
            Some(ArnResource::Consumer { .. })
        )
    }

    /// Changes the tags of the consumer `arn` names.
    async fn change_consumer_tags(
        &self,
        arn: &str,
        change: impl FnOnce(&mut BTreeMap<String, String>, &str) -> Result<()>,
    ) -> Result<()> {
        let _guard = self.control.lock().await;
        let (s, i) = self.resolve_consumer(&ConsumerRef::Arn(arn.to_owned()))?;
        let mut m = s.meta.clone();
        let c = &mut m.consumers[i];
        let name = c.name.clone();
        change(&mut c.tags, &name)?;
        self.persist(m, Vec::new())?;
        Ok(())
    }

    pub async fn tag_resource(&self, arn: &str, tags: Vec<(String, String)>) -> Result<()> {
        if !Self::is_consumer_arn(arn) {
            return self.add_tags(&self.stream_of_arn(arn)?, tags).await;
        }
        let account = self.config.account_id.clone();
        self.change_consumer_tags(arn, |t, name| tags::add_tags(t, &tags, name, &account))
            .await
    }

    pub async fn untag_resource(&self, arn: &str, keys: Vec<String>) -> Result<()> {
        if !Self::is_consumer_arn(arn) {
            return self.remove_tags(&self.stream_of_arn(arn)?, keys).await;
        }
        self.change_consumer_tags(arn, |t, _| {
            for k in &keys {
                t.remove(k);
            }
            Ok(())
        })
        .await
    }

    pub fn resource_tags(&self, arn: &str) -> Result<TagsPage> {
        if !Self::is_consumer_arn(arn) {
            return self.list_tags(&self.stream_of_arn(arn)?, None, Some(u32::MAX));
        }
        let (s, i) = self.resolve_consumer(&ConsumerRef::Arn(arn.to_owned()))?;
        Ok(TagsPage {
            tags: s.meta.consumers[i]
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            has_more: false,
        })
    }
}
