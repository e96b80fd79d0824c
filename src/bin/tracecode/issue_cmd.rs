//! `tracecode issue`: generate codes, one JSON object per code with every rendering.

use std::io::{self, Write};
use std::process::ExitCode;

use serde_json::json;
use tracecode::code::gs1::Gs1;
use tracecode::code::gs1::gcp::{CompanyPrefixLengths, FixedGcpLength, NoGcpTable};
use tracecode::code::issue::{self, KeyedCheck4, RandomSerials, SequentialSerials, SerialSource, SgtinIssuer};

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

struct Opts {
    vals: Vec<(String, String)>,
    flags: Vec<String>,
    positional: Vec<String>,
}

fn split(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts { vals: Vec::new(), flags: Vec::new(), positional: Vec::new() };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--alphanumeric" | "-h" | "--help" => o.flags.push(a.clone()),
            s if s.starts_with("--") => {
                let v = it.next().ok_or_else(|| format!("{s} needs a value"))?;
                o.vals.push((s.to_owned(), v.clone()));
            }
            s => o.positional.push(s.to_owned()),
        }
    }
    Ok(o)
}

impl Opts {
    fn get(&self, k: &str) -> Option<&str> {
        self.vals.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }
    fn num(&self, k: &str, default: u64) -> Result<u64, String> {
        self.get(k).map_or(Ok(default), |v| v.parse().map_err(|_| format!("{k} needs a number, got {v:?}")))
    }
    fn key(&self) -> Result<Option<[u8; 32]>, String> {
        let Some(h) = self.get("--key") else { return Ok(None) };
        if h.len() != 64 {
            return Err("--key needs 64 hex digits (32 bytes)".into());
        }
        let mut k = [0u8; 32];
        for (i, slot) in k.iter_mut().enumerate() {
            let pair = h.get(i * 2..i * 2 + 2).ok_or("--key is not hex")?;
            *slot = u8::from_str_radix(pair, 16).map_err(|_| "--key is not hex".to_owned())?;
        }
        Ok(Some(k))
    }
    fn check_known(&self, known: &[&str]) -> Result<(), String> {
        for (k, _) in &self.vals {
            if !known.contains(&k.as_str()) {
                return Err(format!("unknown option {k}"));
            }
        }
        Ok(())
    }
}

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

pub(crate) fn run(args: &[String]) -> ExitCode {
    match run_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(m)) => {
            eprintln!("tracecode issue: {m}\n\n{HELP}");
            ExitCode::from(2)
        }
        Err(Failure::Failed(m)) => {
            eprintln!("tracecode issue: {m}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Usage(String),
    Failed(String),
}

fn run_inner(args: &[String]) -> Result<(), Failure> {
    let Some(what) = args.first() else {
        return Err(Failure::Usage("issue needs a kind: gtin, sgtin, sscc, national20".into()));
    };
    let o = split(args.get(1..).unwrap_or_default()).map_err(Failure::Usage)?;
    if o.flags.iter().any(|f| f == "-h" || f == "--help") || what == "--help" || what == "-h" {
        print!("{HELP}");
        return Ok(());
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let stem = o.get("--stem").unwrap_or("https://id.gs1.org").to_owned();
    let filter = u8::try_from(o.num("--filter", 0).map_err(Failure::Usage)?)
        .map_err(|_| Failure::Usage("--filter is 0-7".into()))?;
    let count = o.num("--count", 1).map_err(Failure::Usage)?;
    if count > 10_000_000 {
        return Err(Failure::Usage("--count is at most 10000000".into()));
    }
    let fixed;
    let gcp: &dyn CompanyPrefixLengths = match o.get("--gcp-len") {
        Some(v) => {
            fixed =
                FixedGcpLength(v.parse().map_err(|_| Failure::Usage(format!("--gcp-len needs a number, got {v:?}")))?);
            &fixed
        }
        None => &NoGcpTable,
    };
    match what.as_str() {
        "gtin" => {
            let body = o.positional.first().ok_or_else(|| Failure::Usage("issue gtin needs BODY".into()))?;
            let g = issue::gtin(body).map_err(|e| Failure::Failed(e.to_string()))?;
            writeln!(out, "{}", json!({"gtin": g})).map_err(|e| Failure::Failed(e.to_string()))?;
        }
        "sgtin" => {
            o.check_known(&[
                "--gtin",
                "--lot",
                "--count",
                "--seed",
                "--key",
                "--sequential",
                "--gcp-len",
                "--filter",
                "--stem",
            ])
            .map_err(Failure::Usage)?;
            let gtin = o.get("--gtin").ok_or_else(|| Failure::Usage("sgtin needs --gtin".into()))?;
            let numeric = !o.flags.iter().any(|f| f == "--alphanumeric");
            let source: Box<dyn SerialSource> = if let Some(start) = o.get("--sequential") {
                let s: u64 = start.parse().map_err(|_| Failure::Usage("--sequential needs a number".into()))?;
                Box::new(SequentialSerials::new(s, u64::MAX))
            } else if let Some(k) = o.key().map_err(Failure::Usage)? {
                Box::new(if numeric { RandomSerials::sgtin96(k) } else { RandomSerials::alphanumeric(k) })
            } else {
                let seed = o.num("--seed", 0).map_err(Failure::Usage)?;
                Box::new(RandomSerials::from_seed(numeric, seed))
            };
            let mut issuer =
                SgtinIssuer::new(gtin, o.get("--lot"), source).map_err(|e| Failure::Failed(e.to_string()))?;
            for _ in 0..count {
                let g = issuer.issue().map_err(|e| Failure::Failed(e.to_string()))?;
                emit(&mut out, &g, &stem, gcp, filter).map_err(Failure::Failed)?;
            }
        }
        "sscc" => {
            o.check_known(&["--gcp", "--ext", "--start", "--count", "--filter", "--stem"]).map_err(Failure::Usage)?;
            let prefix = o.get("--gcp").ok_or_else(|| Failure::Usage("sscc needs --gcp".into()))?;
            let ext = u8::try_from(o.num("--ext", 0).map_err(Failure::Usage)?)
                .map_err(|_| Failure::Usage("--ext is 0-9".into()))?;
            let start = o.num("--start", 1).map_err(Failure::Usage)?;
            let prefix_len = FixedGcpLength(u8::try_from(prefix.len()).unwrap_or(0));
            for i in 0..count {
                let g =
                    issue::sscc(ext, prefix, start.saturating_add(i)).map_err(|e| Failure::Failed(e.to_string()))?;
                emit(&mut out, &g, &stem, &prefix_len, filter).map_err(Failure::Failed)?;
            }
        }
        "national20" => {
            o.check_known(&["--product", "--start", "--count", "--key"]).map_err(Failure::Usage)?;
            let product = o.get("--product").ok_or_else(|| Failure::Usage("national20 needs --product".into()))?;
            let key =
                o.key().map_err(Failure::Usage)?.ok_or_else(|| Failure::Usage("national20 needs --key".into()))?;
            let start = o.num("--start", 1).map_err(Failure::Usage)?;
            let check = KeyedCheck4(key);
            for i in 0..count {
                let n = issue::national20(product, start.saturating_add(i), &check)
                    .map_err(|e| Failure::Failed(e.to_string()))?;
                writeln!(out, "{}", json!({"code": n.text, "canonical": format!("cn-drug20:{}", n.text)}))
                    .map_err(|e| Failure::Failed(e.to_string()))?;
            }
        }
        other => return Err(Failure::Usage(format!("unknown kind {other:?}"))),
    }
    out.flush().map_err(|e| Failure::Failed(e.to_string()))
}
