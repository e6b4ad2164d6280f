//! Choosing the language of a page for a request.
//!
//! Owns the order of choice — an explicit pick (cookie or form field), then `Accept-Language`
//! by q-value with RFC 4647 lookup and our fallbacks for related languages, then the
//! configured default — and tolerance of malformed headers (they are ignored, never an error).

use super::Lang;

/// Related languages and variants that have no catalog of their own, and the catalog that
/// serves them. Checked at each step of RFC 4647 truncation, after an exact match.
const FALLBACKS: &[(&str, &str)] = &[
    ("pt", "pt-BR"),
    ("zh-hk", "zh-TW"),
    ("zh-mo", "zh-TW"),
    ("zh-hant", "zh-TW"),
    ("zh-sg", "zh-CN"),
    ("zh-hans", "zh-CN"),
    ("zh", "zh-CN"),
    ("nn", "nb"),
    ("no", "nb"),
    ("en", "en-US"),
    ("iw", "he"),
];

/// RFC 4647 "lookup" of one language range against our catalogs.
pub fn lookup(range: &str) -> Option<Lang> {
    let range = range.trim().to_ascii_lowercase();
    if range.is_empty() || range == "*" || range.len() > 64 {
        return None;
    }
    if !range
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    let mut cur = range.replace('_', "-");
    loop {
        if let Some(l) = Lang::from_tag(&cur) {
            return Some(l);
        }
        if let Some((_, to)) = FALLBACKS.iter().find(|(from, _)| *from == cur) {
            return Lang::from_tag(to);
        }
        match cur.rfind('-') {
            Some(i) => {
                cur.truncate(i);
                // Drop a dangling single-letter extension marker, as RFC 4647 says.
                if cur.len() >= 2 && cur.as_bytes()[cur.len() - 2] == b'-' {
                    cur.truncate(cur.len() - 2);
                }
            }
            None => return None,
        }
    }
}

/// Parses `Accept-Language` into ranges ordered by q-value (ties keep header order); entries
/// that do not parse are skipped.
pub fn ranges(header: &str) -> Vec<String> {
    let mut v: Vec<(u16, usize, String)> = Vec::new();
    for (i, part) in header.split(',').take(32).enumerate() {
        let mut bits = part.split(';');
        let tag = bits.next().unwrap_or("").trim();
        if tag.is_empty() {
            continue;
        }
        let mut q: u16 = 1000;
        for p in bits {
            let p = p.trim();
            if let Some(val) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                q = match val.trim().parse::<f32>() {
                    Ok(f) if (0.0..=1.0).contains(&f) => (f * 1000.0).round() as u16,
                    _ => 0,
                };
            }
        }
        if q > 0 {
            v.push((q, i, tag.to_string()));
        }
    }
    v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    v.into_iter().map(|(_, _, t)| t).collect()
}

/// The language for a request: `picked` (from the picker or its cookie), then the header,
/// then `default`.
pub fn negotiate(picked: Option<&str>, accept_language: Option<&str>, default: Lang) -> Lang {
    if let Some(l) = picked.and_then(Lang::from_tag) {
        return l;
    }
    if let Some(h) = accept_language {
        for r in ranges(h) {
            if let Some(l) = lookup(&r) {
                return l;
            }
        }
    }
    default
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_without_panicking() {
        let d = Lang::default();
        assert_eq!(negotiate(None, Some("en-GB,en;q=0.8"), d).tag(), "en-US");
        assert_eq!(negotiate(None, Some(";;;,q=7,\u{0}"), d), d);
        assert_eq!(negotiate(None, Some("fi, th;q=0.9"), d), d);
        assert_eq!(negotiate(Some("xx"), None, d), d);
    }

    #[test]
    fn ranges_order_by_q() {
        assert_eq!(
            ranges("da, en-gb;q=0.8, en;q=0.7, de;q=0.9, fr;q=0"),
            vec!["da", "de", "en-gb", "en"]
        );
        assert_eq!(ranges("de;q=abc, ja"), vec!["ja"]);
    }
}
