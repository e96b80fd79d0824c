//! Issuing codes for a production line: unique, unguessable serials for one GTIN and lot, each rendered as the
//! element string for a GS1 DataMatrix, the Digital Link for a QR code and the EPC for an RFID tag.
//!
//! ```sh
//! cargo run --example issue_codes
//! ```

use tracecode::code::gs1::gcp::FixedGcpLength;
use tracecode::code::issue::{RandomSerials, SgtinIssuer, render};

fn main() -> Result<(), tracecode::Error> {
    // Production: a 32-byte key from a CSPRNG, kept secret; persist `position()` to resume after a restart.
    let serials = RandomSerials::from_seed(true, 42);
    let mut line = SgtinIssuer::new("09506000134352", Some("L2026-11"), serials)?;
    let company_prefix = FixedGcpLength(7);
    for _ in 0..5 {
        let code = line.issue()?;
        let r = render(&code, "https://id.gs1.org", &company_prefix, 1)?;
        println!("{}", r.digital_link);
        println!("  DataMatrix: {}", r.element_string.replace('\u{1d}', "<GS>"));
        println!("  EPC:        {} / {}", r.epc_uri.unwrap_or_default(), r.epc_hex.unwrap_or_default());
    }
    println!("next counter to persist: {}", line.source().position());
    Ok(())
}
