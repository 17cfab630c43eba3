//! SigV4 request authentication (`--auth sigv4`): the signature of each API request is computed
//! again from the configured secret and compared, as AWS does, with AWS's error types and texts.
//!
//! Supported: the `Authorization` header and query-string (`X-Amz-Algorithm=...`) forms,
//! `AWS4-HMAC-SHA256`, session tokens (`X-Amz-Security-Token`), `x-amz-content-sha256`, a clock
//! skew of at most 5 minutes, and HTTP/2 requests, whose `host` (or `:authority`) is the URI's
//! authority.

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, Method, Uri};
use sha2::{Digest, Sha256};
use sluice_types::Clock;
use sluice_wire::WireError;
use std::collections::HashMap;
use std::sync::Arc;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The signing name of the Kinesis Data Streams API.
pub const KINESIS: &str = "kinesis";
/// The signing name of the Data Firehose API.
pub const FIREHOSE: &str = "firehose";
pub const ANALYTICS: &str = "kinesisanalytics";
const MAX_SKEW_MS: i64 = 5 * 60 * 1000;
/// The longest a presigned request may stay valid (`X-Amz-Expires`), as AWS allows: 7 days.
const MAX_EXPIRES_S: i64 = 7 * 24 * 3600;
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Requests must be signed as AWS requires (an `Authorization` header or a presigned
    /// query with every part present), but any key and signature is accepted.
    #[default]
    AnyKey,
    /// SigV4 against the configured credentials.
    Sigv4,
    /// Nothing is checked: unsigned requests are accepted too.
    Unsigned,
}

/// The form of a request's signature, as AWS checks it before it looks at a key: an
/// `Authorization` header with `Credential`, `Signature` and `SignedHeaders` and a date header,
/// or a presigned query with all five `X-Amz-*` parameters, not both.
pub fn check_form(headers: &HeaderMap, uri: &Uri) -> Result<(), WireError> {
    let auth = headers
        .get(http::header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let query = parse_query(uri.query().unwrap_or(""));
    let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let presigned = q("X-Amz-Algorithm").is_some();
    let mut msg = String::new();
    match (auth, presigned) {
        (Some(_), true) => {
            return Err(invalid(
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
            ));
        }
        (None, false) => {
            return Err(WireError::new(
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            ));
        }
        (Some(auth), false) => {
            // The first word is the algorithm; then `Name=value` pairs split by commas or spaces.
            let params: HashMap<&str, &str> = auth
                .split([',', ' '])
                .skip(1)
                .filter(|p| !p.is_empty())
                .filter_map(|p| {
                    let mut kv = p.trim().split('=');
                    Some((kv.next()?, kv.next().unwrap_or("")))
                })
                .collect();
            for p in ["Credential", "Signature", "SignedHeaders"] {
                if params.get(p).is_none_or(|v| v.is_empty()) {
                    msg.push_str(&format!("Authorization header requires '{p}' parameter. "));
                }
            }
            if !headers.contains_key("x-amz-date") && !headers.contains_key(http::header::DATE) {
                msg.push_str(
                    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
                );
            }
            if !msg.is_empty() {
                msg.push_str(&format!("Authorization={auth}"));
            }
        }
        (None, true) => {
            for p in [
                "X-Amz-Algorithm",
                "X-Amz-Credential",
                "X-Amz-Signature",
                "X-Amz-SignedHeaders",
                "X-Amz-Date",
            ] {
                if q(p).is_none_or(str::is_empty) {
                    msg.push_str(&format!("AWS query-string parameters must include '{p}'. "));
                }
            }
            if !msg.is_empty() {
                msg.push_str("Re-examine the query-string parameters.");
            }
        }
    }
    if msg.is_empty() {
        Ok(())
    } else {
        Err(incomplete(msg))
    }
}

/// One access key the server accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// If set, requests with this key must carry this `X-Amz-Security-Token`.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl std::str::FromStr for Credential {
    type Err = String;
    /// `ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]`.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(id), Some(secret), token) if !id.is_empty() && !secret.is_empty() => {
                Ok(Credential {
                    access_key_id: id.to_owned(),
                    secret_access_key: secret.to_owned(),
                    session_token: token.filter(|t| !t.is_empty()).map(str::to_owned),
                })
            }
            _ => Err("expected ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]".into()),
        }
    }
}

