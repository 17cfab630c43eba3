//! `sluice serve`: settings from flags, then environment, then a TOML file, then defaults.

use anyhow::Context;
use clap::Args;
use serde::Deserialize;
use sluice_server::LimitsMode;
use sluice_server::auth::{AuthMode, Credential};
use sluice_server::{MetricsMode, ServerConfig, StorageKind};
use sluice_storage::Durability;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration file (its keys are the long flag names with `_` for `-`).
    #[arg(long, env = "SLUICE_CONFIG")]
    config: Option<PathBuf>,
    /// Port to listen on [default: 4567].
    #[arg(long, env = "SLUICE_PORT")]
    port: Option<u16>,
    /// Address to listen on [default: 127.0.0.1].
    #[arg(long, env = "SLUICE_BIND")]
    bind: Option<IpAddr>,
    /// Data directory [default: $XDG_DATA_HOME/sluice or ~/.local/share/sluice].
    #[arg(long, env = "SLUICE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// `disk` (durable, the default) or `memory` (nothing survives a restart).
    #[arg(long, env = "SLUICE_STORAGE")]
    storage: Option<String>,
    /// `sync` (acknowledge after fdatasync, the default) or `unsafe-no-sync` (benchmarks only:
    /// acknowledged writes survive a process crash but not a power loss).
    #[arg(long, env = "SLUICE_DURABILITY")]
    durability: Option<String>,
    /// Region that ARNs name [default: us-east-1].
    #[arg(long, env = "SLUICE_REGION")]
    region: Option<String>,
    /// Account id that ARNs name [default: 000000000000].
    #[arg(long, env = "SLUICE_ACCOUNT_ID")]
    account_id: Option<String>,
    /// Most open shards across all streams [default: 500].
    #[arg(long, env = "SLUICE_SHARD_LIMIT")]
    shard_limit: Option<u32>,
    /// How long a new stream stays CREATING, in milliseconds [default: 0].
    #[arg(long, env = "SLUICE_CREATE_DELAY_MS")]
    create_delay_ms: Option<i64>,
    /// How long a deleted stream stays DELETING, in milliseconds [default: 0].
    #[arg(long, env = "SLUICE_DELETE_DELAY_MS")]
    delete_delay_ms: Option<i64>,
    /// How long a resharded stream stays UPDATING, in milliseconds [default: 0].
    #[arg(long, env = "SLUICE_UPDATE_DELAY_MS")]
    update_delay_ms: Option<i64>,
    /// How long a new enhanced fan-out consumer stays CREATING (and a deregistered one
    /// DELETING), in milliseconds [default: 0].
    #[arg(long, env = "SLUICE_CONSUMER_DELAY_MS")]
    consumer_delay_ms: Option<i64>,
    /// How long a SubscribeToShard subscription lasts, in milliseconds [default: 300000, AWS's
    /// 5 minutes].
    #[arg(long, env = "SLUICE_SUBSCRIPTION_LIFETIME_MS")]
    subscription_lifetime_ms: Option<i64>,
    /// The embedded object store that Firehose S3 destinations deliver to: bucket NAME is the
    /// directory DIR/NAME [default: <data-dir>/s3].
    #[arg(long, env = "SLUICE_S3_DIR", value_name = "DIR")]
    s3_dir: Option<PathBuf>,
    /// Deliver S3 destinations to this S3-compatible endpoint instead (e.g.
    /// `http://127.0.0.1:9000`; buckets addressed path-style) [default: the --s3-dir store].
    #[arg(long, env = "SLUICE_S3_ENDPOINT", value_name = "URL")]
    s3_endpoint: Option<String>,
    /// Credentials for --s3-endpoint and mapped endpoints, `ACCESS_KEY_ID:SECRET` [default:
    /// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY].
    #[arg(long, env = "SLUICE_S3_CREDENTIAL", value_name = "KEY:SECRET")]
    s3_credential: Option<String>,
    /// Where one bucket goes, `NAME=URL`: `file:///dir` (the directory is the bucket) or an
    /// S3-compatible endpoint `http(s)://...`; repeat for more (SLUICE_S3_BUCKETS takes a
    /// comma-separated list).
    #[arg(
        long = "s3-bucket",
        env = "SLUICE_S3_BUCKETS",
        value_delimiter = ',',
        value_name = "NAME=URL"
    )]
    s3_buckets: Vec<String>,
    /// The cluster an OpenSearch/Elasticsearch DomainARN stands for, `DOMAIN=URL` (e.g.
    /// `logs=http://127.0.0.1:9200`); repeat for more. A destination may also give
    /// ClusterEndpoint directly.
    #[arg(
        long = "opensearch-domain",
        env = "SLUICE_OPENSEARCH_DOMAINS",
        value_delimiter = ',',
        value_name = "DOMAIN=URL"
    )]
    opensearch_domains: Vec<String>,
    /// What a `Lambda` processor's function runs, `NAME=URL` (an HTTP endpoint POSTed the
    /// Firehose transformation event) or `NAME=cmd:COMMAND` (run with `sh -c`, the event on stdin,
    /// the answer on stdout); NAME is the function name of the LambdaArn. Repeat for more.
    #[arg(
        long = "lambda",
        env = "SLUICE_LAMBDAS",
        value_delimiter = ',',
        value_name = "NAME=TARGET"
    )]
    lambdas: Vec<String>,
    /// A table for Firehose record format conversion, in place of the Glue Data Catalog:
    /// `DATABASE.TABLE=FILE`, FILE a JSON file `{"columns": [{"name": ..., "type": ...}]}`;
    /// repeat for more.
    #[arg(
        long = "glue-table",
        env = "SLUICE_GLUE_TABLES",
        value_delimiter = ',',
        value_name = "DATABASE.TABLE=FILE"
    )]
    glue_tables: Vec<String>,
    /// An ON_DEMAND stream doubles its shards when its write rate over this many milliseconds
    /// reaches half of its shards' capacity (1 MiB/s or 1,000 records/s each) [default: 60000].
    #[arg(long, env = "SLUICE_ON_DEMAND_WINDOW_MS")]
    on_demand_window_ms: Option<i64>,
    /// GetRecords calls served at once; more wait their turn (bounds read memory) [default: 8].
    #[arg(long, env = "SLUICE_MAX_CONCURRENT_READS")]
    max_concurrent_reads: Option<usize>,
    /// Per-shard throughput limits: `off`, or `aws` (writes 1 MiB/s and 1,000 records/s, reads
    /// 5 calls/s and 2 MiB/s, per shard) [default: off].
    #[arg(long, env = "SLUICE_LIMITS")]
    limits: Option<String>,
    /// Request authentication: `any-key` requires every request to be signed as AWS does (an
    /// `Authorization` header or a presigned query, complete) but accepts any key and
    /// signature; `sigv4` verifies each signature against `--credential`; `unsigned` accepts
    /// unsigned requests too [default: any-key].
    #[arg(long, env = "SLUICE_AUTH")]
    auth: Option<String>,
    /// An accepted key, `ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]`; repeat for more
    /// (SLUICE_CREDENTIALS takes a comma-separated list).
    #[arg(long = "credential", env = "SLUICE_CREDENTIALS", value_delimiter = ',')]
    credentials: Vec<String>,
    /// A key for StartStreamEncryption besides `alias/aws/kinesis`, `KEY_ID=BASE64` (32 bytes,
    /// base64), e.g. `alias/orders=...` or a key id; repeat for more (SLUICE_KMS_KEYS takes a
    /// comma-separated list). Sluice does not store these keys: records encrypted with one are
    /// readable only while it is configured.
    #[arg(long = "kms-key", env = "SLUICE_KMS_KEYS", value_delimiter = ',')]
    kms_keys: Vec<String>,
    /// The principal an access key stands for in resource policies, `ACCESS_KEY_ID=ARN` (e.g.
    /// `AKID=arn:aws:iam::111122223333:user/bob`); repeat for more (SLUICE_PRINCIPALS takes a
    /// comma-separated list). Keys without one act as the account's root.
    #[arg(long = "principal", env = "SLUICE_PRINCIPALS", value_delimiter = ',')]
    principals: Vec<String>,
    /// Serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN) with this PEM certificate chain; needs
    /// `--tls-key` [default: cleartext HTTP/1.1 and h2c].
    #[arg(long, env = "SLUICE_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert`.
    #[arg(long, env = "SLUICE_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Log filter, e.g. `info` or `sluice=debug` [default: info].
    #[arg(long, env = "SLUICE_LOG")]
    log: Option<String>,
    /// Delete logs that hold records but belong to no stream, delivery stream or video stream
    /// in the metadata store. Without it the server refuses to start when it finds such logs
    /// (the metadata store was lost, replaced or restored from an older copy).
    #[arg(long, env = "SLUICE_DELETE_ORPHAN_LOGS")]
    delete_orphan_logs: bool,
    /// Start even if a log is damaged where the write-ahead log cannot repair it, keeping the
    /// intact records behind the damage and dropping the damaged ones. Without it the server
    /// refuses to start and names the damaged file.
    #[arg(long, env = "SLUICE_SALVAGE_DAMAGED_LOGS")]
    salvage_damaged_logs: bool,
    /// Where `/metrics` is served (it names every stream): `api` (on the API port, to anyone who
    /// reaches it), `ADDR:PORT` (only on a listener of its own, e.g. `127.0.0.1:9464`) or `off`
    /// [default: api].
    #[arg(long, env = "SLUICE_METRICS")]
    metrics: Option<String>,
    /// Connections open at once, at most; more are closed as they are accepted [default: 10000].
    #[arg(long, env = "SLUICE_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// A request's headers must arrive within this many milliseconds [default: 20000].
    #[arg(long, env = "SLUICE_HEADER_READ_TIMEOUT_MS")]
    header_read_timeout_ms: Option<u64>,
    /// A request body must arrive within this many milliseconds of its headers (408 otherwise)
    /// [default: 60000].
    #[arg(long, env = "SLUICE_BODY_READ_TIMEOUT_MS")]
    body_read_timeout_ms: Option<u64>,
    /// A connection with no request in progress and no traffic for this many milliseconds is
    /// closed [default: 120000].
    #[arg(long, env = "SLUICE_IDLE_TIMEOUT_MS")]
    idle_timeout_ms: Option<u64>,
    /// Largest request body in bytes; larger ones get 413 before they are read [default:
    /// 16777216].
    #[arg(long, env = "SLUICE_MAX_BODY_BYTES")]
    max_body_bytes: Option<usize>,
    /// Request body bytes buffered at once across all connections; requests past it wait for
    /// room [default: 134217728].
    #[arg(long, env = "SLUICE_MAX_BUFFERED_BODY_BYTES")]
    max_buffered_body_bytes: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    port: Option<u16>,
    bind: Option<IpAddr>,
    data_dir: Option<PathBuf>,
    storage: Option<String>,
    durability: Option<String>,
    region: Option<String>,
    account_id: Option<String>,
    shard_limit: Option<u32>,
    create_delay_ms: Option<i64>,
    delete_delay_ms: Option<i64>,
    update_delay_ms: Option<i64>,
    consumer_delay_ms: Option<i64>,
    subscription_lifetime_ms: Option<i64>,
    s3_dir: Option<PathBuf>,
    s3_endpoint: Option<String>,
    s3_credential: Option<String>,
    s3_buckets: Option<Vec<String>>,
    opensearch_domains: Option<Vec<String>>,
    lambdas: Option<Vec<String>>,
    glue_tables: Option<Vec<String>>,
    on_demand_window_ms: Option<i64>,
    max_concurrent_reads: Option<usize>,
    auth: Option<String>,
    credentials: Option<Vec<String>>,
    limits: Option<String>,
    kms_keys: Option<Vec<String>>,
    principals: Option<Vec<String>>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    log: Option<String>,
    delete_orphan_logs: Option<bool>,
    salvage_damaged_logs: Option<bool>,
    metrics: Option<String>,
    max_connections: Option<usize>,
    header_read_timeout_ms: Option<u64>,
    body_read_timeout_ms: Option<u64>,
    idle_timeout_ms: Option<u64>,
    max_body_bytes: Option<usize>,
    max_buffered_body_bytes: Option<usize>,
}

fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("sluice");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/sluice");
    }
    PathBuf::from("sluice-data")
}

fn resolve(args: ServeArgs) -> anyhow::Result<(ServerConfig, String)> {
    let file: FileConfig = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
        }
        None => FileConfig::default(),
    };
    let d = ServerConfig::default();
    let storage = match args.storage.or(file.storage).as_deref() {
        None | Some("disk") => StorageKind::Disk,
        Some("memory") => StorageKind::Memory,
        Some(other) => anyhow::bail!("unknown storage {other:?}: expected disk or memory"),
    };
    let durability = match args.durability.or(file.durability).as_deref() {
        None | Some("sync") => Durability::Sync,
        Some("unsafe-no-sync") => Durability::UnsafeNoSync,
        Some(other) => {
            anyhow::bail!("unknown durability {other:?}: expected sync or unsafe-no-sync")
        }
    };
    let mut config = ServerConfig {
        port: args.port.or(file.port).unwrap_or(d.port),
        bind: args.bind.or(file.bind).unwrap_or(d.bind),
        data_dir: args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(default_data_dir),
        storage,
        durability,
        region: args.region.or(file.region).unwrap_or(d.region),
        account_id: args.account_id.or(file.account_id).unwrap_or(d.account_id),
        shard_limit: args
            .shard_limit
            .or(file.shard_limit)
            .unwrap_or(d.shard_limit),
        create_delay_ms: args
            .create_delay_ms
            .or(file.create_delay_ms)
            .unwrap_or(d.create_delay_ms),
        delete_delay_ms: args
            .delete_delay_ms
            .or(file.delete_delay_ms)
            .unwrap_or(d.delete_delay_ms),
        update_delay_ms: args
            .update_delay_ms
            .or(file.update_delay_ms)
            .unwrap_or(d.update_delay_ms),
        consumer_delay_ms: args
            .consumer_delay_ms
            .or(file.consumer_delay_ms)
            .unwrap_or(d.consumer_delay_ms),
        subscription_lifetime_ms: args
            .subscription_lifetime_ms
            .or(file.subscription_lifetime_ms)
            .unwrap_or(d.subscription_lifetime_ms),
        on_demand_window_ms: args
            .on_demand_window_ms
            .or(file.on_demand_window_ms)
            .unwrap_or(d.on_demand_window_ms),
        kms_keys: Vec::new(),
        tls: None,
        principals: Vec::new(),
        max_body_bytes: args
            .max_body_bytes
            .or(file.max_body_bytes)
            .unwrap_or(d.max_body_bytes),
        max_concurrent_reads: args
            .max_concurrent_reads
            .or(file.max_concurrent_reads)
            .unwrap_or(d.max_concurrent_reads),
        auth: AuthMode::AnyKey,
        credentials: Vec::new(),
        limits: LimitsMode::Off,
        s3_dir: args.s3_dir.or(file.s3_dir),
        s3_endpoint: args.s3_endpoint.or(file.s3_endpoint),
        s3_credential: None,
        s3_buckets: Vec::new(),
        search_domains: Vec::new(),
        lambdas: Vec::new(),
        glue_tables: Vec::new(),
        orphan_logs: if args.delete_orphan_logs || file.delete_orphan_logs == Some(true) {
            sluice_storage::orphans::OrphanPolicy::Delete
        } else {
            sluice_storage::orphans::OrphanPolicy::Refuse
        },
        salvage_damaged_logs: args.salvage_damaged_logs || file.salvage_damaged_logs == Some(true),
        max_connections: args
            .max_connections
            .or(file.max_connections)
            .unwrap_or(d.max_connections),
        header_read_timeout: ms(args.header_read_timeout_ms.or(file.header_read_timeout_ms))
            .unwrap_or(d.header_read_timeout),
        idle_timeout: ms(args.idle_timeout_ms.or(file.idle_timeout_ms)).unwrap_or(d.idle_timeout),
        body_read_timeout: ms(args.body_read_timeout_ms.or(file.body_read_timeout_ms))
            .unwrap_or(d.body_read_timeout),
        max_buffered_body_bytes: args
            .max_buffered_body_bytes
            .or(file.max_buffered_body_bytes)
            .unwrap_or(d.max_buffered_body_bytes),
        metrics: match args.metrics.or(file.metrics).as_deref() {
            None | Some("api") => MetricsMode::Api,
            Some("off") => MetricsMode::Off,
            Some(addr) => MetricsMode::Separate(addr.parse().map_err(|_| {
                anyhow::anyhow!("--metrics: expected api, off or ADDR:PORT, got {addr:?}")
            })?),
        },
    };
    config.limits = match args.limits.or(file.limits).as_deref() {
        None | Some("off") => LimitsMode::Off,
        Some("aws") => LimitsMode::Aws,
        Some(other) => anyhow::bail!("unknown limits {other:?}: expected off or aws"),
    };
    config.auth = match args.auth.or(file.auth).as_deref() {
        // `none` is the old name of the default.
        None | Some("any-key") | Some("none") => AuthMode::AnyKey,
        Some("sigv4") => AuthMode::Sigv4,
        Some("unsigned") => AuthMode::Unsigned,
        Some(other) => {
            anyhow::bail!("unknown auth mode {other:?}: expected any-key, sigv4 or unsigned")
        }
    };
    let credentials = if args.credentials.is_empty() {
        file.credentials.unwrap_or_default()
    } else {
        args.credentials
    };
    config.credentials = credentials
        .iter()
        .map(|c| {
            c.parse::<Credential>()
                .map_err(|e| anyhow::anyhow!("--credential: {e}"))
        })
        .collect::<anyhow::Result<_>>()?;
    if config.auth == AuthMode::Sigv4 && config.credentials.is_empty() {
        anyhow::bail!(
            "--auth sigv4 needs at least one --credential ACCESS_KEY_ID:SECRET_ACCESS_KEY"
        );
    }
    let kms_keys = if args.kms_keys.is_empty() {
        file.kms_keys.unwrap_or_default()
    } else {
        args.kms_keys
    };
    config.kms_keys = kms_keys
        .iter()
        .map(|k| parse_kms_key(k))
        .collect::<anyhow::Result<_>>()?;
    let principals = if args.principals.is_empty() {
        file.principals.unwrap_or_default()
    } else {
        args.principals
    };
    config.principals = principals
        .iter()
        .map(|p| {
            let (key, arn) = p.split_once('=').ok_or_else(|| {
                anyhow::anyhow!("--principal: expected ACCESS_KEY_ID=ARN, got {p:?}")
            })?;
            let principal = sluice_server::Principal::from_arn(arn).ok_or_else(|| {
                anyhow::anyhow!("--principal {key}: {arn:?} is not an IAM or STS principal ARN")
            })?;
            Ok((key.to_owned(), principal))
        })
        .collect::<anyhow::Result<_>>()?;
    config.tls = match (
        args.tls_cert.or(file.tls_cert),
        args.tls_key.or(file.tls_key),
    ) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        _ => anyhow::bail!("--tls-cert and --tls-key go together"),
    };
    let s3_credential = args
        .s3_credential
        .or(file.s3_credential)
        .map(|c| {
            c.split_once(':')
                .map(|(k, s)| (k.to_owned(), s.to_owned()))
                .ok_or_else(|| anyhow::anyhow!("--s3-credential: expected ACCESS_KEY_ID:SECRET"))
        })
        .transpose()?
        .or_else(|| {
            Some((
                std::env::var("AWS_ACCESS_KEY_ID").ok()?,
                std::env::var("AWS_SECRET_ACCESS_KEY").ok()?,
            ))
        });
    config.s3_credential = s3_credential;
    let s3_buckets = if args.s3_buckets.is_empty() {
        file.s3_buckets.unwrap_or_default()
    } else {
        args.s3_buckets
    };
    config.s3_buckets = s3_buckets
        .iter()
        .map(|b| {
            let (name, url) = b
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--s3-bucket: expected NAME=URL, got {b:?}"))?;
            if !(url.starts_with("file://")
                || url.starts_with("http://")
                || url.starts_with("https://"))
            {
                anyhow::bail!(
                    "--s3-bucket {name}: {url:?} is not a file://, http:// or https:// URL"
                );
            }
            Ok((name.to_owned(), url.to_owned()))
        })
        .collect::<anyhow::Result<_>>()?;
    let domains = if args.opensearch_domains.is_empty() {
        file.opensearch_domains.unwrap_or_default()
    } else {
        args.opensearch_domains
    };
    config.search_domains = domains
        .iter()
        .map(|d| {
            d.split_once('=')
                .map(|(n, u)| (n.to_owned(), u.to_owned()))
                .ok_or_else(|| {
                    anyhow::anyhow!("--opensearch-domain: expected DOMAIN=URL, got {d:?}")
                })
        })
        .collect::<anyhow::Result<_>>()?;
    let lambdas = if args.lambdas.is_empty() {
        file.lambdas.unwrap_or_default()
    } else {
        args.lambdas
    };
    config.lambdas = lambdas
        .iter()
        .map(|l| {
            let (name, target) = l.split_once('=').ok_or_else(|| {
                anyhow::anyhow!("--lambda: expected NAME=URL or NAME=cmd:COMMAND, got {l:?}")
            })?;
            if sluice_firehose_target_ok(target) {
                Ok((name.to_owned(), target.to_owned()))
            } else {
                anyhow::bail!(
                    "--lambda {name}: {target:?} is neither an http(s):// URL nor cmd:COMMAND"
                )
            }
        })
        .collect::<anyhow::Result<_>>()?;
    let tables = if args.glue_tables.is_empty() {
        file.glue_tables.unwrap_or_default()
    } else {
        args.glue_tables
    };
    config.glue_tables = tables
        .iter()
        .map(|t| {
            let (name, path) = t.split_once('=').ok_or_else(|| {
                anyhow::anyhow!("--glue-table: expected DATABASE.TABLE=FILE, got {t:?}")
            })?;
            if !name.contains('.') {
                anyhow::bail!("--glue-table {name}: expected DATABASE.TABLE");
            }
            Ok((name.to_owned(), PathBuf::from(path)))
        })
        .collect::<anyhow::Result<_>>()?;
    if config.subscription_lifetime_ms < 1 {
        anyhow::bail!("--subscription-lifetime-ms must be at least 1");
    }
    if config.account_id.len() != 12 || !config.account_id.bytes().all(|b| b.is_ascii_digit()) {
        anyhow::bail!("account id must be 12 digits");
    }
    Ok((
        config,
        args.log.or(file.log).unwrap_or_else(|| "info".into()),
    ))
}

