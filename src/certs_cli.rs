//! `pureconnect-idp certs …`: generate, list, promote, export, rotate and retire signing
//! certificates.
//!
//! Owns the arguments and the printed output only; the rules (names, at most five pairs,
//! atomic writes, what a server would load) are the library's `keys::folder`, and the order
//! of a rotation or retirement through Genesys Cloud is `genesys::rotate`'s. Every command
//! reads `idp.certs_dir` and the key password from the same configuration as `serve`.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use pureconnect_idp::config::Config;
use pureconnect_idp::genesys::{api::Api, rotate};
use pureconnect_idp::keys::{folder, format_time, generate, inventory, now, password};
use secrecy::{ExposeSecret, SecretSlice};
use std::path::PathBuf;

#[derive(Args)]
pub struct ConfigArg {
    /// The configuration file (its `idp.certs_dir` and key password are used).
    #[arg(long, short)]
    config: PathBuf,
}

#[derive(Subcommand)]
pub enum CertsCmd {
    /// Make a self-signed signing pair: a backup, or the active one when it is the first.
    Generate {
        #[command(flatten)]
        cfg: ConfigArg,
        /// Its name (file names `<NAME>.crt` and `<NAME>.key`), e.g. idp2026.
        name: String,
        #[command(flatten)]
        new: NewPairArgs,
    },
    /// Show every pair: role, subject, serial, SHA-256 fingerprint, validity, published.
    List {
        #[command(flatten)]
        cfg: ConfigArg,
    },
    /// Make a backup the active pair (the active one becomes a backup); a running server
    /// switches within a second.
    Promote {
        #[command(flatten)]
        cfg: ConfigArg,
        name: String,
    },
    /// Print a certificate as PEM (to upload to Genesys Cloud).
    Export {
        #[command(flatten)]
        cfg: ConfigArg,
        name: String,
    },
    /// The whole rotation to a new pair: make NAME as a backup, have Genesys Cloud hold it
    /// (with --genesys, through its API), then promote it. Run it again to finish an
    /// interrupted one.
    Rotate {
        #[command(flatten)]
        cfg: ConfigArg,
        /// The new pair's name, e.g. idp2027.
        name: String,
        /// Push the certificates to Genesys Cloud with the [genesys] OAuth client, and
        /// promote only once it holds the new one. Without it: stop after making the backup.
        #[arg(long)]
        genesys: bool,
        #[command(flatten)]
        new: NewPairArgs,
    },
    /// Remove a backup pair: from Genesys Cloud first (with --genesys), then from the
    /// folder. The active pair is never removed.
    Retire {
        #[command(flatten)]
        cfg: ConfigArg,
        name: String,
        /// Remove the certificate from Genesys Cloud first, with the [genesys] OAuth client.
        #[arg(long)]
        genesys: bool,
    },
}

/// How `certs rotate` makes its new pair (as `certs generate` would).
#[derive(Args)]
pub struct NewPairArgs {
    /// How long it is valid.
    #[arg(long, default_value_t = 730, value_parser = clap::value_parser!(u32).range(1..=7300))]
    days: u32,
    /// The certificate's common name (default: `<host of the entity ID> SAML signing`).
    #[arg(long)]
    cn: Option<String>,
    /// RSA key size.
    #[arg(long, default_value = "2048", value_parser = ["2048", "3072", "4096"])]
    bits: String,
    /// Encrypt the key (PKCS#8) with the configured password (idp.key_password,
    /// idp.key_password_file or IDP_KEY_PASSWORD).
    #[arg(long)]
    encrypt: bool,
}

fn load(cfg: &ConfigArg) -> Result<(Config, Option<SecretSlice<u8>>)> {
    let c = Config::load(&cfg.config)?;
    let pw = password::from_config(&c)?;
    Ok((c, pw))
}

/// `<host> SAML signing` from the entity ID or the public base URL, when either names one.
fn default_cn(cfg: &Config) -> String {
    let host = [
        Some(cfg.idp.entity_id.as_str()),
        cfg.server.public_base_url.as_ref().map(|b| b.as_str()),
    ]
    .into_iter()
    .flatten()
    .filter_map(|u| url::Url::parse(u).ok())
    .find_map(|u| u.host_str().map(String::from));
    match host {
        Some(h) => format!("{h} SAML signing"),
        None => "pureconnect-idp SAML signing".into(),
    }
}

