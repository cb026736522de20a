//! The canonical JSON document (SPEC §7), streamed. A deferred assessment's entities (see
//! [`Detail::Deferred`](crate::engine::Detail)) are built and rendered on all cores a block
//! at a time and spliced into the rest of the document where serde_json placed an empty
//! array: the same bytes as serialising the whole document in one piece, without one thread
//! serialising ~4 KB per entity alone.

use crate::engine::{Assessment, EntitySource, WithoutEntities};
use rayon::prelude::*;
use serde::Serialize;
use std::io::{self, BufWriter, Write};
use std::ops::Range;

/// Items rendered per block; while one block is written, the next is rendered.
const BLOCK: usize = 4096;
/// Items rendered per task within a block (one output piece each).
const PIECE: usize = 64;
/// Where serde_json's pretty layout opens the document's `entities` array.
const ENTITIES_KEY: &[u8] = b"\n  \"entities\": [";

/// Writes the document, pretty-printed, ending in a newline.
pub(crate) fn write_json(a: &Assessment, out: &mut dyn Write) -> io::Result<()> {
    // (serde_json writes piece by piece: a buffer keeps the pieces off the file's writer.)
    let mut w = BufWriter::with_capacity(1 << 20, out);
    match &a.deferred {
        Some(source) if !source.is_empty() => write_deferred(a, source, &mut w)?,
        _ => serde_json::to_writer_pretty(&mut w, a)?,
    }
    w.write_all(b"\n")?;
    w.flush()
}

fn write_deferred(a: &Assessment, source: &EntitySource<'_>, w: &mut dyn Write) -> io::Result<()> {
    let shell = serde_json::to_vec_pretty(&WithoutEntities(a))?;
    // The key is at the top level (two spaces): nothing nested is indented that little, and
    // no JSON string holds a raw line break.
    let at = memchr::memmem::find(&shell, ENTITIES_KEY)
        .map(|p| p + ENTITIES_KEY.len())
        .filter(|&at| shell.get(at) == Some(&b']'))
        .ok_or_else(|| io::Error::other("the JSON document has no empty entities array"))?;
    w.write_all(&shell[..at])?;
    write_in_blocks(source.len(), w, &|piece| {
        let mut bytes = Vec::with_capacity(piece.len() * 4096);
        for e in piece {
            // serde_json's pretty layout two levels deep: a line break and four spaces
            // before each element (a comma after the previous one), each entity's own
            // lines indented by four more spaces.
            bytes.extend_from_slice(if e == 0 { b"\n    " } else { b",\n    " });
            let mut ser = serde_json::Serializer::with_formatter(&mut bytes, Nested::at(2));
            source.view(e).serialize(&mut ser)?;
        }
        Ok(bytes)
    })?;
    // serde_json closes a non-empty array on a new line at the key's indentation.
    w.write_all(b"\n  ")?;
    w.write_all(&shell[at..])
}

/// Writes items `0..n` to `out` in order, each piece of [`PIECE`] items rendered by
/// `piece` on the pool, a block of [`BLOCK`] items at a time: while one block is written,
/// the next is rendered, and only those two are held. (The JSON entities and the HTML
/// page's per-entity parts.)
pub(crate) fn write_in_blocks(
    n: usize,
    out: &mut dyn Write,
    piece: &(dyn Fn(Range<usize>) -> io::Result<Vec<u8>> + Sync),
) -> io::Result<()> {
    let rendered = |first: usize| -> io::Result<Vec<Vec<u8>>> {
        let end = (first + BLOCK).min(n);
        let pieces: Vec<Range<usize>> = (first..end)
            .step_by(PIECE)
            .map(|p| p..(p + PIECE).min(end))
            .collect();
        pieces.into_par_iter().map(piece).collect()
    };
    let mut current = rendered(0)?;
    let mut first = 0;
    loop {
        first += BLOCK;
        let mut next = Ok(Vec::new());
        rayon::in_place_scope(|s| {
            if first < n {
                s.spawn(|_| next = rendered(first));
            }
            current.iter().try_for_each(|p| out.write_all(p))
        })?;
        if first >= n {
            return Ok(());
        }
        current = next?;
    }
}

/// serde_json's pretty layout (two spaces per level) for a value nested `depth` levels
/// down in a pretty document: what `PrettyFormatter` writes for it there, which that
/// formatter cannot be asked for on its own (its starting depth is private). Written by
/// hand so that an entity is rendered straight into its block, not rendered at the top
/// level and then copied line by line to indent it.
struct Nested {
    depth: usize,
    has_value: bool,
}

impl Nested {
    fn at(depth: usize) -> Self {
        Nested {
            depth,
            has_value: false,
        }
    }

    /// A line break (after a comma when `comma`) and the indentation of the current depth.
    fn new_line<W: ?Sized + Write>(&self, w: &mut W, comma: bool) -> io::Result<()> {
        const SPACES: &[u8] = &[b' '; 32];
        w.write_all(if comma { b",\n" } else { b"\n" })?;
        let mut n = 2 * self.depth;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.new_line(w, false)?;
        }
        w.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.new_line(w, !first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.new_line(w, !first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}
