//! The `crypto/sha1` package: SHA-1 digests (FIPS 180-4), also used for name-based UUIDs.

use super::{bytes, bytes_or_str_arg, Builtin, Concrete};

const P: &str = "crypto/sha1";

pub(super) static FUNCS: &[Builtin] = &[builtin!(P, "Sum", [Any] -> Bytes, |a| {
    Ok(bytes(sum(bytes_or_str_arg(a, 0)?)))
})];

pub(super) fn constant(name: &str) -> Option<Concrete> {
    match name {
        "Size" => Some(Concrete::Int(20)),
        "BlockSize" => Some(Concrete::Int(64)),
        _ => None,
    }
}

/// The SHA-1 digest of `data`.
pub fn sum(data: &[u8]) -> [u8; 20] {
    let mut state: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut message = data.to_vec();
    let bit_length = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_length.to_be_bytes());
    for block in message.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (t, word) in block.chunks_exact(4).enumerate() {
            w[t] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for t in 16..80 {
            w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = state;
        for (t, &word) in w.iter().enumerate() {
            let (f, k) = match t {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let temp = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(word);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = temp;
        }
        for (slot, value) in state.iter_mut().zip([a, b, c, d, e]) {
            *slot = slot.wrapping_add(value);
        }
    }
    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::hex::encode as hex;
    use super::super::testing::*;
    use super::*;

    #[test]
    fn known_digests() {
        assert_eq!(hex(&sum(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sum(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(hex(&sum(long)), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
        let digest = call(P, "Sum", &[s("abc")]).expect("digest");
        assert!(matches!(digest, Concrete::Bytes(b) if b.len() == 20));
        assert_eq!(constant("Size"), Some(i(20)));
    }
}
