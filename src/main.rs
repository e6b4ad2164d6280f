//! The `pureconnect-idp` command line: parses arguments and calls the library. Nothing else.

mod certs_cli;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use pureconnect_idp::{config::Config, demo, selftest::SelfTest, Options};
use std::io::{BufRead, IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "pureconnect-idp",
    version,
    about = "SAML identity provider for PureConnect users signing in to Genesys Cloud"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the identity provider.
    Serve {
        /// The configuration file.
        #[arg(long, short, required_unless_present = "demo")]
        config: Option<PathBuf>,
        /// Demo mode: generated certificates, demo users and the demo SP; no configuration needed.
        #[arg(long)]
        demo: bool,
        /// Where demo mode keeps what it generates.
        #[arg(long, default_value = "demo-state")]
        state_dir: PathBuf,
        /// Listen on this address instead of the configured one.
        #[arg(long)]
        listen: Option<String>,
        /// Plain HTTP (behind a proxy that terminates TLS), even if TLS files are configured.
        #[arg(long)]
        http: bool,
        /// Log format: `text` (for people) or `json` (one object a line, for log collectors).
        #[arg(long, env = "IDP_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
        log_format: String,
    },
    /// Print what to enter in Genesys Cloud for this identity provider, or (--push) write it
    /// there through the Genesys Cloud API.
    GenesysConfig {
        #[arg(long, short)]
        config: PathBuf,
        /// The Genesys Cloud region of the organization (e.g. us-east-1, eu-central-1);
        /// default: genesys.region.
        #[arg(long)]
        region: Option<String>,
        /// The Provider Name users see on Genesys Cloud's login page (default:
        /// genesys.provider_name, else PureConnect).
        #[arg(long)]
        name: Option<String>,
        /// Read the provider from Genesys Cloud (the [genesys] OAuth client), show how it
        /// differs, and after confirmation write ours and read it back.
        #[arg(long)]
        push: bool,
        /// With --push: write without asking.
        #[arg(long, requires = "push")]
        yes: bool,
        /// Print the JSON body of PUT /api/v2/identityproviders/cic.
        #[arg(long)]
        json: bool,
        /// Go on for a region where PureConnect is not supported as an SSO provider.
        #[arg(long)]
        force: bool,
    },
    /// Manage the signing certificates (active + backups) in `idp.certs_dir`.
    Certs {
        #[command(subcommand)]
        cmd: certs_cli::CertsCmd,
    },
    /// Manage the users file.
    Users {
        #[command(subcommand)]
        cmd: UsersCmd,
    },
    /// Preflight on the machine that will serve: one line per check, ✓ or ✗ with the fix;
    /// exits 1 when any check fails.
    Doctor {
        #[arg(long, short)]
        config: PathBuf,
        /// One JSON document instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Log in through a running IdP's demo SP and check the signed answer.
    Selftest {
        /// The IdP's public base URL (e.g. https://sso.example.com/PureConnect).
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "agent1")]
        user: String,
        #[arg(
            long,
            default_value = "agent1",
            env = "SELFTEST_PASSWORD",
            hide_env_values = true
        )]
        password: String,
        /// The email the NameID must be (default: any email address).
        #[arg(long)]
        expect_email: Option<String>,
        /// Accept a TLS certificate that does not verify (the demo's self-signed one).
        #[arg(long)]
        insecure: bool,
    },
}

#[derive(Subcommand)]
enum UsersCmd {
    /// Read a password (from the terminal, or one line of standard input) and print its argon2id hash.
    Hash,
}

/// Logs go to standard output; `RUST_LOG` filters them (default `info`). Audit events use the
/// target `audit`, so `RUST_LOG=warn,audit=info` keeps only those and the warnings.
fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour codes only for a terminal: not into a journal or a log file.
    let fmt = tracing_subscriber::fmt()
        .with_writer(pureconnect_idp::log_sink::LogSink::stdout())
        .with_env_filter(filter)
        .with_target(true)
        .with_ansi(std::io::stdout().is_terminal());
    if json {
        fmt.json().flatten_event(true).init();
    } else {
        // Every field value and message escaped: request values cannot forge a line.
        fmt.fmt_fields(pureconnect_idp::log_fmt::EscapedFields)
            .init();
    }
}

/// Logs of the one-shot commands go to standard error, warnings only unless `RUST_LOG` says
/// otherwise (standard output is the command's answer).
fn init_cli_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_ansi(false)
        .fmt_fields(pureconnect_idp::log_fmt::EscapedFields)
        .try_init();
}

