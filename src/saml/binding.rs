//! SAML bindings on the way in and out: base64, DEFLATE, and their limits.
//!
//! Owns turning a `SAMLRequest` parameter (HTTP-Redirect: base64 of raw DEFLATE, or plain
//! base64 when the SP's compression is off; HTTP-POST: base64) into XML text, with the size
//! caps enforced while decoding so that a deflate bomb stops at the cap with bounded memory,
//! and the reverse for messages we send by redirect. No HTTP and no XML parsing here.

use crate::memo::{self, Slot};
use base64::alphabet::STANDARD;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use flate2::{Decompress, FlushDecompress, Status};
use std::cell::RefCell;
use thiserror::Error;

/// The largest encoded `SAMLRequest` accepted.
pub const MAX_ENCODED: usize = 64 * 1024;
/// The largest XML accepted after inflating.
pub const MAX_INFLATED: usize = 256 * 1024;

const B64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Debug, Error, PartialEq, Eq)]
pub enum BindingError {
    #[error("the SAML message is larger than {MAX_ENCODED} bytes")]
    EncodedTooLarge,
    #[error("the SAML message is not valid base64")]
    Base64,
    #[error("the SAML message inflates to more than {MAX_INFLATED} bytes")]
    InflatedTooLarge,
    #[error("the SAML message is neither XML nor DEFLATE-compressed XML")]
    NotDeflate,
    #[error("the SAML message is not UTF-8 text")]
    NotUtf8,
}

/// How a message arrived, recorded for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Deflated,
    Plain,
}

fn decode_base64(value: &str) -> Result<Vec<u8>, BindingError> {
    if value.len() > MAX_ENCODED {
        return Err(BindingError::EncodedTooLarge);
    }
    // Line breaks and spaces are common in POSTed values; '+' turned into ' ' by a sloppy
    // URL encoder is too. A value of nothing but the base64 alphabet (every Redirect from a
    // sound SP), which cleaning would leave as it is, is decoded without a cleaned copy.
    if value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        return B64.decode(value).map_err(|_| BindingError::Base64);
    }
    let cleaned: String = value
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n' | '\t'))
        .map(|c| if c == ' ' { '+' } else { c })
        .collect();
    B64.decode(cleaned.trim()).map_err(|_| BindingError::Base64)
}

fn looks_like_xml(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|&c| c == b'<')
}

thread_local! {
    /// This thread's inflater, reset for each message: its state (some 40 KiB) is made once
    /// per thread instead of once per request. One for every message: its key is `()`.
    static INFLATER: Slot<(), Decompress> = const { RefCell::new(None) };
}

/// Inflates raw DEFLATE data, refusing to produce more than [`MAX_INFLATED`] bytes: the output
/// never grows past one byte over the cap, whatever the input claims.
pub fn inflate_capped(data: &[u8]) -> Result<Vec<u8>, BindingError> {
    let fresh = |_: &()| Ok(Decompress::new(false));
    memo::with(&INFLATER, &(), fresh, |d| {
        d.reset(false);
        inflate_with(d, data)
    })
}

fn inflate_with(d: &mut Decompress, data: &[u8]) -> Result<Vec<u8>, BindingError> {
    let limit = MAX_INFLATED + 1;
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).clamp(1024, limit));
    loop {
        let (read, written) = (d.total_in(), d.total_out());
        let rest = data
            .get(usize::try_from(read).unwrap_or(usize::MAX)..)
            .unwrap_or_default();
        let status = d
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|_| BindingError::NotDeflate)?;
        if out.len() > MAX_INFLATED {
            return Err(BindingError::InflatedTooLarge);
        }
        if status == Status::StreamEnd {
            return Ok(out);
        }
        if out.len() == out.capacity() {
            out.reserve_exact(out.capacity().min(limit - out.len()));
        } else if d.total_in() == read && d.total_out() == written {
            // The input ended before the final block: what came out is all there is (the XML
            // parser refuses it if it is cut short).
            return Ok(out);
        }
    }
}

/// Decodes a `SAMLRequest`/`SAMLResponse` from the HTTP-Redirect binding. Compressed or not is
/// detected from the data, never guessed from configuration.
pub fn decode_redirect(value: &str) -> Result<(String, Encoding), BindingError> {
    let raw = decode_base64(value)?;
    let (xml, enc) = if looks_like_xml(&raw) {
        (raw, Encoding::Plain)
    } else {
        (inflate_capped(&raw)?, Encoding::Deflated)
    };
    if xml.len() > MAX_INFLATED {
        return Err(BindingError::InflatedTooLarge);
    }
    let text = String::from_utf8(xml).map_err(|_| BindingError::NotUtf8)?;
    Ok((text, enc))
}

/// Decodes a message from the HTTP-POST binding (base64, no compression; compressed data is
/// tolerated since some SPs send it).
pub fn decode_post(value: &str) -> Result<String, BindingError> {
    decode_redirect(value).map(|(xml, _)| xml)
}

