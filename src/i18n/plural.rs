//! Plural forms: which CLDR plural category a count falls in, in each language.
//!
//! Owns the CLDR plural rules (ICU4X's `icu_plurals`, with the CLDR data compiled in) of every
//! catalog's language, made once, and the naming of plural messages in the catalogs: a
//! message that shows a count is one key per category, `<key>.<category>` (`one`, `few`,
//! `other`, …), and a catalog has exactly the categories its language's rules use. Choosing
//! the text and filling it in is [`super::Lang::tn`]'s job.

use super::catalogs;
use icu_locale_core::Locale;
use icu_plurals::{PluralCategory, PluralRules};
use std::sync::LazyLock;

/// CLDR's six categories, as they end a plural message's key.
pub const CATEGORIES: &[(&str, PluralCategory)] = &[
    ("zero", PluralCategory::Zero),
    ("one", PluralCategory::One),
    ("two", PluralCategory::Two),
    ("few", PluralCategory::Few),
    ("many", PluralCategory::Many),
    ("other", PluralCategory::Other),
];

/// The rules of each catalog's language, in catalog order (`None`: CLDR has no rules for the
/// tag, which the catalog checks rule out; the text then falls back to `other`).
static RULES: LazyLock<Vec<Option<PluralRules>>> = LazyLock::new(|| {
    catalogs()
        .iter()
        .map(|c| {
            let locale = Locale::try_from_str(c.tag).ok()?;
            PluralRules::try_new_cardinal((&locale).into()).ok()
        })
        .collect()
});

fn name(c: PluralCategory) -> &'static str {
    CATEGORIES
        .iter()
        .find(|(_, k)| *k == c)
        .map_or("other", |(n, _)| n)
}

/// The category of the count `n` in the language of catalog `index`.
pub fn category(index: usize, n: u64) -> &'static str {
    match RULES.get(index).and_then(Option::as_ref) {
        Some(r) => name(r.category_for(n)),
        None => "other",
    }
}

/// The categories the language of catalog `index` uses, as CLDR lists them (`None` when
/// CLDR has no rules for it).
pub fn categories(index: usize) -> Option<Vec<&'static str>> {
    let r = RULES.get(index)?.as_ref()?;
    Some(r.categories().map(name).collect())
}

/// `key` split into (message, category) when it names one category of a plural message.
pub fn split_key(key: &str) -> Option<(&str, &'static str)> {
    let (base, last) = key.rsplit_once('.')?;
    CATEGORIES
        .iter()
        .find(|(n, _)| *n == last)
        .map(|(n, _)| (base, *n))
}

#[cfg(test)]
mod tests {
    use super::super::Lang;
    use super::*;

    /// Counts and their category from CLDR's published plural rules (the "Language Plural
    /// Rules" chart), written out by hand so the crate's data is checked, not restated.
    const CLDR_SAMPLES: &[(&str, u64, &str)] = &[
        ("en-US", 0, "other"),
        ("en-US", 1, "one"),
        ("en-US", 2, "other"),
        ("de", 1, "one"),
        ("de", 5, "other"),
        ("fr", 0, "one"),
        ("fr", 1, "one"),
        ("fr", 2, "other"),
        ("fr", 1_000_000, "many"),
        ("fr-CA", 1, "one"),
        ("es", 1, "one"),
        ("es", 1_000_000, "many"),
        ("it", 1, "one"),
        ("it", 1_000_000, "many"),
        ("pt-BR", 0, "one"),
        ("pt-BR", 1, "one"),
        ("pt-PT", 0, "other"),
        ("pt-PT", 1, "one"),
        ("ar", 0, "zero"),
        ("ar", 1, "one"),
        ("ar", 2, "two"),
        ("ar", 3, "few"),
        ("ar", 10, "few"),
        ("ar", 11, "many"),
        ("ar", 99, "many"),
        ("ar", 100, "other"),
        ("ar", 103, "few"),
        ("he", 1, "one"),
        ("he", 2, "two"),
        ("he", 3, "other"),
        ("he", 20, "other"),
        ("ru", 1, "one"),
        ("ru", 2, "few"),
        ("ru", 5, "many"),
        ("ru", 11, "many"),
        ("ru", 21, "one"),
        ("ru", 22, "few"),
        ("pl", 1, "one"),
        ("pl", 2, "few"),
        ("pl", 5, "many"),
        ("pl", 12, "many"),
        ("pl", 21, "many"),
        ("pl", 22, "few"),
        ("cs", 1, "one"),
        ("cs", 4, "few"),
        ("cs", 5, "other"),
        ("da", 1, "one"),
        ("nb", 1, "one"),
        ("nl", 1, "one"),
        ("sv", 1, "one"),
        ("tr", 1, "one"),
        ("tr", 2, "other"),
        ("ja", 1, "other"),
        ("ko", 1, "other"),
        ("zh-CN", 1, "other"),
        ("zh-TW", 1, "other"),
    ];

    #[test]
    fn every_language_has_cldr_rules_and_they_match_the_chart() {
        for l in Lang::all() {
            assert!(
                categories(l.0).is_some(),
                "{}: no CLDR plural rules",
                l.tag()
            );
        }
        for (tag, n, want) in CLDR_SAMPLES {
            let l = Lang::from_tag(tag).unwrap();
            assert_eq!(category(l.0, *n), *want, "{tag} {n}");
        }
    }

    #[test]
    fn counts_read_right_in_every_language() {
        let m = |tag: &str, n: u64| {
            Lang::from_tag(tag)
                .unwrap()
                .tn("error.too_many_attempts", "minutes", n, &[])
        };
        for (tag, n, ends) in [
            ("en-US", 1, "Try again in 1 minute."),
            ("en-US", 2, "Try again in 2 minutes."),
            ("de", 1, "in 1 Minute erneut."),
            ("de", 3, "in 3 Minuten erneut."),
            ("fr", 1, "dans 1 minute."),
            ("fr", 2, "dans 2 minutes."),
            ("ru", 1, "через 1 минуту."),
            ("ru", 3, "через 3 минуты."),
            ("ru", 5, "через 5 минут."),
            ("ru", 21, "через 21 минуту."),
            ("pl", 1, "za 1 minutę."),
            ("pl", 22, "za 22 minuty."),
            ("pl", 25, "za 25 minut."),
            ("cs", 1, "za 1 minutu."),
            ("cs", 3, "za 3 minuty."),
            ("cs", 5, "za 5 minut."),
            ("ar", 2, "بعد 2 دقيقتين."),
            ("ar", 3, "بعد 3 دقائق."),
            ("nl", 1, "over 1 minuut opnieuw."),
            ("sv", 1, "om 1 minut."),
        ] {
            assert!(m(tag, n).ends_with(ends), "{tag} {n}: {}", m(tag, n));
        }
        // Every count a page can show finds its own category's text (no fallback to
        // `other`), with the number in it.
        for l in Lang::all() {
            let c = catalogs().get(l.0).unwrap();
            for n in (0..=150).chain([1_000, 1_000_000]) {
                let key = format!("error.too_many_attempts.{}", category(l.0, n));
                assert!(c.messages.contains_key(&key), "{}: no {key}", l.tag());
                assert!(m(l.tag(), n).contains(&n.to_string()), "{} {n}", l.tag());
            }
        }
    }
}
