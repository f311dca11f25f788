//! DingTalk's callback crypto (events.md §1.3): the AES-256-CBC envelope and SHA-1 signature of HTTP push, used by
//! an app to open DingTalk's pushes and sign its `success` reply, and by the emulator to do DingTalk's side.
//!
//! ```
//! use dingtalk_client::crypto::CallbackCrypto;
//! # fn demo() -> Result<(), dingtalk_client::crypto::CryptoError> {
//! let crypto = CallbackCrypto::new("myToken123", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ", "dingappkey0001")?;
//! let sealed = crypto.seal(r#"{"EventType":"check_url"}"#, "1700000000000", "nonce123")?;
//! let opened = crypto.open(&sealed.msg_signature, &sealed.time_stamp, &sealed.nonce, &sealed.encrypt)?;
//! assert_eq!(opened, r#"{"EventType":"check_url"}"#);
//! # Ok(()) }
//! ```

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// The padding block of DingTalk's PKCS#7-style padding: 32, not AES's 16.
const PAD_BLOCK: usize = 32;
/// Length of the random prefix of every plaintext.
const RANDOM_LEN: usize = 16;
/// Length of the `aesKey` the developer console hands out.
const AES_KEY_LEN: usize = 43;

/// Standard Base64 for ciphertexts: `+/`, with `=` padding, no line breaks.
const STANDARD: GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// A forgiving decoder: console keys are often non-canonical (their last character carries bits that decoding
/// drops, events.md §1.3 gotcha), and some SDKs' replies omit or keep padding loosely. Java and Python accept both.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a callback could not be sealed or opened. Each variant carries DingTalk's code ([`CryptoError::code`]), as
/// listed in events.md §1.3 and DingTalk's error-code page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// 900004: the `aesKey` is not 43 characters of Base64 that decode to 32 bytes.
    #[error("invalid aes key: {0}")]
    BadAesKey(String),
    /// 900005: the signature does not match `sha1(sort(token, timestamp, nonce, encrypt))`.
    #[error("signature mismatch")]
    SignatureMismatch,
    /// 900006: DingTalk's "signature compute error"; here an input the signature needs (signature, timestamp,
    /// nonce or encrypt) is missing.
    #[error("cannot compute the signature: missing {0}")]
    MissingInput(&'static str),
    /// 900007: the message cannot be encrypted (the random prefix is not 16 bytes, or the message is too long).
    #[error("encrypt failed: {0}")]
    EncryptFailed(String),
    /// 900008: the ciphertext is not Base64, not a whole number of AES blocks, or its padding is wrong.
    #[error("decrypt failed: {0}")]
    DecryptFailed(String),
    /// 900009: the length field does not fit the decrypted plaintext, or the message is not UTF-8.
    #[error("decrypted length mismatch: {0}")]
    LengthMismatch(String),
    /// 900010: the plaintext was sealed for another receiver (corpId, AppKey or SuiteKey).
    #[error("receiveId mismatch: the message is for {found:?}")]
    ReceiveIdMismatch {
        /// The receiveId found in the plaintext.
        found: String,
    },
}

impl CryptoError {
    /// DingTalk's numeric code for this error (900004..=900010).
    pub fn code(&self) -> i64 {
        match self {
            Self::BadAesKey(_) => 900_004,
            Self::SignatureMismatch => 900_005,
            Self::MissingInput(_) => 900_006,
            Self::EncryptFailed(_) => 900_007,
            Self::DecryptFailed(_) => 900_008,
            Self::LengthMismatch(_) => 900_009,
            Self::ReceiveIdMismatch { .. } => 900_010,
        }
    }
}

/// One side of an encrypted callback: the console's `token` and `aesKey` and the receiveId (the AppKey for an
/// internal app's console subscription, the corpId for the legacy register-callback API).
#[derive(Clone)]
pub struct CallbackCrypto {
    token: String,
    key: [u8; 32],
    receive_id: String,
}

impl fmt::Debug for CallbackCrypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackCrypto")
            .field("token", &"<redacted>")
            .field("aes_key", &"<redacted>")
            .field("receive_id", &self.receive_id)
            .finish()
    }
}

