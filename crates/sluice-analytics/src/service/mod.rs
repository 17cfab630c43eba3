//! `Analytics`, the service: applications' control plane (metadata table `analytics`) and
//! their runners (`runner.rs`).

use crate::model::*;
use crate::plan::{AppPlan, StreamDef};
use parking_lot::RwLock;
use sluice_storage::{MetaOp, MetaStore, MetaTxnError, StorageError};
use sluice_types::Clock;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

pub const APPS_TABLE: &str = "analytics";
pub const CHECKPOINTS_TABLE: &str = "analytics_checkpoints";
/// AWS's default quota of applications per account and region.
pub const MAX_APPLICATIONS: usize = 50;
pub const MAX_TAGS: usize = 50;
/// AWS's quota of reference data sources per application.
pub const MAX_REFERENCES: usize = 1;

/// The logging options of a CreateApplication, numbered `1.1`, `2.1`, …, each stream once.
fn logging_options(pairs: Vec<(String, String)>) -> Result<Vec<LoggingOption>> {
    let mut out: Vec<LoggingOption> = Vec::new();
    for (log_stream_arn, role_arn) in pairs {
        if out.iter().any(|o| o.log_stream_arn == log_stream_arn) {
            return Err(AnalyticsError::InvalidArgument(format!(
                "Duplicate CloudWatch logging option {log_stream_arn}."
            )));
        }
        out.push(LoggingOption {
            id: format!("{}.1", out.len() + 1),
            log_stream_arn,
            role_arn,
        });
    }
    Ok(out)
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    InUse(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    CodeValidation(String),
    #[error("{0}")]
    InvalidConfiguration(String),
    #[error("{0}")]
    ConcurrentModification(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    TooManyTags(String),
    /// DiscoverInputSchema found nothing to infer from; the raw records it saw.
    #[error("{message}")]
    UnableToDetectSchema { message: String, raw: Vec<String> },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

pub type Result<T, E = AnalyticsError> = std::result::Result<T, E>;

mod changes;

#[derive(Debug, Clone)]
pub struct AnalyticsConfig {
    pub region: String,
    pub account_id: String,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account_id: sluice_types::DEFAULT_ACCOUNT_ID.into(),
        }
    }
}

/// One application: its current metadata, and its runner's controls.
pub(crate) struct AppState {
    pub(crate) meta: RwLock<Arc<ApplicationMeta>>,
    /// Asks the runner to stop (StopApplication or DeleteApplication).
    pub(crate) stop: AtomicBool,
    pub(crate) wake: tokio::sync::Notify,
    pub(crate) runner: parking_lot::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// The server's shutdown signal the runner was given, to restart it after an update.
    pub(crate) shutdown: parking_lot::Mutex<Option<tokio::sync::watch::Receiver<bool>>>,
}

pub struct Analytics {
    pub(crate) config: AnalyticsConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) meta: Arc<dyn MetaStore>,
    pub(crate) streams: Arc<sluice_streams::Streams>,
    pub(crate) firehose: Option<Arc<sluice_firehose::Firehose>>,
    /// Where reference data is read from (the server's buckets).
    pub(crate) objects: Option<Arc<dyn sluice_firehose::sink::ObjectSink>>,
    pub(crate) apps: RwLock<BTreeMap<String, Arc<AppState>>>,
    control: tokio::sync::Mutex<()>,
}

fn txn(e: MetaTxnError) -> AnalyticsError {
    match e {
        MetaTxnError::Storage(s) => AnalyticsError::Storage(s),
        MetaTxnError::Conflict { table, key } => {
            AnalyticsError::Storage(StorageError::Fatal(format!("conflict on {table}/{key}")))
        }
    }
}

