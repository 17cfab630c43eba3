//! The checkpoint thread: syncs segment files and directories, writes the index files of sealed
//! segments, and only then deletes the WAL files that held the same records. A checkpoint that
//! fails for want of space is tried again every second (the WAL keeps the data meanwhile); any
//! other failure poisons the store.

use super::segment::{self, Segment};
use super::{Shared, sync_dir};
use crate::StorageError;
use parking_lot::Mutex;
use std::collections::HashSet;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Work for the checkpoint thread, in order.
pub(crate) enum Background {
    Checkpoint(CheckpointJob),
    /// Sync a segment file early (not a durability point: only checkpoints count).
    Writeback(Arc<File>),
}

/// Work handed to the checkpoint thread after a WAL rotation.
pub(crate) struct CheckpointJob {
    /// WAL files whose contents the job makes redundant once it succeeds.
    pub wal_files: Vec<PathBuf>,
    /// Segment files to sync, with their paths.
    pub files: Vec<(PathBuf, Arc<File>)>,
    pub dirs: Vec<PathBuf>,
    pub sealed: Vec<Arc<Segment>>,
}

impl CheckpointJob {
    pub(crate) fn run(&self) -> Result<(), StorageError> {
        let started = Instant::now();
        for (_, f) in &self.files {
            f.sync_data()
                .map_err(|e| StorageError::io("sync segment", e))?;
        }
        for d in &self.dirs {
            if d.exists() {
                sync_dir(d)?;
            }
        }
        for seg in &self.sealed {
            if seg.path.exists() {
                segment::write_index_file(seg)?;
            }
        }
        for w in &self.wal_files {
            match std::fs::remove_file(w) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StorageError::io("remove WAL file", e)),
            }
        }
        metrics::histogram!("sluice_storage_checkpoint_seconds")
            .record(started.elapsed().as_secs_f64());
        Ok(())
    }
}

/// Runs a checkpoint. Full: the WAL files stay (they hold the data) and it is tried again every
/// second until it passes or the store stops, calling `meanwhile` between tries; a deleted
/// log's files are let go, or the space they hold would never come back.
fn run_until_done(shared: &Shared, mut job: CheckpointJob, mut meanwhile: impl FnMut()) {
    loop {
        match job.run() {
            Ok(()) => return,
            Err(e @ StorageError::Full(_)) if !shared.stopping.load(Ordering::Acquire) => {
                shared.note_failure(&e);
                std::thread::sleep(std::time::Duration::from_secs(1));
                meanwhile();
                job.files.retain(|(path, _)| path.exists());
            }
            Err(e) => {
                shared.poison(&e);
                return;
            }
        }
    }
}

/// Starts the thread; it ends when the sender side of `rx` is dropped.
pub(crate) fn spawn(
    shared: Arc<Shared>,
    writebacks: Arc<Mutex<HashSet<usize>>>,
    rx: crossbeam_channel::Receiver<Background>,
) -> Result<std::thread::JoinHandle<()>, StorageError> {
    std::thread::Builder::new()
        .name("sluice-checkpoint".into())
        .spawn(move || {
            let writeback = |file: Arc<File>| {
                writebacks.lock().remove(&(Arc::as_ptr(&file) as usize));
                // Best effort: the checkpoint syncs the file again and reports.
                let _ = file.sync_data();
            };
            // Checkpoints that arrived while an earlier one waited for space, in order.
            let mut waiting = std::collections::VecDeque::new();
            loop {
                let job = match waiting.pop_front() {
                    Some(job) => job,
                    None => match rx.recv() {
                        Ok(Background::Checkpoint(job)) => job,
                        Ok(Background::Writeback(file)) => {
                            writeback(file);
                            continue;
                        }
                        Err(_) => return,
                    },
                };
                run_until_done(&shared, job, || {
                    // While it waits: writebacks are done (and their handles dropped), later
                    // checkpoints queue up behind it.
                    while let Ok(next) = rx.try_recv() {
                        match next {
                            Background::Checkpoint(job) => waiting.push_back(job),
                            Background::Writeback(file) => writeback(file),
                        }
                    }
                });
            }
        })
        .map_err(|e| StorageError::io("spawn checkpoint thread", e))
}
