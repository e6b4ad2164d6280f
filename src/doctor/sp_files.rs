//! The SP files check: every `service_providers[].metadata_file` parses as SAML metadata of an
//! SP (`sp::import`, the reader the server uses), and every `certificate_file` holds PEM
//! certificates.

use super::{Check, Context, Line};
use crate::sp::import::{certs_from_pem, read_metadata};

pub struct SpMetadata;

#[async_trait::async_trait]
impl Check for SpMetadata {
    async fn run(&self, cx: &Context) -> Vec<Line> {
        const C: &str = "sp.files";
        let mut out = Vec::new();
        for (i, sp) in cx.cfg.service_providers.iter().enumerate() {
            if let Some(p) = &sp.metadata_file {
                let key = format!("service_providers[{i}].metadata_file");
                out.push(match read_metadata(p) {
                    Ok(m) => Line::pass(
                        C,
                        format!(
                            "{key} ({}) parses: entityID {}, {} ACS URL(s)",
                            p.display(),
                            m.entity_id,
                            m.acs_urls.len()
                        ),
                    ),
                    Err(e) => Line::fail(
                        C,
                        format!("{key} ({}) does not parse: {e}", p.display()),
                        "Download the SP's metadata again (Genesys Cloud: Admin > Single Sign-on) and save it unchanged.",
                    ),
                });
            }
            if let Some(p) = &sp.certificate_file {
                let key = format!("service_providers[{i}].certificate_file");
                let r = std::fs::read(p)
                    .map_err(|e| e.to_string())
                    .and_then(|b| certs_from_pem(&b));
                out.push(match r {
                    Ok(c) => Line::pass(
                        C,
                        format!("{key} ({}) holds {} certificate(s)", p.display(), c.len()),
                    ),
                    Err(e) => Line::fail(
                        C,
                        format!("{key} ({}) cannot be used: {e}", p.display()),
                        "Save the SP's signing certificate there as PEM (-----BEGIN CERTIFICATE-----).",
                    ),
                });
            }
        }
        out
    }
}
