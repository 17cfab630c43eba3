//! Resource policies (PutResourcePolicy) as Sluice enforces them: a subset of the IAM policy
//! language, evaluated for the principal an access key maps to.
//!
//! Supported: `Statement` (one object or a list) with `Effect` (`Allow` / `Deny`), `Principal`
//! (`"*"`, or `{"AWS": …}` with a principal ARN, an account id, `arn:aws:iam::ACCOUNT:root` for
//! the whole account, or `"*"`; one or a list), `Action` (`kinesis:Operation`, with `*` and `?`
//! wildcards, case-insensitive; one or a list) and `Resource` (an ARN with `*` and `?` wildcards;
//! one or a list). `Sid` and `Version` are accepted and ignored. A statement with anything else
//! (`NotPrincipal`, `NotAction`, `NotResource`, `Condition`) is never taken as an Allow but is
//! taken as a Deny when the rest of it matches: unsupported parts can only deny more.
//!
//! Decision, as AWS takes it for a resource policy: an explicit Deny refuses; otherwise a principal
//! of the stream's own account is allowed (its identity policies are not modelled, so they allow);
//! a principal of another account needs an Allow.

use serde_json::Value;

/// Who makes a request: the principal its access key maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `arn:aws:iam::ACCOUNT:user/NAME`, `…:role/NAME`, `…:root`, …
    pub arn: String,
    pub account: String,
}

impl Principal {
    /// From a principal ARN (`arn:PARTITION:iam::ACCOUNT:…` or `arn:PARTITION:sts::ACCOUNT:…`).
    pub fn from_arn(arn: &str) -> Option<Self> {
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(_), Some(service), Some(_), Some(account), Some(rest)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let valid = matches!(service, "iam" | "sts")
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && !rest.is_empty();
        valid.then(|| Self {
            arn: arn.to_owned(),
            account: account.to_owned(),
        })
    }

