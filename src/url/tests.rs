//! The cases of oslo.messaging's TestParseURL (scheme `pika`), the vhost rules, errors
//! and redaction.

use super::*;

fn parse(s: &str) -> TransportUrl {
    s.parse()
        .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

fn host(name: Option<&str>, port: Option<u16>, creds: Option<(&str, &str)>) -> TransportHost {
    TransportHost {
        hostname: name.map(str::to_owned),
        port,
        username: creds.map(|(u, _)| u.to_owned()),
        password: creds.map(|(_, p)| Password::new(p)),
    }
}

// The cases of oslo.messaging's TestParseURL, with the scheme changed to `pika`.

#[test]
fn transport_only() {
    let url = parse("pika:");
    assert_eq!(url.scheme(), "pika");
    assert!(url.hosts().is_empty());
    assert_eq!(url.virtual_host(), None);
    assert!(url.query().is_empty());
}

#[test]
fn virtual_host_slash_from_four_slashes() {
    let url = parse("pika:////");
    assert_eq!(url.virtual_host(), Some("/"));
    assert!(url.hosts().is_empty());
}

#[test]
fn virtual_host_without_host() {
    assert_eq!(parse("pika:///bar").virtual_host(), Some("bar"));
}

#[test]
fn host_and_virtual_host() {
    let url = parse("pika://host/bar");
    assert_eq!(url.hosts(), &[host(Some("host"), None, None)]);
    assert_eq!(url.virtual_host(), Some("bar"));
}

#[test]
fn ipv6_host_without_port() {
    let url = parse("pika://[ffff::1]/bar");
    assert_eq!(url.hosts(), &[host(Some("ffff::1"), None, None)]);
    assert_eq!(url.hosts()[0].port_or_default(), 5672);
}

#[test]
fn ipv6_host_with_port() {
    let url = parse("pika://[ffff::1]:1234/bar");
    assert_eq!(url.hosts(), &[host(Some("ffff::1"), Some(1234), None)]);
    assert_eq!(
        parse("pika://[::1]:5672").hosts()[0].hostname.as_deref(),
        Some("::1")
    );
}

#[test]
fn host_with_port() {
    let url = parse("pika://host:1234/bar");
    assert_eq!(url.hosts(), &[host(Some("host"), Some(1234), None)]);
}

#[test]
fn username_only() {
    let url = parse("pika://u@host:1234/bar");
    let h = &url.hosts()[0];
    assert_eq!(h.username.as_deref(), Some("u"));
    assert_eq!(h.password, None);
    assert_eq!(h.hostname.as_deref(), Some("host"));
}

#[test]
fn username_and_password() {
    let url = parse("pika://u:p@host:1234/bar");
    assert_eq!(
        url.hosts(),
        &[host(Some("host"), Some(1234), Some(("u", "p")))]
    );
}

#[test]
fn credentials_without_host() {
    let url = parse("pika://u:p@/bar");
    assert_eq!(url.hosts(), &[host(None, None, Some(("u", "p")))]);
    assert_eq!(url.hosts()[0].host_or_default(), "localhost");
    assert_eq!(url.virtual_host(), Some("bar"));
}

#[test]
fn multiple_hosts_with_partial_credentials_inherit_the_first() {
    let url = parse("pika://u:p@host1:1234,host2:4321/bar");
    assert_eq!(
        url.hosts(),
        &[
            host(Some("host1"), Some(1234), Some(("u", "p"))),
            host(Some("host2"), Some(4321), Some(("u", "p"))),
        ]
    );
    let url = parse("pika://host1,u:p@host2,host3");
    assert!(
        url.hosts()
            .iter()
            .all(|h| h.username.as_deref() == Some("u"))
    );
}

#[test]
fn multiple_hosts_without_credentials_have_none() {
    let url = parse("pika://host1,host2/");
    assert!(
        url.hosts()
            .iter()
            .all(|h| h.username.is_none() && h.password.is_none())
    );
}

#[test]
fn per_host_credentials() {
    let url = parse("pika://u1:p1@host1:1234,u2:p2@host2:4321/bar");
    assert_eq!(
        url.hosts(),
        &[
            host(Some("host1"), Some(1234), Some(("u1", "p1"))),
            host(Some("host2"), Some(4321), Some(("u2", "p2"))),
        ]
    );
}

#[test]
fn per_host_credentials_ipv6() {
    let url = parse("pika://u1:p1@[ffff::1]:1234,u2:p2@[ffff::2]:4321/bar");
    assert_eq!(
        url.hosts(),
        &[
            host(Some("ffff::1"), Some(1234), Some(("u1", "p1"))),
            host(Some("ffff::2"), Some(4321), Some(("u2", "p2"))),
        ]
    );
}

#[test]
fn percent_decoding_of_user_password_and_vhost() {
    let url = parse("pika://u%24:p%26@host:1234/%24");
    assert_eq!(
        url.hosts(),
        &[host(Some("host"), Some(1234), Some(("u$", "p&")))]
    );
    assert_eq!(url.virtual_host(), Some("$"));
}

#[test]
fn guide_form_with_two_hosts() {
    let url = parse("pika://user:pass@host1:5672,host2:5672");
    assert_eq!(
        url.hosts(),
        &[
            host(Some("host1"), Some(5672), Some(("user", "pass"))),
            host(Some("host2"), Some(5672), Some(("user", "pass"))),
        ]
    );
    assert_eq!(url.virtual_host(), None);
    assert_eq!(url.effective_virtual_host(), "/");
}

#[test]
fn virtual_host_rules() {
    let cases = [
        ("pika://h", None, "/"),
        ("pika://h/", Some(""), "/"),
        ("pika://h/foo", Some("foo"), "foo"),
        ("pika://h//", Some("/"), "/"),
        ("pika://h/%2F", Some("/"), "/"),
        ("pika://h/a%2Fb?x=1", Some("a/b"), "a/b"),
        ("pika://h?x=1", None, "/"),
    ];
    for (s, vhost, effective) in cases {
        let url = parse(s);
        assert_eq!(url.virtual_host(), vhost, "{s}");
        assert_eq!(url.effective_virtual_host(), effective, "{s}");
    }
}

#[test]
fn scheme_variants() {
    assert_eq!(parse("pika+ssl://h").scheme(), "pika+ssl");
    assert_eq!(parse("PIKA://h").scheme(), "PIKA");
}

#[test]
fn missing_host_and_port_default_to_localhost_5672() {
    let url = parse("pika://");
    assert!(url.hosts().is_empty());
    let hosts = url.effective_hosts();
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0].host_or_default(), "localhost");
    assert_eq!(hosts[0].port_or_default(), 5672);
    assert_eq!(parse("pika://h:").hosts()[0].port, None);
}

