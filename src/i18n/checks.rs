//! Tests of the catalogs themselves: complete, consistent, translated.
//!
//! Every catalog has exactly the reference catalog's keys, the same placeholders per key, no
//! empty value, and no value left identical to English except the reviewed exceptions below.
//! A plural message (`<key>.<category>`) is one message whatever its categories: each
//! catalog has exactly the CLDR categories of its language, each with the placeholders of
//! the reference's `other`.

use super::plural::{self, split_key};
use super::{catalogs, negotiate::negotiate, Catalog, Lang, REFERENCE};
use std::collections::{BTreeMap, BTreeSet};

/// (language, key) pairs where the English word is the right translation, reviewed by hand.
const SAME_AS_ENGLISH: &[(&str, &str)] = &[
    // "Password" is the usual Italian UI term.
    ("it", "login.password"),
    // "Error" is the Spanish word too.
    ("es", "page.error_prefix"),
];

/// The 22 languages PureConnect offers in its logon dialog.
pub const PURECONNECT_LANGUAGES: &[&str] = &[
    "ar", "cs", "da", "de", "en-US", "es", "fr", "fr-CA", "he", "it", "ja", "ko", "nb", "nl", "pl",
    "pt-BR", "pt-PT", "ru", "sv", "tr", "zh-CN", "zh-TW",
];

fn placeholders(s: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        match rest[i..].find('}') {
            Some(j) => {
                out.insert(rest[i..i + j + 1].to_string());
                rest = &rest[i + j + 1..];
            }
            None => break,
        }
    }
    out
}

#[test]
fn every_pureconnect_language_has_a_catalog_and_no_other() {
    let have: BTreeSet<&str> = catalogs().iter().map(|c| c.tag).collect();
    let want: BTreeSet<&str> = PURECONNECT_LANGUAGES.iter().copied().collect();
    assert_eq!(have, want);
}

/// A catalog's messages as the checks compare them: a plural message's key once, with the
/// categories the catalog has for it.
fn messages(c: &Catalog) -> BTreeMap<&str, BTreeSet<&'static str>> {
    let mut m: BTreeMap<&str, BTreeSet<&'static str>> = BTreeMap::new();
    for k in c.messages.keys() {
        match split_key(k) {
            Some((base, cat)) => m.entry(base).or_default().insert(cat),
            None => m.entry(k.as_str()).or_default().insert(""),
        };
    }
    m
}

#[test]
fn catalogs_are_complete_consistent_and_translated() {
    let reference = catalogs().iter().find(|c| c.tag == REFERENCE).unwrap();
    let keys = messages(reference);
    let mut problems = Vec::new();
    for (i, c) in catalogs().iter().enumerate() {
        let have = messages(c);
        for k in keys.keys().filter(|k| !have.contains_key(*k)) {
            problems.push(format!("{}: missing {k}", c.tag));
        }
        for k in have.keys().filter(|k| !keys.contains_key(*k)) {
            problems.push(format!("{}: {k} is not in {REFERENCE}", c.tag));
        }
        // Each plural message has exactly the categories CLDR gives the language.
        let want: Option<BTreeSet<&str>> = plural::categories(i).map(|v| v.into_iter().collect());
        for (k, cats) in have.iter().filter(|(_, cats)| !cats.contains("")) {
            match &want {
                Some(w) if w == cats => {}
                Some(w) => problems.push(format!(
                    "{}: {k} has the plural categories {cats:?}, CLDR's rules for {} use {w:?}",
                    c.tag, c.tag
                )),
                None => problems.push(format!("{}: CLDR has no plural rules for it", c.tag)),
            }
        }
        if c.name.trim().is_empty() {
            problems.push(format!("{}: meta.name is empty", c.tag));
        }
        for (k, v) in &c.messages {
            // A plural form is compared with the reference's form of the same category, or
            // with its `other` when English has no such category.
            let en = reference.messages.get(k).or_else(|| {
                let (base, _) = split_key(k)?;
                reference.messages.get(&format!("{base}.other"))
            });
            let Some(en) = en else {
                continue;
            };
            if v.trim().is_empty() {
                problems.push(format!("{}: {k} is empty", c.tag));
            }
            if placeholders(v) != placeholders(en) {
                problems.push(format!(
                    "{}: {k} placeholders differ from {REFERENCE}",
                    c.tag
                ));
            }
            if c.tag != REFERENCE && v == en && !SAME_AS_ENGLISH.contains(&(c.tag, k.as_str())) {
                problems.push(format!("{}: {k} is still English", c.tag));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn right_to_left_exactly_for_arabic_and_hebrew() {
    for l in Lang::all() {
        let rtl = matches!(l.tag(), "ar" | "he");
        assert_eq!(l.dir(), if rtl { "rtl" } else { "ltr" }, "{}", l.tag());
    }
}

#[test]
fn negotiation_table() {
    let de = Lang::from_tag("de").unwrap();
    let cases: &[(Option<&str>, Option<&str>, &str)] = &[
        // An explicit pick wins over the browser.
        (Some("ja"), Some("de"), "ja"),
        (Some("zz"), Some("de"), "de"),
        // Exact and case-insensitive matches.
        (None, Some("fr-CA"), "fr-CA"),
        (None, Some("FR-ca"), "fr-CA"),
        (None, Some("pt-PT"), "pt-PT"),
        // RFC 4647 lookup by truncation.
        (None, Some("de-AT"), "de"),
        (None, Some("de-CH-1996"), "de"),
        (None, Some("fr-BE"), "fr"),
        (None, Some("fr-CH"), "fr"),
        (None, Some("es-MX"), "es"),
        (None, Some("sv-FI"), "sv"),
        // Our fallbacks for languages without a catalog of their own.
        (None, Some("pt"), "pt-BR"),
        (None, Some("pt-AO"), "pt-BR"),
        (None, Some("zh-HK"), "zh-TW"),
        (None, Some("zh-MO"), "zh-TW"),
        (None, Some("zh-Hant"), "zh-TW"),
        (None, Some("zh-Hant-HK"), "zh-TW"),
        (None, Some("zh-SG"), "zh-CN"),
        (None, Some("zh-Hans"), "zh-CN"),
        (None, Some("zh"), "zh-CN"),
        (None, Some("nn"), "nb"),
        (None, Some("no"), "nb"),
        (None, Some("nb-NO"), "nb"),
        (None, Some("en-GB"), "en-US"),
        (None, Some("en"), "en-US"),
        // q-values decide the order; q=0 means "not this one".
        (None, Some("da;q=0.5, ko;q=0.9"), "ko"),
        (None, Some("ko;q=0, da"), "da"),
        // Finnish and Thai are not PureConnect languages: fall through to the next choice.
        (None, Some("fi, sv;q=0.8"), "sv"),
        (None, Some("th-TH, th;q=0.9, ru;q=0.1"), "ru"),
        (None, Some("fi"), "de"),
        // Malformed headers: ignored, the default is used, nothing panics.
        (None, Some(""), "de"),
        (None, Some(",,,;;;"), "de"),
        (None, Some("q=0.5"), "de"),
        (None, Some("*"), "de"),
        (None, Some("en;q=abc"), "de"),
        (None, Some("\u{7f}\u{0}<script>"), "de"),
        (None, Some(&"x-".repeat(2000)), "de"),
        (None, None, "de"),
    ];
    for (picked, header, want) in cases {
        let got = negotiate(*picked, *header, de);
        assert_eq!(
            got.tag(),
            *want,
            "pick {picked:?}, Accept-Language {header:?}"
        );
    }
}