/// An encrypted, signed message as an app replies it (`{"msg_signature","timeStamp","nonce","encrypt"}`,
/// events.md §1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedMessage {
    /// Lowercase hex SHA-1 over token, timestamp, nonce and encrypt.
    pub msg_signature: String,
    /// The timestamp that was signed, an opaque string.
    #[serde(rename = "timeStamp")]
    pub time_stamp: String,
    /// The nonce that was signed.
    pub nonce: String,
    /// Base64 of the ciphertext.
    pub encrypt: String,
}

/// The query of an incoming push. DingTalk's docs name `signature` and `timestamp`; the official samples also accept
/// `msg_signature` and `timeStamp` (events.md §1.1), so both spellings are read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushQuery {
    /// The signature, as documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The signature, as the samples also spell it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg_signature: Option<String>,
    /// The timestamp, as documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The timestamp, as the samples also spell it.
    #[serde(default, rename = "timeStamp", skip_serializing_if = "Option::is_none")]
    pub time_stamp: Option<String>,
    /// The nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// The body of an incoming push: `{"encrypt":"<base64>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushBody {
    /// Base64 of the ciphertext.
    pub encrypt: String,
}

impl CallbackCrypto {
    /// Checks the `aesKey` (43 characters of Base64, 32 bytes once `=` is appended) and keeps the three inputs.
    pub fn new(token: impl Into<String>, aes_key: &str, receive_id: impl Into<String>) -> Result<Self, CryptoError> {
        if aes_key.chars().count() != AES_KEY_LEN {
            return Err(CryptoError::BadAesKey(format!("{} characters, not {AES_KEY_LEN}", aes_key.chars().count())));
        }
        let bytes =
            LENIENT.decode(format!("{aes_key}=")).map_err(|e| CryptoError::BadAesKey(format!("not Base64 ({e})")))?;
        let key: [u8; 32] =
            bytes.try_into().map_err(|b: Vec<u8>| CryptoError::BadAesKey(format!("{} bytes, not 32", b.len())))?;
        Ok(Self { token: token.into(), key, receive_id: receive_id.into() })
    }

    /// The receiveId messages are sealed for and checked against.
    pub fn receive_id(&self) -> &str {
        &self.receive_id
    }

    /// Encrypts `msg` behind a fresh random prefix of 16 alphanumerics.
    pub fn encrypt(&self, msg: &str) -> Result<String, CryptoError> {
        self.encrypt_with_prefix(msg, random_alphanumeric(RANDOM_LEN).as_bytes())
    }

    /// Encrypts `msg` behind the given 16-byte prefix (for reproducible test vectors).
    pub fn encrypt_with_prefix(&self, msg: &str, random16: &[u8]) -> Result<String, CryptoError> {
        if random16.len() != RANDOM_LEN {
            return Err(CryptoError::EncryptFailed(format!("random prefix of {} bytes, not 16", random16.len())));
        }
        let len = u32::try_from(msg.len())
            .map_err(|_| CryptoError::EncryptFailed(format!("message of {} bytes is too long", msg.len())))?;
        let mut buf = Vec::with_capacity(RANDOM_LEN + 4 + msg.len() + self.receive_id.len() + PAD_BLOCK);
        buf.extend_from_slice(random16);
        buf.extend_from_slice(&len.to_be_bytes());
        buf.extend_from_slice(msg.as_bytes());
        buf.extend_from_slice(self.receive_id.as_bytes());
        let pad = PAD_BLOCK - buf.len() % PAD_BLOCK;
        buf.resize(buf.len() + pad, pad as u8);
        let total = buf.len();
        let cipher = Aes256CbcEnc::new(&self.key.into(), (&self.iv()).into());
        let sealed = cipher
            .encrypt_padded_mut::<NoPadding>(&mut buf, total)
            .map_err(|e| CryptoError::EncryptFailed(e.to_string()))?;
        Ok(STANDARD.encode(sealed))
    }

