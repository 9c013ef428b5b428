//! oslo.config-style INI text read into a `Config`: `IniDocument::parse`, then
//! `ConfigBuilder::from_ini_str` and `build` (references, the transport URL and its
//! query, every option's conversion and the cross-option checks).
//!
//! Checks: no panic, hang or unbounded allocation; the builder accepts exactly the texts
//! the INI reader accepts; syntax errors name a line of the text; every error and the
//! built configuration print.

#![no_main]

use libfuzzer_sys::fuzz_target;
use warren_core::{ConfigBuilder, IniDocument};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let document = IniDocument::parse(text);
    match &document {
        Ok(doc) => {
            let lines = text.lines().count();
            for entry in doc.entries() {
                assert!((1..=lines).contains(&entry.line), "{entry:?}");
                assert_eq!(
                    doc.get(&entry.section, &entry.key).map(|e| &e.key),
                    Some(&entry.key)
                );
            }
        }
        Err(e) => {
            assert!(e.line >= 1 && e.line <= text.lines().count(), "{e:?}");
            assert!(!e.to_string().is_empty());
        }
    }
    let builder = ConfigBuilder::from_ini_str(text, "fuzz.conf");
    assert_eq!(builder.is_ok(), document.is_ok());
    let builder = match builder {
        Ok(builder) => builder,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let _ = (format!("{builder:?}"), builder.unknown_options().len());
    match builder.build() {
        Ok(config) => {
            let _ = (config.to_json_pretty(), format!("{config:?}"));
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
        }
    }
});
