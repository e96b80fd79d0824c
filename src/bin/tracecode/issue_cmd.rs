//! `tracecode issue`: generate codes, one JSON object per code with every rendering.

use std::io::{self, Write};
use std::process::ExitCode;

use serde_json::json;
use tracecode::code::gs1::Gs1;
use tracecode::code::gs1::gcp::{CompanyPrefixLengths, FixedGcpLength, NoGcpTable};
use tracecode::code::issue::{self, KeyedCheck4, RandomSerials, SequentialSerials, SerialSource, SgtinIssuer};

use crate::args::{count, in_range, key32};

const HELP: &str = "\
tracecode issue — generate codes (one JSON object per line with every rendering)

  tracecode issue gtin BODY                      add the check digit: 7/11/12/13-digit body → GTIN-14
  tracecode issue sgtin --gtin GTIN14 [--lot LOT] [--count N]
                        [--seed N | --key HEX64 | --sequential START] [--alphanumeric]
                        [--gcp-len L] [--filter F] [--stem URL]
  tracecode issue sscc --gcp PREFIX [--ext D] [--start N] [--count N] [--filter F] [--stem URL]
  tracecode issue national20 --product P7 [--start N] [--count N] --key HEX64

Random serials are unique and unguessable: a keyed permutation of a counter (--seed is for demos and tests;
production uses --key with 32 random bytes in hex, and persists the counter via --start).
--gcp-len gives the GS1 Company Prefix length needed for EPC renderings (omit: no EPC).
";

fn emit(out: &mut impl Write, g: &Gs1, stem: &str, gcp: &dyn CompanyPrefixLengths, filter: u8) -> Result<(), String> {
    let r = issue::render(g, stem, gcp, filter).map_err(|e| e.to_string())?;
    let key = g.trace_key().map(|k| k.to_string()).map_err(|e| e.to_string())?;
    let v = json!({
        "canonical": key,
        "element_string": r.element_string,
        "bracketed": r.bracketed,
        "digital_link": r.digital_link,
        "epc_uri": r.epc_uri,
        "epc_hex": r.epc_hex,
        "epc_note": r.epc_note,
    });
    writeln!(out, "{v}").map_err(|e| e.to_string())
}

/// `tracecode issue`.
#[derive(clap::Args, Debug)]
#[command(after_help = HELP, subcommand_required = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    kind: Kind,
}

/// Options of every GS1 kind: how many, and how they are rendered.
#[derive(clap::Args, Debug)]
struct Render {
    /// How many codes (at most 10_000_000).
    #[arg(long, value_name = "N", default_value = "1", value_parser = |s: &str| in_range::<u64>(s, 0, 10_000_000))]
    count: u64,
    /// The EPC filter value (0-7).
    #[arg(long, value_name = "F", default_value = "0", value_parser = |s: &str| in_range::<u8>(s, 0, 7))]
    filter: u8,
    /// The Digital Link stem.
    #[arg(long, value_name = "URL", default_value = "https://id.gs1.org")]
    stem: String,
}