/// The in-application streams and compiled plan of an application, or why its code does not
/// compile.
pub fn compile(m: &ApplicationMeta) -> Result<(AppPlan, Vec<(String, crate::mapping::Mapper)>)> {
    let program =
        crate::parse(&m.code).map_err(|e| AnalyticsError::CodeValidation(e.to_string()))?;
    let mut defs: Vec<StreamDef> = Vec::new();
    let mut mappers = Vec::new();
    for i in &m.inputs {
        let mapper =
            crate::mapping::Mapper::new(&i.schema).map_err(AnalyticsError::InvalidArgument)?;
        for stream in i.stream_names() {
            defs.push(mapper.stream_def(&stream));
        }
        mappers.push((i.stream_name(), mapper));
    }
    let mut tables = Vec::new();
    for r in &m.references {
        let mapper =
            crate::mapping::Mapper::new(&r.schema).map_err(AnalyticsError::InvalidArgument)?;
        tables.push(mapper.table_def(&r.table_name));
    }
    let plan = AppPlan::compile(&program, &defs, &tables)
        .map_err(|e| AnalyticsError::CodeValidation(e.message))?;
    for o in &m.outputs {
        if !plan.streams.contains_key(&o.name) {
            return Err(AnalyticsError::InvalidConfiguration(format!(
                "Output {} names in-application stream {} that the application code does not create.",
                o.id, o.name
            )));
        }
    }
    Ok((plan, mappers))
}

impl Analytics {
    pub fn open(
        config: AnalyticsConfig,
        clock: Arc<dyn Clock>,
        meta: Arc<dyn MetaStore>,
        streams: Arc<sluice_streams::Streams>,
        firehose: Option<Arc<sluice_firehose::Firehose>>,
        objects: Option<Arc<dyn sluice_firehose::sink::ObjectSink>>,
    ) -> Result<Self> {
        let mut apps = BTreeMap::new();
        for (name, value) in meta.scan(APPS_TABLE)? {
            let m: ApplicationMeta = serde_json::from_slice(&value).map_err(|e| {
                StorageError::Fatal(format!("application metadata for {name} unreadable: {e}"))
            })?;
            if m.format != FORMAT_VERSION {
                return Err(StorageError::Fatal(format!(
                    "application {name}: unknown metadata format {}",
                    m.format
                ))
                .into());
            }
            apps.insert(name, Arc::new(AppState::new(m)));
        }
        Ok(Self {
            config,
            clock,
            meta,
            streams,
            firehose,
            objects,
            apps: RwLock::new(apps),
            control: tokio::sync::Mutex::new(()),
        })
    }

    pub fn arn(&self, name: &str) -> String {
        format!(
            "arn:aws:kinesisanalytics:{}:{}:application/{name}",
            self.config.region, self.config.account_id
        )
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    fn not_found(&self, name: &str) -> AnalyticsError {
        AnalyticsError::NotFound(format!(
            "Application {name} not found under account {}.",
            self.config.account_id
        ))
    }

    pub(crate) fn get(&self, name: &str) -> Result<Arc<AppState>> {
        self.apps
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| self.not_found(name))
    }

    pub(crate) fn persist(&self, m: &ApplicationMeta, mut extra: Vec<MetaOp>) -> Result<()> {
        let value = serde_json::to_vec(m)
            .map_err(|e| StorageError::Fatal(format!("encoding application metadata: {e}")))?;
        extra.push(MetaOp::Put {
            table: APPS_TABLE.into(),
            key: m.name.clone(),
            value,
        });
        self.meta.commit(extra).map_err(txn)
    }

    /// The names of applications that were running, for the server to resume them.
    pub fn running(&self) -> Vec<String> {
        self.apps
            .read()
            .iter()
            .filter(|(_, a)| {
                matches!(
                    a.meta.read().status,
                    ApplicationStatus::Running | ApplicationStatus::Starting
                )
            })
            .map(|(n, _)| n.clone())
            .collect()
    }

