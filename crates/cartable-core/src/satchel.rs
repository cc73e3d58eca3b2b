//! The satchel's signed words: what a satchel holds (its manifest), for
//! whom (the boxes it certifies), and the keys that sign both.
//!
//! A hub signs each satchel's manifest with its ed25519 key. The manifest
//! names every blob by hash and size and every section (catalog, roster,
//! taxonomy) by hash; where those bytes sit in the file is not signed, so a
//! box can append an update to the file it serves and still check every
//! byte against a signed hash. A manifest names its parent by the hash of
//! the parent's manifest bytes, which makes a chain of versions.
//!
//! A box is the small computer serving a satchel at a school. The hub
//! derives each box's key from its own secret and the box's name, so the
//! same inputs pack the same bytes and the hub can always recompute a box's
//! public key; the signed manifest lists the boxes it is for, with their
//! public keys and schools: that listing is the box's certificate.

use crate::catalog::{Capsule, Programme};
use crate::{BlobHash, CapsuleId};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the manifest's shape; a reader refuses others.
pub const FORMAT: u32 = 1;

/// The renditions a satchel carries unless told otherwise: 360p video for
/// a classroom screen or a phone, audio for the lowest cost.
pub const DEFAULT_RENDITIONS: &[&str] = &["360p", "audio"];

#[derive(Debug, thiserror::Error)]
pub enum SatchelError {
    #[error("the key is not 64 hexadecimal digits")]
    BadKey,
    #[error("the signature does not match the manifest (signed by another key, or altered)")]
    BadSignature,
    #[error("the manifest is not valid: {0}")]
    BadManifest(String),
}

/// A stored byte string the satchel holds, by hash and size.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlobRef {
    pub hash: BlobHash,
    pub size: u64,
}

/// What a pack selected, as given on its command line, so a later
/// `--parent` pack and `satchel diff` can say what it was made of.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub all: bool,
    pub programmes: Vec<String>,
    pub levels: Vec<String>,
    pub subjects: Vec<String>,
    pub langs: Vec<String>,
    pub renditions: Vec<String>,
    pub schools: Vec<String>,
}

impl Selection {
    /// Whether a capsule belongs in the satchel: every capsule with
    /// `all`; else one in a chosen programme, or one matching every given
    /// filter among level, subject and language.
    pub fn takes(&self, capsule: &Capsule) -> bool {
        if self.all {
            return true;
        }
        if capsule
            .programmes
            .iter()
            .any(|(p, _)| self.programmes.iter().any(|q| q == p.as_str()))
        {
            return true;
        }
        let filtered =
            !self.levels.is_empty() || !self.subjects.is_empty() || !self.langs.is_empty();
        let fits =
            |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| v == value);
        filtered
            && fits(&self.levels, capsule.level.as_str())
            && fits(&self.subjects, capsule.subject.as_str())
            && fits(&self.langs, capsule.lang.as_str())
    }
}

/// A box the satchel is for: it may sign records of the learners of these
/// schools, and nobody else's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoxGrant {
    pub id: String,
    pub public_key: String,
    pub schools: Vec<String>,
}

/// The hub that signed the satchel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hub {
    pub public_key: String,
    /// The hub's `public_url`: a box names learners and activities with
    /// it, so records mean the same on both.
    pub public_url: String,
}

/// The signed description of one satchel version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub version: u64,
    /// BLAKE3 of the parent version's manifest bytes.
    pub parent: Option<String>,
    pub hub: Hub,
    pub selection: Selection,
    pub boxes: Vec<BoxGrant>,
    /// Named sections: `catalog`, `taxonomy`, and `roster` when packed for
    /// schools. Sections are read by the box, never served over HTTP.
    pub sections: BTreeMap<String, BlobRef>,
    /// Every media blob of this version, sorted by hash.
    pub blobs: Vec<BlobRef>,
}

impl Manifest {
    /// The manifest's bytes as signed: serde_json of this struct, whose
    /// fields and maps have a fixed order.
    pub fn to_bytes(&self) -> Result<Vec<u8>, SatchelError> {
        serde_json::to_vec(self).map_err(|e| SatchelError::BadManifest(e.to_string()))
    }