#[test]
fn empty_host_pieces_are_skipped() {
    assert_eq!(parse("pika://h1,,h2,").hosts().len(), 2);
}

#[test]
fn password_may_contain_at_and_colon() {
    let url = parse("pika://u:p@ss:w@host");
    let h = &url.hosts()[0];
    assert_eq!(h.password.as_ref().unwrap().expose(), "p@ss:w");
    assert_eq!(h.hostname.as_deref(), Some("host"));
}

#[test]
fn query_follows_parse_qs() {
    let url = parse("pika://h/?a=1&b=&c&a=2&d=x+y&e=%2C");
    assert_eq!(
        url.query(),
        &[
            ("a".to_owned(), "1,2".to_owned()),
            ("d".to_owned(), "x y".to_owned()),
            ("e".to_owned(), ",".to_owned()),
        ]
    );
    assert_eq!(url.query_value("b"), None);
}

#[test]
fn bad_port_is_an_error() {
    for s in [
        "pika://h:abc",
        "pika://h:70000",
        "pika://h:0",
        "pika://h:-1",
        "pika://a,h:5x",
    ] {
        assert!(
            matches!(s.parse::<TransportUrl>(), Err(UrlError::BadPort { .. })),
            "{s}"
        );
    }
    let err = "pika://a,h:x".parse::<TransportUrl>().unwrap_err();
    assert_eq!(err, UrlError::BadPort { host_index: 2 });
    assert!(err.to_string().contains("1 to 65535"), "{err}");
}

#[test]
fn empty_url_is_an_error() {
    assert_eq!("".parse::<TransportUrl>(), Err(UrlError::Empty));
    assert_eq!("  ".parse::<TransportUrl>(), Err(UrlError::Empty));
}

#[test]
fn wrong_scheme_is_named() {
    let err = "rabbit://u:p@h:5672/".parse::<TransportUrl>().unwrap_err();
    assert_eq!(
        err,
        UrlError::WrongScheme {
            scheme: "rabbit".into()
        }
    );
    let msg = err.to_string();
    assert!(msg.contains("`rabbit`") && msg.contains("pika://"), "{msg}");
    assert_eq!(
        "localhost:5672".parse::<TransportUrl>().unwrap_err(),
        UrlError::WrongScheme {
            scheme: "localhost".into()
        }
    );
}

