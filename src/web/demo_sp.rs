//! The built-in demo service provider: `/demo` starts a login, `/demo/acs` checks the answer.
//!
//! Owns a minimal SP that behaves like Genesys Cloud does (SP-initiated, deflated Redirect,
//! POST back to its ACS) so a new user can see the product work without Genesys Cloud, and
//! `selftest` can exercise a real deployment. The answer is checked by samael's service
//! provider code against the certificates our own metadata publishes — not by the code that
//! signed it. The request ID travels sealed in RelayState.

use super::language::page_for;
use super::origin::Origin;
use super::pages::{html, DemoResultPage, PageError};
use super::params::params;
use super::state::AppState;
use super::state::DEMO_PATH;
use crate::saml::authn_request;
use crate::saml::xml::new_id;
use crate::sp::{DEMO_ACS_PATH, DEMO_SP_ENTITY_ID};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::sync::Arc;

const RELAY_PURPOSE: &str = "pureconnect-idp/demo-relay/v1";

#[derive(Serialize, Deserialize)]
struct Relay {
    rid: String,
}

pub async fn start(
    State(state): State<Arc<AppState>>,
    origin: Origin,
    headers: HeaderMap,
) -> Response {
    let page = page_for(&state, Some(&origin), &headers, None);
    let rid = new_id();
    let sso = state.sso_url(&origin.base);
    let acs = origin.base.url(DEMO_ACS_PATH);
    let now = chrono::Utc::now();
    let xml = authn_request::sp_request(&rid, DEMO_SP_ENTITY_ID, now, &sso, &acs);
    let relay = match state.sealer.seal(RELAY_PURPOSE, &Relay { rid }) {
        Ok(r) => r,
        Err(e) => return PageError::internal(e).on(&page).into_response(),
    };
    let location = format!(
        "{sso}&{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("SAMLRequest", &crate::saml::binding::encode_redirect(&xml))
            .append_pair("RelayState", &relay)
            .finish()
    );
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
    )
        .into_response()
}

pub async fn acs(
    State(state): State<Arc<AppState>>,
    origin: Origin,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let page = page_for(&state, Some(&origin), &headers, None);
    let form = params(&body);
    let fail = |m: String| {
        PageError::bad_request(format!("demo application: {m}"))
            .again(Some(origin.base.url(DEMO_PATH)))
            .on(&page)
            .into_response()
    };
    let Some(resp) = form.get("SAMLResponse") else {
        return fail("no SAMLResponse was posted".into());
    };
    let relay: Relay = match form
        .get("RelayState")
        .map(|r| state.sealer.unseal(RELAY_PURPOSE, r, 600))
    {
        Some(Ok(r)) => r,
        _ => return fail("the RelayState is missing, expired or not ours".into()),
    };
    let metadata = crate::saml::metadata::idp_metadata(
        state.entity_id(),
        &state.sso_url(&origin.base),
        &state.slo_url(&origin.base),
        &state.keys.current(),
    );
    let idp = match samael::metadata::EntityDescriptor::from_str(&metadata) {
        Ok(m) => m,
        Err(e) => return fail(format!("our own metadata does not parse: {e}")),
    };
    let sp = samael::service_provider::ServiceProvider {
        entity_id: Some(DEMO_SP_ENTITY_ID.into()),
        acs_url: Some(origin.base.url(DEMO_ACS_PATH)),
        idp_metadata: idp,
        allowed_signature_algorithms: Some(vec![
            samael::crypto::AllowedSignatureAlgorithm::RsaSha256,
        ]),
        ..Default::default()
    };
    let resp = resp.clone();
    let rid = relay.rid.clone();
    let checked = tokio::task::spawn_blocking(move || {
        sp.parse_base64_response(&resp, Some(&[rid.as_str()]))
            .map_err(|e| e.to_string())
    })
    .await;
    let assertion = match checked {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => return fail(format!("the SAML Response was refused: {e}")),
        Err(e) => return fail(format!("checking failed: {e}")),
    };
    let name_id = assertion.subject.as_ref().and_then(|s| s.name_id.as_ref());
    let attributes = assertion
        .attribute_statements
        .iter()
        .flatten()
        .flat_map(|s| s.attributes.iter())
        .map(|a| {
            let values: Vec<String> = a.values.iter().filter_map(|v| v.value.clone()).collect();
            (a.name.clone().unwrap_or_default(), values.join(", "))
        })
        .collect();
    html(
        StatusCode::OK,
        &DemoResultPage {
            page,
            signature: "verified",
            name_id: name_id.map(|n| n.value.clone()).unwrap_or_default(),
            name_id_format: name_id.and_then(|n| n.format.clone()).unwrap_or_default(),
            attributes,
            again: origin.base.url(DEMO_PATH),
        },
    )
}
