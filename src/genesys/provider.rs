//! The PureConnect (CIC) provider object of the Genesys Cloud API, as JSON: which
//! certificates it holds, how it differs from what we would write, and the object to `PUT`.
//!
//! Owns comparing and merging only. Fields are those of the API reference's
//! `CustomerInteractionCenter` model; fields we do not manage (and any Genesys Cloud adds
//! later) are kept as they are when we write. Certificates are compared by their DER bytes,
//! whatever form (PEM, base64 with or without line breaks) Genesys Cloud returns them in.

use base64::Engine;
use openssl::x509::X509;
use serde_json::{Map, Value};

/// Fields Genesys Cloud sets itself: never part of a diff.
const READ_ONLY: &[&str] = &["id", "selfUri"];

/// One certificate: our pair's name (when it is one of ours) and its DER as base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cert {
    pub name: Option<String>,
    pub b64: String,
}

impl Cert {
    /// `name (CN …, sha256 ab:cd…)` for output.
    pub fn describe(&self) -> String {
        let (cn, fp) = summary(&self.b64);
        match &self.name {
            Some(n) => format!("`{n}` ({cn}, sha256 {fp})"),
            None => format!("a certificate not in our folder ({cn}, sha256 {fp})"),
        }
    }
}

/// The canonical form of a certificate as Genesys Cloud may hold it: base64 of its DER, no
/// line breaks. `None` when it is not a certificate.
pub fn canonical(text: &str) -> Option<String> {
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    X509::from_der(&der).ok()?;
    Some(base64::engine::general_purpose::STANDARD.encode(der))
}

/// Subject CN and a short SHA-256 fingerprint.
fn summary(b64: &str) -> (String, String) {
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap_or_default();
    let cert = X509::from_der(&der).ok();
    let cn = cert
        .as_ref()
        .and_then(|c| {
            c.subject_name()
                .entries_by_nid(openssl::nid::Nid::COMMONNAME)
                .next()
                .and_then(|e| e.data().to_string().ok().map(|s| format!("CN={s}")))
        })
        .unwrap_or_else(|| "no CN".into());
    let fp = openssl::sha::sha256(&der)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":");
    (cn, format!("{fp}…"))
}

/// The certificates the provider holds (`certificates`, or the older single `certificate`),
/// canonical, in its order; text that is not a certificate is kept as it is.
pub fn held(provider: &Value) -> Vec<String> {
    let list: Vec<&str> = match provider["certificates"].as_array() {
        Some(a) if !a.is_empty() => a.iter().filter_map(Value::as_str).collect(),
        _ => provider["certificate"].as_str().into_iter().collect(),
    };
    list.into_iter()
        .map(|c| canonical(c).unwrap_or_else(|| c.to_string()))
        .collect()
}

/// Whether the provider holds exactly these certificates (in any order).
pub fn holds_exactly(provider: &Value, certs: &[Cert]) -> bool {
    let mut have = held(provider);
    let mut want: Vec<String> = certs.iter().map(|c| c.b64.clone()).collect();
    have.sort();
    have.dedup();
    want.sort();
    want.dedup();
    have == want
}

pub fn holds(provider: &Value, b64: &str) -> bool {
    held(provider).iter().any(|h| h == b64)
}

/// `current` with `desired`'s fields written over it and the certificate list set to
/// `certs` (the active one first, also in the single `certificate` field).
pub fn merged(current: Option<&Value>, desired: &Map<String, Value>, certs: &[Cert]) -> Value {
    let mut out = current
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (k, v) in desired {
        out.insert(k.clone(), v.clone());
    }
    let list: Vec<Value> = certs.iter().map(|c| Value::String(c.b64.clone())).collect();
    out.insert(
        "certificate".into(),
        list.first().cloned().unwrap_or(Value::Null),
    );
    out.insert("certificates".into(), Value::Array(list));
    Value::Object(out)
}

/// One line per difference between what Genesys Cloud holds and what we would write:
/// `field: "old" -> "new"`, then `+ certificate` and `- certificate` lines (named from
/// `known`, our folder's pairs, when one is ours).
pub fn diff(
    current: Option<&Value>,
    desired: &Map<String, Value>,
    certs: &[Cert],
    known: &[Cert],
) -> Vec<String> {
    let mut lines = Vec::new();
    let empty = Value::Null;
    for (k, want) in desired {
        if READ_ONLY.contains(&k.as_str()) || k == "certificate" || k == "certificates" {
            continue;
        }
        let have = current.map(|c| &c[k]).unwrap_or(&empty);
        if have != want {
            lines.push(format!("  {k}: {} -> {}", short(have), short(want)));
        }
    }
    let have = current.map(held).unwrap_or_default();
    for c in certs {
        if !have.contains(&c.b64) {
            lines.push(format!("+ certificate {}", c.describe()));
        }
    }
    for h in &have {
        if !certs.iter().any(|c| &c.b64 == h) {
            let gone = known.iter().find(|k| &k.b64 == h).cloned().unwrap_or(Cert {
                name: None,
                b64: h.clone(),
            });
            lines.push(format!("- certificate {}", gone.describe()));
        }
    }
    lines
}

fn short(v: &Value) -> String {
    match v {
        Value::Null => "(not set)".into(),
        v => {
            let s = v.to_string();
            if s.chars().count() > 120 {
                format!("{}…", s.chars().take(120).collect::<String>())
            } else {
                s
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cert(cn: &str) -> (String, String) {
        let p = crate::keys::generate::self_signed(cn, 2048, 30, &[]).unwrap();
        let pem = String::from_utf8(p.cert_pem).unwrap();
        let b64 = canonical(&pem).unwrap();
        (pem, b64)
    }

    #[test]
    fn certificates_compare_by_der_whatever_form_genesys_returns() {
        let (pem, b64) = cert("a");
        let wrapped: String = b64
            .as_bytes()
            .chunks(64)
            .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
            .collect();
        assert_eq!(canonical(&wrapped).as_deref(), Some(b64.as_str()));
        assert_eq!(canonical("not a certificate"), None);
        // The older single field counts when the list is missing or empty.
        let p = json!({"certificate": pem, "certificates": []});
        assert_eq!(held(&p), [b64.as_str()]);
        let ours = [Cert {
            name: Some("a".into()),
            b64: b64.clone(),
        }];
        assert!(holds_exactly(&p, &ours));
        assert!(!holds_exactly(&json!({}), &ours));
    }

    #[test]
    fn the_diff_names_fields_and_certificates_and_the_merge_keeps_other_fields() {
        let (_, a) = cert("a");
        let (_, b) = cert("stray");
        let current =
            json!({"id": "x", "name": "Old", "logoImageData": "L", "certificates": [a, b]});
        let mut fields = Map::new();
        fields.insert("name".into(), json!("PureConnect"));
        let ours = [Cert {
            name: Some("idp".into()),
            b64: a.clone(),
        }];
        let lines = diff(Some(&current), &fields, &ours, &ours);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0], "  name: \"Old\" -> \"PureConnect\"");
        assert!(lines[1].starts_with("- certificate a certificate not in our folder (CN=stray"));
        let m = merged(Some(&current), &fields, &ours);
        assert_eq!(m["logoImageData"], "L");
        assert_eq!(m["id"], "x");
        assert_eq!(m["certificates"], json!([a]));
        assert_eq!(m["certificate"], json!(a));
        assert!(diff(Some(&m), &fields, &ours, &ours).is_empty());
    }
}
