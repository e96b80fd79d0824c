//! A scanning station: reads one scan per line from stdin (as a keyboard-wedge scanner types it) and prints the
//! identity each scan resolves to, or an error a person at the station can act on, underlined.
//!
//! ```sh
//! printf '%s\n' ']d2010950600013435217261231<GS>21XYZ789' '(01)09506000134353' | cargo run --example scan_station
//! ```

use std::io::{self, BufRead};

use tracecode::code::{ParseOptions, parse_with};

fn main() -> io::Result<()> {
    // A station may be configured once, as a static.
    static OPTS: ParseOptions = ParseOptions::new().lenient(true);
    for line in io::stdin().lock().lines() {
        let line = line?;
        match parse_with(&line, &OPTS) {
            Ok(code) => match code.trace_key() {
                Ok(key) => println!("{:<24} {:<10} {key}", code.scheme().as_str(), key.kind().as_str()),
                Err(e) => println!("{:<24} (no identity: {})", code.scheme().as_str(), e.message()),
            },
            Err(e) => {
                println!("{line}");
                // Parse errors always have a position: the faulty bytes of the line.
                let (at, len) = e.offset().zip(e.len()).unwrap_or_default();
                println!("{}{} {}", " ".repeat(at), "^".repeat(len.max(1)), e.message());
            }
        }
    }
    Ok(())
}
