//! Fuzzes the binding decoder (`saml::binding::decode_redirect`, `decode_post`,
//! `inflate_capped`): base64 with its tolerated reshaping, DEFLATE detection and inflation,
//! and the size caps. The input is tried as a `SAMLRequest` value, as the bytes behind valid
//! base64, as a message to round-trip (deflated at every level, or plain), and appended to a stream
//! that has already inflated to just under the cap.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use flate2::{Compress, Compression, FlushCompress};
use fuzz_common::{
    decode_checked, decode_value, is_xml_start, through_plain, through_redirect, variant,
};
use libfuzzer_sys::fuzz_target;
use pureconnect_idp::saml::binding::{
    decode_redirect, encode_redirect, inflate_capped, BindingError, Encoding, MAX_INFLATED,
};
use std::sync::LazyLock;

/// How much the prefix below inflates to: 64 bytes short of the cap.
const NEAR_CAP_LEN: usize = MAX_INFLATED - 64;

/// Raw DEFLATE of `NEAR_CAP_LEN` spaces, not final and flushed to a byte boundary so that any
/// bytes appended continue the stream.
static NEAR_CAP: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let mut c = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(4096);
    c.compress_vec(&vec![b' '; NEAR_CAP_LEN], &mut out, FlushCompress::Sync)
        .expect("compressing");
    out
});

fuzz_target!(|data: &[u8]| {
    let v = variant(data);

    // The bytes as the parameter value an attacker controls, by both bindings.
    let _ = decode_value(&String::from_utf8_lossy(data));

    // The bytes behind valid base64: reaches the XML sniffing and the inflater directly.
    let _ = decode_checked(&STANDARD.encode(data));
    if is_xml_start(data) {
        // Taken for XML above, so inflate them here.
        match inflate_capped(data) {
            Ok(out) => assert!(out.len() <= MAX_INFLATED),
            Err(e) => assert!(
                matches!(e, BindingError::NotDeflate | BindingError::InflatedTooLarge),
                "{e:?}"
            ),
        }
    }

    // The bytes as a message: what an SP (at any level) or we (`encode_redirect`, level 6)
    // deflate must decode to the same text, and so must plain base64 of XML.
    if let Ok(text) = std::str::from_utf8(data) {
        if v % 10 == 6 {
            assert_eq!(
                decode_redirect(&encode_redirect(text)),
                Ok((text.to_string(), Encoding::Deflated))
            );
        } else {
            through_redirect(text, v);
        }
        through_plain(text, v);
    }

    // At the cap: a stream that already inflated to just under the cap, continued by the
    // input, is accepted only while the total stays within the cap.
    if let Some(tail) = data.strip_prefix(b"B") {
        let stream = [&NEAR_CAP[..], tail].concat();
        match decode_checked(&STANDARD.encode(&stream)) {
            Ok((xml, Encoding::Deflated)) => {
                assert!(xml.len() >= NEAR_CAP_LEN);
                assert!(xml.bytes().take(NEAR_CAP_LEN).all(|b| b == b' '));
            }
            Ok((_, Encoding::Plain)) => panic!("a DEFLATE stream taken for XML"),
            Err(e) => assert!(
                matches!(
                    e,
                    BindingError::InflatedTooLarge
                        | BindingError::NotDeflate
                        | BindingError::NotUtf8
                ),
                "{e:?}"
            ),
        }
    }
});
