//! The `crypto/*` packages: digests (`md5`, `sha1`, `sha256`, `sha512`), `hmac` signatures and
//! `ed25519` signature checks, on the RustCrypto and dalek implementations. Every function
//! takes bytes or a string (as its UTF-8 bytes), as Go CUE's `[]byte` parameters do.

use super::{bytes, bytes_or_str_arg, str_arg, string, Builtin, BuiltinError, Concrete};
use hmac::{Mac, SimpleHmac};
use sha2::Digest;

const MD5: &str = "crypto/md5";
const SHA1: &str = "crypto/sha1";
const SHA256: &str = "crypto/sha256";
const SHA512: &str = "crypto/sha512";
const HMAC: &str = "crypto/hmac";
const ED25519: &str = "crypto/ed25519";

/// A digest of the first argument.
fn digest<D: Digest>(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    Ok(bytes(D::digest(bytes_or_str_arg(args, 0)?)))
}

pub(super) static MD5_FUNCS: &[Builtin] =
    &[builtin!(MD5, "Sum", [Any] -> Bytes, digest::<md5::Md5>)];
pub(super) static SHA1_FUNCS: &[Builtin] =
    &[builtin!(SHA1, "Sum", [Any] -> Bytes, digest::<sha1::Sha1>)];
pub(super) static SHA256_FUNCS: &[Builtin] = &[
    builtin!(SHA256, "Sum256", [Any] -> Bytes, digest::<sha2::Sha256>),
    builtin!(SHA256, "Sum224", [Any] -> Bytes, digest::<sha2::Sha224>),
];
pub(super) static SHA512_FUNCS: &[Builtin] = &[
    builtin!(SHA512, "Sum512", [Any] -> Bytes, digest::<sha2::Sha512>),
    builtin!(SHA512, "Sum384", [Any] -> Bytes, digest::<sha2::Sha384>),
    builtin!(SHA512, "Sum512_224", [Any] -> Bytes, digest::<sha2::Sha512_224>),
    builtin!(SHA512, "Sum512_256", [Any] -> Bytes, digest::<sha2::Sha512_256>),
];
pub(super) static HMAC_FUNCS: &[Builtin] =
    &[builtin!(HMAC, "Sign", [String, Any, Any] -> Bytes, sign)];
pub(super) static ED25519_FUNCS: &[Builtin] =
    &[builtin!(ED25519, "Valid", [Any, Any, Any] -> Bool, ed25519_valid)];

pub(super) fn md5_constant(name: &str) -> Option<Concrete> {
    sizes(name, 16, 64)
}

pub(super) fn sha1_constant(name: &str) -> Option<Concrete> {
    sizes(name, 20, 64)
}

pub(super) fn sha256_constant(name: &str) -> Option<Concrete> {
    match name {
        "Size224" => Some(Concrete::Int(28)),
        _ => sizes(name, 32, 64),
    }
}

pub(super) fn sha512_constant(name: &str) -> Option<Concrete> {
    match name {
        "Size224" => Some(Concrete::Int(28)),
        "Size256" => Some(Concrete::Int(32)),
        "Size384" => Some(Concrete::Int(48)),
        _ => sizes(name, 64, 128),
    }
}

fn sizes(name: &str, size: i128, block: i128) -> Option<Concrete> {
    match name {
        "Size" => Some(Concrete::Int(size)),
        "BlockSize" => Some(Concrete::Int(block)),
        _ => None,
    }
}

pub(super) fn ed25519_constant(name: &str) -> Option<Concrete> {
    match name {
        "PublicKeySize" => Some(Concrete::Int(32)),
        _ => None,
    }
}

/// The names `hmac.Sign` accepts, which are also the package's constants.
const HASH_NAMES: &[&str] = &[
    "MD5",
    "SHA1",
    "SHA224",
    "SHA256",
    "SHA384",
    "SHA512",
    "SHA512_224",
    "SHA512_256",
];

pub(super) fn hmac_constant(name: &str) -> Option<Concrete> {
    HASH_NAMES.contains(&name).then(|| string(name))
}

