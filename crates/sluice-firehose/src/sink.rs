//! Where delivered objects go. [`ObjectSink`] is the seam: the embedded default is
//! [`LocalDirSink`], a directory per bucket; [`S3Sink`] writes to an S3-compatible store through
//! the `object_store` crate; [`BucketRouter`] picks one per bucket name.

use bytes::Bytes;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

/// Stores whole objects. `put` resolves only once the object is durable where it went, and an
/// object is either there whole or not at all.
pub trait ObjectSink: Send + Sync + 'static {
    fn put(&self, bucket: &str, key: &str, body: Bytes) -> BoxFuture<Result<(), SinkError>>;

    /// Reads a whole object (Analytics reference data comes from here).
    fn get(&self, bucket: &str, key: &str) -> BoxFuture<Result<Bytes, SinkError>> {
        let what = format!("s3://{bucket}/{key}");
        Box::pin(async move { Err(SinkError(format!("{what}: this store cannot be read"))) })
    }
}

/// Buckets as directories: object `KEY` of bucket `NAME` is the file `ROOT/NAME/KEY`. Each object
/// is written to a hidden temporary file, synced, renamed into place, and its directory synced.
#[derive(Debug, Clone)]
pub struct LocalDirSink {
    root: PathBuf,
}

impl LocalDirSink {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl ObjectSink for LocalDirSink {
    fn put(&self, bucket: &str, key: &str, body: Bytes) -> BoxFuture<Result<(), SinkError>> {
        let path = object_path(&self.root, bucket, key);
        Box::pin(async move {
            let path = path?;
            tokio::task::spawn_blocking(move || write_durably(&path, &body))
                .await
                .map_err(|e| SinkError(e.to_string()))?
                .map_err(|e| SinkError(e.to_string()))
        })
    }

    fn get(&self, bucket: &str, key: &str) -> BoxFuture<Result<Bytes, SinkError>> {
        let path = object_path(&self.root, bucket, key);
        let what = format!("s3://{bucket}/{key}");
        Box::pin(async move {
            let path = path?;
            tokio::fs::read(&path)
                .await
                .map(Bytes::from)
                .map_err(|e| SinkError(format!("{what}: {e}")))
        })
    }
}

/// Credentials and endpoint of an S3-compatible store.
#[derive(Debug, Clone)]
pub struct S3Endpoint {
    /// `http://host:port` or `https://host`; buckets are addressed path-style.
    pub url: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// An S3-compatible store; one `object_store` client per bucket, made on first use.
pub struct S3Sink {
    endpoint: S3Endpoint,
    clients:
        parking_lot::Mutex<std::collections::HashMap<String, Arc<object_store::aws::AmazonS3>>>,
}

use std::sync::Arc;

impl S3Sink {
    pub fn new(endpoint: S3Endpoint) -> Self {
        install_crypto_provider();
        Self {
            endpoint,
            clients: Default::default(),
        }
    }

    fn client(&self, bucket: &str) -> Result<Arc<object_store::aws::AmazonS3>, SinkError> {
        let mut clients = self.clients.lock();
        if let Some(c) = clients.get(bucket) {
            return Ok(c.clone());
        }
        let e = &self.endpoint;
        let client = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(e.url.trim_end_matches('/'))
            .with_allow_http(e.url.starts_with("http://"))
            .with_virtual_hosted_style_request(false)
            .with_region(&e.region)
            .with_access_key_id(&e.access_key_id)
            .with_secret_access_key(&e.secret_access_key)
            .with_bucket_name(bucket)
            // Delivery retries on its own schedule (and counts the failures); one try here.
            .with_retry(object_store::RetryConfig {
                max_retries: 0,
                ..Default::default()
            })
            .build()
            .map_err(|e| SinkError(e.to_string()))?;
        let client = Arc::new(client);
        clients.insert(bucket.to_owned(), client.clone());
        Ok(client)
    }
}

impl ObjectSink for S3Sink {
    fn put(&self, bucket: &str, key: &str, body: Bytes) -> BoxFuture<Result<(), SinkError>> {
        use object_store::ObjectStoreExt;
        let client = self.client(bucket);
        let path = object_store::path::Path::from(key);
        Box::pin(async move {
            client?
                .put(&path, object_store::PutPayload::from(body))
                .await
                .map(|_| ())
                .map_err(|e| SinkError(e.to_string()))
        })
    }

