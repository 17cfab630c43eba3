//! Fragment notifications: a fragment that a producer tagged `AWS_KINESISVIDEO_NOTIFICATION`, on
//! a stream whose NotificationConfiguration is ENABLED, is announced once it is PERSISTED. AWS
//! publishes to an SNS topic; Sluice has no SNS, so a destination URI that is an `http://` or
//! `https://` URL receives what an SNS HTTP subscription would: a POST of the SNS envelope
//! (`Type: Notification`, `Subject: Kinesis Video Streams Notification`, the message as a JSON
//! string). Other URIs (SNS topic ARNs) are kept and not delivered.
//!
//! Delivery is attempted three times (1 s and 2 s apart); it is not kept across a restart.

use crate::service::{StreamState, Video};
use rand::Rng;
use serde_json::json;
use std::sync::OnceLock;
use std::time::Duration;

const SUBJECT: &str = "Kinesis Video Streams Notification";
const ATTEMPTS: u32 = 3;

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default()
    })
}

/// The HTTP(S) URL a stream's enabled notification configuration names, if any.
fn destination(state: &StreamState) -> Option<String> {
    let meta = state.meta.read();
    let config = meta.notification.as_ref()?;
    if config.get("Status")?.as_str()? != "ENABLED" {
        return None;
    }
    let uri = config.get("DestinationConfig")?.get("Uri")?.as_str()?;
    (uri.starts_with("http://") || uri.starts_with("https://")).then(|| uri.to_owned())
}

impl Video {
    /// Announces a PERSISTED fragment the producer asked a notification for.
    pub(crate) fn notify(
        &self,
        state: &StreamState,
        fragment_number: &str,
        producer_ms: i64,
        server_ms: i64,
        payload: &[(String, String)],
    ) {
        let Some(url) = destination(state) else {
            return;
        };
        let arn = state.meta.read().arn.clone();
        let custom: serde_json::Map<String, serde_json::Value> =
            payload.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let message = json!({
            "StreamArn": arn,
            "FragmentNumber": fragment_number,
            "FragmentStartProducerTimestamp": producer_ms,
            "FragmentStartServerTimestamp": server_ms,
            "NotificationType": "PERSISTED",
            "NotificationPayload": custom,
        });
        let id: String = rand::rng()
            .sample_iter(rand::distr::Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        let envelope = json!({
            "Type": "Notification",
            "MessageId": id,
            "TopicArn": url,
            "Subject": SUBJECT,
            "Message": message.to_string(),
            "Timestamp": crate::hls::rfc3339(self.now_ms()),
        })
        .to_string();
        tokio::spawn(async move {
            for attempt in 0..ATTEMPTS {
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
                }
                let sent = client()
                    .post(&url)
                    .header("content-type", "text/plain; charset=UTF-8")
                    .header("x-amz-sns-message-type", "Notification")
                    .header("x-amz-sns-message-id", &id)
                    .header("x-amz-sns-topic-arn", &url)
                    .body(envelope.clone())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => return,
                    Ok(r) => tracing::warn!(%url, status = %r.status(), "notification refused"),
                    Err(e) => tracing::warn!(%url, error = %e, "notification not delivered"),
                }
            }
        });
    }
}
