//! Byte-level encoding of the fixed structures: header, MIME list, dirents.
//! All integers are little-endian, as the ZIM format requires.

/// "ZIM\x04" read as a little-endian u32.
pub(crate) const MAGIC: u32 = 0x044D_495A;
/// Major 6 with minor 1 means "new namespace scheme" (content under `C`),
/// what libzim 7 and 8 stamp (checked against a file written by libzim 8.1).
pub(crate) const MAJOR_VERSION: u16 = 6;
pub(crate) const MINOR_VERSION: u16 = 1;
pub(crate) const HEADER_LEN: u64 = 80;
/// Also used as "no main page / no layout page" in the header.
pub(crate) const NONE_U32: u32 = u32::MAX;
const REDIRECT_MIME: u16 = 0xffff;
/// 0xfffd..=0xffff are reserved for deleted entries, link targets and
/// redirects, so a real MIME index must stay below them.
pub(crate) const MAX_MIME_TYPES: usize = 0xfffd;

pub(crate) struct Header {
    pub uuid: [u8; 16],
    pub entry_count: u32,
    pub cluster_count: u32,
    pub url_ptr_pos: u64,
    pub title_ptr_pos: u64,
    pub cluster_ptr_pos: u64,
    pub mime_list_pos: u64,
    pub main_page: u32,
    pub checksum_pos: u64,
}

impl Header {
    pub(crate) fn encode(&self) -> [u8; HEADER_LEN as usize] {
        let mut b = Vec::with_capacity(HEADER_LEN as usize);
        b.extend_from_slice(&MAGIC.to_le_bytes());
        b.extend_from_slice(&MAJOR_VERSION.to_le_bytes());
        b.extend_from_slice(&MINOR_VERSION.to_le_bytes());
        b.extend_from_slice(&self.uuid);
        b.extend_from_slice(&self.entry_count.to_le_bytes());
        b.extend_from_slice(&self.cluster_count.to_le_bytes());
        b.extend_from_slice(&self.url_ptr_pos.to_le_bytes());
        b.extend_from_slice(&self.title_ptr_pos.to_le_bytes());
        b.extend_from_slice(&self.cluster_ptr_pos.to_le_bytes());
        b.extend_from_slice(&self.mime_list_pos.to_le_bytes());
        b.extend_from_slice(&self.main_page.to_le_bytes());
        // Layout page: deprecated, always absent.
        b.extend_from_slice(&NONE_U32.to_le_bytes());
        b.extend_from_slice(&self.checksum_pos.to_le_bytes());
        let mut out = [0u8; HEADER_LEN as usize];
        out.copy_from_slice(&b);
        out
    }
}

/// NUL-terminated strings closed by an empty one. Callers pass the MIME
/// types already sorted so that indices, and thus the file, are stable.
pub(crate) fn encode_mime_list(mimes: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in mimes {
        out.extend_from_slice(m.as_bytes());
        out.push(0);
    }
    out.push(0);
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Blob { mime: u16, cluster: u32, blob: u32 },
    Redirect { entry: u32 },
}

pub(crate) fn encode_dirent(out: &mut Vec<u8>, ns: u8, path: &str, title: &str, target: Target) {
    let mime = match target {
        Target::Blob { mime, .. } => mime,
        Target::Redirect { .. } => REDIRECT_MIME,
    };
    out.extend_from_slice(&mime.to_le_bytes());
    out.push(0); // no extra parameters
    out.push(ns);
    out.extend_from_slice(&0u32.to_le_bytes()); // revision, unused
    match target {
        Target::Blob { cluster, blob, .. } => {
            out.extend_from_slice(&cluster.to_le_bytes());
            out.extend_from_slice(&blob.to_le_bytes());
        }
        Target::Redirect { entry } => out.extend_from_slice(&entry.to_le_bytes()),
    }
    out.extend_from_slice(path.as_bytes());
    out.push(0);
    // Readers fall back to the path when the title is empty, so storing a
    // copy would only waste space (libzim does the same).
    if title != path {
        out.extend_from_slice(title.as_bytes());
    }
    out.push(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_sit_at_spec_offsets() {
        let h = Header {
            uuid: [7; 16],
            entry_count: 0x0102_0304,
            cluster_count: 9,
            url_ptr_pos: 0x1111,
            title_ptr_pos: 0x2222,
            cluster_ptr_pos: 0x3333,
            mime_list_pos: 80,
            main_page: 5,
            checksum_pos: 0x4444,
        };
        let b = h.encode();
        assert_eq!(&b[0..4], b"ZIM\x04");
        assert_eq!(&b[4..8], &[6, 0, 1, 0]);
        assert_eq!(&b[8..24], &[7; 16]);
        assert_eq!(&b[24..28], &[4, 3, 2, 1]);
        assert_eq!(&b[28..32], &[9, 0, 0, 0]);
        assert_eq!(u64::from_le_bytes(b[32..40].try_into().unwrap()), 0x1111);
        assert_eq!(u64::from_le_bytes(b[40..48].try_into().unwrap()), 0x2222);
        assert_eq!(u64::from_le_bytes(b[48..56].try_into().unwrap()), 0x3333);
        assert_eq!(u64::from_le_bytes(b[56..64].try_into().unwrap()), 80);
        assert_eq!(&b[64..68], &[5, 0, 0, 0]);
        assert_eq!(&b[68..72], &[0xff; 4]);
        assert_eq!(u64::from_le_bytes(b[72..80].try_into().unwrap()), 0x4444);
    }

    #[test]
    fn mime_list_is_nul_separated_and_closed() {
        let l = encode_mime_list(&["text/css".into(), "text/html".into()]);
        assert_eq!(l, b"text/css\0text/html\0\0");
        assert_eq!(encode_mime_list(&[]), b"\0");
    }

    #[test]
    fn item_dirent_layout() {
        let mut out = Vec::new();
        let t = Target::Blob {
            mime: 2,
            cluster: 3,
            blob: 4,
        };
        encode_dirent(&mut out, b'C', "a.html", "Été", t);
        let mut want = vec![2, 0, 0, b'C', 0, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0];
        want.extend_from_slice(b"a.html\0");
        want.extend_from_slice("Été".as_bytes());
        want.push(0);
        assert_eq!(out, want);
    }

    #[test]
    fn redirect_dirent_layout_and_title_elision() {
        let mut out = Vec::new();
        encode_dirent(
            &mut out,
            b'W',
            "mainPage",
            "mainPage",
            Target::Redirect { entry: 0x0a0b },
        );
        let mut want = vec![0xff, 0xff, 0, b'W', 0, 0, 0, 0, 0x0b, 0x0a, 0, 0];
        want.extend_from_slice(b"mainPage\0\0");
        assert_eq!(out, want);
    }
}
