//! The configuration and SP file checks, and the command itself: a configuration that does
//! not load is one ✗ with the loader's message; an SP metadata file that does not parse
//! fails, one that does passes; the exit status and `--json`.

use super::*;
use std::process::Command;

const SP_METADATA: &str = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="urn:test:from-file">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.test/from-file/acs" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>"#;

#[tokio::test]
async fn a_configuration_that_does_not_load_is_one_failure_with_the_loaders_message() {
    let fx = Fixture::new();
    let file = write_config(&fx, "listen = \"nowhere\"", "", "", "");
    let r = run(&file).await;
    assert_eq!(r.checks.len(), 1, "{}", doctor::report::text(&r));
    let l = only(&r, "config", Status::Fail);
    assert!(l.summary.contains("server.listen"), "{}", l.summary);
}

#[tokio::test]
async fn an_sp_metadata_file_that_does_not_parse_fails_and_one_that_does_passes() {
    let fx = Fixture::new();
    let md = fx.path().join("sp.xml");
    std::fs::write(&md, SP_METADATA).unwrap();
    let tail = format!(
        "[[service_providers]]\nmetadata_file = \"{}\"\n",
        md.display()
    );
    let file = write_config(&fx, "", "", "", &tail);
    let l = only(&run(&file).await, "sp.files", Status::Pass);
    assert!(l.summary.contains("urn:test:from-file"), "{}", l.summary);
    std::fs::write(&md, &SP_METADATA[..SP_METADATA.len() / 2]).unwrap();
    let l = only(&run(&file).await, "sp.files", Status::Fail);
    assert!(l.summary.contains("does not parse"), "{}", l.summary);
}

#[test]
fn the_command_exits_non_zero_on_a_failure_and_json_carries_every_line() {
    let fx = Fixture::new();
    // No public base: that check fails, the rest pass.
    let file = write_config(&fx, "", "", "", "");
    let out = Command::new(env!("CARGO_BIN_EXE_pureconnect-idp"))
        .args(["doctor", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("✓ the configuration loads"), "{text}");
    assert!(
        text.contains("✗ server.public_base_url is not set"),
        "{text}"
    );
    assert!(
        text.contains("    fix: Set server.public_base_url"),
        "{text}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_pureconnect-idp"))
        .args(["doctor", "--json", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let checks = v["checks"].as_array().unwrap();
    assert!(checks
        .iter()
        .any(|c| c["check"] == "public_base" && c["status"] == "fail" && c["fix"].is_string()));
    assert!(checks
        .iter()
        .any(|c| c["check"] == "keys.match" && c["status"] == "pass" && c["fix"].is_null()));
}
