//! The `Lambda` processor, in place of AWS Lambda: the function a `LambdaArn` names is mapped (by
//! `--lambda NAME=URL` or `--lambda NAME=cmd:COMMAND`) to an HTTP endpoint that is POSTed the
//! invocation event, or a local command that reads it on stdin and writes the answer on stdout.
//! Both speak AWS's Firehose transformation format:
//!
//! ```json
//! {"invocationId": "...", "deliveryStreamArn": "...", "region": "...",
//!  "records": [{"recordId": "...", "approximateArrivalTimestamp": 1700000000000, "data": "base64"}]}
//! ```
//!
//! answered with `{"records": [{"recordId": "...", "result": "Ok" | "Dropped" | "ProcessingFailed",
//! "data": "base64"}]}`. `Ok` records go on with the answered data, `Dropped` ones are gone,
//! `ProcessingFailed` ones (and every record of an answer that leaves one out, or of an invocation
//! that fails `NumberOfRetries` + 1 times) go to the `processing-failed` error output.
//! Invocations carry at most `BufferSizeInMBs` (default 1 MiB, AWS's 6 MB payload limit aside) of
//! record data each.

use crate::model::Processing;
use crate::processors::Failure;
use crate::service::Firehose;
use base64::Engine;
use bytes::Bytes;
use sluice_storage::StoredRecord;
use tokio::io::AsyncWriteExt;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Where a Lambda processor's function runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionTarget {
    Http(String),
    Command(String),
}

impl FunctionTarget {
    /// `http(s)://...` or `cmd:COMMAND` (run with `sh -c`).
    pub fn parse(s: &str) -> Option<Self> {
        if let Some(c) = s.strip_prefix("cmd:") {
            return (!c.trim().is_empty()).then(|| FunctionTarget::Command(c.to_owned()));
        }
        (s.starts_with("http://") || s.starts_with("https://"))
            .then(|| FunctionTarget::Http(s.to_owned()))
    }
}

/// The Lambda processor's settings, if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LambdaProcessor {
    pub function: String,
    pub retries: u32,
    pub buffer_bytes: usize,
}

impl LambdaProcessor {
    pub fn of(p: Option<&Processing>) -> Result<Option<Self>, String> {
        let Some(p) = p.filter(|p| p.is_enabled()) else {
            return Ok(None);
        };
        let Some(proc) = p.processors.iter().find(|p| p.kind == "Lambda") else {
            return Ok(None);
        };
        let get = |n: &str| {
            proc.parameters
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        let arn = get("LambdaArn").ok_or("The Lambda processor needs a LambdaArn parameter.")?;
        // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
        let function = arn
            .split(':')
            .nth(6)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| format!("LambdaArn {arn} is not a Lambda function ARN."))?
            .to_owned();
        let number = |n: &str, default: u32, max: u32| -> Result<u32, String> {
            match get(n) {
                None => Ok(default),
                Some(v) => v
                    .parse::<u32>()
                    .ok()
                    .filter(|x| *x <= max)
                    .ok_or_else(|| format!("{n} {v} is not a number from 0 to {max}.")),
            }
        };
        Ok(Some(Self {
            function,
            retries: number("NumberOfRetries", 3, 300)?,
            buffer_bytes: number("BufferSizeInMBs", 1, 3)?.max(1) as usize * 1024 * 1024,
        }))
    }
}

impl Firehose {
    /// Runs the Lambda processor over `records`: the records that go on, and those that failed.
    pub(crate) async fn invoke_lambda(
        &self,
        name: &str,
        l: &LambdaProcessor,
        records: Vec<StoredRecord>,
    ) -> (Vec<StoredRecord>, Vec<Failure>) {
        let Some(target) = self.function_target(&l.function) else {
            let failed = records
                .into_iter()
                .map(|r| Failure {
                    raw: r.value,
                    arrival_ms: r.timestamp_ms,
                    code: "Lambda.FunctionNotFound",
                    message: format!("Function {} is not mapped by --lambda.", l.function),
                })
                .collect();
            return (Vec::new(), failed);
        };
        let (mut ok, mut failed) = (Vec::new(), Vec::new());
        let mut chunk: Vec<StoredRecord> = Vec::new();
        let mut bytes = 0;
        let mut chunks = Vec::new();
        for r in records {
            if !chunk.is_empty() && bytes + r.value.len() > l.buffer_bytes {
                chunks.push(std::mem::take(&mut chunk));
                bytes = 0;
            }
            bytes += r.value.len();
            chunk.push(r);
        }
        if !chunk.is_empty() {
            chunks.push(chunk);
        }
        for chunk in chunks {
            let (o, f) = self.invoke_chunk(name, l, &target, chunk).await;
            ok.extend(o);
            failed.extend(f);
        }
        (ok, failed)
    }