    /// Decrypts an `encrypt` value and checks that it was sealed for this receiveId.
    pub fn decrypt(&self, encrypt: &str) -> Result<String, CryptoError> {
        // Python's `encodebytes` puts line breaks into Base64; they carry nothing.
        let compact: String = encrypt.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let mut buf = LENIENT.decode(compact).map_err(|e| CryptoError::DecryptFailed(format!("not Base64 ({e})")))?;
        if buf.is_empty() {
            return Err(CryptoError::DecryptFailed("empty ciphertext".into()));
        }
        let cipher = Aes256CbcDec::new(&self.key.into(), (&self.iv()).into());
        let plain = cipher
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| CryptoError::DecryptFailed("not a whole number of AES blocks".into()))?;
        let pad = usize::from(plain[plain.len() - 1]);
        if !(1..=PAD_BLOCK).contains(&pad)
            || pad > plain.len()
            || plain[plain.len() - pad..].iter().any(|&b| b != pad as u8)
        {
            return Err(CryptoError::DecryptFailed("bad padding".into()));
        }
        let content = &plain[..plain.len() - pad];
        let Some(len_field) = content.get(RANDOM_LEN..RANDOM_LEN + 4) else {
            return Err(CryptoError::LengthMismatch(format!("{} bytes leave no room for the length", content.len())));
        };
        let len = u32::from_be_bytes([len_field[0], len_field[1], len_field[2], len_field[3]]) as usize;
        let rest = &content[RANDOM_LEN + 4..];
        if len > rest.len() {
            return Err(CryptoError::LengthMismatch(format!(
                "length field {len} exceeds the {} bytes left",
                rest.len()
            )));
        }
        let (msg, receive_id) = rest.split_at(len);
        if receive_id != self.receive_id.as_bytes() {
            return Err(CryptoError::ReceiveIdMismatch { found: String::from_utf8_lossy(receive_id).into_owned() });
        }
        String::from_utf8(msg.to_vec()).map_err(|_| CryptoError::LengthMismatch("the message is not UTF-8".into()))
    }

    /// The signature: lowercase hex SHA-1 of the four inputs sorted ascending and concatenated.
    pub fn signature(&self, timestamp: &str, nonce: &str, encrypt: &str) -> String {
        let mut parts = [self.token.as_str(), timestamp, nonce, encrypt];
        parts.sort_unstable();
        let mut hasher = Sha1::new();
        for part in parts {
            hasher.update(part.as_bytes());
        }
        hex::encode(hasher.finalize())
    }

    /// Checks a signature (case-insensitive hex, as Java compares after recomputing).
    pub fn verify(&self, signature: &str, timestamp: &str, nonce: &str, encrypt: &str) -> Result<(), CryptoError> {
        if self.signature(timestamp, nonce, encrypt).eq_ignore_ascii_case(signature) {
            Ok(())
        } else {
            Err(CryptoError::SignatureMismatch)
        }
    }

    /// Encrypts and signs `msg` with the given timestamp and nonce.
    pub fn seal(&self, msg: &str, timestamp: &str, nonce: &str) -> Result<SealedMessage, CryptoError> {
        let encrypt = self.encrypt(msg)?;
        let msg_signature = self.signature(timestamp, nonce, &encrypt);
        Ok(SealedMessage { msg_signature, time_stamp: timestamp.into(), nonce: nonce.into(), encrypt })
    }

    /// Verifies the signature, then decrypts: the check both sides make on what the other sent.
    pub fn open(&self, signature: &str, timestamp: &str, nonce: &str, encrypt: &str) -> Result<String, CryptoError> {
        self.verify(signature, timestamp, nonce, encrypt)?;
        self.decrypt(encrypt)
    }

    /// Opens an app's reply (or any [`SealedMessage`]).
    pub fn open_sealed(&self, sealed: &SealedMessage) -> Result<String, CryptoError> {
        self.open(&sealed.msg_signature, &sealed.time_stamp, &sealed.nonce, &sealed.encrypt)
    }

    /// Opens an incoming push: either spelling of signature and timestamp, then verify and decrypt.
    pub fn open_push(&self, query: &PushQuery, body: &PushBody) -> Result<String, CryptoError> {
        let signature = query
            .signature
            .as_deref()
            .or(query.msg_signature.as_deref())
            .ok_or(CryptoError::MissingInput("signature"))?;
        let timestamp =
            query.timestamp.as_deref().or(query.time_stamp.as_deref()).ok_or(CryptoError::MissingInput("timestamp"))?;
        let nonce = query.nonce.as_deref().ok_or(CryptoError::MissingInput("nonce"))?;
        if body.encrypt.is_empty() {
            return Err(CryptoError::MissingInput("encrypt"));
        }
        self.open(signature, timestamp, nonce, &body.encrypt)
    }

    /// The app's reply to every push, `success` sealed with the current time in ms and a random nonce.
    pub fn success_reply(&self) -> Result<SealedMessage, CryptoError> {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        self.seal("success", &now_ms.to_string(), &random_alphanumeric(8))
    }

    /// The IV is the key's first 16 bytes.
    fn iv(&self) -> [u8; 16] {
        let mut iv = [0; 16];
        iv.copy_from_slice(&self.key[..16]);
        iv
    }
}