#[derive(clap::Subcommand, Debug)]
enum Kind {
    /// Add the check digit: a 7/11/12/13-digit body becomes a GTIN-14.
    #[command(after_help = HELP)]
    Gtin {
        /// The digits without the check digit.
        #[arg(value_name = "BODY")]
        body: String,
    },
    /// Serialised GTINs with random (keyed or seeded) or sequential serials.
    #[command(after_help = HELP)]
    Sgtin {
        /// The GTIN-14.
        #[arg(long, value_name = "GTIN14")]
        gtin: String,
        /// A batch/lot number (AI 10).
        #[arg(long, value_name = "LOT")]
        lot: Option<String>,
        /// Demo and test serials from a seed (--sequential, then --key, take precedence).
        #[arg(long, value_name = "N", value_parser = count::<u64>)]
        seed: Option<u64>,
        /// Production serials: a keyed permutation with 32 random bytes in hex.
        #[arg(long, value_name = "HEX64", value_parser = key32)]
        key: Option<[u8; 32]>,
        /// Sequential serials from START.
        #[arg(long, value_name = "START", value_parser = count::<u64>)]
        sequential: Option<u64>,
        /// Alphanumeric serials (else numeric, SGTIN-96 encodable).
        #[arg(long)]
        alphanumeric: bool,
        /// The GS1 Company Prefix length, for the EPC renderings (omit: no EPC).
        #[arg(long, value_name = "L", value_parser = count::<u8>)]
        gcp_len: Option<u8>,
        #[command(flatten)]
        render: Render,
    },
    /// Serial Shipping Container Codes.
    #[command(after_help = HELP)]
    Sscc {
        /// The GS1 Company Prefix.
        #[arg(long, value_name = "PREFIX")]
        gcp: String,
        /// The extension digit (0-9).
        #[arg(long, value_name = "D", default_value = "0", value_parser = |s: &str| in_range::<u8>(s, 0, 9))]
        ext: u8,
        /// The first serial reference.
        #[arg(long, value_name = "N", default_value = "1", value_parser = count::<u64>)]
        start: u64,
        #[command(flatten)]
        render: Render,
    },
    /// China's 20-digit drug trace codes with keyed check digits.
    #[command(after_help = HELP)]
    National20 {
        /// The 7-digit product code.
        #[arg(long, value_name = "P7")]
        product: String,
        /// The first serial.
        #[arg(long, value_name = "N", default_value = "1", value_parser = count::<u64>)]
        start: u64,
        /// How many codes (at most 10_000_000).
        #[arg(long, value_name = "N", default_value = "1", value_parser = |s: &str| in_range::<u64>(s, 0, 10_000_000))]
        count: u64,
        /// The check-digit key: 32 bytes in hex.
        #[arg(long, value_name = "HEX64", value_parser = key32)]
        key: [u8; 32],
    },
}

/// Runs `tracecode issue`: exit 0, or 1 when a code cannot be issued (printed on stderr).
pub(crate) fn run(a: &Args) -> ExitCode {
    match issue_codes(&a.kind) {
        Ok(()) => ExitCode::SUCCESS,
        Err(m) => {
            eprintln!("tracecode issue: {m}");
            ExitCode::from(1)
        }
    }
}

fn issue_codes(kind: &Kind) -> Result<(), String> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let fail = |e: &dyn std::fmt::Display| e.to_string();
    match kind {
        Kind::Gtin { body } => {
            let g = issue::gtin(body).map_err(|e| fail(&e))?;
            writeln!(out, "{}", json!({"gtin": g})).map_err(|e| fail(&e))?;
        }
        Kind::Sgtin { gtin, lot, seed, key, sequential, alphanumeric, gcp_len, render } => {
            let numeric = !alphanumeric;
            let source: Box<dyn SerialSource> = if let Some(s) = sequential {
                Box::new(SequentialSerials::new(*s, u64::MAX))
            } else if let Some(k) = key {
                Box::new(if numeric { RandomSerials::sgtin96(*k) } else { RandomSerials::alphanumeric(*k) })
            } else {
                Box::new(RandomSerials::from_seed(numeric, seed.unwrap_or(0)))
            };
            let fixed = gcp_len.map(FixedGcpLength);
            let gcp: &dyn CompanyPrefixLengths = match &fixed {
                Some(f) => f,
                None => &NoGcpTable,
            };
            let mut issuer = SgtinIssuer::new(gtin, lot.as_deref(), source).map_err(|e| fail(&e))?;
            for _ in 0..render.count {
                let g = issuer.issue().map_err(|e| fail(&e))?;
                emit(&mut out, &g, &render.stem, gcp, render.filter)?;
            }
        }
        Kind::Sscc { gcp, ext, start, render } => {
            let prefix_len = FixedGcpLength(u8::try_from(gcp.len()).unwrap_or(0));
            for i in 0..render.count {
                let g = issue::sscc(*ext, gcp, start.saturating_add(i)).map_err(|e| fail(&e))?;
                emit(&mut out, &g, &render.stem, &prefix_len, render.filter)?;
            }
        }
        Kind::National20 { product, start, count, key } => {
            let check = KeyedCheck4(*key);
            for i in 0..*count {
                let n = issue::national20(product, start.saturating_add(i), &check).map_err(|e| fail(&e))?;
                writeln!(out, "{}", json!({"code": n.text, "canonical": format!("cn-drug20:{}", n.text)}))
                    .map_err(|e| fail(&e))?;
            }
        }
    }
    out.flush().map_err(|e| fail(&e))
}