    /// Invokes the function a Lambda ARN names (as `--lambda` maps it) with `event`, trying
    /// `1 + retries` times: its JSON answer. Analytics' input preprocessing calls here.
    pub async fn invoke_function(
        &self,
        function_arn: &str,
        event: &serde_json::Value,
        retries: u32,
    ) -> Result<serde_json::Value, String> {
        let function = function_arn
            .split(':')
            .nth(6)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| format!("{function_arn} is not a Lambda function ARN."))?;
        let target = self
            .function_target(function)
            .ok_or_else(|| format!("Function {function} is not mapped by --lambda."))?;
        let body = serde_json::to_vec(event).map_err(|e| e.to_string())?;
        let mut last = String::new();
        for _ in 0..=retries {
            match self.call_function(&target, &body).await {
                Ok(answer) => return Ok(answer),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// A fresh id for an invocation.
    pub fn invocation_id(&self) -> String {
        crate::keys::uuid(&mut *self.rng.lock())
    }

    fn function_target(&self, function: &str) -> Option<FunctionTarget> {
        self.config
            .lambdas
            .iter()
            .find(|(n, _)| n == function)
            .and_then(|(_, t)| FunctionTarget::parse(t))
    }

    async fn invoke_chunk(
        &self,
        name: &str,
        l: &LambdaProcessor,
        target: &FunctionTarget,
        chunk: Vec<StoredRecord>,
    ) -> (Vec<StoredRecord>, Vec<Failure>) {
        let ids: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, r)| format!("{:016x}{:016x}{i:08x}", r.timestamp_ms, r.offset))
            .collect();
        let invocation = crate::keys::uuid(&mut *self.rng.lock());
        let event = serde_json::json!({
            "invocationId": invocation,
            "deliveryStreamArn": self.arn(name),
            "region": self.config.region,
            "records": chunk.iter().zip(&ids).map(|(r, id)| serde_json::json!({
                "recordId": id,
                "approximateArrivalTimestamp": r.timestamp_ms,
                "data": B64.encode(&r.value),
            })).collect::<Vec<_>>(),
        });
        let body = serde_json::to_vec(&event).unwrap_or_default();
        let mut last = String::new();
        let mut answer = None;
        for _ in 0..=l.retries {
            match self.call_function(target, &body).await {
                Ok(a) => {
                    answer = Some(a);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let fail_all = |chunk: Vec<StoredRecord>, code: &'static str, message: String| {
            let failed = chunk
                .into_iter()
                .map(|r| Failure {
                    raw: r.value,
                    arrival_ms: r.timestamp_ms,
                    code,
                    message: message.clone(),
                })
                .collect();
            (Vec::new(), failed)
        };
        let Some(answer) = answer else {
            return fail_all(chunk, "Lambda.InvokeFailed", last);
        };
        let mut results = std::collections::HashMap::new();
        for r in answer["records"].as_array().into_iter().flatten() {
            if let Some(id) = r["recordId"].as_str() {
                results.insert(id.to_owned(), r.clone());
            }
        }
        if ids.iter().any(|id| !results.contains_key(id)) {
            return fail_all(
                chunk,
                "Lambda.MissingRecordId",
                "The function's answer does not have every recordId it was given.".into(),
            );
        }
        let (mut ok, mut failed) = (Vec::new(), Vec::new());
        for (r, id) in chunk.into_iter().zip(&ids) {
            let res = &results[id];
            match res["result"].as_str() {
                Some("Ok") => match res["data"].as_str().map(|d| B64.decode(d)) {
                    Some(Ok(data)) => ok.push(StoredRecord {
                        value: Bytes::from(data),
                        ..r
                    }),
                    _ => failed.push(Failure {
                        raw: r.value,
                        arrival_ms: r.timestamp_ms,
                        code: "Lambda.InvalidData",
                        message: "The function answered Ok without base64 data.".into(),
                    }),
                },
                Some("Dropped") => {}
                Some("ProcessingFailed") => failed.push(Failure {
                    raw: r.value,
                    arrival_ms: r.timestamp_ms,
                    code: "Lambda.ProcessingFailed",
                    message: "The function answered ProcessingFailed.".into(),
                }),
                other => failed.push(Failure {
                    raw: r.value,
                    arrival_ms: r.timestamp_ms,
                    code: "Lambda.InvalidResult",
                    message: format!("The function answered result {other:?}."),
                }),
            }
        }
        (ok, failed)
    }

    async fn call_function(
        &self,
        target: &FunctionTarget,
        body: &[u8],
    ) -> Result<serde_json::Value, String> {
        let out = match target {
            FunctionTarget::Http(url) => {
                let resp = self
                    .http
                    .post(url)
                    .header("Content-Type", "application/json")
                    .body(body.to_vec())
                    .send()
                    .await
                    .map_err(|e| format!("calling {url}: {e}"))?;
                let status = resp.status();
                let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
                if !status.is_success() {
                    return Err(format!("{url} answered {status}"));
                }
                bytes.to_vec()
            }
            FunctionTarget::Command(cmd) => {
                let mut child = tokio::process::Command::new("sh")
                    .arg("-c")
                    .arg(cmd)
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::inherit())
                    .kill_on_drop(true)
                    .spawn()
                    .map_err(|e| format!("starting {cmd}: {e}"))?;
                if let Some(mut stdin) = child.stdin.take() {
                    stdin
                        .write_all(body)
                        .await
                        .map_err(|e| format!("writing to {cmd}: {e}"))?;
                }
                let out = tokio::time::timeout(
                    std::time::Duration::from_secs(300),
                    child.wait_with_output(),
                )
                .await
                .map_err(|_| format!("{cmd} ran longer than 5 minutes"))?
                .map_err(|e| e.to_string())?;
                if !out.status.success() {
                    return Err(format!("{cmd} exited with {}", out.status));
                }
                out.stdout
            }
        };
        serde_json::from_slice(&out).map_err(|e| format!("the function's answer is not JSON: {e}"))
    }
}
