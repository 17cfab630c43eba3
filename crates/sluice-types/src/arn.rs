//! Amazon Resource Names as Sluice forms and accepts them:
//! `arn:aws:kinesis:{region}:{account}:stream/{name}` and
//! `arn:aws:kinesis:{region}:{account}:stream/{name}/consumer/{consumer}:{creation}`.

use crate::StreamName;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    pub region: String,
    pub account: String,
    pub resource: ArnResource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnResource {
    Stream(StreamName),
    Consumer {
        stream: StreamName,
        consumer: String,
        creation_epoch_secs: i64,
    },
    Other(String),
}

impl Arn {
    pub fn stream(region: &str, account: &str, name: &StreamName) -> Self {
        Self {
            partition: "aws".into(),
            service: "kinesis".into(),
            region: region.into(),
            account: account.into(),
            resource: ArnResource::Stream(name.clone()),
        }
    }

    /// Parses an ARN; returns `None` if it is not of the `arn:partition:service:region:account:resource` form.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let partition = parts.next()?.to_owned();
        let service = parts.next()?.to_owned();
        let region = parts.next()?.to_owned();
        let account = parts.next()?.to_owned();
        let resource = parts.next()?;
        let resource = match resource.strip_prefix("stream/") {
            Some(rest) => match rest.split_once("/consumer/") {
                Some((stream, consumer)) => {
                    let (consumer, creation) = consumer.rsplit_once(':')?;
                    ArnResource::Consumer {
                        stream: stream.parse().ok()?,
                        consumer: consumer.to_owned(),
                        creation_epoch_secs: creation.parse().ok()?,
                    }
                }
                None => ArnResource::Stream(rest.parse().ok()?),
            },
            None => ArnResource::Other(resource.to_owned()),
        };
        Some(Self {
            partition,
            service,
            region,
            account,
            resource,
        })
    }

    pub fn stream_name(&self) -> Option<&StreamName> {
        match &self.resource {
            ArnResource::Stream(name) | ArnResource::Consumer { stream: name, .. } => Some(name),
            ArnResource::Other(_) => None,
        }
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:",
            self.partition, self.service, self.region, self.account
        )?;
        match &self.resource {
            ArnResource::Stream(name) => write!(f, "stream/{name}"),
            ArnResource::Consumer {
                stream,
                consumer,
                creation_epoch_secs,
            } => write!(
                f,
                "stream/{stream}/consumer/{consumer}:{creation_epoch_secs}"
            ),
            ArnResource::Other(resource) => f.write_str(resource),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_arn_round_trip() {
        let name: StreamName = "orders".parse().expect("valid");
        let arn = Arn::stream("us-east-1", "000000000000", &name);
        let s = arn.to_string();
        assert_eq!(s, "arn:aws:kinesis:us-east-1:000000000000:stream/orders");
        assert_eq!(Arn::parse(&s), Some(arn));
    }

    #[test]
    fn consumer_arn() {
        let s = "arn:aws:kinesis:us-east-1:000000000000:stream/orders/consumer/app:1700000000";
        let arn = Arn::parse(s).expect("parses");
        assert_eq!(arn.to_string(), s);
        assert_eq!(arn.stream_name().map(StreamName::as_str), Some("orders"));
        assert_eq!(Arn::parse("nope"), None);
    }
}