#[test]
fn other_shape_errors() {
    assert_eq!("h1".parse::<TransportUrl>(), Err(UrlError::NoScheme));
    assert_eq!("1pika://h".parse::<TransportUrl>(), Err(UrlError::NoScheme));
    assert_eq!(
        "pika:h".parse::<TransportUrl>(),
        Err(UrlError::MissingSlashes)
    );
    assert_eq!(
        "pika://h/#x".parse::<TransportUrl>(),
        Err(UrlError::Fragment)
    );
    assert_eq!(
        "pika://[::1".parse::<TransportUrl>(),
        Err(UrlError::BadIpv6 { host_index: 1 })
    );
    assert_eq!(
        "pika://[::1]x".parse::<TransportUrl>(),
        Err(UrlError::BadIpv6 { host_index: 1 })
    );
    assert_eq!(
        "pika://u:%FF@h".parse::<TransportUrl>(),
        Err(UrlError::BadPercentEncoding {
            part: UrlPart::Password
        })
    );
}

#[test]
fn errors_never_contain_the_password() {
    let secret = "Zq9secretW";
    let bad = [
        format!("pika://u:{secret}@h:99999/"),
        format!("pika://u:{secret}@[::1/"),
        format!("pika://u:{secret}@h/#"),
        format!("rabbit://u:{secret}@h/"),
        format!("pika://u:{secret}@h:x,u:{secret}%FF@h2"),
        // An unencoded `/` in the password puts part of it where the port goes.
        format!("pika://u:{secret}/x@h"),
        format!("pika:{secret}@h"),
    ];
    for s in bad {
        let err = s
            .parse::<TransportUrl>()
            .expect_err("each of these URLs is malformed");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}

#[test]
fn display_and_debug_redact_passwords() {
    let url = parse("pika://u%40x:s3cret@h1:5672,[::1]/v%2Fh?ssl_options=password:s3cret&x=1");
    let shown = url.to_string();
    assert_eq!(
        shown,
        "pika://u%40x:***@h1:5672,u%40x:***@[::1]/v%2Fh?ssl_options=***&x=1"
    );
    assert!(!format!("{url:?}").contains("s3cret"));
    assert!(!format!("{:?}", url.hosts()).contains("s3cret"));
    assert_eq!(parse("pika://u@h").to_string(), "pika://u@h");
}

#[test]
fn display_output_parses_back_to_the_same_hosts() {
    // Printed before as `pika://`, `pika://,h2`, `pika://[x` and `pika://h ` (whose
    // trailing space the parser trims): an empty host vanished, a name lost its brackets.
    for (given, shown) in [
        ("pika://:", "pika://:"),
        ("pika://:,h2", "pika://:,h2"),
        ("pika://[[x]", "pika://[[x]"),
        ("pika://h ?", "pika://[h ]"),
        (
            "pika://u:p@[::1]:5672,:/v",
            "pika://u:***@[::1]:5672,u:***@/v",
        ),
    ] {
        let url = parse(given);
        assert_eq!(url.to_string(), shown, "{given}");
        let again = parse(shown);
        assert_eq!(again.to_string(), shown);
        let names = |u: &TransportUrl| {
            u.hosts()
                .iter()
                .map(|h| (h.hostname.clone(), h.port, h.username.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&again), names(&url), "{given}");
    }
}

#[test]
fn serializes_hosts_vhost_and_redacted_url() {
    let url = parse("pika://u:s3cret@h1,h2:5673/");
    let json = serde_json::to_value(&url).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "url": "pika://u:***@h1,u:***@h2:5673/",
            "hosts": [
                {"host": "h1", "port": 5672, "username": "u"},
                {"host": "h2", "port": 5673, "username": "u"},
            ],
            "virtual_host": "/",
            "query": {},
        })
    );
}

#[test]
fn fake_and_memory_name_the_in_memory_broker() {
    for s in [
        "fake://",
        "fake:///",
        "memory://",
        "FAKE://",
        "memory:///tests",
    ] {
        let url: TransportUrl = s.parse().unwrap();
        assert!(url.is_in_memory(), "{s}");
    }
    assert_eq!(
        "memory:///tests"
            .parse::<TransportUrl>()
            .unwrap()
            .effective_virtual_host(),
        "tests"
    );
    for s in ["pika://h/", "pika+ssl://h/"] {
        assert!(!s.parse::<TransportUrl>().unwrap().is_in_memory(), "{s}");
    }
    let msg = "rabbit://h/"
        .parse::<TransportUrl>()
        .unwrap_err()
        .to_string();
    assert!(msg.contains("fake://"), "{msg}");
}