/// Checks request signatures.
pub struct Verifier {
    region: String,
    credentials: HashMap<String, Credential>,
    clock: Arc<dyn Clock>,
}

/// The parts of a request a signature covers.
pub struct SignedRequest<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    /// The body as received; `None` for a body that is streamed (PutMedia), which is signed as
    /// `x-amz-content-sha256` says.
    pub body: Option<&'a Bytes>,
    /// The service the credential must be scoped to (`kinesis`, `firehose`).
    pub service: &'static str,
}

fn not_yet_current(amz_date: &str, now: i64) -> WireError {
    invalid(format!(
        "Signature not yet current: {amz_date} is still later than {} ({} + 5 min.)",
        format_amz_date(now + MAX_SKEW_MS),
        format_amz_date(now)
    ))
}

fn incomplete(msg: String) -> WireError {
    WireError::new("IncompleteSignatureException", msg)
}

fn invalid(msg: impl Into<String>) -> WireError {
    WireError::new("InvalidSignatureException", msg)
}

fn unrecognized() -> WireError {
    WireError::new(
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
}

/// Under `--auth sigv4`, the checks that need no body ([`Verifier::precheck`]), so that a
/// request that will be refused is refused before its body is read.
pub(crate) fn precheck_head(
    state: &crate::AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    service: &'static str,
) -> Result<(), WireError> {
    let Some(verifier) = &state.auth else {
        return Ok(());
    };
    let head = SignedRequest {
        method,
        uri,
        headers,
        body: None,
        service,
    };
    verifier.precheck(&head).map(|_| ())
}

/// A query-string signature: the signed query (without `X-Amz-Signature`) and `X-Amz-Expires`.
type QuerySigned = (Vec<(String, String)>, Option<i64>);

/// The access key id a request names (Authorization header or `X-Amz-Credential`), without
/// checking its signature: the principal of a request under `--auth any-key`.
pub fn claimed_access_key(headers: &http::HeaderMap, uri: &http::Uri) -> Option<String> {
    let from_header = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').next())
        .map(str::to_owned);
    from_header.or_else(|| {
        parse_query(uri.query().unwrap_or(""))
            .into_iter()
            .find(|(k, _)| k == "X-Amz-Credential")
            .and_then(|(_, v)| v.split('/').next().map(str::to_owned))
    })
}

/// What the client claims: from the Authorization header or the query string.
pub struct Claim {
    access_key_id: String,
    scope_date: String,
    scope_region: String,
    scope_service: String,
    scope_terminator: String,
    signed_headers: Vec<String>,
    signature: String,
    amz_date: String,
    /// Query-string form: the query without `X-Amz-Signature`, and `X-Amz-Expires`.
    query_signed: Option<QuerySigned>,
    security_token: Option<String>,
}

impl Verifier {
    pub fn new(region: String, credentials: Vec<Credential>, clock: Arc<dyn Clock>) -> Self {
        Self {
            region,
            credentials: credentials
                .into_iter()
                .map(|c| (c.access_key_id.clone(), c))
                .collect(),
            clock,
        }
    }

    /// Everything that can be checked from the headers and the query alone, before the body is
    /// read: the form of the signature, the key, the token, the scope, the date and which
    /// headers are signed. A request that fails here is refused without reading its body.
    pub fn precheck(&self, req: &SignedRequest<'_>) -> Result<(Claim, &Credential), WireError> {
        let claim = self.claim(req)?;
        if claim.scope_terminator != "aws4_request" {
            return Err(incomplete(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
                claim.scope_terminator
            )));
        }
        let cred = self
            .credentials
            .get(&claim.access_key_id)
            .ok_or_else(unrecognized)?;
        if claim.security_token != cred.session_token {
            return Err(unrecognized());
        }
        if claim.scope_service != req.service {
            return Err(invalid(format!(
                "Credential should be scoped to correct service: '{}'. ",
                req.service
            )));
        }
        if claim.scope_region != self.region {
            return Err(invalid(format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                claim.scope_region
            )));
        }
        let signed_ms = parse_amz_date(&claim.amz_date).ok_or_else(|| {
            incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
                claim.amz_date
            ))
        })?;
        if !claim.amz_date.starts_with(&claim.scope_date) {
            return Err(invalid(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
                claim.scope_date,
                &claim.amz_date[..8],
                claim.amz_date
            )));
        }
        check_signed_headers(req, &claim)?;
        let now = self.clock.now_millis();
        match &claim.query_signed {
            Some((_, Some(expires))) => {
                if !(1..=MAX_EXPIRES_S).contains(expires) {
                    return Err(invalid(format!(
                        "X-Amz-Expires must be between 1 and {MAX_EXPIRES_S} seconds (a week), not {expires}."
                    )));
                }
                if signed_ms > now + MAX_SKEW_MS {
                    return Err(not_yet_current(&claim.amz_date, now));
                }
                if now > signed_ms + expires * 1000 {
                    return Err(WireError::new(
                        "AccessDeniedException",
                        "Request has expired.",
                    ));
                }
            }
            _ => {
                if signed_ms < now - MAX_SKEW_MS {
                    return Err(invalid(format!(
                        "Signature expired: {} is now earlier than {} ({} - 5 min.)",
                        claim.amz_date,
                        format_amz_date(now - MAX_SKEW_MS),
                        format_amz_date(now)
                    )));
                }
                if signed_ms > now + MAX_SKEW_MS {
                    return Err(not_yet_current(&claim.amz_date, now));
                }
            }
        }
        Ok((claim, cred))
    }

    /// Checks the request's signature; returns the access key id that signed it.
    pub fn verify(&self, req: &SignedRequest<'_>) -> Result<String, WireError> {
        let (claim, cred) = self.precheck(req)?;
        let canonical = canonical_request(req, &claim)?;
        let scope = format!(
            "{}/{}/{}/aws4_request",
            claim.scope_date, claim.scope_region, claim.scope_service
        );
        let string_to_sign = format!(
            "{ALGORITHM}\n{}\n{scope}\n{}",
            claim.amz_date,
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let key = signing_key(
            &cred.secret_access_key,
            &claim.scope_date,
            &claim.scope_region,
            &claim.scope_service,
        );
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("any key length");
        mac.update(string_to_sign.as_bytes());
        let given = hex::decode(&claim.signature).unwrap_or_default();
        if mac.verify_slice(&given).is_err() {
            return Err(invalid(format!(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{canonical}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
            )));
        }
        Ok(claim.access_key_id)
    }

    fn claim(&self, req: &SignedRequest<'_>) -> Result<Claim, WireError> {
        let auth = req
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let query = parse_query(req.uri.query().unwrap_or(""));
        let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let token_header = req
            .headers
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        match (auth, q("X-Amz-Algorithm")) {
            (Some(_), Some(_)) => Err(invalid(
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
            )),
            (None, None) => Err(WireError::new(
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            )),
            (Some(auth), None) => {
                let Some(rest) = auth.strip_prefix(ALGORITHM) else {
                    return Err(incomplete(format!(
                        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={auth}"
                    )));
                };
                let params: HashMap<&str, &str> = rest
                    .split([',', ' '])
                    .filter_map(|p| p.trim().split_once('='))
                    .collect();
                let amz_date = req
                    .headers
                    .get("x-amz-date")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let mut msg = String::new();
                for p in ["Credential", "Signature", "SignedHeaders"] {
                    if !params.contains_key(p) {
                        msg.push_str(&format!("Authorization header requires '{p}' parameter. "));
                    }
                }
                if amz_date.is_none() {
                    msg.push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
                }
                if !msg.is_empty() {
                    return Err(incomplete(format!("{msg}Authorization={auth}")));
                }
                let mut claim = parse_credential(params["Credential"], auth)?;
                claim.signed_headers = params["SignedHeaders"]
                    .split(';')
                    .map(str::to_owned)
                    .collect();
                claim.signature = params["Signature"].to_owned();
                claim.amz_date = amz_date.unwrap_or_default();
                claim.security_token = token_header;
                Ok(claim)
            }
            (None, Some(algorithm)) => {
                let mut msg = String::new();
                for p in [
                    "X-Amz-Credential",
                    "X-Amz-Signature",
                    "X-Amz-SignedHeaders",
                    "X-Amz-Date",
                ] {
                    if q(p).is_none() {
                        msg.push_str(&format!("AWS query-string parameters must include '{p}'. "));
                    }
                }
                if !msg.is_empty() {
                    return Err(incomplete(format!(
                        "{msg}Re-examine the query-string parameters."
                    )));
                }
                if algorithm != ALGORITHM {
                    return Err(incomplete(format!(
                        "Unsupported AWS 'algorithm': '{algorithm}'"
                    )));
                }
                let credential = q("X-Amz-Credential").unwrap_or_default();
                let mut claim = parse_credential(&credential, &credential)?;
                claim.signed_headers = q("X-Amz-SignedHeaders")
                    .unwrap_or_default()
                    .split(';')
                    .map(str::to_owned)
                    .collect();
                claim.signature = q("X-Amz-Signature").unwrap_or_default();
                claim.amz_date = q("X-Amz-Date").unwrap_or_default();
                claim.security_token = q("X-Amz-Security-Token").or(token_header);
                let expires = match q("X-Amz-Expires") {
                    None => None,
                    Some(e) => Some(e.parse::<i64>().map_err(|_| {
                        incomplete(format!(
                            "X-Amz-Expires must be a number of seconds, not '{e}'."
                        ))
                    })?),
                };
                let signed_query = query
                    .into_iter()
                    .filter(|(k, _)| k != "X-Amz-Signature")
                    .collect();
                claim.query_signed = Some((signed_query, expires));
                Ok(claim)
            }
        }
    }
}

