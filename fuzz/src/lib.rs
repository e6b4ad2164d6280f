//! Helpers shared by the fuzz targets: putting a message through the HTTP-Redirect binding
//! the way an SP would (raw DEFLATE, base64, sometimes line-wrapped or with `+` turned into a
//! space by a sloppy URL decoder) and checking that the IdP's decoder gives back exactly what
//! went in. Nothing here decides what the IdP accepts; it only states the binding's contract.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use flate2::{Compress, Compression, FlushCompress, Status};
use pureconnect_idp::saml::binding::{
    decode_post, decode_redirect, BindingError, Encoding, MAX_ENCODED, MAX_INFLATED,
};
use std::cell::RefCell;

thread_local! {
    /// One compressor per level, reset between uses: making a new one per input costs more
    /// than the code under test.
    static COMPRESSORS: RefCell<Vec<Compress>> =
        RefCell::new((0..10).map(|l| Compress::new(Compression::new(l), false)).collect());
}

/// Raw DEFLATE (no zlib header) at the given level (0-9), as SPs send it.
pub fn deflate(data: &[u8], level: u32) -> Vec<u8> {
    COMPRESSORS.with_borrow_mut(|all| {
        let c = &mut all[level.min(9) as usize];
        c.reset();
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        loop {
            let done = usize::try_from(c.total_in()).expect("fits");
            match c.compress_vec(&data[done..], &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return out,
                Ok(_) => out.reserve(out.capacity().max(256)),
                Err(e) => panic!("compressing: {e}"),
            }
        }
    })
}

/// What the binding's contract says is plain XML: optional UTF-8 BOM, ASCII white space, `<`.
pub fn is_xml_start(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'<')
}

/// The ways an SP's encoder or a proxy may reshape a base64 value on its way to us.
pub fn reshape(b64: &str, how: u8) -> String {
    match how % 3 {
        0 => b64.to_string(),
        // MIME-style line wrapping, as POSTed values often have.
        1 => b64
            .as_bytes()
            .chunks(76)
            .map(|c| format!("{}\r\n", String::from_utf8_lossy(c)))
            .collect(),
        // `+` decoded to a space by form decoding that should not have happened.
        _ => b64.replace('+', " "),
    }
}

/// `decode_redirect` with the checks that hold for any value: the size caps, and that what is
/// taken for plain XML starts like XML.
pub fn decode_checked(value: &str) -> Result<(String, Encoding), BindingError> {
    let r = decode_redirect(value);
    if value.len() > MAX_ENCODED {
        assert_eq!(r, Err(BindingError::EncodedTooLarge));
    }
    if let Ok((xml, enc)) = &r {
        assert!(xml.len() <= MAX_INFLATED, "decoded {} bytes", xml.len());
        if *enc == Encoding::Plain {
            assert!(is_xml_start(xml.as_bytes()), "plain but not XML: {xml:?}");
        }
    }
    r
}

/// [`decode_checked`], and `decode_post` must agree with it.
pub fn decode_value(value: &str) -> Result<(String, Encoding), BindingError> {
    let r = decode_checked(value);
    match (&r, decode_post(value)) {
        (Ok((x, _)), Ok(y)) => assert_eq!(*x, y),
        (Err(a), Err(b)) => assert_eq!(*a, b),
        (a, b) => panic!("redirect {a:?}, post {b:?}"),
    }
    r
}

/// Sends `xml` through the binding (deflated at a level and reshaped as `variant` picks) and
/// checks it comes back unchanged. Returns the decoded text, or `None` when the message is
/// over a cap (then the decoder must say so).
pub fn through_redirect(xml: &str, variant: u8) -> Option<String> {
    let level = u32::from(variant % 10);
    let b64 = STANDARD.encode(deflate(xml.as_bytes(), level));
    let value = reshape(&b64, variant / 10);
    let r = decode_checked(&value);
    if value.len() > MAX_ENCODED {
        assert_eq!(r, Err(BindingError::EncodedTooLarge));
        return None;
    }
    if xml.len() > MAX_INFLATED {
        assert_eq!(r, Err(BindingError::InflatedTooLarge));
        return None;
    }
    assert_eq!(
        r,
        Ok((xml.to_string(), Encoding::Deflated)),
        "deflated at level {level}, reshaped {}",
        variant / 10
    );
    r.ok().map(|(x, _)| x)
}

/// Sends `xml` through the binding uncompressed (compression off at the SP); it must come
/// back unchanged when it starts like XML.
pub fn through_plain(xml: &str, variant: u8) -> Option<String> {
    let value = reshape(&STANDARD.encode(xml), variant);
    let r = decode_checked(&value);
    if value.len() > MAX_ENCODED {
        assert_eq!(r, Err(BindingError::EncodedTooLarge));
        return None;
    }
    if !is_xml_start(xml.as_bytes()) {
        return None;
    }
    assert_eq!(r, Ok((xml.to_string(), Encoding::Plain)));
    r.ok().map(|(x, _)| x)
}

/// A byte of the input that picks a variant, so the same input always takes the same path.
pub fn variant(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |a, b| a.wrapping_add(*b))
}

/// The parser targets' common body: `parse` must decide the same on the input as XML text and
/// on it after the HTTP-Redirect binding (deflated, and plain base64), and must not panic on
/// the input taken as the `SAMLRequest` value itself.
pub fn same_behind_the_binding<T: PartialEq + std::fmt::Debug>(
    data: &[u8],
    parse: impl Fn(&str) -> T,
) {
    let v = variant(data);
    let xml = String::from_utf8_lossy(data);
    let direct = parse(&xml);
    // binding_decode tries every DEFLATE level; here stored or fast keeps the parser busy.
    if let Some(decoded) = through_redirect(&xml, v / 10 * 10 + v % 2) {
        assert_eq!(parse(&decoded), direct);
    }
    if let Some(decoded) = through_plain(&xml, v) {
        assert_eq!(parse(&decoded), direct);
    }
    if let Ok((decoded, _)) = decode_checked(&xml) {
        let _ = parse(&decoded);
    }
}

/// The protocol checks (`saml::inbound::check_protocol`) on an accepted request: they never
/// panic, a request is never stale at its own IssueInstant, and a Destination that is a URL
/// matches itself.
pub fn protocol_checks_hold<M: pureconnect_idp::saml::inbound::Message>(req: &M, ours: &str) {
    use pureconnect_idp::saml::inbound::{check_protocol, Expect, InboundError};
    let skew = std::time::Duration::from_secs(300);
    let at = |now, endpoint| Expect {
        now,
        skew,
        endpoint,
    };
    let _ = check_protocol(req, &at(chrono::Utc::now(), ours), true);
    match check_protocol(req, &at(req.issue_instant(), ours), false) {
        Ok(()) | Err(InboundError::Destination(_)) => {}
        Err(e) if req.not_on_or_after().is_some() => drop(e),
        Err(e) => panic!("at its own instant: {e:?}"),
    }
    if let Some(d) = req.destination() {
        if url::Url::parse(d).is_ok() && req.not_on_or_after().is_none() {
            assert_eq!(check_protocol(req, &at(req.issue_instant(), d), true), Ok(()));
        }
    }
}
