//! Helpers shared by the in-process integration tests: a server on port 0 and an SDK client.
#![allow(dead_code)]

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kinesis::types::{ShardIteratorType, StreamStatus};
use sluice_server::{ServerConfig, StorageKind};
use sluice_types::Clock;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), sluice_server::ServerError>>,
}

impl Server {
    pub async fn start(data_dir: &Path) -> Server {
        Self::start_with_clock(data_dir, Arc::new(sluice_types::SystemClock)).await
    }

    pub async fn start_with_clock(data_dir: &Path, clock: Arc<dyn Clock>) -> Server {
        let config = ServerConfig {
            data_dir: data_dir.to_path_buf(),
            storage: StorageKind::Disk,
            ..ServerConfig::default()
        };
        Self::start_with(config, clock).await
    }

    pub async fn start_with(config: ServerConfig, clock: Arc<dyn Clock>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(sluice_server::run(listener, config, clock, async move {
            let _ = stopped.await;
        }));
        Server {
            addr,
            stop: Some(stop),
            task,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn client(&self) -> Client {
        self.client_as("AKIDTEST", "secret")
    }

    pub fn client_as(&self, key: &str, secret: &str) -> Client {
        let config = aws_sdk_kinesis::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(format!("http://{}", self.addr))
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(key, secret, None, None, "test"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        Client::from_conf(config)
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task
            .await
            .expect("server task")
            .expect("server result");
    }
}

pub async fn create_active(client: &Client, name: &str, shards: i32) {
    client
        .create_stream()
        .stream_name(name)
        .shard_count(shards)
        .send()
        .await
        .expect("create stream");
    for _ in 0..200 {
        let d = client
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await
            .expect("describe");
        let summary = d.stream_description_summary.expect("summary");
        if summary.stream_status == StreamStatus::Active {
            assert_eq!(summary.open_shard_count, shards);
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("stream {name} never became ACTIVE");
}

pub async fn read_all(
    client: &Client,
    stream: &str,
    shard: &str,
) -> Vec<aws_sdk_kinesis::types::Record> {
    let mut it = client
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .expect("iterator")
        .shard_iterator;
    let mut out = Vec::new();
    while let Some(i) = it.take() {
        let page = client
            .get_records()
            .shard_iterator(i)
            .send()
            .await
            .expect("get records");
        let empty = page.records.is_empty();
        out.extend(page.records);
        if empty && page.millis_behind_latest == Some(0) {
            break;
        }
        it = page.next_shard_iterator;
    }
    out
}