fn parse_credential(credential: &str, shown: &str) -> Result<Claim, WireError> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [id, date, region, service, terminator] = parts[..] else {
        return Err(incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{shown}'"
        )));
    };
    Ok(Claim {
        access_key_id: id.to_owned(),
        scope_date: date.to_owned(),
        scope_region: region.to_owned(),
        scope_service: service.to_owned(),
        scope_terminator: terminator.to_owned(),
        signed_headers: Vec::new(),
        signature: String::new(),
        amz_date: String::new(),
        query_signed: None,
        security_token: None,
    })
}

/// The headers a signature must cover when the request carries them: AWS refuses requests whose
/// host, date, target or content headers could have been changed on the way.
fn check_signed_headers(req: &SignedRequest<'_>, claim: &Claim) -> Result<(), WireError> {
    let signed = |h: &str| claim.signed_headers.iter().any(|s| s == h);
    if !signed("host") && !signed(":authority") {
        return Err(incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }
    let mut required = vec!["x-amz-target"];
    if claim.query_signed.is_none() {
        required.extend([
            "x-amz-date",
            "content-type",
            "x-amz-content-sha256",
            "x-amz-security-token",
        ]);
    }
    for h in required {
        if req.headers.contains_key(h) && !signed(h) {
            return Err(incomplete(format!(
                "'{h}' is present in the request and must be a 'SignedHeader' in the AWS Authorization."
            )));
        }
    }
    Ok(())
}

/// The payload hash the signature covers: the SHA-256 of the body received. A client's
/// `x-amz-content-sha256` must name that same hash; `UNSIGNED-PAYLOAD` (or any value) only
/// stands for a body that is streamed.
fn payload_hash(req: &SignedRequest<'_>) -> Result<String, WireError> {
    let header = req
        .headers
        .get("x-amz-content-sha256")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let Some(body) = req.body else {
        return Ok(header.unwrap_or_else(|| hex::encode(Sha256::digest(b""))));
    };
    let actual = hex::encode(Sha256::digest(body));
    match header {
        Some(h) if h == UNSIGNED_PAYLOAD => Err(invalid(
            "UNSIGNED-PAYLOAD is not accepted for this operation: the body must be signed.",
        )),
        Some(h) if !h.eq_ignore_ascii_case(&actual) => Err(invalid(
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )),
        _ => Ok(actual),
    }
}

fn canonical_request(req: &SignedRequest<'_>, claim: &Claim) -> Result<String, WireError> {
    let path = req.uri.path();
    let canonical_uri = if path.is_empty() {
        "/".to_owned()
    } else {
        // Non-S3 services encode each path segment once more (the SDKs' default).
        path.split('/')
            .map(uri_encode)
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut query: Vec<(String, String)> = match &claim.query_signed {
        Some((q, _)) => q.clone(),
        None => parse_query(req.uri.query().unwrap_or("")),
    };
    let mut encoded: Vec<(String, String)> = query
        .drain(..)
        .map(|(k, v)| (uri_encode(&k), uri_encode(&v)))
        .collect();
    encoded.sort();
    let canonical_query = encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let authority = req.uri.authority().map(|a| a.as_str().to_owned());
    let mut headers = String::new();
    for name in &claim.signed_headers {
        let value = match name.as_str() {
            "host" | ":authority" => req
                .headers
                .get(http::header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .or_else(|| authority.clone())
                .unwrap_or_default(),
            _ => req
                .headers
                .get_all(name.as_str())
                .iter()
                .map(|v| collapse_spaces(&String::from_utf8_lossy(v.as_bytes())))
                .collect::<Vec<_>>()
                .join(","),
        };
        headers.push_str(name);
        headers.push(':');
        headers.push_str(&value);
        headers.push('\n');
    }
    let payload = payload_hash(req)?;
    Ok(format!(
        "{}\n{canonical_uri}\n{canonical_query}\n{headers}\n{}\n{payload}",
        req.method.as_str(),
        claim.signed_headers.join(";")
    ))
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let hmac = |key: &[u8], data: &str| -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
        mac.update(data.as_bytes());
        mac.finalize().into_bytes().to_vec()
    };
    let k = hmac(format!("AWS4{secret}").as_bytes(), date);
    let k = hmac(&k, region);
    let k = hmac(&k, service);
    hmac(&k, "aws4_request")
}

/// RFC 3986 unreserved characters stay; everything else is `%XX`.
fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

fn collapse_spaces(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `YYYYMMDDTHHMMSSZ` to epoch milliseconds.
fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60_000 + se * 1000)
}

fn format_amz_date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

// Howard Hinnant's civil-date algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let ms = parse_amz_date("20261201T193602Z").expect("date");
        assert_eq!(format_amz_date(ms), "20261201T193602Z");
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("2026-12-01T19:36:02Z"), None);
        assert_eq!(parse_amz_date("20261301T000000Z"), None);
    }

    #[test]
    fn credentials_parse() {
        let c: Credential = "AKID:secret".parse().expect("two parts");
        assert_eq!(c.session_token, None);
        let c: Credential = "AKID:se:cret:tok".parse().expect("token");
        assert_eq!(c.secret_access_key, "se");
        assert_eq!(c.session_token.as_deref(), Some("cret:tok"));
        assert!("AKID".parse::<Credential>().is_err());
        assert!(":secret".parse::<Credential>().is_err());
    }

    #[test]
    fn encoding_and_query() {
        assert_eq!(uri_encode("a b/c~"), "a%20b%2Fc~");
        assert_eq!(
            parse_query("X-Amz-Credential=AK%2F2026&b=&c"),
            vec![
                ("X-Amz-Credential".into(), "AK/2026".into()),
                ("b".into(), String::new()),
                ("c".into(), String::new())
            ]
        );
    }
}
