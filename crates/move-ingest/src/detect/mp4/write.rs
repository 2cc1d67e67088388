//! Small MP4 files for tests (`testing` feature): `ftyp`, `mdat`, then `moov` with an `mvhd`
//! of a chosen creation time and duration (version 0 or 1), optionally a timecode track, as
//! cameras write them (or `moov` first, as an encoder that "fast-starts" does).

/// What the generated file says.
#[derive(Debug, Clone)]
pub struct Mp4Spec {
    /// The `mvhd` creation time, ms since the epoch (UTC; whole seconds are written).
    pub start_ms: i64,
    pub duration_ms: u64,
    /// The `mvhd` version: 0 (32-bit times) or 1 (64-bit).
    pub version: u8,
    /// Bytes of media data (`mdat`); their content follows from `seed`.
    pub media_bytes: usize,
    pub seed: u64,
    /// `moov` before `mdat` instead of after it.
    pub moov_first: bool,
    /// `mdat` written with a 64-bit size.
    pub large_mdat: bool,
    /// A `tmcd` track at 25 fps starting this many ms after midnight.
    pub timecode_ms: Option<u32>,
}

impl Mp4Spec {
    /// A camera's file: `moov` after `mdat`, `mvhd` version 0, no timecode.
    pub fn new(start_ms: i64, duration_ms: u64, seed: u64) -> Mp4Spec {
        Mp4Spec {
            start_ms,
            duration_ms,
            version: 0,
            media_bytes: 4_000,
            seed,
            moov_first: false,
            large_mdat: false,
            timecode_ms: None,
        }
    }

    /// The file's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let ftyp = boxed(
            b"ftyp",
            &[b"isom".as_slice(), &[0, 0, 2, 0], b"isommp41"].concat(),
        );
        let media = self.media();
        let mdat_header = if self.large_mdat { 16 } else { 8 };
        // The timecode sample is the first 4 bytes of `mdat`: where depends on the order.
        let moov_len = self.moov(0).len();
        let before_mdat = ftyp.len() + if self.moov_first { moov_len } else { 0 };
        let moov = self.moov((before_mdat + mdat_header) as u32);
        let mdat = if self.large_mdat {
            let size = (media.len() + 16) as u64;
            [
                &1u32.to_be_bytes()[..],
                b"mdat",
                &size.to_be_bytes(),
                &media,
            ]
            .concat()
        } else {
            boxed(b"mdat", &media)
        };
        if self.moov_first {
            [ftyp, moov, mdat].concat()
        } else {
            [ftyp, mdat, moov].concat()
        }
    }

    fn media(&self) -> Vec<u8> {
        let mut x = self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut out: Vec<u8> = (0..self.media_bytes)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        if let Some(tod) = self.timecode_ms
            && out.len() >= 4
        {
            out[..4].copy_from_slice(&(tod / 40).to_be_bytes());
        }
        out
    }

    fn moov(&self, tmcd_offset: u32) -> Vec<u8> {
        let mut body = self.mvhd();
        if self.timecode_ms.is_some() {
            body.extend(tmcd_trak(tmcd_offset));
        }
        boxed(b"moov", &body)
    }

    fn mvhd(&self) -> Vec<u8> {
        let created = (self.start_ms / 1000 + 2_082_844_800) as u64;
        let mut b = vec![self.version, 0, 0, 0];
        if self.version == 1 {
            b.extend(created.to_be_bytes());
            b.extend(created.to_be_bytes());
            b.extend(1000u32.to_be_bytes());
            b.extend(self.duration_ms.to_be_bytes());
        } else {
            b.extend((created as u32).to_be_bytes());
            b.extend((created as u32).to_be_bytes());
            b.extend(1000u32.to_be_bytes());
            b.extend((self.duration_ms as u32).to_be_bytes());
        }
        b.extend(0x0001_0000u32.to_be_bytes()); // rate 1.0
        b.extend(0x0100u16.to_be_bytes()); // volume 1.0
        b.extend([0u8; 10]); // reserved
        for m in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
            b.extend(m.to_be_bytes());
        }
        b.extend([0u8; 24]); // pre_defined
        b.extend(2u32.to_be_bytes()); // next_track_id
        boxed(b"mvhd", &b)
    }
}

/// A timecode track: its handler, a `tmcd` sample description (25 fps) and one chunk at
/// `offset`.
fn tmcd_trak(offset: u32) -> Vec<u8> {
    let hdlr = boxed(
        b"hdlr",
        &[&[0u8; 8][..], b"tmcd", &[0u8; 12], b"Timecode\0"].concat(),
    );
    let mut entry = vec![0u8; 6];
    entry.extend(1u16.to_be_bytes()); // data reference index
    entry.extend([0u8; 8]); // reserved, flags
    entry.extend(25u32.to_be_bytes()); // timescale
    entry.extend(1u32.to_be_bytes()); // frame duration
    entry.extend([25u8, 0]); // frames per second, reserved
    let stsd = boxed(
        b"stsd",
        &[&[0u8; 4][..], &1u32.to_be_bytes(), &boxed(b"tmcd", &entry)].concat(),
    );
    let stco = boxed(
        b"stco",
        &[&[0u8; 4][..], &1u32.to_be_bytes(), &offset.to_be_bytes()].concat(),
    );
    let stbl = boxed(b"stbl", &[stsd, stco].concat());
    let minf = boxed(b"minf", &stbl);
    let mdia = boxed(b"mdia", &[hdlr, minf].concat());
    boxed(b"trak", &mdia)
}

/// A box with a 32-bit size.
fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let size = (body.len() + 8) as u32;
    [&size.to_be_bytes()[..], kind, body].concat()
}