    /// The account's root principal.
    pub fn root(account: &str) -> Self {
        Self {
            arn: format!("arn:aws:iam::{account}:root"),
            account: account.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
    /// No statement applies.
    None,
}

/// Checks a policy document's shape; the error says what is wrong.
pub fn validate(policy: &str) -> Result<(), String> {
    let doc: Value =
        serde_json::from_str(policy).map_err(|e| format!("Policy is not valid JSON: {e}"))?;
    let statements =
        statements(&doc).ok_or("Policy must have a Statement (an object or a list of objects).")?;
    if statements.is_empty() {
        return Err("Policy has no Statement.".into());
    }
    for s in statements {
        match s.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            _ => return Err("Each Statement needs an Effect of Allow or Deny.".into()),
        }
        if s.get("Principal").is_none() && s.get("NotPrincipal").is_none() {
            return Err("Each Statement of a resource policy needs a Principal.".into());
        }
        if s.get("Action").is_none() && s.get("NotAction").is_none() {
            return Err("Each Statement needs an Action.".into());
        }
    }
    Ok(())
}

/// The decision of `policy` for `principal` doing `action` (e.g. `kinesis:PutRecord`) on
/// `resource` (an ARN). An unreadable policy decides nothing (it was validated when stored).
pub fn evaluate(policy: &str, principal: &Principal, action: &str, resource: &str) -> Decision {
    let Ok(doc) = serde_json::from_str::<Value>(policy) else {
        return Decision::None;
    };
    let Some(statements) = statements(&doc) else {
        return Decision::None;
    };
    let mut allowed = false;
    for s in statements {
        let supported = s.as_object().is_some_and(|o| {
            o.keys().all(|k| {
                matches!(
                    k.as_str(),
                    "Sid" | "Effect" | "Principal" | "Action" | "Resource"
                )
            })
        });
        let applies = principal_matches(s.get("Principal"), principal)
            && strings(s.get("Action"))
                .iter()
                .any(|a| wildcard(a, action, true))
            && s.get("Resource").is_none_or(|r| {
                strings(Some(r))
                    .iter()
                    .any(|p| wildcard(p, resource, false))
            });
        let applies_if_unsupported = supported
            || (s
                .get("Principal")
                .is_none_or(|p| principal_matches(Some(p), principal))
                && s.get("Action")
                    .is_none_or(|a| strings(Some(a)).iter().any(|p| wildcard(p, action, true))));
        match s.get("Effect").and_then(Value::as_str) {
            Some("Deny") if (supported && applies) || (!supported && applies_if_unsupported) => {
                return Decision::Deny;
            }
            Some("Allow") if supported && applies => allowed = true,
            _ => {}
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::None
    }
}

fn statements(doc: &Value) -> Option<Vec<&Value>> {
    match doc.get("Statement")? {
        Value::Array(items) => items
            .iter()
            .all(Value::is_object)
            .then(|| items.iter().collect()),
        v @ Value::Object(_) => Some(vec![v]),
        _ => None,
    }
}

/// A string or a list of strings.
fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn principal_matches(v: Option<&Value>, p: &Principal) -> bool {
    let names = match v {
        Some(Value::String(s)) if s == "*" => return true,
        Some(Value::Object(o)) => strings(o.get("AWS")),
        _ => return false,
    };
    names.iter().any(|n| {
        *n == "*"
            || *n == p.arn
            || *n == p.account
            || *n == format!("arn:aws:iam::{}:root", p.account)
    })
}

/// `*` matches any run of characters, `?` any one.
fn wildcard(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if ignore_case {
        (
            pattern.to_lowercase().chars().collect(),
            text.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = "arn:aws:kinesis:us-east-1:111111111111:stream/s";

    fn bob() -> Principal {
        Principal::from_arn("arn:aws:iam::222222222222:user/bob").expect("arn")
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("kinesis:Get*", "kinesis:GetRecords", true));
        assert!(wildcard("KINESIS:put?ecord", "kinesis:PutRecord", true));
        assert!(!wildcard("kinesis:Put?ecord", "kinesis:PutRecords", true));
        assert!(wildcard("arn:aws:kinesis:*:*:stream/s*", STREAM, false));
        assert!(!wildcard("arn:aws:kinesis:*:*:stream/t*", STREAM, false));
        assert!(wildcard("*", "", false));
    }

    #[test]
    fn allow_deny_and_unsupported_parts() {
        let allow = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/bob"},"Action":["kinesis:Get*","kinesis:DescribeStreamSummary"],"Resource":"arn:aws:kinesis:us-east-1:111111111111:stream/s"}]}"#;
        assert_eq!(
            evaluate(allow, &bob(), "kinesis:GetRecords", STREAM),
            Decision::Allow
        );
        assert_eq!(
            evaluate(allow, &bob(), "kinesis:PutRecord", STREAM),
            Decision::None
        );
        let other = Principal::from_arn("arn:aws:iam::333333333333:user/eve").expect("arn");
        assert_eq!(
            evaluate(allow, &other, "kinesis:GetRecords", STREAM),
            Decision::None
        );
        let by_account = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":["222222222222"]},"Action":"kinesis:*"}}"#;
        assert_eq!(
            evaluate(by_account, &bob(), "kinesis:PutRecord", STREAM),
            Decision::Allow
        );
        let deny = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kinesis:*","Resource":"*"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"kinesis:PutRecord*","Resource":"*"}]}"#;
        assert_eq!(
            evaluate(deny, &bob(), "kinesis:PutRecords", STREAM),
            Decision::Deny
        );
        assert_eq!(
            evaluate(deny, &bob(), "kinesis:GetRecords", STREAM),
            Decision::Allow
        );
        // A Condition is not understood: never an Allow, still a Deny.
        let cond_allow = r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kinesis:*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}"#;
        assert_eq!(
            evaluate(cond_allow, &bob(), "kinesis:GetRecords", STREAM),
            Decision::None
        );
        let cond_deny = cond_allow.replace("Allow", "Deny");
        assert_eq!(
            evaluate(&cond_deny, &bob(), "kinesis:GetRecords", STREAM),
            Decision::Deny
        );
    }

    #[test]
    fn validation() {
        assert!(validate("nope").is_err());
        assert!(validate(r#"{"Statement":[]}"#).is_err());
        assert!(
            validate(r#"{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"kinesis:*"}]}"#)
                .is_err()
        );
        assert!(validate(r#"{"Statement":[{"Effect":"Allow","Action":"kinesis:*"}]}"#).is_err());
        assert!(validate(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kinesis:*"}]}"#).is_ok());
        assert!(Principal::from_arn("arn:aws:iam::12:user/x").is_none());
        assert_eq!(
            Principal::from_arn("arn:aws:sts::123456789012:assumed-role/r/s")
                .map(|p| p.account)
                .as_deref(),
            Some("123456789012")
        );
    }
}
