//! The public-base check: fetched from this machine through each configured public base
//! (`server.public_base_url`, then the alternates), the metadata must be ours — the same
//! entityID, exactly the certificates we publish (SHA-256 fingerprints), its login location
//! under that base — and must have been made with the proxy's `ININ-REMAP-BASE-URL` (the
//! metadata names the rule that chose its base). That proves the proxy reaches this server,
//! strips the prefix, and sends the remap header from an address the server trusts.

use super::{Check, Context, Line};
use crate::keys::folder;
use crate::web::metadata::BASE_SOURCE_HEADER;
use crate::web::origin::BaseSource;
use crate::web::state::METADATA_PATH;
use openssl::hash::MessageDigest;
use openssl::x509::X509;
use secrecy::ExposeSecret;
use std::collections::BTreeSet;
use std::str::FromStr;

pub struct Metadata;

/// What a fetched metadata document says.
pub struct Seen {
    pub entity_id: String,
    pub sso_locations: Vec<String>,
    pub fingerprints: BTreeSet<String>,
}

fn fingerprint(c: &X509) -> Result<String, String> {
    let d = c
        .digest(MessageDigest::sha256())
        .map_err(|e| e.to_string())?;
    Ok(d.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":"))
}

/// Reads an IdP metadata document (no DOCTYPE).
pub fn read(xml: &str) -> Result<Seen, String> {
    if xml.contains("<!DOCTYPE") {
        return Err("the answer has a DOCTYPE".into());
    }
    let ed = samael::metadata::EntityDescriptor::from_str(xml)
        .map_err(|e| format!("the answer is not SAML metadata: {e}"))?;
    let entity_id = ed.entity_id.clone().ok_or("the metadata has no entityID")?;
    let idps: Vec<_> = ed.idp_sso_descriptors.iter().flatten().collect();
    if idps.is_empty() {
        return Err("the metadata has no IDPSSODescriptor".into());
    }
    let sso_locations = idps
        .iter()
        .flat_map(|d| d.single_sign_on_services.iter())
        .map(|e| e.location.clone())
        .collect();
    let mut fingerprints = BTreeSet::new();
    for kd in idps.iter().flat_map(|d| d.key_descriptors.iter()) {
        if kd.key_use.as_deref().is_some_and(|u| u != "signing") {
            continue;
        }
        for b64 in kd.key_info.x509_data.iter().flat_map(|x| &x.certificates) {
            let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
            let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, clean)
                .map_err(|_| "a certificate in the metadata is not base64".to_string())?;
            let cert = X509::from_der(&der)
                .map_err(|_| "a certificate in the metadata is not X.509".to_string())?;
            fingerprints.insert(fingerprint(&cert)?);
        }
    }
    Ok(Seen {
        entity_id,
        sso_locations,
        fingerprints,
    })
}

/// Ours: the Issuer and the fingerprints of the certificates we publish.
fn ours(cx: &Context) -> Result<(String, BTreeSet<String>), String> {
    let issuer = cx.cfg.issuer().map_err(|e| e.to_string())?;
    let pw = crate::keys::password::from_config(&cx.cfg).map_err(|e| e.to_string())?;
    let pw = pw.as_ref().map(|p| p.expose_secret().to_vec());
    let set = folder::read_set(&cx.cfg.idp.certs_dir, pw.as_deref()).map_err(|e| e.to_string())?;
    let fps = set
        .published()
        .map(|k| k.info.sha256.clone())
        .collect::<BTreeSet<_>>();
    Ok((issuer, fps))
}

async fn one(cx: &Context, base: &str, issuer: &str, fps: &BTreeSet<String>) -> Line {
    const C: &str = "public_base";
    let url = format!("{base}{METADATA_PATH}");
    let tried = cx.fetch.tried(&url);
    let proxy_fix = "Check the proxy in front of this server against nginx-example.conf (its address in server.trusted_proxies, the prefix rewrite, proxy_pass to this server).";
    let r = match cx.fetch.get(&cx.fetch.public, &url).await {
        Ok(a) => a.response,
        Err(e) => {
            return Line::fail(C, format!("{url} cannot be fetched: {e}"), proxy_fix).tried(tried)
        }
    };
    let status = r.status();
    let source = r
        .headers()
        .get(BASE_SOURCE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match r.text().await {
        Ok(b) if status.is_success() => b,
        Ok(_) => {
            return Line::fail(
                C,
                format!("{url} answered HTTP {}", status.as_u16()),
                proxy_fix,
            )
            .tried(tried)
        }
        Err(e) => {
            return Line::fail(C, format!("{url}: {}", cx.fetch.explain(&e)), proxy_fix)
                .tried(tried)
        }
    };
    let seen = match read(&body) {
        Ok(s) => s,
        Err(m) => {
            return Line::fail(C, format!("{url} is not our metadata: {m}"), proxy_fix).tried(tried)
        }
    };
    let fail = |summary: String, fix: &str| Line::fail(C, summary, fix).tried(tried.clone());
    if seen.entity_id != issuer {
        return fail(
            format!(
                "{url} serves the metadata of `{}`, not ours (`{issuer}`)",
                seen.entity_id
            ),
            "Point the proxy at this server (proxy_pass / upstream), or run doctor with the configuration that server uses.",
        );
    }
    if seen.fingerprints != *fps {
        let other: Vec<&String> = seen.fingerprints.difference(fps).collect();
        let missing: Vec<&String> = fps.difference(&seen.fingerprints).collect();
        return fail(
            format!(
                "{url} publishes other certificates than ours (there, not here: {other:?}; here, not there: {missing:?})",
            ),
            "Give every server behind the proxy the same signing folder (certs_dir/signing), then reload them (SIGHUP).",
        );
    }
    let prefix = format!("{base}/");
    if let Some(bad) = seen.sso_locations.iter().find(|l| !l.starts_with(&prefix)) {
        return fail(
            format!("{url} names the login location {bad}, which is not under {base}"),
            "Make the proxy send ININ-REMAP-BASE-URL with exactly this base, as nginx-example.conf does.",
        );
    }
    if source.as_deref() != Some(BaseSource::Remap.as_str()) {
        return fail(
            format!(
                "{url} was answered without a remap header the server believes (its base came from {})",
                source.as_deref().unwrap_or("an unknown rule")
            ),
            "Make the proxy set ININ-REMAP-BASE-URL to this base (nginx-example.conf) and list its address in server.trusted_proxies.",
        );
    }
    Line::pass(
        C,
        format!(
            "{url} serves our metadata through the proxy: entityID {issuer}, {} certificate(s), remap header in force",
            fps.len()
        ),
    )
    .tried(tried)
}

#[async_trait::async_trait]
impl Check for Metadata {
    async fn run(&self, cx: &Context) -> Vec<Line> {
        const C: &str = "public_base";
        let s = &cx.cfg.server;
        let Some(primary) = &s.public_base_url else {
            return vec![Line::fail(
                C,
                "server.public_base_url is not set, so the public address cannot be checked",
                "Set server.public_base_url to the address Genesys Cloud sends users to (e.g. https://sso.example.com/PureConnect).",
            )];
        };
        let (issuer, fps) = match ours(cx) {
            Ok(o) => o,
            Err(m) => {
                return vec![Line::fail(
                    C,
                    format!("the public base cannot be compared with our metadata: {m}"),
                    "Fix the configuration and the signing folder first (see the lines above).",
                )]
            }
        };
        let mut out = Vec::new();
        for base in std::iter::once(primary).chain(&s.alternate_public_base_urls) {
            let base = base.as_str();
            out.push(one(cx, base, &issuer, &fps).await);
        }
        out
    }
}
