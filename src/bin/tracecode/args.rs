//! The argument layer shared by every command: value parsers (counts that accept `1_000_000`, times, edge kinds,
//! identifiers, keys), the `--db DIR` arguments of the store commands, and the one-line usage error.
//!
//! Every check that needs no store is a value parser or a clap constraint, so a bad argument is refused before a
//! store is opened or created.

use std::fmt::Display;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use tracecode::event::{Id, Timestamp};
use tracecode::store::EdgeKind;
use tracecode::trace;

/// Exit status: not found (resolve, trace, recall), or some input failed (parse, import, epcis).
pub(crate) const EXIT_NOT_FOUND: u8 = 1;
/// Exit status: usage error, bad input or an error.
pub(crate) const EXIT_ERROR: u8 = 2;

/// Prints a usage error as one line and a hint, and returns exit status 2.
///
/// `path` is the command the error belongs to (`tracecode import`), for the hint.
pub(crate) fn usage(path: &str, msg: &str) -> ExitCode {
    eprintln!("tracecode: {msg}");
    eprintln!("hint: see '{path} --help'");
    ExitCode::from(EXIT_ERROR)
}

/// Reports a clap parse failure: help and version go to stdout (exit 0); an error becomes one line and a hint
/// (exit 2) instead of clap's full usage block. `cmd` is the whole command tree, `argv` the arguments given.
pub(crate) fn clap_error(e: &clap::Error, cmd: &clap::Command, argv: &[String]) -> ExitCode {
    use clap::error::ErrorKind as K;
    if matches!(e.kind(), K::DisplayHelp | K::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    // The (sub)command the error belongs to: follow the subcommand names in the arguments.
    let mut path = vec![cmd.get_name().to_owned()];
    let mut at = cmd;
    for a in argv {
        if let Some(sub) = at.find_subcommand(a) {
            path.push(sub.get_name().to_owned());
            at = sub;
        }
    }
    let path = path.join(" ");
    let msg = if e.kind() == K::DisplayHelpOnMissingArgumentOrSubcommand || e.kind() == K::MissingSubcommand {
        let subs: Vec<&str> = at.get_subcommands().filter(|s| !s.is_hide_set()).map(clap::Command::get_name).collect();
        format!("'{path}' needs a command: {}", subs.join(", "))
    } else {
        // clap's first paragraph (a message, and for missing arguments their list), on one line.
        let text = e.render().to_string();
        let para: Vec<&str> = text.lines().map(str::trim).take_while(|l| !l.is_empty()).collect();
        let msg = para.join(" ");
        msg.strip_prefix("error: ").unwrap_or(&msg).to_owned()
    };
    let text = e.render().to_string();
    // clap's tip when it helps ("a similar argument exists"), not its advice to pass a mistyped flag as a value.
    let tip = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("tip: "))
        .filter(|t| !t.starts_with("to pass"))
        .map(str::to_owned);
    eprintln!("tracecode: {msg}");
    match tip {
        Some(t) => eprintln!("hint: {t}; see '{path} --help'"),
        None => eprintln!("hint: see '{path} --help'"),
    }
    ExitCode::from(EXIT_ERROR)
}

/// A count or other non-negative number: digits, optionally grouped with `_` (`1_000_000`).
pub(crate) fn count<T: FromStr>(s: &str) -> Result<T, String>
where
    T::Err: Display,
{
    let grouped = s.contains('_');
    if grouped && (s.starts_with('_') || s.ends_with('_') || s.contains("__")) {
        return Err(format!("not a number: {s:?} (group digits as 1_000_000)"));
    }
    let digits = if grouped { s.replace('_', "") } else { s.to_owned() };
    digits.parse().map_err(|e| format!("not a number: {s:?} ({e})"))
}

/// An RFC 3339 time (`2026-03-01T08:00:00+08:00`).
pub(crate) fn time(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse(s).map(|(t, _)| t).map_err(|e| format!("bad time {s:?}: {}", e.message()))
}

/// An identifier: any code spelling, EPC URN, Digital Link or URI.
pub(crate) fn id(s: &str) -> Result<Id, String> {
    Id::parse(s).map_err(|e| format!("bad identifier {s:?}: {}", e.message()))
}

/// A comma-separated list of edge kinds (`--kinds aggregation,transformation`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Kinds(pub Vec<EdgeKind>);

/// Parses [`Kinds`].
pub(crate) fn kinds(s: &str) -> Result<Kinds, String> {
    s.split(',')
        .filter(|k| !k.is_empty())
        .map(|k| {
            trace::ALL_KINDS.iter().copied().find(|x| x.as_str() == k).ok_or_else(|| {
                let all: Vec<&str> = trace::ALL_KINDS.iter().map(|k| k.as_str()).collect();
                format!("unknown edge kind {k:?} (one of {})", all.join(", "))
            })
        })
        .collect::<Result<_, _>>()
        .map(Kinds)
}

/// 32 bytes from 64 hex digits (`--key`).
pub(crate) fn key32(s: &str) -> Result<[u8; 32], String> {
    if s.len() != 64 {
        return Err("needs 64 hex digits (32 bytes)".into());
    }
    let mut k = [0u8; 32];
    for (i, slot) in k.iter_mut().enumerate() {
        let pair = s.get(i * 2..i * 2 + 2).ok_or("is not hex")?;
        *slot = u8::from_str_radix(pair, 16).map_err(|_| "is not hex".to_owned())?;
    }
    Ok(k)
}

/// A number in `lo..=hi` (with `_` grouping allowed).
pub(crate) fn in_range<T: FromStr + PartialOrd + Display + Copy>(s: &str, lo: T, hi: T) -> Result<T, String>
where
    T::Err: Display,
{
    let v: T = count(s)?;
    if v < lo || v > hi {
        return Err(format!("{v} is not in {lo}..={hi}"));
    }
    Ok(v)
}

/// `--db DIR` of the commands that open an existing store (and may read it only).
#[derive(clap::Args, Debug)]
pub(crate) struct ReadDb {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// Write nothing. Reading commands always open the store this way (no lock: they work on a store on a full
    /// disk, on a read-only file system, or one a service is writing); the flag is accepted for scripts that
    /// pass it, and makes `recall` refuse `--commit`.
    #[arg(long)]
    pub read_only: bool,
}

/// `--db DIR` of the commands that write.
#[derive(clap::Args, Debug)]
pub(crate) struct WriteDb {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_accept_grouping() {
        assert_eq!(count::<u64>("1_000_000"), Ok(1_000_000));
        assert_eq!(count::<u64>("42"), Ok(42));
        assert!(count::<u64>("_1").is_err());
        assert!(count::<u64>("1__0").is_err());
        assert!(count::<u64>("1_").is_err());
        assert!(count::<u64>("x").is_err());
        assert_eq!(in_range::<u8>("7", 4, 12), Ok(7));
        assert!(in_range::<u8>("13", 4, 12).is_err());
    }

    #[test]
    fn keys_and_kinds() {
        assert_eq!(key32(&"ab".repeat(32)), Ok([0xab; 32]));
        assert!(key32("ab").is_err());
        assert!(key32(&"zz".repeat(32)).is_err());
        assert!(kinds("aggregation,nope").is_err());
        assert_eq!(kinds("aggregation").map(|k| k.0.len()), Ok(1));
    }
}