    fn check_resource(&self, r: &Resource) -> Result<()> {
        match r {
            Resource::KinesisStream { arn, .. } => {
                let name = crate::runner::stream_name(arn).ok_or_else(|| {
                    AnalyticsError::InvalidArgument(format!("{arn} is not a Kinesis stream ARN."))
                })?;
                self.streams.describe_stream_summary(&name).map_err(|_| {
                    AnalyticsError::InvalidArgument(format!("Kinesis stream {arn} does not exist."))
                })?;
            }
            Resource::DeliveryStream { arn, .. } => {
                let name = crate::runner::delivery_stream_name(arn).ok_or_else(|| {
                    AnalyticsError::InvalidArgument(format!(
                        "{arn} is not a Firehose delivery stream ARN."
                    ))
                })?;
                let exists = self
                    .firehose
                    .as_ref()
                    .is_some_and(|f| f.describe(&name, None, None).is_ok());
                if !exists {
                    return Err(AnalyticsError::InvalidArgument(format!(
                        "Firehose delivery stream {arn} does not exist."
                    )));
                }
            }
        }
        Ok(())
    }

    // ---------------------------------------------------------------- control plane

    pub async fn create(&self, input: CreateApplicationInput) -> Result<ApplicationSummary> {
        let _guard = self.control.lock().await;
        let name = input.name.clone();
        if self.apps.read().contains_key(&name) {
            return Err(AnalyticsError::InUse(format!(
                "Application {name} already exists."
            )));
        }
        if self.apps.read().len() >= MAX_APPLICATIONS {
            return Err(AnalyticsError::LimitExceeded(format!(
                "You have reached the limit of {MAX_APPLICATIONS} applications."
            )));
        }
        if input.inputs.len() > 1 {
            return Err(AnalyticsError::InvalidArgument(
                "An application can have at most one input.".into(),
            ));
        }
        if input.outputs.len() > 3 {
            return Err(AnalyticsError::InvalidArgument(
                "An application can have at most three outputs.".into(),
            ));
        }
        if input.tags.len() > MAX_TAGS {
            return Err(AnalyticsError::InvalidArgument(format!(
                "An application can have at most {MAX_TAGS} tags."
            )));
        }
        let now = self.now();
        let mut inputs = Vec::new();
        for (i, ni) in input.inputs.into_iter().enumerate() {
            let parallelism = ni.parallelism.unwrap_or(1);
            self.check_resource(&ni.source)?;
            inputs.push(Input {
                id: format!("{}.1", i + 1),
                name_prefix: ni.name_prefix,
                source: ni.source,
                schema: ni.schema,
                parallelism,
                starting_position: None,
                processor: ni.processor,
            });
        }
        let mut outputs = Vec::new();
        for (i, no) in input.outputs.into_iter().enumerate() {
            self.check_resource(&no.destination)?;
            outputs.push(Output {
                id: format!("{}.1", i + 1),
                name: no.name,
                destination: no.destination,
                format: no.format,
            });
        }
        if input
            .tags
            .iter()
            .map(|(k, _)| k)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            != input.tags.len()
        {
            return Err(AnalyticsError::InvalidArgument(
                "Tag keys must be unique.".into(),
            ));
        }
        let m = ApplicationMeta {
            format: FORMAT_VERSION,
            name: name.clone(),
            description: input.description,
            created_ms: now,
            updated_ms: now,
            version_id: 1,
            status: ApplicationStatus::Ready,
            code: input.code.unwrap_or_default(),
            inputs,
            outputs,
            references: Vec::new(),
            logging: logging_options(input.logging)?,
            tags: input.tags.into_iter().collect(),
            started_ms: None,
        };
        // Code is checked as far as what it refers to is known.
        if m.inputs.is_empty() {
            crate::parse(&m.code).map_err(|e| AnalyticsError::CodeValidation(e.to_string()))?;
        } else {
            compile(&m)?;
        }
        self.persist(&m, Vec::new())?;
        self.apps
            .write()
            .insert(name.clone(), Arc::new(AppState::new(m)));
        Ok(ApplicationSummary {
            arn: self.arn(&name),
            name,
            status: ApplicationStatus::Ready,
        })
    }

    pub fn describe(&self, name: &str) -> Result<Arc<ApplicationMeta>> {
        Ok(self.get(name)?.meta.read().clone())
    }

