//! Account settings (DescribeAccountSettings, UpdateAccountSettings: the minimum throughput billing
//! commitment) and UpdateStreamWarmThroughput, which AWS allows only on on-demand streams of an
//! account with that commitment enabled. Billing means nothing here; the commitment is kept so
//! that the operations behave as AWS documents them.

use super::*;
use serde::{Deserialize, Serialize};

const COMMITMENT_KEY: &str = "billing_commitment";
/// How long an enabled commitment must last before it can end.
pub const COMMITMENT_MIN_MS: i64 = 24 * HOUR_MS;
/// AWS's default limit on an on-demand stream's warm throughput (10 GiB/s).
pub const MAX_WARM_MIBPS: u32 = 10 * 1024;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Commitment {
    enabled: bool,
    started_ms: Option<i64>,
    /// Set when disabling was asked for; it takes effect at `started_ms + COMMITMENT_MIN_MS`.
    ended_ms: Option<i64>,
}

impl Streams {
    fn commitment(&self) -> Result<Commitment> {
        Ok(match self.meta.get(SERVER_TABLE, COMMITMENT_KEY)? {
            Some(v) => serde_json::from_slice(&v).unwrap_or_default(),
            None => Commitment::default(),
        })
    }

    fn commitment_view(&self, c: &Commitment) -> BillingCommitment {
        let now = self.now();
        let earliest = c.started_ms.map(|s| s + COMMITMENT_MIN_MS);
        let status = match (c.enabled, c.ended_ms) {
            (false, _) => CommitmentStatus::Disabled,
            (true, Some(end)) if now >= end => CommitmentStatus::Disabled,
            (true, Some(_)) => CommitmentStatus::EnabledUntilEarliestAllowedEnd,
            (true, None) => CommitmentStatus::Enabled,
        };
        BillingCommitment {
            status,
            started_ms: c.started_ms,
            ended_ms: c.ended_ms,
            earliest_allowed_end_ms: earliest,
        }
    }

    fn commitment_active(&self) -> Result<bool> {
        Ok(self.commitment_view(&self.commitment()?).status != CommitmentStatus::Disabled)
    }

    pub fn describe_account_settings(&self) -> Result<BillingCommitment> {
        Ok(self.commitment_view(&self.commitment()?))
    }

    /// UpdateAccountSettings: enabling starts a commitment of at least 24 hours; disabling ends it
    /// at once after those, or at their end before (ENABLED_UNTIL_EARLIEST_ALLOWED_END).
    pub async fn update_account_settings(&self, enable: bool) -> Result<BillingCommitment> {
        let _guard = self.control.lock().await;
        let now = self.now();
        let current = self.commitment()?;
        let active = self.commitment_view(&current).status != CommitmentStatus::Disabled;
        let next = match (enable, active) {
            (true, true) => Commitment {
                ended_ms: None,
                ..current
            },
            (true, false) => Commitment {
                enabled: true,
                started_ms: Some(now),
                ended_ms: None,
            },
            (false, false) => current,
            (false, true) => {
                let earliest = current.started_ms.unwrap_or(now) + COMMITMENT_MIN_MS;
                Commitment {
                    ended_ms: Some(now.max(earliest)),
                    ..current
                }
            }
        };
        let value = serde_json::to_vec(&next).map_err(|e| StorageError::Fatal(e.to_string()))?;
        self.meta
            .commit(vec![MetaOp::Put {
                table: SERVER_TABLE.into(),
                key: COMMITMENT_KEY.into(),
                value,
            }])
            .map_err(storage_txn)?;
        Ok(self.commitment_view(&next))
    }

    /// UpdateStreamWarmThroughput: an on-demand stream gets enough shards for `mibps` (1 MiB/s of
    /// writes each), doubling at most per step as UpdateShardCount does. A lower target is kept
    /// but releases no shards (on-demand streams are never merged back here). Returns the target
    /// and the throughput the open shards now take.
    pub async fn update_warm_throughput(
        &self,
        name: &StreamName,
        mibps: u32,
    ) -> Result<(u32, u32)> {
        if mibps > MAX_WARM_MIBPS {
            return Err(StreamsError::InvalidArgument(format!(
                "WarmThroughputMiBps {mibps} is more than the limit of {MAX_WARM_MIBPS} MiBps for an on-demand stream."
            )));
        }
        let s = self.get_only_active(name)?;
        if s.meta.mode != StreamMode::OnDemand {
            return Err(StreamsError::InvalidArgument(format!(
                "Stream {name} under account {} is not in ON_DEMAND mode; warm throughput applies to on-demand streams only.",
                self.config.account_id
            )));
        }
        if !self.commitment_active()? {
            return Err(StreamsError::InvalidArgument(format!(
                "Warm throughput needs the account's MinimumThroughputBillingCommitment to be enabled (UpdateAccountSettings); account {} has it disabled.",
                self.config.account_id
            )));
        }
        {
            let _guard = self.control.lock().await;
            let s = self.get_only_active(name)?;
            let mut m = s.meta.clone();
            m.warm_throughput_mibps = Some(mibps);
            self.persist(m, Vec::new())?;
        }
        loop {
            let open = self.get(name.as_str())?.meta.open_shards().count() as u32;
            if open >= mibps {
                return Ok((mibps, open));
            }
            // Each step waits for the last to finish, as UpdateShardCount must.
            while self.status(&self.get(name.as_str())?.meta) == StreamStatus::Updating {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            self.update_shard_count(name, mibps.min(open * 2)).await?;
        }
    }
}