/// `hmac.Sign(hash, key, data)`: the HMAC (RFC 2104) of `data` under `key` with the named hash.
fn sign(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let name = str_arg(args, 0)?;
    let (key, data) = (bytes_or_str_arg(args, 1)?, bytes_or_str_arg(args, 2)?);
    fn mac<D>(key: &[u8], data: &[u8]) -> Concrete
    where
        D: Digest + sha2::digest::core_api::BlockSizeUser,
    {
        // A key of any length is valid for HMAC; `SimpleHmac` never refuses one.
        let mut mac =
            SimpleHmac::<D>::new_from_slice(key).expect("HMAC accepts keys of any length");
        mac.update(data);
        bytes(mac.finalize().into_bytes())
    }
    Ok(match name {
        "MD5" => mac::<md5::Md5>(key, data),
        "SHA1" => mac::<sha1::Sha1>(key, data),
        "SHA224" => mac::<sha2::Sha224>(key, data),
        "SHA256" => mac::<sha2::Sha256>(key, data),
        "SHA384" => mac::<sha2::Sha384>(key, data),
        "SHA512" => mac::<sha2::Sha512>(key, data),
        "SHA512_224" => mac::<sha2::Sha512_224>(key, data),
        "SHA512_256" => mac::<sha2::Sha512_256>(key, data),
        _ => {
            return Err(BuiltinError::new(format!(
                "unsupported hash function {}",
                super::quote_string(name)
            )))
        }
    })
}

/// `ed25519.Valid(publicKey, message, signature)`: whether the signature is valid (RFC 8032,
/// checked as Go's `ed25519.Verify` does). A key of the wrong size is an error; a malformed
/// signature or a key that is not a curve point is simply not valid.
fn ed25519_valid(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let key = bytes_or_str_arg(args, 0)?;
    let (message, signature) = (bytes_or_str_arg(args, 1)?, bytes_or_str_arg(args, 2)?);
    let Ok(key) = <[u8; 32]>::try_from(key) else {
        return Err(BuiltinError::new("ed25519: publicKey must be 32 bytes"));
    };
    let Ok(signature) = <[u8; 64]>::try_from(signature) else {
        return Ok(Concrete::Bool(false));
    };
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&key) else {
        return Ok(Concrete::Bool(false));
    };
    let signature = ed25519_dalek::Signature::from_bytes(&signature);
    use ed25519_dalek::Verifier;
    Ok(Concrete::Bool(key.verify(message, &signature).is_ok()))
}

#[cfg(test)]
mod tests {
    use super::super::hex::encode as hex;
    use super::super::testing::*;
    use super::*;

    fn hex_digest(package: &str, name: &str, data: &str) -> String {
        match call(package, name, &[s(data)]) {
            Ok(Concrete::Bytes(b)) => hex(&b),
            other => panic!("{package}.{name}: {other:?}"),
        }
    }

    #[test]
    fn known_digests() {
        assert_eq!(
            hex_digest(MD5, "Sum", "abc"),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            hex_digest(SHA1, "Sum", "abc"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex_digest(SHA256, "Sum256", ""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(hex_digest(SHA512, "Sum384", "abc").len(), 96);
        assert_eq!(hex_digest(SHA512, "Sum512_224", "abc").len(), 56);
        assert_eq!(
            hex_digest(SHA512, "Sum512", "abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        assert_eq!(sha512_constant("Size384"), Some(i(48)));
        assert_eq!(md5_constant("Size"), Some(i(16)));
        assert_eq!(sha256_constant("BlockSize"), Some(i(64)));
    }

    #[test]
    fn hmac_signatures_follow_rfc_2202_and_4231() {
        let signed = |hash: &str, key: Concrete, data: &str| match call(
            HMAC,
            "Sign",
            &[s(hash), key, s(data)],
        ) {
            Ok(Concrete::Bytes(b)) => hex(&b),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            signed("MD5", s("Jefe"), "what do ya want for nothing?"),
            "750c783e6ab0b503eaa86e310a5db738"
        );
        assert_eq!(
            signed("SHA256", bytes([0x0b; 20]), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // A key longer than the block is hashed first.
        assert_eq!(
            signed(
                "SHA1",
                bytes([0xaa; 80]),
                "Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112"
        );
        assert_eq!(hmac_constant("SHA512_256"), Some(s("SHA512_256")));
        assert_eq!(
            call(HMAC, "Sign", &[s("SHA3"), s("k"), s("d")]),
            Err(r#"unsupported hash function "SHA3""#.to_string())
        );
    }

    #[test]
    fn ed25519_signatures() {
        let decode = |text: &str| match call("encoding/hex", "Decode", &[s(text)]) {
            Ok(value) => value,
            Err(e) => panic!("{e}"),
        };
        // RFC 8032, test 1: the empty message.
        let key = decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        let signature = decode(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        );
        check(
            ED25519,
            "Valid",
            &[
                (vec![key.clone(), s(""), signature.clone()], Ok(b(true))),
                (vec![key.clone(), s("x"), signature.clone()], Ok(b(false))),
                (vec![key.clone(), s(""), s("short")], Ok(b(false))),
                (
                    vec![s("short"), s(""), signature],
                    Err("ed25519: publicKey must be 32 bytes"),
                ),
            ],
        );
    }
}
