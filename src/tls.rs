//! HTTPS without a proxy: the certificate chain and key from `tls_cert` / `tls_key` (PEM),
//! served by rustls with HTTP/2 and HTTP/1.1 offered by ALPN. `Certificates::reload` reads
//! the files again (SIGHUP): new handshakes get the new pair, connections already open keep
//! theirs, nothing is dropped. A pair that does not load is refused and the old one stays.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::crypto::ring as provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("tls_cert {path}: {message}")]
    Cert { path: String, message: String },
    #[error("tls_key {path}: {message}")]
    Key { path: String, message: String },
    #[error("tls_cert and tls_key do not belong together: {0}")]
    Mismatch(String),
    #[error("TLS set-up: {0}")]
    Setup(String),
}

/// The pair in use, swapped whole on reload.
pub struct Certificates {
    cert_path: PathBuf,
    key_path: PathBuf,
    current: ArcSwap<CertifiedKey>,
}

impl fmt::Debug for Certificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificates")
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

fn load(cert_path: &Path, key_path: &Path) -> Result<CertifiedKey, TlsError> {
    let cert_error = |message: String| TlsError::Cert {
        path: cert_path.display().to_string(),
        message,
    };
    let chain = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| cert_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(e.to_string()))?;
    if chain.is_empty() {
        return Err(cert_error("no CERTIFICATE in the file".into()));
    }
    // The key's text is never put in an error message.
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| TlsError::Key {
        path: key_path.display().to_string(),
        message: e.to_string(),
    })?;
    let signer = provider::sign::any_supported_type(&key).map_err(|e| TlsError::Key {
        path: key_path.display().to_string(),
        message: e.to_string(),
    })?;
    let pair = CertifiedKey::new(chain, signer);
    pair.keys_match()
        .map_err(|e| TlsError::Mismatch(e.to_string()))?;
    Ok(pair)
}

impl Certificates {
    pub fn open(cert_path: &Path, key_path: &Path) -> Result<Arc<Certificates>, TlsError> {
        let pair = load(cert_path, key_path)?;
        Ok(Arc::new(Certificates {
            cert_path: cert_path.to_path_buf(),
            key_path: key_path.to_path_buf(),
            current: ArcSwap::from_pointee(pair),
        }))
    }

    /// Reads both files again and, when they load, serves them to new handshakes.
    /// Blocking (file reads): from the blocking pool.
    pub fn reload(&self) -> Result<(), TlsError> {
        let pair = load(&self.cert_path, &self.key_path)?;
        self.current.store(Arc::new(pair));
        Ok(())
    }

    /// The rustls configuration for the listener (actix adds the ALPN protocols).
    pub fn server_config(self: &Arc<Self>) -> Result<rustls::ServerConfig, TlsError> {
        let config =
            rustls::ServerConfig::builder_with_provider(Arc::new(provider::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| TlsError::Setup(e.to_string()))?
                .with_no_client_auth()
                .with_cert_resolver(self.clone());
        Ok(config)
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}
