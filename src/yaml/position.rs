//! Byte offsets of yaml-rust2's marks, for a reader that copies text as it came.
//!
//! A mark gives a line (from 1) and a column in characters (from 0); its `index` is not
//! reliable after a block scalar. Offsets are found by walking the text forward from the
//! last one asked for, so asking in order costs the text's length once, not once per ask,
//! even on a long line.

use yaml_rust2::scanner::Marker;

pub struct Positions<'t> {
    text: &'t str,
    /// The line and the byte it starts at, of the last position found.
    line: usize,
    line_start: usize,
    /// The last column found on that line, and its byte.
    col: usize,
    byte: usize,
}

impl<'t> Positions<'t> {
    pub fn new(text: &'t str) -> Self {
        Positions {
            text,
            line: 1,
            line_start: 0,
            col: 0,
            byte: 0,
        }
    }

    /// The byte offset of a mark at or after the last one asked for; `None` for one before
    /// it, or past the end of the text.
    pub fn byte_at(&mut self, at: &Marker) -> Option<usize> {
        if (at.line(), at.col()) < (self.line, self.col) {
            return None;
        }
        while self.line < at.line() {
            let rest = self.text.get(self.line_start..)?;
            self.line_start += rest.find('\n')? + 1;
            self.line += 1;
            self.col = 0;
            self.byte = self.line_start;
        }
        let line_end = self.text[self.byte..]
            .find('\n')
            .map_or(self.text.len(), |i| self.byte + i);
        for _ in self.col..at.col() {
            let c = self.text[self.byte..line_end].chars().next()?;
            self.byte += c.len_utf8();
        }
        self.col = at.col();
        Some(self.byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yaml_rust2::parser::{Event, Parser};

    #[test]
    fn scalars_are_found_at_their_byte_even_after_wide_characters() {
        let text = "é: ü\nab: [x, ÿ, z]\n";
        let mut parser = Parser::new_from_str(text);
        let mut positions = Positions::new(text);
        let mut found = Vec::new();
        loop {
            let (event, at) = parser.next_token().unwrap();
            match event {
                Event::Scalar(s, ..) => {
                    let byte = positions.byte_at(&at).unwrap();
                    assert!(text[byte..].starts_with(&s), "{s} at {byte}");
                    found.push(s);
                }
                Event::StreamEnd => break,
                _ => {}
            }
        }
        assert_eq!(found, ["é", "ü", "ab", "x", "ÿ", "z"]);
    }
}
