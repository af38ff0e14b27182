//! Constant-time comparison of digests and tags, eight bytes at a time.

use subtle::ConstantTimeEq;

/// Whether `a` and `b` are equal, in time that depends only on their
/// lengths (lengths are not secret: a digest or tag has a fixed size).
pub(crate) fn equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let words = |bytes: &[u8]| {
        let mut word = [0_u8; 8];
        word.get_mut(..bytes.len())
            .unwrap_or_default()
            .copy_from_slice(bytes);
        u64::from_le_bytes(word)
    };
    let mut same = subtle::Choice::from(1);
    for (x, y) in a.chunks(8).zip(b.chunks(8)) {
        same &= words(x).ct_eq(&words(y));
    }
    same.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_only_when_every_byte_is() {
        let a: Vec<u8> = (0..32).collect();
        assert!(equal(&a, &a.clone()));
        for i in 0..32 {
            let mut b = a.clone();
            b[i] ^= 1;
            assert!(!equal(&a, &b), "{i}");
        }
        assert!(!equal(&a, &a[..31]));
        assert!(equal(&[], &[]));
        assert!(equal(&[1, 2, 3], &[1, 2, 3]));
        assert!(!equal(&[1, 2, 3], &[1, 2, 4]));
    }
}
