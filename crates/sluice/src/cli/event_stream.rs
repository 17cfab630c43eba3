//! Reading an `application/vnd.amazon.eventstream` answer (SubscribeToShard) as it arrives:
//! frames decoded with `aws-smithy-eventstream`, one [`Event`] per message.

use anyhow::bail;
use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::Message;
use bytes::{Buf, BytesMut};
use http_body_util::BodyExt;
use std::collections::VecDeque;

/// One message of a SubscribeToShard answer.
pub enum Event {
    InitialResponse,
    /// A SubscribeToShardEvent's JSON payload.
    SubscribeToShard(Message),
}

pub struct EventReader {
    body: hyper::body::Incoming,
    decoder: MessageFrameDecoder,
    buf: BytesMut,
    ready: VecDeque<Message>,
}

fn header(m: &Message, name: &str) -> Option<String> {
    m.headers()
        .iter()
        .find(|h| h.name().as_str() == name)
        .and_then(|h| h.value().as_string().ok())
        .map(|s| s.as_str().to_owned())
}

impl EventReader {
    pub fn new(body: hyper::body::Incoming) -> Self {
        Self {
            body,
            decoder: MessageFrameDecoder::new(),
            buf: BytesMut::new(),
            ready: VecDeque::new(),
        }
    }

    /// The next event; `None` when the answer ends. An `exception` message is an error.
    pub async fn next(&mut self) -> anyhow::Result<Option<Event>> {
        loop {
            if let Some(m) = self.ready.pop_front() {
                return match (
                    header(&m, ":message-type").as_deref(),
                    header(&m, ":event-type").as_deref(),
                ) {
                    (Some("event"), Some("initial-response")) => Ok(Some(Event::InitialResponse)),
                    (Some("event"), Some("SubscribeToShardEvent")) => {
                        Ok(Some(Event::SubscribeToShard(m)))
                    }
                    _ => bail!(
                        "subscription failed: {} {}",
                        header(&m, ":exception-type").unwrap_or_default(),
                        String::from_utf8_lossy(m.payload())
                    ),
                };
            }
            let Some(frame) = self.body.frame().await else {
                return Ok(None);
            };
            let Ok(data) = frame?.into_data() else {
                continue;
            };
            self.buf.extend_from_slice(&data);
            while self.buf.has_remaining() {
                match self.decoder.decode_frame(&mut self.buf)? {
                    DecodedFrame::Complete(m) => self.ready.push_back(m),
                    DecodedFrame::Incomplete => break,
                }
            }
        }
    }
}