/// Encodes XML for the HTTP-Redirect binding: raw DEFLATE, then base64.
pub fn encode_redirect(xml: &str) -> String {
    use flate2::write::DeflateEncoder;
    use std::io::Write;
    let mut enc = DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(xml.as_bytes());
    let bytes = enc.finish().unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Encodes XML for the HTTP-POST binding.
pub fn encode_post(xml: &str) -> String {
    // The one large base64 of every answer (the whole Response), so a SIMD encoder.
    base64_simd::STANDARD.encode_to_string(xml.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD as S;
    use std::time::Instant;

    const XML: &str = "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>";

    #[test]
    fn the_post_encoding_is_standard_base64_at_every_length() {
        // Lengths around the SIMD encoder's block sizes, and a Response-sized one, each
        // against the scalar encoder and back.
        let text: String = (0..9000u32)
            .map(|i| char::from(b' ' + (i.wrapping_mul(2_654_435_761) >> 25) as u8 % 95))
            .collect();
        for len in (0..200).chain([1023, 1024, 1025, 4095, 4096, 4097, 9000]) {
            let xml = &text[..len];
            let encoded = encode_post(xml);
            assert_eq!(encoded, S.encode(xml), "length {len}");
            assert_eq!(S.decode(&encoded).unwrap(), xml.as_bytes(), "length {len}");
        }
    }

    #[test]
    fn deflated_and_plain_are_both_accepted() {
        let (x, e) = decode_redirect(&encode_redirect(XML)).unwrap();
        assert_eq!((x.as_str(), e), (XML, Encoding::Deflated));
        let (x, e) = decode_redirect(&S.encode(XML)).unwrap();
        assert_eq!((x.as_str(), e), (XML, Encoding::Plain));
        // Line-wrapped POST values.
        let wrapped: String = S
            .encode(XML)
            .as_bytes()
            .chunks(20)
            .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
            .collect();
        assert_eq!(decode_post(&wrapped).unwrap(), XML);
    }

    #[test]
    fn a_clean_value_and_its_untidy_forms_decode_alike() {
        // A message whose base64 has a '+', so the sloppy-encoder form differs from it.
        let clean = (0..1000)
            .map(|i| encode_redirect(&format!("{XML}<!-- {i} -->")))
            .find(|v| v.contains('+'))
            .expect("some message encodes with a '+'");
        let want = decode_redirect(&clean).unwrap();
        let wrapped: String = clean
            .as_bytes()
            .chunks(7)
            .map(|c| format!("{}\r\n\t", std::str::from_utf8(c).unwrap()))
            .collect();
        for untidy in [clean.replace('+', " "), wrapped, format!("\r\n{clean}\r\n")] {
            assert_eq!(decode_redirect(&untidy).unwrap(), want, "{untidy:?}");
        }
        // Outside the alphabet: refused, clean or not.
        for bad in [format!("{clean}*"), format!("{clean}*\n")] {
            assert_eq!(decode_redirect(&bad), Err(BindingError::Base64), "{bad:?}");
        }
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(decode_redirect("%%%not base64"), Err(BindingError::Base64));
        assert_eq!(
            decode_redirect(&S.encode([0xffu8, 0x00, 0x13, 0x37])),
            Err(BindingError::NotDeflate)
        );
        assert_eq!(
            decode_redirect(&"A".repeat(MAX_ENCODED + 4)),
            Err(BindingError::EncodedTooLarge)
        );
    }

    #[test]
    fn deflate_bomb_stops_at_the_cap_quickly() {
        use flate2::write::DeflateEncoder;
        use std::io::Write;
        // DEFLATE tops out near 1000:1, so the largest bomb that fits under the encoded cap
        // inflates to about 48 MiB; 32 MiB of zeros is one. What matters is that decoding
        // stops at the cap.
        let mut enc = DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..32 {
            enc.write_all(&chunk).unwrap();
        }
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < MAX_ENCODED);
        let t = Instant::now();
        assert_eq!(
            decode_redirect(&S.encode(&bomb)),
            Err(BindingError::InflatedTooLarge)
        );
        // Generous for a loaded machine and a debug build.
        assert!(t.elapsed().as_secs() < 10);
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        use flate2::write::DeflateEncoder;
        use std::io::Write;
        let mut enc = DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn the_cap_is_exact_and_the_reused_inflater_forgets_each_message() {
        // Text that does not compress to nothing, so the output grows in several steps.
        let text: Vec<u8> = (0..MAX_INFLATED + 1)
            .map(|i| b"<a> xyz</a>\n"[i % 12] ^ ((i / 4096) as u8 & 1))
            .collect();
        let at_cap = &text[..MAX_INFLATED];
        assert_eq!(inflate_capped(&deflate(at_cap)).unwrap(), at_cap);
        assert_eq!(
            inflate_capped(&deflate(&text)),
            Err(BindingError::InflatedTooLarge)
        );
        // A corrupt message, then a good one on the same thread: nothing carries over.
        assert_eq!(
            inflate_capped(&[0xff, 0x00, 0x13, 0x37]),
            Err(BindingError::NotDeflate)
        );
        assert_eq!(
            inflate_capped(&deflate(XML.as_bytes())).unwrap(),
            XML.as_bytes()
        );
        // A stream cut short gives what it holds, which the XML parser then refuses.
        let whole = deflate(&text[..5000]);
        let cut = inflate_capped(&whole[..whole.len() / 2]).unwrap();
        assert!(cut.len() < 5000 && text.starts_with(&cut));
    }
}
