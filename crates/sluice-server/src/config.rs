//! Server settings (the binary fills them from flags, environment and a TOML file).

use crate::auth::{AuthMode, Credential};
use sluice_storage::Durability;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageKind {
    /// Durable segment logs and redb metadata under `data_dir`.
    Disk,
    /// Everything in memory; nothing survives a restart.
    Memory,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub bind: IpAddr,
    pub port: u16,
    pub data_dir: PathBuf,
    pub storage: StorageKind,
    pub durability: Durability,
    pub region: String,
    pub account_id: String,
    pub shard_limit: u32,
    pub create_delay_ms: i64,
    pub delete_delay_ms: i64,
    /// How long a resharded stream reads as UPDATING.
    pub update_delay_ms: i64,
    /// How long a new enhanced fan-out consumer reads as CREATING (a deregistered one as DELETING).
    pub consumer_delay_ms: i64,
    /// How long a SubscribeToShard subscription lasts (AWS: 5 minutes).
    pub subscription_lifetime_ms: i64,
    /// An on-demand stream doubles its shards when its write rate over this long reaches half of
    /// its shards' capacity.
    pub on_demand_window_ms: i64,
    /// Keys StartStreamEncryption may name besides `alias/aws/kinesis`: (KeyId, AES-256 key).
    pub kms_keys: Vec<(String, [u8; 32])>,
    /// Serve TLS with this PEM certificate chain and private key (`None`: cleartext HTTP/1.1 and
    /// h2c).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Access key id → the principal it stands for, for resource policies.
    pub principals: Vec<(String, sluice_streams::policy::Principal)>,
    /// Larger request bodies get 413.
    pub max_body_bytes: usize,
    /// GetRecords calls served at once; more wait their turn. Each answer (up to 10,000 records /
    /// 10 MiB of data, base64 in JSON) is built in memory, so this bounds read memory.
    pub max_concurrent_reads: usize,
    /// `None` accepts any signature; `Sigv4` verifies against `credentials`.
    pub auth: AuthMode,
    pub credentials: Vec<Credential>,
    /// AWS's per-shard throughput limits (`Aws`) or none (`Off`, the default).
    pub limits: sluice_streams::limits::LimitsMode,
    /// The embedded object store Firehose delivers S3 destinations to: bucket `NAME` is the
    /// directory `s3_dir/NAME` (`None`: `<data_dir>/s3`).
    pub s3_dir: Option<PathBuf>,
    /// An S3-compatible endpoint for every bucket not mapped in `s3_buckets` (instead of
    /// `s3_dir`).
    pub s3_endpoint: Option<String>,
    /// Access key id and secret for S3-compatible endpoints.
    pub s3_credential: Option<(String, String)>,
    /// Bucket name → `file:///dir` (that directory is the bucket) or `http(s)://endpoint`.
    pub s3_buckets: Vec<(String, String)>,
    /// OpenSearch/Elasticsearch domain name → cluster URL, for destinations given a DomainARN.
    pub search_domains: Vec<(String, String)>,
    /// Lambda function name → `http(s)://URL` or `cmd:COMMAND`, for `Lambda` processors.
    pub lambdas: Vec<(String, String)>,
    /// `DATABASE.TABLE` → JSON file of its columns (Firehose record format conversion).
    pub glue_tables: Vec<(String, PathBuf)>,
    /// Logs holding records that no resource names (a lost metadata store): refuse to start
    /// (the default) or delete them.
    pub orphan_logs: sluice_storage::orphans::OrphanPolicy,
    /// Start even if a log is damaged in data the write-ahead log no longer holds, keeping the
    /// intact records and dropping the damaged ones (default: refuse to start).
    pub salvage_damaged_logs: bool,
    /// Connections open at once, at most; more are closed as they are accepted.
    pub max_connections: usize,
    /// A request's headers must arrive within this (slow clients are cut off).
    pub header_read_timeout: Duration,
    /// A connection with no request in progress and no traffic for this long is closed.
    pub idle_timeout: Duration,
    /// A request body must arrive within this once its headers have (408 otherwise).
    pub body_read_timeout: Duration,
    /// Request bytes buffered at once across all requests, at most; requests past it wait.
    pub max_buffered_body_bytes: usize,
    /// Where `/metrics` is served.
    pub metrics: MetricsMode,
}

/// Where `/metrics` (which names every stream and delivery stream) is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsMode {
    /// On the API port, to anyone who can reach it.
    Api,
    /// Only on a listener of its own (e.g. a loopback or internal address).
    Separate(std::net::SocketAddr),
    /// Not at all.
    Off,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 4567,
            data_dir: PathBuf::from("sluice-data"),
            storage: StorageKind::Disk,
            durability: Durability::Sync,
            region: "us-east-1".into(),
            account_id: sluice_types::DEFAULT_ACCOUNT_ID.into(),
            shard_limit: 500,
            create_delay_ms: 0,
            delete_delay_ms: 0,
            update_delay_ms: 0,
            consumer_delay_ms: 0,
            subscription_lifetime_ms: 300_000,
            on_demand_window_ms: 60_000,
            kms_keys: Vec::new(),
            tls: None,
            principals: Vec::new(),
            // 10 MiB of PutRecords payload, base64-encoded, plus JSON overhead.
            max_body_bytes: 16 * 1024 * 1024,
            max_concurrent_reads: 8,
            auth: AuthMode::AnyKey,
            credentials: Vec::new(),
            s3_dir: None,
            s3_endpoint: None,
            s3_credential: None,
            s3_buckets: Vec::new(),
            search_domains: Vec::new(),
            lambdas: Vec::new(),
            glue_tables: Vec::new(),
            orphan_logs: sluice_storage::orphans::OrphanPolicy::Refuse,
            salvage_damaged_logs: false,
            max_connections: 10_000,
            header_read_timeout: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(120),
            body_read_timeout: Duration::from_secs(60),
            max_buffered_body_bytes: 128 * 1024 * 1024,
            metrics: MetricsMode::Api,
            limits: sluice_streams::limits::LimitsMode::Off,
        }
    }
}
