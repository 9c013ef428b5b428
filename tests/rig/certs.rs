//! Certificates made at test time: a CA the broker and warren trust, a second CA
//! nobody trusts, and the broker and client certificates the TLS tests need, written
//! as PEM files into a directory of the rig.

use std::fs;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType, date_time_ymd,
};

/// A certificate and its key, as PEM files.
#[derive(Debug, Clone)]
pub struct Pair {
    /// The certificate.
    pub cert: PathBuf,
    /// Its private key (PKCS#8).
    pub key: PathBuf,
}

/// Every file the TLS tests use.
#[derive(Debug, Clone)]
pub struct Pki {
    /// The CA that signed everything below but `untrusted_server`.
    pub ca: PathBuf,
    /// Another CA, trusted by no one.
    pub other_ca: PathBuf,
    /// The broker's certificate: `localhost` and `127.0.0.1`.
    pub server: Pair,
    /// The same names, but expired in 2021.
    pub expired_server: Pair,
    /// Signed by the CA, but only for `elsewhere.invalid`.
    pub wrong_host_server: Pair,
    /// A client certificate whose common name is [`CLIENT_USER`].
    pub client: Pair,
}

/// The common name of the client certificate: the user EXTERNAL logs in as.
pub const CLIENT_USER: &str = "warren-tls-client";

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("CA key")).expect("CA")
}

fn leaf(
    dir: &Path,
    file: &str,
    issuer: &CertifiedIssuer<'static, KeyPair>,
    common_name: &str,
    names: &[&str],
    expired: bool,
) -> Pair {
    let mut params = CertificateParams::new(
        names
            .iter()
            .map(|n| (*n).to_owned())
            .collect::<Vec<String>>(),
    )
    .expect("leaf params");
    if names.contains(&"localhost") {
        params
            .subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    if expired {
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2021, 1, 1);
    }
    let key = KeyPair::generate().expect("leaf key");
    let cert = params.signed_by(&key, issuer).expect("sign the leaf");
    let pair = Pair {
        cert: dir.join(format!("{file}.pem")),
        key: dir.join(format!("{file}-key.pem")),
    };
    fs::write(&pair.cert, cert.pem()).expect("write a certificate");
    fs::write(&pair.key, key.serialize_pem()).expect("write a key");
    pair
}

/// Make every certificate under `dir`.
pub fn generate(dir: &Path) -> Pki {
    fs::create_dir_all(dir).expect("create the certificate directory");
    let trusted = ca("warren test CA");
    let other = ca("warren untrusted CA");
    let write_ca = |file: &str, issuer: &CertifiedIssuer<'static, KeyPair>| {
        let path = dir.join(file);
        fs::write(&path, issuer.pem()).expect("write a CA certificate");
        path
    };
    Pki {
        ca: write_ca("ca.pem", &trusted),
        other_ca: write_ca("other-ca.pem", &other),
        server: leaf(dir, "server", &trusted, "localhost", &["localhost"], false),
        expired_server: leaf(dir, "expired", &trusted, "localhost", &["localhost"], true),
        wrong_host_server: leaf(
            dir,
            "wrong-host",
            &trusted,
            "elsewhere.invalid",
            &["elsewhere.invalid"],
            false,
        ),
        client: leaf(dir, "client", &trusted, CLIENT_USER, &[CLIENT_USER], false),
    }
}