    /// Parses manifest bytes and checks their signature by `key`.
    pub fn open(bytes: &[u8], signature: &[u8; 64]) -> Result<Manifest, SatchelError> {
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| SatchelError::BadManifest(e.to_string()))?;
        if manifest.format != FORMAT {
            return Err(SatchelError::BadManifest(format!(
                "format {} (this cartable reads format {FORMAT})",
                manifest.format
            )));
        }
        let key = verifying_key(&manifest.hub.public_key)?;
        key.verify(bytes, &Signature::from_bytes(signature))
            .map_err(|_| SatchelError::BadSignature)?;
        let sorted = manifest.blobs.windows(2).all(|w| w[0].hash < w[1].hash);
        if !sorted {
            return Err(SatchelError::BadManifest(
                "blobs are not sorted by hash, or one is listed twice".into(),
            ));
        }
        Ok(manifest)
    }

    /// The BLAKE3 of manifest bytes: a version's name, which its children
    /// give as their parent.
    pub fn digest(bytes: &[u8]) -> String {
        blake3::hash(bytes).to_hex().to_string()
    }
}

/// The catalog section: the programmes and capsules of the satchel, with
/// only the chosen renditions.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CatalogSection {
    pub programmes: Vec<Programme>,
    pub capsules: Vec<Capsule>,
}

/// The roster section: who may sign in at the schools the satchel is for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub schools: Vec<RosterSchool>,
    pub classes: Vec<RosterClass>,
    pub users: Vec<RosterUser>,
    pub members: Vec<RosterMember>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterSchool {
    pub id: String,
    pub name: String,
    pub district: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterClass {
    pub id: String,
    pub school: String,
    pub name: String,
    pub picture_login: bool,
}

/// A user with their password and picture-password hashes (argon2id), so
/// they can sign in at the box with no network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterUser {
    pub login: String,
    pub name: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub avatar: Option<String>,
    pub picture_hash: Option<String>,
    pub disabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterMember {
    pub class: String,
    pub login: String,
    pub position: String,
}

/// The box-key section: the one secret a satchel carries, so the box can
/// sign the records it sends back. Whoever holds the satchel file holds
/// it; the hub accepts from that key only records of the box's schools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoxKey {
    pub id: String,
    pub secret: String,
}

/// A hub's or a box's signing key.
pub struct KeyPair(SigningKey);

impl KeyPair {
    /// A new random key.
    pub fn generate() -> Result<KeyPair, getrandom::Error> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)?;
        Ok(KeyPair(SigningKey::from_bytes(&seed)))
    }

    /// The key whose secret is these 64 hex digits.
    pub fn from_hex(text: &str) -> Result<KeyPair, SatchelError> {
        Ok(KeyPair(SigningKey::from_bytes(&hex32(text.trim())?)))
    }

    pub fn secret_hex(&self) -> String {
        to_hex(self.0.as_bytes())
    }

    pub fn public_hex(&self) -> String {
        to_hex(self.0.verifying_key().as_bytes())
    }

    pub fn sign(&self, bytes: &[u8]) -> [u8; 64] {
        self.0.sign(bytes).to_bytes()
    }

    /// The key of box `id`, derived from this (hub) key: the same hub and
    /// name always give the same box key.
    pub fn derive_box(&self, id: &str) -> KeyPair {
        let mut material = self.0.as_bytes().to_vec();
        material.extend_from_slice(id.as_bytes());
        let seed = blake3::derive_key("cartable 2026-11 satchel box key", &material);
        KeyPair(SigningKey::from_bytes(&seed))
    }
}

/// Checks that `signature` is `public_key`'s over `bytes`.
pub fn verify(public_key: &str, bytes: &[u8], signature: &[u8; 64]) -> Result<(), SatchelError> {
    verifying_key(public_key)?
        .verify(bytes, &Signature::from_bytes(signature))
        .map_err(|_| SatchelError::BadSignature)
}

fn verifying_key(hex: &str) -> Result<VerifyingKey, SatchelError> {
    VerifyingKey::from_bytes(&hex32(hex)?).map_err(|_| SatchelError::BadKey)
}