fn ms(v: Option<u64>) -> Option<std::time::Duration> {
    v.map(std::time::Duration::from_millis)
}

fn sluice_firehose_target_ok(t: &str) -> bool {
    t.starts_with("http://")
        || t.starts_with("https://")
        || t.strip_prefix("cmd:").is_some_and(|c| !c.trim().is_empty())
}

/// `KEY_ID=BASE64` (a 32-byte AES-256 key). Base64 may end in `=` padding, so the split is at
/// the first `=` after which a 32-byte key decodes.
fn parse_kms_key(s: &str) -> anyhow::Result<(String, [u8; 32])> {
    use base64::Engine;
    for (i, _) in s.match_indices('=').filter(|(i, _)| *i > 0) {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&s[i + 1..])
            && let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice())
        {
            return Ok((s[..i].to_owned(), key));
        }
    }
    anyhow::bail!("--kms-key: expected KEY_ID=BASE64 with a 32-byte key, got {s:?}")
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let (config, log) = resolve(args)?;
    // Colour codes only for a terminal: a log file or journal gets plain text.
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&log).unwrap_or_else(|_| "info".into()),
        )
        .init();
    // Each shard keeps a segment file open; make room for thousands.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!(error = %e, "could not raise the open-file limit");
    }
    let listener = tokio::net::TcpListener::bind((config.bind, config.port))
        .await
        .with_context(|| format!("binding {}:{}", config.bind, config.port))?;
    match config.storage {
        StorageKind::Disk => tracing::info!(
            data_dir = %config.data_dir.display(),
            durability = ?config.durability,
            "storage: disk"
        ),
        StorageKind::Memory => tracing::info!("storage: memory (nothing survives a restart)"),
    }
    if config.auth == AuthMode::Sigv4 {
        tracing::info!(keys = config.credentials.len(), "auth: sigv4");
    }
    sluice_server::run(
        listener,
        config,
        Arc::new(sluice_types::SystemClock),
        shutdown_signal(),
    )
    .await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutting down: no new connections, finishing in-flight requests");
}
