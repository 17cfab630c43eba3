//! `sluice bench --subscribers N`: enhanced fan-out under load. Before the writers start, N
//! consumers are registered and each subscribes to every shard at LATEST (SubscribeToShard). Each
//! record's id is noted with the time its put was sent; a subscriber that receives the record
//! records the put-to-subscriber latency. At the end every subscriber must have received every
//! acknowledged record exactly once.

use super::client::{Client, Connection};
use super::event_stream::{Event, EventReader};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};

/// By record id: when its put was sent, and how many subscribers have yet to receive it.
pub type Sent = Mutex<HashMap<u64, (Instant, usize)>>;

pub struct Fanout {
    pub sent: Arc<Sent>,
    subscribers: usize,
    stop: watch::Sender<bool>,
    tasks: Vec<(usize, tokio::task::JoinHandle<anyhow::Result<Received>>)>,
}

#[derive(Default)]
struct Received {
    ids: Vec<u64>,
    latencies_us: Vec<u64>,
    events: u64,
}

#[derive(Deserialize)]
struct EventOut<'a> {
    #[serde(rename = "Records", borrow)]
    records: Vec<RecordOut<'a>>,
}

#[derive(Deserialize)]
struct RecordOut<'a> {
    #[serde(rename = "Data")]
    data: &'a str,
}

impl Fanout {
    /// Registers `n` consumers of `stream` and subscribes each to every shard; returns once every
    /// subscription has answered.
    pub async fn start(client: &Arc<Client>, stream: &str, n: usize) -> anyhow::Result<Fanout> {
        let summary = client
            .call("DescribeStreamSummary", &json!({ "StreamName": stream }))
            .await?;
        let arn = summary["StreamDescriptionSummary"]["StreamARN"]
            .as_str()
            .context("no StreamARN")?
            .to_owned();
        let shards = client
            .call("ListShards", &json!({ "StreamName": stream }))
            .await?;
        let shard_ids: Vec<String> = shards["Shards"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["ShardId"].as_str().map(str::to_owned))
            .collect();
        let sent: Arc<Sent> = Arc::default();
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        let mut ready = Vec::new();
        for c in 0..n {
            let consumer = client
                .call(
                    "RegisterStreamConsumer",
                    &json!({ "StreamARN": arn, "ConsumerName": format!("sluice-bench-{c}") }),
                )
                .await?;
            let consumer_arn = consumer["Consumer"]["ConsumerARN"]
                .as_str()
                .context("no ConsumerARN")?
                .to_owned();
            wait_consumer_active(client, &consumer_arn).await?;
            for shard in &shard_ids {
                let conn = client.connect().await?;
                let (tx, rx) = oneshot::channel();
                ready.push(rx);
                let body = serde_json::to_vec(&json!({
                    "ConsumerARN": consumer_arn, "ShardId": shard,
                    "StartingPosition": { "Type": "LATEST" },
                }))?;
                tasks.push((
                    c,
                    tokio::spawn(subscriber(conn, body, sent.clone(), tx, stopped.clone())),
                ));
            }
        }
        for r in ready {
            r.await.context("a subscription failed to start")?;
        }
        Ok(Fanout {
            sent,
            subscribers: n,
            stop,
            tasks,
        })
    }

    /// Lets the subscribers drain for up to `grace`, stops them and checks what each received.
    pub async fn finish(self, acked: &[u64], grace: Duration) -> anyhow::Result<Value> {
        let deadline = Instant::now() + grace;
        // Until every record reached every subscriber (records whose put failed never do), or
        // the grace period ends.
        loop {
            let pending = self
                .sent
                .lock()
                .map_err(|_| anyhow::anyhow!("poisoned"))?
                .len();
            if pending == 0 || Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = self.stop.send(true);
        let mut by_consumer: Vec<Received> =
            (0..self.subscribers).map(|_| Received::default()).collect();
        for (c, t) in self.tasks {
            let r = t.await??;
            let into = &mut by_consumer[c];
            into.ids.extend(r.ids);
            into.latencies_us.extend(r.latencies_us);
            into.events += r.events;
        }
        let acked_set: HashSet<u64> = acked.iter().copied().collect();
        let (mut missing, mut duplicates, mut received, mut events) =
            (0usize, 0usize, 0usize, 0u64);
        let mut latencies = super::bench::Latencies::default();
        for r in by_consumer {
            let mut seen = HashSet::with_capacity(r.ids.len());
            duplicates += r.ids.iter().filter(|id| !seen.insert(**id)).count();
            missing += acked_set.difference(&seen).count();
            received += r.ids.len();
            events += r.events;
            latencies.0.extend(r.latencies_us);
        }
        Ok(json!({
            "subscribers": self.subscribers,
            "events": events,
            "records_received": received,
            "missing": missing,
            "duplicates": duplicates,
            "put_to_subscriber_latency": latencies.summary(),
            "ok": missing == 0 && duplicates == 0,
        }))
    }
}

async fn wait_consumer_active(client: &Client, arn: &str) -> anyhow::Result<()> {
    for _ in 0..600 {
        let d = client
            .call("DescribeStreamConsumer", &json!({ "ConsumerARN": arn }))
            .await?;
        if d["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE" {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("consumer {arn} did not become ACTIVE")
}

/// One subscription: decodes event-stream frames as they arrive and times each record.
async fn subscriber(
    mut conn: Connection,
    request: Vec<u8>,
    sent: Arc<Sent>,
    ready: oneshot::Sender<()>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Received> {
    let mut events = EventReader::new(conn.call_streaming("SubscribeToShard", request).await?);
    let mut ready = Some(ready);
    let mut out = Received::default();
    let mut id_bytes = Vec::with_capacity(16);
    loop {
        let event = tokio::select! {
            e = events.next() => e?,
            _ = stop.changed() => break,
        };
        let now = Instant::now();
        match event {
            None => break,
            Some(Event::InitialResponse) => {
                if let Some(r) = ready.take() {
                    let _ = r.send(());
                }
            }
            Some(Event::SubscribeToShard(m)) => {
                out.events += 1;
                let event: EventOut<'_> = serde_json::from_slice(m.payload())?;
                let mut sent = sent.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                for r in event.records {
                    // The id is the record's first 8 bytes: the first 12 base64 characters.
                    id_bytes.clear();
                    let head = r.data.get(..12).unwrap_or(r.data);
                    STANDARD.decode_vec(head, &mut id_bytes)?;
                    let id = id_bytes
                        .get(..8)
                        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
                        .unwrap_or(u64::MAX);
                    if let Some((at, left)) = sent.get_mut(&id) {
                        out.latencies_us
                            .push(now.duration_since(*at).as_micros() as u64);
                        *left -= 1;
                        if *left == 0 {
                            sent.remove(&id);
                        }
                    }
                    out.ids.push(id);
                }
            }
        }
    }
    Ok(out)
}
