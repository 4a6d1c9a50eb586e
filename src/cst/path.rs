//! Paths that address nodes: `jobs.build.steps[2].with.token`, `env."a.b"`, `@1:on`.

use std::fmt;

/// One step of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A 0-based sequence index.
    Index(usize),
}

/// A path into one document of a YAML stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Path {
    /// 0-based index of the document in the stream (`@N:` prefix; the first by default).
    pub document: usize,
    /// Keys and indices from the document's root value.
    pub segments: Vec<Segment>,
}

/// A path that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad path `{path}` at character {at}: {message}")]
pub struct PathSyntaxError {
    /// The text given.
    pub path: String,
    /// 1-based character position of the problem.
    pub at: usize,
    /// What is wrong.
    pub message: &'static str,
}

impl Path {
    /// Builds a path in the first document from keys and indices.
    pub fn new(segments: Vec<Segment>) -> Path {
        Path {
            document: 0,
            segments,
        }
    }

    /// Appends a key.
    pub fn key(mut self, key: impl Into<String>) -> Path {
        self.segments.push(Segment::Key(key.into()));
        self
    }

    /// Appends an index.
    pub fn index(mut self, index: usize) -> Path {
        self.segments.push(Segment::Index(index));
        self
    }

    /// Reads `[@N:]seg(.seg|[i])*` where a key segment is plain (no `.`, `[`, `"`) or double
    /// quoted with `\"` and `\\` escapes.
    pub fn parse(text: &str) -> Result<Path, PathSyntaxError> {
        let err = |at: usize, message| PathSyntaxError {
            path: text.to_string(),
            at: at + 1,
            message,
        };
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        let mut path = Path::default();
        if chars.first() == Some(&'@') {
            let colon = chars
                .iter()
                .position(|c| *c == ':')
                .ok_or_else(|| err(0, "`@N` must be followed by `:`"))?;
            let digits: String = chars[1..colon].iter().collect();
            path.document = digits
                .parse()
                .map_err(|_| err(1, "`@` must be followed by a document number"))?;
            i = colon + 1;
        }
        let mut expect_key = true;
        while i < chars.len() {
            match chars[i] {
                '[' => {
                    let close = chars[i..]
                        .iter()
                        .position(|c| *c == ']')
                        .ok_or_else(|| err(i, "unclosed `[`"))?
                        + i;
                    let digits: String = chars[i + 1..close].iter().collect();
                    let index = digits
                        .trim()
                        .parse()
                        .map_err(|_| err(i + 1, "an index must be a whole number"))?;
                    path.segments.push(Segment::Index(index));
                    i = close + 1;
                    expect_key = false;
                }
                '.' if !expect_key => {
                    i += 1;
                    expect_key = true;
                    if i == chars.len() {
                        return Err(err(i - 1, "a path cannot end with `.`"));
                    }
                }
                '"' if expect_key => {
                    let mut key = String::new();
                    let mut j = i + 1;
                    loop {
                        match chars.get(j) {
                            None => return Err(err(i, "unclosed quote")),
                            Some('"') => break,
                            Some('\\') => {
                                key.push(*chars.get(j + 1).ok_or_else(|| err(j, "dangling `\\`"))?);
                                j += 2;
                            }
                            Some(c) => {
                                key.push(*c);
                                j += 1;
                            }
                        }
                    }
                    path.segments.push(Segment::Key(key));
                    i = j + 1;
                    expect_key = false;
                }
                _ if expect_key => {
                    let end = chars[i..]
                        .iter()
                        .position(|c| matches!(c, '.' | '['))
                        .map_or(chars.len(), |p| p + i);
                    let key: String = chars[i..end].iter().collect();
                    if key.is_empty() {
                        return Err(err(i, "empty key"));
                    }
                    path.segments.push(Segment::Key(key));
                    i = end;
                    expect_key = false;
                }
                _ => return Err(err(i, "expected `.` or `[` between segments")),
            }
        }
        if path.segments.is_empty() {
            return Err(err(0, "empty path"));
        }
        Ok(path)
    }

    /// The text of the first `n` segments, for messages.
    pub fn prefix(&self, n: usize) -> String {
        Path {
            document: self.document,
            segments: self.segments[..n.min(self.segments.len())].to_vec(),
        }
        .to_string()
    }

    /// The path without its last segment, and that segment.
    pub fn split_last(&self) -> Option<(Path, &Segment)> {
        let (last, rest) = self.segments.split_last()?;
        Some((
            Path {
                document: self.document,
                segments: rest.to_vec(),
            },
            last,
        ))
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.document != 0 {
            write!(f, "@{}:", self.document)?;
        }
        if self.segments.is_empty() {
            return f.write_str("(root)");
        }
        for (n, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Index(i) => write!(f, "[{i}]")?,
                Segment::Key(k) => {
                    if n > 0 {
                        f.write_str(".")?;
                    }
                    if k.is_empty() || k.contains(['.', '[', ']', '"', '\\']) || k.starts_with('@')
                    {
                        write!(f, "\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\""))?;
                    } else {
                        f.write_str(k)?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_indices_quotes_and_documents() {
        let p = Path::parse("@1:jobs.build.steps[2].with.\"a.b\"").unwrap();
        assert_eq!(p.document, 1);
        assert_eq!(
            p.segments,
            vec![
                Segment::Key("jobs".into()),
                Segment::Key("build".into()),
                Segment::Key("steps".into()),
                Segment::Index(2),
                Segment::Key("with".into()),
                Segment::Key("a.b".into()),
            ]
        );
        assert_eq!(p.to_string(), "@1:jobs.build.steps[2].with.\"a.b\"");
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in ["", "a.", "a[x]", "a[1", "\"a", "a..b", "@x:a"] {
            assert!(Path::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