    pub fn list(
        &self,
        limit: Option<u32>,
        exclusive_start: Option<&str>,
    ) -> (Vec<ApplicationSummary>, bool) {
        let limit = limit.unwrap_or(50) as usize;
        let apps = self.apps.read();
        let all: Vec<ApplicationSummary> = apps
            .iter()
            .filter(|(n, _)| exclusive_start.is_none_or(|s| n.as_str() > s))
            .map(|(n, a)| ApplicationSummary {
                name: n.clone(),
                arn: self.arn(n),
                status: a.meta.read().status,
            })
            .collect();
        let more = all.len() > limit;
        (all.into_iter().take(limit).collect(), more)
    }

    pub async fn delete(&self, name: &str, create_timestamp_ms: i64) -> Result<()> {
        let _guard = self.control.lock().await;
        let state = self.get(name)?;
        let created = state.meta.read().created_ms;
        // Timestamps travel as seconds with a fraction: equal to within a second.
        if (created - create_timestamp_ms).abs() >= 1000 {
            return Err(AnalyticsError::InvalidArgument(format!(
                "CreateTimestamp does not match the application {name}'s creation time."
            )));
        }
        self.stop_runner(&state).await;
        let prefix = format!("{name}/");
        let mut ops = vec![MetaOp::Delete {
            table: APPS_TABLE.into(),
            key: name.to_owned(),
        }];
        for (key, _) in self.meta.scan(CHECKPOINTS_TABLE)? {
            if key.starts_with(&prefix) {
                ops.push(MetaOp::Delete {
                    table: CHECKPOINTS_TABLE.into(),
                    key,
                });
            }
        }
        self.meta.commit(ops).map_err(txn)?;
        self.apps.write().remove(name);
        Ok(())
    }