fn hex32(text: &str) -> Result<[u8; 32], SatchelError> {
    let bytes = from_hex(text).ok_or(SatchelError::BadKey)?;
    bytes.try_into().map_err(|_| SatchelError::BadKey)
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// What changed between two versions, for `satchel diff`.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub added: Vec<CapsuleId>,
    pub removed: Vec<CapsuleId>,
    pub changed: Vec<CapsuleId>,
    pub blobs_added: usize,
    pub blobs_removed: usize,
    /// Bytes of media an update from the old to the new version carries.
    pub bytes_added: u64,
}

impl Diff {
    pub fn between(
        old: &Manifest,
        old_catalog: &CatalogSection,
        new: &Manifest,
        new_catalog: &CatalogSection,
    ) -> Diff {
        let before: BTreeMap<&str, &Capsule> = old_catalog
            .capsules
            .iter()
            .map(|c| (c.id.as_str(), c))
            .collect();
        let after: BTreeMap<&str, &Capsule> = new_catalog
            .capsules
            .iter()
            .map(|c| (c.id.as_str(), c))
            .collect();
        let mut diff = Diff::default();
        for (id, capsule) in &after {
            match before.get(id) {
                None => diff.added.push(capsule.id.clone()),
                Some(old) if !same_content(old, capsule) => diff.changed.push(capsule.id.clone()),
                Some(_) => {}
            }
        }
        for (id, capsule) in &before {
            if !after.contains_key(id) {
                diff.removed.push(capsule.id.clone());
            }
        }
        let old_blobs: std::collections::HashSet<&BlobHash> =
            old.blobs.iter().map(|b| &b.hash).collect();
        let new_blobs: std::collections::HashSet<&BlobHash> =
            new.blobs.iter().map(|b| &b.hash).collect();
        for blob in &new.blobs {
            if !old_blobs.contains(&blob.hash) {
                diff.blobs_added += 1;
                diff.bytes_added += blob.size;
            }
        }
        diff.blobs_removed = old_blobs.difference(&new_blobs).count();
        diff
    }
}

/// Two versions of a capsule say the same, whenever they were imported.
fn same_content(a: &Capsule, b: &Capsule) -> bool {
    let mut a = a.clone();
    a.updated_at = b.updated_at;
    a == *b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(key: &KeyPair) -> Manifest {
        Manifest {
            format: FORMAT,
            version: 1,
            parent: None,
            hub: Hub {
                public_key: key.public_hex(),
                public_url: "https://cartable.example".into(),
            },
            selection: Selection::default(),
            boxes: vec![],
            sections: BTreeMap::new(),
            blobs: vec![],
        }
    }

    #[test]
    fn a_signed_manifest_opens_and_an_altered_one_does_not() {
        let key = KeyPair::generate().unwrap();
        let bytes = manifest(&key).to_bytes().unwrap();
        let signature = key.sign(&bytes);
        assert_eq!(Manifest::open(&bytes, &signature).unwrap(), manifest(&key));
        let text = String::from_utf8(bytes.clone()).unwrap();
        let altered = text.replace("\"version\":1", "\"version\":2").into_bytes();
        assert_ne!(altered, bytes);
        assert!(matches!(
            Manifest::open(&altered, &signature),
            Err(SatchelError::BadSignature)
        ));
        // Signed by another key than the one the manifest names.
        let other = KeyPair::generate().unwrap();
        assert!(matches!(
            Manifest::open(&bytes, &other.sign(&bytes)),
            Err(SatchelError::BadSignature)
        ));
    }

    #[test]
    fn box_keys_are_derived_the_same_way_every_time() {
        let hub = KeyPair::from_hex(&"11".repeat(32)).unwrap();
        let a = hub.derive_box("school-1");
        assert_eq!(a.public_hex(), hub.derive_box("school-1").public_hex());
        assert_ne!(a.public_hex(), hub.derive_box("school-2").public_hex());
        let message = b"records";
        verify(&a.public_hex(), message, &a.sign(message)).unwrap();
        assert!(verify(&hub.public_hex(), message, &a.sign(message)).is_err());
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(KeyPair::from_hex("abc").is_err());
        assert!(KeyPair::from_hex(&"zz".repeat(32)).is_err());
        assert!(KeyPair::from_hex(&"ab".repeat(31)).is_err());
        assert_eq!(from_hex("00ff"), Some(vec![0, 255]));
    }
}