    fn get(&self, bucket: &str, key: &str) -> BoxFuture<Result<Bytes, SinkError>> {
        use object_store::ObjectStoreExt;
        let client = self.client(bucket);
        let path = object_store::path::Path::from(key);
        let what = format!("s3://{bucket}/{key}");
        Box::pin(async move {
            let got = client?
                .get(&path)
                .await
                .map_err(|e| SinkError(format!("{what}: {e}")))?;
            got.bytes()
                .await
                .map_err(|e| SinkError(format!("{what}: {e}")))
        })
    }
}

/// The HTTP client of HTTP endpoint destinations: AWS gives an endpoint 3 minutes to answer.
pub(crate) fn http_client() -> Result<reqwest::Client, sluice_storage::StorageError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(180))
        .connect_timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| sluice_storage::StorageError::Fatal(format!("HTTP client: {e}")))
}

/// rustls needs a process-wide provider for clients that do not name one (reqwest, here).
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Picks a sink per bucket: an explicit mapping first, then the default.
pub struct BucketRouter {
    buckets: std::collections::HashMap<String, Arc<dyn ObjectSink>>,
    default: Arc<dyn ObjectSink>,
}

impl BucketRouter {
    pub fn new(default: Arc<dyn ObjectSink>) -> Self {
        Self {
            buckets: Default::default(),
            default,
        }
    }

    pub fn with_bucket(mut self, bucket: impl Into<String>, sink: Arc<dyn ObjectSink>) -> Self {
        self.buckets.insert(bucket.into(), sink);
        self
    }
}

impl ObjectSink for BucketRouter {
    fn put(&self, bucket: &str, key: &str, body: Bytes) -> BoxFuture<Result<(), SinkError>> {
        self.buckets
            .get(bucket)
            .unwrap_or(&self.default)
            .put(bucket, key, body)
    }

    fn get(&self, bucket: &str, key: &str) -> BoxFuture<Result<Bytes, SinkError>> {
        self.buckets
            .get(bucket)
            .unwrap_or(&self.default)
            .get(bucket, key)
    }
}

/// A local directory that *is* one bucket (a `file://` mapping): object `KEY` is `DIR/KEY`.
pub struct DirBucketSink {
    dir: PathBuf,
}

impl DirBucketSink {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

impl ObjectSink for DirBucketSink {
    fn put(&self, _bucket: &str, key: &str, body: Bytes) -> BoxFuture<Result<(), SinkError>> {
        let (root, name) = self.as_root();
        root.put(&name, key, body)
    }

    fn get(&self, _bucket: &str, key: &str) -> BoxFuture<Result<Bytes, SinkError>> {
        let (root, name) = self.as_root();
        root.get(&name, key)
    }
}

impl DirBucketSink {
    /// The directory's parent stands in as the root, and its own name as the bucket.
    fn as_root(&self) -> (LocalDirSink, String) {
        let parent = self.dir.parent().unwrap_or(Path::new("/")).to_path_buf();
        let name = self
            .dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned();
        (LocalDirSink::new(parent), name)
    }
}

/// `ROOT/BUCKET/KEY`, refusing keys that would leave the bucket's directory.
fn object_path(root: &Path, bucket: &str, key: &str) -> Result<PathBuf, SinkError> {
    let bad = |what: &str| SinkError(format!("{what} cannot be stored in a directory: {key:?}"));
    if bucket.is_empty() || bucket.contains('/') || bucket == "." || bucket == ".." {
        return Err(bad("bucket name"));
    }
    let mut path = root.join(bucket);
    for part in key.split('/') {
        match part {
            "" => continue,
            "." | ".." => return Err(bad("object key")),
            p => path.push(p),
        }
    }
    if key.ends_with('/') || key.is_empty() {
        return Err(bad("object key"));
    }
    Ok(path)
}

fn write_durably(path: &Path, body: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("object path has no parent"))?;
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| std::io::Error::other("object name is not UTF-8"))?;
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(body)?;
        f.sync_data()?;
    }
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_the_bucket() {
        let root = Path::new("/r");
        assert_eq!(
            object_path(root, "b", "2024/01/02/03/x").unwrap(),
            Path::new("/r/b/2024/01/02/03/x")
        );
        assert_eq!(
            object_path(root, "b", "a//x").unwrap(),
            Path::new("/r/b/a/x")
        );
        assert!(object_path(root, "b", "../x").is_err());
        assert!(object_path(root, "b", "a/./x").is_err());
        assert!(object_path(root, "b", "a/").is_err());
        assert!(object_path(root, "..", "x").is_err());
    }

    #[tokio::test]
    async fn put_writes_the_whole_object() {
        let dir = tempfile::tempdir().unwrap();
        let sink = LocalDirSink::new(dir.path());
        sink.put("bkt", "p/q/obj", Bytes::from_static(b"hello"))
            .await
            .unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("bkt/p/q/obj")).unwrap(),
            b"hello"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path().join("bkt/p/q"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file is left: {names:?}");
    }
}
