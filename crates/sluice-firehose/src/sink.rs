//! Where delivered objects go. [`ObjectSink`] is the seam: the embedded default is
//! [`LocalDirSink`], a directory per bucket; an S3-compatible store implements the same trait.

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
