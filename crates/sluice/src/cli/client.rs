//! A small AWS JSON 1.1 client: SigV4-signed with credentials from the usual AWS environment
//! variables, over plain HTTP (HTTP/1.1).

use super::ClientArgs;
use anyhow::{Context, bail};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use sluice_wire::Protocol;
use std::time::SystemTime;

pub struct Client {
    endpoint: String,
    region: String,
    credentials: Credentials,
    http: HyperClient<HttpConnector, Full<Bytes>>,
}

/// An error the service answered with.
#[derive(Debug)]
pub struct ServiceError {
    pub kind: String,
    pub message: String,
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for ServiceError {}

impl Client {
    pub fn new(args: &ClientArgs) -> anyhow::Result<Self> {
        if !args.endpoint.starts_with("http://") {
            bail!("only http:// endpoints are supported by this client for now");
        }
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let credentials = Credentials::new(
            env("AWS_ACCESS_KEY_ID").unwrap_or_else(|| "sluice".into()),
            env("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|| "sluice".into()),
            env("AWS_SESSION_TOKEN"),
            None,
            "environment",
        );
        Ok(Self {
            endpoint: args.endpoint.trim_end_matches('/').to_owned() + "/",
            region: args.region.clone(),
            credentials,
            http: HyperClient::builder(TokioExecutor::new()).build_http(),
        })
    }

    /// Calls `Kinesis_20131202.<operation>` with a JSON body; returns the JSON answer.
    pub async fn call(&self, operation: &str, body: &Value) -> anyhow::Result<Value> {
        let bytes = self.call_raw(operation, serde_json::to_vec(body)?).await?;
        if bytes.is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(&bytes).with_context(|| format!("{operation}: answer is not JSON"))
    }

    /// Calls `Kinesis_20131202.<operation>` with a ready JSON body; returns the answer's bytes
    /// (a service error becomes a [`ServiceError`]).
    pub async fn call_raw(&self, operation: &str, body: Vec<u8>) -> anyhow::Result<Bytes> {
        let body = Bytes::from(body);
        let target = format!("Kinesis_20131202.{operation}");
        let mut req = http::Request::builder()
            .method("POST")
            .uri(&self.endpoint)
            .header("content-type", Protocol::JSON_CONTENT_TYPE)
            .header("x-amz-target", &target)
            .body(Full::new(body.clone()))?;
        let host = req
            .uri()
            .authority()
            .map(|a| a.to_string())
            .unwrap_or_default();
        req.headers_mut().insert("host", host.parse()?);
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("kinesis")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()?
            .into();
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let signable = SignableRequest::new(
            "POST",
            self.endpoint.as_str(),
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(&body),
        )?;
        let (instructions, _) = sign(signable, &params)?.into_parts();
        instructions.apply_to_request_http1x(&mut req);
        let resp = self
            .http
            .request(req)
            .await
            .with_context(|| format!("calling {}", self.endpoint))?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await?.to_bytes();
        if !status.is_success() {
            let value: Value = serde_json::from_slice(&bytes).with_context(|| {
                format!("{operation}: error answer is not JSON (HTTP {status})")
            })?;
            let kind = value["__type"].as_str().unwrap_or("UnknownError");
            let kind = kind.rsplit('#').next().unwrap_or(kind).to_owned();
            let message = value["message"]
                .as_str()
                .or(value["Message"].as_str())
                .unwrap_or("")
                .to_owned();
            return Err(ServiceError { kind, message }.into());
        }
        Ok(bytes)
    }
}