/// `genesys-config --push`: the diff, the question (unless `--yes`), the write, the check.
async fn genesys_push(
    cfg: &Config,
    g: &pureconnect_idp::genesys::GenesysConfig,
    yes: bool,
) -> Result<()> {
    use pureconnect_idp::genesys::{api::Api, push};
    let api = Api::from_config(cfg)?;
    let known = g.certs();
    let mut confirm = |_: &[String]| {
        if yes {
            return true;
        }
        eprint!("Write this to Genesys Cloud? [y/N] ");
        let mut answer = String::new();
        let _ = std::io::stdin().lock().take(64).read_line(&mut answer);
        matches!(answer.trim(), "y" | "Y" | "yes" | "YES")
    };
    push::push(&api, &g.fields(), &known, &known, &mut confirm, &mut |l| {
        println!("{l}")
    })
    .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn serve(
    config: Option<PathBuf>,
    demo_mode: bool,
    state_dir: PathBuf,
    listen: Option<String>,
    http: bool,
) -> Result<()> {
    let mut opts = Options {
        force_http: http,
        ..Default::default()
    };
    let mut cfg = if demo_mode {
        let cfg = demo::prepare(&state_dir, listen.as_deref().unwrap_or("127.0.0.1:8043"))
            .map_err(anyhow::Error::msg)
            .context("preparing demo mode")?;
        opts.backend = Some(Arc::new(demo::users().map_err(anyhow::Error::msg)?));
        opts.demo_sp = true;
        cfg
    } else {
        let path = config.context("--config is required without --demo")?;
        Config::load(&path)?
    };
    if let Some(l) = listen {
        cfg.server.listen = l;
    }
    let addr: std::net::SocketAddr = cfg
        .server
        .listen
        .parse()
        .with_context(|| format!("`{}` is not a listen address", cfg.server.listen))?;
    // Bound first: the demo's public base (its Issuer) is the address it really listens on.
    let listener = pureconnect_idp::web::admission::listen(addr)
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    if demo_mode {
        let tls = !opts.force_http && cfg.server.tls_cert.is_some();
        demo::resolve_base(&mut cfg, local, tls).map_err(anyhow::Error::msg)?;
    }
    let app = pureconnect_idp::build(cfg, opts).await?;
    let scheme = if app.tls.is_some() { "https" } else { "http" };
    tracing::info!("listening on {scheme}://{local}");
    if demo_mode {
        let host = if local.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            local.ip().to_string()
        };
        let url = format!("{scheme}://{host}:{}", local.port());
        println!("\npureconnect-idp demo (NOT for production):");
        println!("  open   {url}/demo   (the certificate is self-signed: accept it once)");
        println!("  users  (demo only)");
        for (id, pw, email, _) in demo::DEMO_USERS {
            println!(
                "         {id} / {pw}   -> {}",
                email.unwrap_or("(no business email)")
            );
        }
        println!("  metadata {url}/ICNotifierIDP/metadata\n");
    }
    let ops = pureconnect_idp::bind_ops(&app.state.config).with_context(|| {
        format!(
            "cannot listen on server.ops_listen {:?}",
            app.state.config.server.ops_listen
        )
    })?;
    if let Some(o) = &ops {
        tracing::info!(
            "operational endpoints (/healthz, /readyz, /metrics) listening on http://{}",
            o.local_addr()?
        );
    }
    pureconnect_idp::serve_with_ops(app, listener, ops, shutdown_signal()).await?;
    Ok(())
}

fn hash_password() -> Result<()> {
    let password = if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password("Password: ")?;
        let b = rpassword::prompt_password("Again: ")?;
        if a != b {
            bail!("the two passwords differ");
        }
        a
    } else {
        let mut s = String::new();
        std::io::stdin().take(4096).read_to_string(&mut s)?;
        s.lines().next().unwrap_or("").to_string()
    };
    if password.is_empty() {
        bail!("the password is empty");
    }
    let hash =
        pureconnect_idp::backend::file::hash_password(&password).map_err(anyhow::Error::msg)?;
    println!("{hash}");
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Serve {
            config,
            demo,
            state_dir,
            listen,
            http,
            log_format,
        } => {
            init_logging(log_format == "json");
            serve(config, demo, state_dir, listen, http).await
        }
        Cmd::Certs { cmd } => {
            init_cli_logging();
            certs_cli::run(cmd).await
        }
        Cmd::Users {
            cmd: UsersCmd::Hash,
        } => hash_password(),
        Cmd::GenesysConfig {
            config,
            region,
            name,
            json,
            force,
            push,
            yes,
        } => {
            let cfg = Config::load(&config)?;
            let g_cfg = cfg.genesys.as_ref();
            let region = region
                .or_else(|| g_cfg.and_then(|g| g.region.clone()))
                .context("--region is required (or set genesys.region)")?;
            let name = name
                .or_else(|| g_cfg.map(|g| g.provider_name.clone()))
                .unwrap_or_else(|| "PureConnect".into());
            let g = pureconnect_idp::genesys::build(&cfg, &region, &name)
                .map_err(anyhow::Error::msg)?;
            if let Some(w) = &g.warning {
                eprintln!("WARNING: {w}");
                if !force {
                    eprintln!("(use --force to print the configuration anyway)");
                    std::process::exit(2);
                }
            }
            if push {
                init_cli_logging();
                return genesys_push(&cfg, &g, yes).await;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&g.json())?);
            } else {
                print!("{}", g.text());
            }
            Ok(())
        }
        Cmd::Doctor { config, json } => {
            let report = pureconnect_idp::doctor::run(&config).await;
            if json {
                println!("{}", pureconnect_idp::doctor::report::json(&report));
            } else {
                print!("{}", pureconnect_idp::doctor::report::text(&report));
            }
            if !report.ok {
                std::process::exit(1);
            }
            Ok(())
        }
        Cmd::Selftest {
            url,
            user,
            password,
            expect_email,
            insecure,
        } => {
            let t = SelfTest {
                url,
                user,
                password,
                expect_email,
                insecure,
            };
            match t.run().await {
                Ok(lines) => {
                    for l in lines {
                        println!("{l}");
                    }
                    println!("selftest passed");
                    Ok(())
                }
                Err(e) => {
                    eprintln!("FAIL {e}");
                    std::process::exit(1);
                }
            }
        }
    }
}