/// Random ASCII letters and digits, for prefixes and nonces.
pub fn random_alphanumeric(len: usize) -> String {
    rand::rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "myToken123";
    const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
    const RECEIVE_ID: &str = "dingappkey0001";

    fn crypto() -> CallbackCrypto {
        CallbackCrypto::new(TOKEN, AES_KEY, RECEIVE_ID).unwrap()
    }

    /// Encrypts with a fixed prefix and checks ciphertext, signature and the way back.
    fn check_vector(random16: &str, msg: &str, timestamp: &str, nonce: &str, encrypt: &str, signature: &str) {
        let c = crypto();
        assert_eq!(c.encrypt_with_prefix(msg, random16.as_bytes()).unwrap(), encrypt);
        assert_eq!(c.signature(timestamp, nonce, encrypt), signature);
        assert_eq!(c.open(signature, timestamp, nonce, encrypt).unwrap(), msg);
    }

    #[test]
    fn the_key_and_iv_are_the_decoded_aes_key() {
        let c = crypto();
        assert_eq!(hex::encode(c.key), "69b71d79f8218a39259a7a29aabb2dbafc31cb300108310518720928b30d38f4");
        assert_eq!(hex::encode(c.iv()), "69b71d79f8218a39259a7a29aabb2dba");
    }

    #[test]
    fn vector_a_check_url_push() {
        check_vector(
            "0123456789abcdef",
            r#"{"EventType":"check_url"}"#,
            "1700000000000",
            "nonce123",
            "B4PcXgtThYsrOQnzxvXRUIxvQObioV3rQImCxPjIf/MjvYOsZ3MmTlMmYKbKU0roFujWfUmJ0OO4WKZFaTCW7A==",
            "2b40ea385bfcb8f85997c0b0c4005f29ad28dd18",
        );
    }

    #[test]
    fn vector_b_success_reply() {
        let encrypt = "ErpPV0X+OcT3m4an613n1bjYK3bkMy0my9hM42Hv+q0605L5oW1c1oJdTTyO51LK7NqSf4vFxQm2FBtRuTwuQw==";
        check_vector(
            "ABCDEFGHIJKLMNOP",
            "success",
            "1700000000001",
            "nonce456",
            encrypt,
            "de411ecec4c281df51972da458eadd850ca7a3e8",
        );
        let reply: SealedMessage = serde_json::from_value(serde_json::json!({
            "msg_signature": "de411ecec4c281df51972da458eadd850ca7a3e8",
            "timeStamp": "1700000000001",
            "nonce": "nonce456",
            "encrypt": encrypt,
        }))
        .unwrap();
        assert_eq!(crypto().open_sealed(&reply).unwrap(), "success");
    }

    #[test]
    fn vector_c_utf8_event_counts_bytes() {
        let msg = r#"{"EventType":"bpms_instance_change","processInstanceId":"pi-0001","corpId":"dingcorp0001","createTime":1700000000000,"title":"张三提交的请假","type":"start","staffId":"user001","url":"https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm","processCode":"PROC-TEST-0001","bizCategoryId":""}"#;
        assert_eq!(msg.len(), 298);
        check_vector(
            "QRSTUVWXYZ012345",
            msg,
            "1700000000002",
            "nonce789",
            "xvkWEFfj71UbSaTLvO0Ovlt9XRcWPGSrwWb9CM5XeDMNVMAU8OhL3wcbQfh1SW4e85fp0NSrmbvr/sIGJpiqJ6KLeESHNhUUZLYaF+romQ9nxIzhBRd5K6C6q3XsE4bTu+fSLJmsnijRAG3WQFSLpW1ySqy90Ak2qyVTRarfEwZRJ1wLZ/cAtrrG9tcfXkQf0wB2Ei6Wr33Y+x5xKSLJAEl5eZH9bO78WgTbePRKrVUWai6yC+Qmk2FHnkKDKRuCzM68rAlqOSOjl072de3smriMswn2IJpTLU6QCkMCOUXoQU0Prp3bhTJArOySgCqvkG9/UyXSVAE6jJ7lX3MYvY/de/ozMCDxt4pwV0YtZwJUup6Yv0TD/mfeyQMyPju1/dGJ5OrGXWE4JbVaSzxHSVxWyjoUnbnjPT+Qp7Zp1mI47L/1DSa6ziTeonNrGEE82yy2iXqcZjc8Lsy6FsEuiQ==",
            "437b59303846ad06464b0a9b60fd11ab12cc2bb4",
        );
    }

    #[test]
    fn vector_d_official_sample_opens_with_a_non_canonical_key() {
        let c = CallbackCrypto::new("mryue", "Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7", "ding6ccabc44d2c8d38b")
            .unwrap();
        assert_eq!(hex::encode(c.key), "62e7b411f74de7dd3473571ee5c7fa035e7673adc30ded7cd3c6bad1ce5e71de");
        let query = PushQuery {
            msg_signature: Some("03044561471240d4a14bb09372dfcfd4fd0e40cb".into()),
            time_stamp: Some("1608001896814".into()),
            nonce: Some("WL4PK6yA".into()),
            ..PushQuery::default()
        };
        let body = PushBody {
            encrypt: "0vJiX6vliEpwG3U45CtXqi+m8PXbQRARJ8p8BbDuD1EMTDf0jKpQ79QS93qEk7XHpP6u+oTTrd15NRPvNvmBKyDCYxxOK+HZeKju4yhELOFchzNukR+t8SB/qk4ROMu3".into(),
        };
        assert_eq!(c.open_push(&query, &body).unwrap(), r#"{"EventType":"check_url"}"#);
    }

    #[test]
    fn a_push_reads_the_documented_query_names_too() {
        let c = crypto();
        let sealed = c.seal("hello", "1", "n").unwrap();
        let query: PushQuery = serde_json::from_value(
            serde_json::json!({"signature": sealed.msg_signature, "timestamp": "1", "nonce": "n"}),
        )
        .unwrap();
        assert_eq!(c.open_push(&query, &PushBody { encrypt: sealed.encrypt.clone() }).unwrap(), "hello");
        let without_nonce = PushQuery { nonce: None, ..query };
        let err = c.open_push(&without_nonce, &PushBody { encrypt: sealed.encrypt }).unwrap_err();
        assert_eq!(err, CryptoError::MissingInput("nonce"));
        assert_eq!(err.code(), 900_006);
    }

    #[test]
    fn a_success_reply_opens_to_success_and_differs_each_time() {
        let c = crypto();
        let one = c.success_reply().unwrap();
        let two = c.success_reply().unwrap();
        assert_ne!(one.encrypt, two.encrypt, "the random prefix changes the ciphertext");
        assert_eq!(c.open_sealed(&one).unwrap(), "success");
        let json = serde_json::to_value(&one).unwrap();
        for field in ["msg_signature", "timeStamp", "nonce", "encrypt"] {
            assert!(json[field].is_string(), "{field} missing in {json}");
        }
    }

    #[test]
    fn a_wrong_signature_is_900005() {
        let c = crypto();
        let sealed = c.seal("success", "1700000000001", "nonce456").unwrap();
        let err = c.open(&sealed.msg_signature, "1700000000002", "nonce456", &sealed.encrypt).unwrap_err();
        assert_eq!(err, CryptoError::SignatureMismatch);
        assert_eq!(err.code(), 900_005);
        let other_token = CallbackCrypto::new("otherToken", AES_KEY, RECEIVE_ID).unwrap();
        assert_eq!(other_token.open_sealed(&sealed), Err(CryptoError::SignatureMismatch));
    }

    #[test]
    fn a_message_for_another_receiver_is_900010() {
        let sealed = crypto().encrypt("success").unwrap();
        let other = CallbackCrypto::new(TOKEN, AES_KEY, "dingcorp0001").unwrap();
        let err = other.decrypt(&sealed).unwrap_err();
        assert_eq!(err, CryptoError::ReceiveIdMismatch { found: RECEIVE_ID.into() });
        assert_eq!(err.code(), 900_010);
    }

    #[test]
    fn an_aes_key_of_the_wrong_length_is_900004() {
        for key in ["", &AES_KEY[..42], &format!("{AES_KEY}A"), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP!"] {
            let err = CallbackCrypto::new(TOKEN, key, RECEIVE_ID).unwrap_err();
            assert!(matches!(err, CryptoError::BadAesKey(_)), "{key:?} gave {err:?}");
            assert_eq!(err.code(), 900_004);
        }
    }

    #[test]
    fn bad_padding_is_900008() {
        let c = crypto();
        // A plaintext whose last byte claims 0x21 (33) bytes of padding, more than the block of 32 allows.
        let mut buf = [0x21u8; 64];
        let cipher = Aes256CbcEnc::new(&c.key.into(), (&c.iv()).into());
        let sealed = cipher.encrypt_padded_mut::<NoPadding>(&mut buf, 64).unwrap().to_vec();
        let err = c.decrypt(&STANDARD.encode(&sealed)).unwrap_err();
        assert_eq!(err, CryptoError::DecryptFailed("bad padding".into()));
        assert_eq!(err.code(), 900_008);
        // Padding bytes that disagree with the last one.
        let mut buf = [0x02u8; 32];
        buf[30] = 0x03;
        let cipher = Aes256CbcEnc::new(&c.key.into(), (&c.iv()).into());
        let sealed = cipher.encrypt_padded_mut::<NoPadding>(&mut buf, 32).unwrap().to_vec();
        assert_eq!(c.decrypt(&STANDARD.encode(&sealed)), Err(CryptoError::DecryptFailed("bad padding".into())));
        // Not a whole number of blocks, and not Base64 at all.
        assert!(matches!(c.decrypt(&STANDARD.encode([1u8; 20])), Err(CryptoError::DecryptFailed(_))));
        assert!(matches!(c.decrypt("***"), Err(CryptoError::DecryptFailed(_))));
    }

    #[test]
    fn a_length_field_past_the_end_is_900009() {
        let c = crypto();
        let mut plain = Vec::new();
        plain.extend_from_slice(b"0123456789abcdef");
        plain.extend_from_slice(&1000u32.to_be_bytes());
        plain.extend_from_slice(b"short");
        let pad = PAD_BLOCK - plain.len() % PAD_BLOCK;
        plain.resize(plain.len() + pad, pad as u8);
        let total = plain.len();
        let cipher = Aes256CbcEnc::new(&c.key.into(), (&c.iv()).into());
        let sealed = cipher.encrypt_padded_mut::<NoPadding>(&mut plain, total).unwrap().to_vec();
        let err = c.decrypt(&STANDARD.encode(&sealed)).unwrap_err();
        assert!(matches!(err, CryptoError::LengthMismatch(_)), "{err:?}");
        assert_eq!(err.code(), 900_009);
    }

    #[test]
    fn line_breaks_in_base64_are_ignored() {
        let c = crypto();
        let encrypt = c.encrypt("success").unwrap();
        let wrapped = format!("{}\n{}\n", &encrypt[..40], &encrypt[40..]);
        assert_eq!(c.decrypt(&wrapped).unwrap(), "success");
    }

    #[test]
    fn debug_output_hides_the_token_and_key() {
        let shown = format!("{:?}", crypto());
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(!shown.contains("69b71d79"), "{shown}");
        assert!(!shown.contains("105, 183"), "{shown}");
        assert!(shown.contains(RECEIVE_ID), "{shown}");
    }
}
