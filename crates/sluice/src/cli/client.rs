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
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use sluice_wire::Protocol;
use std::sync::Arc;
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
        let req = self.signed_request(operation, body)?;
        let resp = self
            .http
            .request(req)
            .await
            .with_context(|| format!("calling {}", self.endpoint))?;
        answer(operation, resp).await
    }

    /// Opens a connection of its own (HTTP/1.1, keep-alive, no pool): for load generators,
    /// where each worker keeps one connection busy.
    pub async fn connect(self: &Arc<Self>) -> anyhow::Result<Connection> {
        let uri: http::Uri = self.endpoint.parse()?;
        let host = uri.host().context("endpoint has no host")?;
        let port = uri.port_u16().unwrap_or(80);
        let tcp = tokio::net::TcpStream::connect((host, port))
            .await
            .with_context(|| format!("connecting to {}", self.endpoint))?;
        tcp.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Connection {
            client: self.clone(),
            sender,
        })
    }

    /// The signed POST of `Kinesis_20131202.<operation>`.
    fn signed_request(
        &self,
        operation: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<http::Request<Full<Bytes>>> {
        let body = Bytes::from(body);
        // `Firehose_20150804.PutRecord` names another service's operation; a bare name is
        // Kinesis's.
        let (target, service) = match operation.split_once('.') {
            Some(("Firehose_20150804", _)) => (operation.to_owned(), "firehose"),
            Some(_) => (operation.to_owned(), "kinesis"),
            None => (format!("Kinesis_20131202.{operation}"), "kinesis"),
        };
        let mut req = http::Request::builder()
            .method("POST")
            .uri(&self.endpoint)
            .header("content-type", Protocol::JSON_CONTENT_TYPE)
            .header("x-amz-target", target)
            .body(Full::new(body.clone()))?;
        self.sign(&mut req, service, Some(&body))?;
        Ok(req)
    }

    /// Signs a request (SigV4) for `service`, over `body`, or as `UNSIGNED-PAYLOAD` for a
    /// body that is streamed.
    pub fn sign<B>(
        &self,
        req: &mut http::Request<B>,
        service: &str,
        body: Option<&[u8]>,
    ) -> anyhow::Result<()> {
        let host = req
            .uri()
            .authority()
            .map(|a| a.to_string())
            .unwrap_or_default();
        req.headers_mut().insert("host", host.parse()?);
        let identity = self.credentials.clone().into();
        let mut settings = SigningSettings::default();
        if body.is_none() {
            settings.payload_checksum_kind =
                aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(service)
            .time(SystemTime::now())
            .settings(settings)
            .build()?
            .into();
        let uri = req.uri().to_string();
        let instructions = {
            let signable = SignableRequest::new(
                req.method().as_str(),
                uri.as_str(),
                req.headers()
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.to_str().unwrap_or_default())),
                match body {
                    Some(b) => SignableBody::Bytes(b),
                    None => SignableBody::UnsignedPayload,
                },
            )?;
            sign(signable, &params)?.into_parts().0
        };
        instructions.apply_to_request_http1x(req);
        Ok(())
    }

    /// The endpoint URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.endpoint.trim_end_matches('/'), path)
    }

    /// A REST-JSON call (Kinesis Video Streams: the operation is the path); the answer's bytes.
    pub async fn rest_raw(&self, service: &str, path: &str, body: &Value) -> anyhow::Result<Bytes> {
        let resp = self.rest_response(service, path, body).await?;
        answer(path, resp).await
    }

    /// As [`Client::rest_raw`], for a JSON answer.
    pub async fn rest(&self, service: &str, path: &str, body: &Value) -> anyhow::Result<Value> {
        let bytes = self.rest_raw(service, path, body).await?;
        if bytes.is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(&bytes).with_context(|| format!("{path}: answer is not JSON"))
    }

    /// A REST-JSON call whose answer is a stream (GetMedia): the body as it arrives.
    pub async fn rest_streaming(
        &self,
        service: &str,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<hyper::body::Incoming> {
        let resp = self.rest_response(service, path, body).await?;
        if !resp.status().is_success() {
            answer(path, resp).await?;
            bail!("{path}: unexpected answer");
        }
        Ok(resp.into_body())
    }

    async fn rest_response(
        &self,
        service: &str,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<http::Response<hyper::body::Incoming>> {
        let body = Bytes::from(serde_json::to_vec(body)?);
        let mut req = http::Request::builder()
            .method("POST")
            .uri(self.url(path))
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))?;
        self.sign(&mut req, service, Some(&body))?;
        self.http
            .request(req)
            .await
            .with_context(|| format!("calling {}", self.endpoint))
    }
}

/// One HTTP/1.1 connection of a [`Client`]'s.
pub struct Connection {
    client: Arc<Client>,
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Connection {
    async fn send(
        &mut self,
        operation: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<http::Response<hyper::body::Incoming>> {
        let req = self.client.signed_request(operation, body)?;
        self.sender.ready().await?;
        self.sender
            .send_request(req)
            .await
            .with_context(|| format!("calling {}", self.client.endpoint))
    }

    /// As [`Client::call_raw`], on this connection.
    pub async fn call_raw(&mut self, operation: &str, body: Vec<u8>) -> anyhow::Result<Bytes> {
        let resp = self.send(operation, body).await?;
        answer(operation, resp).await
    }

    /// Calls an operation whose answer is a stream (SubscribeToShard): the answer's body as it
    /// arrives, or the [`ServiceError`] it carries.
    pub async fn call_streaming(
        &mut self,
        operation: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<hyper::body::Incoming> {
        let resp = self.send(operation, body).await?;
        if !resp.status().is_success() {
            answer(operation, resp).await?;
            bail!("{operation}: unexpected answer");
        }
        Ok(resp.into_body())
    }
}

/// The answer's body, or the [`ServiceError`] it carries.
pub async fn answer(
    operation: &str,
    resp: http::Response<hyper::body::Incoming>,
) -> anyhow::Result<Bytes> {
    let status = resp.status();
    let bytes = resp.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        let value: Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("{operation}: error answer is not JSON (HTTP {status})"))?;
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
