//! Resource policies: PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy on a stream or
//! a consumer ARN, and [`Streams::authorize`], which enforces them (see `crate::policy` for the
//! language subset and the decision rule).

use super::*;
use crate::policy::{self, Decision, Principal};

/// What a request acts on, as the server knows it before the operation runs.
#[derive(Debug, Clone)]
pub enum AccessTarget {
    Stream(StreamName),
    /// A stream or consumer ARN.
    Arn(String),
    Consumer(ConsumerRef),
    /// GetRecords: the stream its shard iterator names.
    Iterator(String),
}

impl Streams {
    /// Whether any stream or consumer has (or had, since the start) a resource policy: until
    /// then only principals of other accounts need checking.
    pub fn has_resource_policies(&self) -> bool {
        self.any_policy.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Where an ARN's policy lives: the stream, and the consumer's index if it names one.
    fn policy_holder(&self, arn: &str) -> Result<(Arc<StreamState>, Option<usize>)> {
        if Self::is_consumer_arn(arn) {
            let (s, i) = self.resolve_consumer(&ConsumerRef::Arn(arn.to_owned()))?;
            return Ok((s, Some(i)));
        }
        let name = self.stream_of_arn(arn)?;
        Ok((self.get(name.as_str())?, None))
    }

    /// PutResourcePolicy (`Some`) or DeleteResourcePolicy (`None`) on a stream or consumer ARN.
    pub async fn set_resource_policy(&self, arn: &str, policy: Option<String>) -> Result<()> {
        if let Some(p) = &policy {
            policy::validate(p).map_err(StreamsError::InvalidArgument)?;
        }
        let _guard = self.control.lock().await;
        let (s, consumer) = self.policy_holder(arn)?;
        if policy.is_some() {
            self.any_policy
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let mut m = s.meta.clone();
        match consumer {
            Some(i) => m.consumers[i].resource_policy = policy,
            None => m.resource_policy = policy,
        }
        self.persist(m, Vec::new())?;
        Ok(())
    }

    pub fn resource_policy_of(&self, arn: &str) -> Result<Option<String>> {
        let (s, consumer) = self.policy_holder(arn)?;
        Ok(match consumer {
            Some(i) => s.meta.consumers[i].resource_policy.clone(),
            None => s.meta.resource_policy.clone(),
        })
    }

    /// Whether `principal` may do `action` (`kinesis:Operation`) on `target`: AccessDenied if the
    /// resource's policy denies it, or if the principal is of another account and no policy
    /// allows it. A target that does not exist passes, so the operation reports it as it would.
    pub fn authorize(
        &self,
        principal: &Principal,
        action: &str,
        target: &AccessTarget,
    ) -> Result<()> {
        let resolved = match target {
            AccessTarget::Stream(name) => self.get(name.as_str()).ok().map(|s| {
                (
                    self.stream_arn(&s.meta.name),
                    s.meta.resource_policy.clone(),
                )
            }),
            AccessTarget::Arn(arn) => {
                self.policy_holder(arn)
                    .ok()
                    .map(|(s, consumer)| match consumer {
                        Some(i) => (arn.clone(), s.meta.consumers[i].resource_policy.clone()),
                        None => (
                            self.stream_arn(&s.meta.name),
                            s.meta.resource_policy.clone(),
                        ),
                    })
            }
            AccessTarget::Consumer(r) => self.resolve_consumer(r).ok().map(|(s, i)| {
                let c = &s.meta.consumers[i];
                (
                    self.consumer_arn(&s.meta.name, c),
                    c.resource_policy.clone(),
                )
            }),
            AccessTarget::Iterator(it) => self
                .iterators
                .decode(it)
                .and_then(|pos| self.get(&pos.stream).ok())
                .map(|s| {
                    (
                        self.stream_arn(&s.meta.name),
                        s.meta.resource_policy.clone(),
                    )
                }),
        };
        let Some((resource, policy)) = resolved else {
            return Ok(());
        };
        let decision = policy.as_deref().map_or(Decision::None, |p| {
            policy::evaluate(p, principal, action, &resource)
        });
        let same_account = principal.account == self.config.account_id;
        match decision {
            Decision::Deny => Err(StreamsError::AccessDenied(format!(
                "User: {} is not authorized to perform: {action} on resource: {resource} with an explicit deny in a resource-based policy",
                principal.arn
            ))),
            Decision::Allow => Ok(()),
            Decision::None if same_account => Ok(()),
            Decision::None => Err(StreamsError::AccessDenied(format!(
                "User: {} is not authorized to perform: {action} on resource: {resource} because no resource-based policy allows the {action} action",
                principal.arn
            ))),
        }
    }
}