    /// StartApplication: READY → STARTING; the runner makes it RUNNING once its code compiled
    /// and its inputs opened.
    pub async fn start(
        self: &Arc<Self>,
        name: &str,
        configs: Vec<InputStart>,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Result<()> {
        let _guard = self.control.lock().await;
        let state = self.get(name)?;
        let mut m = (**state.meta.read()).clone();
        if m.status != ApplicationStatus::Ready {
            return Err(AnalyticsError::InUse(format!(
                "Application {name} is in {} state.",
                m.status.as_str()
            )));
        }
        if m.inputs.is_empty() {
            return Err(AnalyticsError::InvalidConfiguration(format!(
                "Application {name} has no input to start from."
            )));
        }
        let mut ops = Vec::new();
        for c in &configs {
            let Some(input) = m.inputs.iter_mut().find(|i| i.id == c.id) else {
                return Err(AnalyticsError::InvalidArgument(format!(
                    "Input id {} is not an input of application {name}.",
                    c.id
                )));
            };
            input.starting_position = Some(c.position.clone());
            if c.position != "LAST_STOPPED_POINT" {
                // A new starting point: the old checkpoints no longer apply.
                let prefix = format!("{name}/{}/", input.id);
                for (key, _) in self.meta.scan(CHECKPOINTS_TABLE)? {
                    if key.starts_with(&prefix) {
                        ops.push(MetaOp::Delete {
                            table: CHECKPOINTS_TABLE.into(),
                            key,
                        });
                    }
                }
            }
        }
        if let Some(missing) = m
            .inputs
            .iter()
            .find(|i| !configs.iter().any(|c| c.id == i.id))
        {
            return Err(AnalyticsError::InvalidArgument(format!(
                "InputConfigurations has no entry for input {}.",
                missing.id
            )));
        }
        for i in &m.inputs {
            self.check_resource(&i.source)?;
        }
        for o in &m.outputs {
            self.check_resource(&o.destination)?;
        }
        compile(&m)?;
        m.status = ApplicationStatus::Starting;
        m.started_ms = Some(self.now());
        self.persist(&m, ops)?;
        *state.meta.write() = Arc::new(m);
        self.spawn_runner(name, &state, shutdown);
        Ok(())
    }

    /// Starts the runner of an application that was running when the server stopped.
    pub fn resume(self: &Arc<Self>, name: &str, shutdown: tokio::sync::watch::Receiver<bool>) {
        if let Ok(state) = self.get(name) {
            self.spawn_runner(name, &state, shutdown);
        }
    }

    fn spawn_runner(
        self: &Arc<Self>,
        name: &str,
        state: &Arc<AppState>,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        state.stop.store(false, std::sync::atomic::Ordering::SeqCst);
        *state.shutdown.lock() = Some(shutdown.clone());
        let handle = tokio::spawn(self.clone().run(name.to_owned(), state.clone(), shutdown));
        *state.runner.lock() = Some(handle);
    }

    /// StopApplication: RUNNING → STOPPING → READY once the runner has checkpointed.
    pub async fn stop(&self, name: &str) -> Result<()> {
        let _guard = self.control.lock().await;
        let state = self.get(name)?;
        let status = state.meta.read().status;
        if status == ApplicationStatus::Ready {
            return Ok(());
        }
        self.set_status(&state, ApplicationStatus::Stopping)?;
        self.stop_runner(&state).await;
        self.set_status(&state, ApplicationStatus::Ready)?;
        Ok(())
    }

    async fn stop_runner(&self, state: &AppState) {
        state.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        state.wake.notify_one();
        let handle = state.runner.lock().take();
        if let Some(h) = handle
            && let Err(e) = h.await
        {
            tracing::warn!(error = %e, "application runner ended abnormally");
        }
    }

    /// The application an ARN names.
    fn by_arn(&self, arn: &str) -> Result<(String, Arc<AppState>)> {
        let name = arn
            .strip_prefix(&format!(
                "arn:aws:kinesisanalytics:{}:{}:application/",
                self.config.region, self.config.account_id
            ))
            .ok_or_else(|| AnalyticsError::NotFound(format!("Resource {arn} not found.")))?;
        let state = self
            .get(name)
            .map_err(|_| AnalyticsError::NotFound(format!("Resource {arn} not found.")))?;
        Ok((name.to_owned(), state))
    }

    pub async fn tag(&self, arn: &str, tags: Vec<(String, String)>) -> Result<()> {
        let _guard = self.control.lock().await;
        let (_, state) = self.by_arn(arn)?;
        let mut m = (**state.meta.read()).clone();
        for (k, v) in tags {
            m.tags.insert(k, v);
        }
        if m.tags.len() > MAX_TAGS {
            return Err(AnalyticsError::TooManyTags(format!(
                "An application can have at most {MAX_TAGS} tags."
            )));
        }
        self.persist(&m, Vec::new())?;
        *state.meta.write() = Arc::new(m);
        Ok(())
    }

    pub async fn untag(&self, arn: &str, keys: &[String]) -> Result<()> {
        let _guard = self.control.lock().await;
        let (_, state) = self.by_arn(arn)?;
        let mut m = (**state.meta.read()).clone();
        for k in keys {
            m.tags.remove(k);
        }
        self.persist(&m, Vec::new())?;
        *state.meta.write() = Arc::new(m);
        Ok(())
    }

    pub fn list_tags(&self, arn: &str) -> Result<Vec<(String, String)>> {
        let (_, state) = self.by_arn(arn)?;
        let m = state.meta.read().clone();
        Ok(m.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    pub(crate) fn set_status(&self, state: &AppState, status: ApplicationStatus) -> Result<()> {
        let mut m = (**state.meta.read()).clone();
        if m.status == status {
            return Ok(());
        }
        m.status = status;
        self.persist(&m, Vec::new())?;
        *state.meta.write() = Arc::new(m);
        Ok(())
    }
}

impl AppState {
    fn new(m: ApplicationMeta) -> Self {
        Self {
            meta: RwLock::new(Arc::new(m)),
            stop: AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
            runner: parking_lot::Mutex::new(None),
            shutdown: parking_lot::Mutex::new(None),
        }
    }
}