pub async fn run(cmd: CertsCmd) -> Result<()> {
    match cmd {
        CertsCmd::Generate { cfg, name, new } => {
            let (cfg, pw) = load(&cfg)?;
            let added = make_pair(&cfg, pw, &name, &new)?;
            if added.active {
                println!("it is the only pair, so it is the active one");
            } else {
                println!("it is a backup: it is published in the metadata at once; next:");
                println!("  pureconnect-idp certs export {name} --config …   # upload this to Genesys Cloud");
                println!("  pureconnect-idp certs promote {name} --config …  # once Genesys Cloud holds it");
            }
            Ok(())
        }
        CertsCmd::List { cfg } => {
            let (cfg, pw) = load(&cfg)?;
            let inv =
                inventory::inventory(&cfg.idp.certs_dir, pw.as_ref().map(|p| p.expose_secret()))?;
            print!("{}", list_text(&inv));
            Ok(())
        }
        CertsCmd::Promote { cfg, name } => {
            let (cfg, pw) = load(&cfg)?;
            let p = folder::promote(
                &cfg.idp.certs_dir,
                &name,
                pw.as_ref().map(|p| p.expose_secret()),
            )?;
            if !p.changed {
                println!("`{name}` is already the active signing certificate");
            } else {
                match p.previous {
                    Some(old) => println!(
                        "`{name}` is now the active signing certificate; `{old}` is a backup (still published)"
                    ),
                    None => println!("`{name}` is now the active signing certificate"),
                }
                println!("a running server switches within a second (or send it SIGHUP)");
            }
            Ok(())
        }
        CertsCmd::Export { cfg, name } => {
            let (cfg, _) = load(&cfg)?;
            print!("{}", folder::export(&cfg.idp.certs_dir, &name)?);
            Ok(())
        }
        CertsCmd::Rotate {
            cfg,
            name,
            genesys,
            new,
        } => {
            let (cfg, pw) = load(&cfg)?;
            if !genesys {
                folder::check_name(&name)?;
                if !folder::pair_names(&cfg.idp.certs_dir)?.contains(&name) {
                    make_pair(&cfg, pw, &name, &new)?;
                }
                println!(
                    "`{name}` is a backup. Without --genesys, upload it to Genesys Cloud yourself:"
                );
                println!("  pureconnect-idp certs export {name} --config …");
                println!("then, once Genesys Cloud holds it: pureconnect-idp certs promote {name} --config …");
                return Ok(());
            }
            let api = Api::from_config(&cfg)?;
            let dir = cfg.idp.certs_dir.clone();
            let generate = Box::new(|| {
                make_pair(&cfg, pw.clone(), &name, &new)
                    .map(|_| ())
                    .map_err(|e| format!("{e:#}"))
            });
            rotate::rotate(
                &api,
                &dir,
                pw.as_ref().map(|p| p.expose_secret()),
                &name,
                generate,
                &mut |l| println!("{l}"),
            )
            .await?;
            Ok(())
        }
        CertsCmd::Retire { cfg, name, genesys } => {
            let (cfg, pw) = load(&cfg)?;
            let api = if genesys {
                Some(Api::from_config(&cfg)?)
            } else {
                println!("without --genesys: Genesys Cloud may still hold `{name}` (remove it there too)");
                None
            };
            rotate::retire(
                api.as_ref(),
                &cfg.idp.certs_dir,
                pw.as_ref().map(|p| p.expose_secret()),
                &name,
                &mut |l| println!("{l}"),
            )
            .await?;
            Ok(())
        }
    }
}

/// Makes a pair as `certs generate` does and says so; returns whether it is the active one.
fn make_pair(
    cfg: &Config,
    pw: Option<SecretSlice<u8>>,
    name: &str,
    new: &NewPairArgs,
) -> Result<folder::Added> {
    folder::check_name(name)?;
    let pw = match (new.encrypt, pw) {
        (true, None) => {
            bail!("--encrypt needs a password: set {}", password::SOURCES)
        }
        (true, Some(p)) => Some(p),
        (false, _) => None,
    };
    let bits: u32 = new.bits.parse().context("--bits")?;
    let cn = new.cn.clone().unwrap_or_else(|| default_cn(cfg));
    let days = new.days;
    let pair = generate::self_signed(&cn, bits, days, &[])?;
    let key = match &pw {
        Some(p) => generate::encrypt_key(&pair.key_pem, p.expose_secret())?,
        None => pair.key_pem,
    };
    let added = folder::add_pair(&cfg.idp.certs_dir, name, &pair.cert_pem, &key)?;
    let dir = folder::signing_dir(&cfg.idp.certs_dir);
    println!(
        "made `{name}`: {}/{name}.crt and {name}.key ({bits}-bit RSA{}, CN={cn}, {days} days)",
        dir.display(),
        if pw.is_some() { ", key encrypted" } else { "" }
    );
    Ok(added)
}

fn list_text(inv: &inventory::Inventory) -> String {
    let now = now();
    let mut s = format!("{}\n", inv.dir.display());
    if inv.entries.is_empty() {
        s.push_str("  no signing pairs: make one with `pureconnect-idp certs generate NAME`\n");
    }
    for e in &inv.entries {
        let published = if e.published {
            "published"
        } else {
            "NOT published"
        };
        s.push_str(&format!("\n{}  {}  {published}\n", e.name, e.role.as_str()));
        match &e.info {
            Ok(i) => {
                let days = i.days_left(now);
                let left = if i.expired(now) {
                    "EXPIRED".to_string()
                } else {
                    days.to_string()
                };
                s.push_str(&format!("  subject     {}\n", i.subject));
                s.push_str(&format!("  serial      {}\n", i.serial));
                s.push_str(&format!("  sha256      {}\n", i.sha256));
                s.push_str(&format!("  not before  {}\n", format_time(i.not_before)));
                s.push_str(&format!("  not after   {}\n", format_time(i.not_after)));
                s.push_str(&format!("  days left   {left}\n"));
            }
            Err(m) => s.push_str(&format!("  certificate unreadable: {m}\n")),
        }
        if let Some(p) = &e.problem {
            s.push_str(&format!("  problem     {p}\n"));
        }
    }
    for n in &inv.incomplete {
        s.push_str(&format!(
            "\n{n}  incomplete: {n}.crt and {n}.key are not both there (ignored)\n"
        ));
    }
    if let Some(from) = &inv.auto_promoted_from {
        s.push_str(&format!(
            "\nWARNING: the `active` file names `{from}`, which has expired: a server signs with the newest valid backup instead\n"
        ));
    }
    match &inv.refused {
        Some(why) => s.push_str(&format!(
            "\nA server would REFUSE this folder (a running one keeps its old keys): {why}\n"
        )),
        None => s.push_str(&format!(
            "\n{} of at most {} pairs\n",
            inv.entries.len(),
            folder::MAX_PAIRS
        )),
    }
    s
}
