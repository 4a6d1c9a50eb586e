//! Positions of paths read from the YAML loader's event stream: a cheap way to place findings
//! without building the concrete syntax tree. A mapping entry is placed at its key; a sequence
//! item at its value.

use std::collections::BTreeMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::cst::{Path, Segment};

enum Frame {
    Map {
        expect_key: bool,
        key: Option<String>,
    },
    Seq {
        index: usize,
    },
    /// A collection used as a key: its insides have no path.
    Opaque,
}

struct Locator<'p> {
    targets: &'p [Path],
    found: BTreeMap<usize, (usize, usize)>,
    frames: Vec<Frame>,
    documents: usize,
}

impl Locator<'_> {
    fn path(&self) -> Option<Vec<Segment>> {
        let mut out = Vec::new();
        for f in &self.frames {
            match f {
                Frame::Map { key: Some(k), .. } => out.push(Segment::Key(k.clone())),
                Frame::Seq { index } => out.push(Segment::Index(*index)),
                _ => return None,
            }
        }
        Some(out)
    }

    fn record(&mut self, segments: &[Segment], mark: Marker) {
        for (i, t) in self.targets.iter().enumerate() {
            if t.document + 1 == self.documents && t.segments == segments {
                self.found.entry(i).or_insert((mark.line(), mark.col() + 1));
            }
        }
    }

    /// Called when a node starts: a key, a value or an item.
    fn node_start(&mut self, mark: Marker, scalar_key: Option<&str>) -> bool {
        match self.frames.last_mut() {
            Some(Frame::Map {
                expect_key: true,
                key,
                ..
            }) => {
                *key = scalar_key.map(str::to_string);
                if let Some(path) = self.path() {
                    self.record(&path, mark);
                }
                if let Some(Frame::Map { expect_key, .. }) = self.frames.last_mut() {
                    *expect_key = false;
                }
                scalar_key.is_none()
            }
            Some(Frame::Map { .. }) | None => false,
            Some(Frame::Seq { .. }) => {
                if let Some(path) = self.path() {
                    self.record(&path, mark);
                }
                false
            }
            Some(Frame::Opaque) => false,
        }
    }

    /// Called when a node ends.
    fn node_end(&mut self) {
        match self.frames.last_mut() {
            Some(Frame::Map { expect_key, .. }) => *expect_key = true,
            Some(Frame::Seq { index }) => *index += 1,
            _ => {}
        }
    }
}

impl MarkedEventReceiver for Locator<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::DocumentStart => self.documents += 1,
            Event::Scalar(text, ..) => {
                let is_key = matches!(
                    self.frames.last(),
                    Some(Frame::Map {
                        expect_key: true,
                        ..
                    })
                );
                if is_key {
                    self.node_start(mark, Some(&text));
                } else {
                    self.node_start(mark, None);
                    self.node_end();
                }
            }
            Event::Alias(_) => {
                self.node_start(mark, None);
                self.node_end();
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let complex_key = self.node_start(mark, None);
                let opaque = complex_key || matches!(self.frames.last(), Some(Frame::Opaque));
                self.frames.push(if opaque {
                    Frame::Opaque
                } else if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        expect_key: true,
                        key: None,
                    }
                } else {
                    Frame::Seq { index: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.frames.pop();
                self.node_end();
            }
            _ => {}
        }
    }
}

/// The 1-based line and column of each of `paths` in `text` (`None` where a path is missing or
/// the text does not load).
pub fn locate(text: &str, paths: &[Path]) -> Vec<Option<(usize, usize)>> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut locator = Locator {
        targets: paths,
        found: BTreeMap::new(),
        frames: Vec::new(),
        documents: 0,
    };
    // The events one by one, stopping as soon as every path is placed (findings sit mostly at
    // the top of a file: the rest of it need not be read again).
    let mut parser = Parser::new_from_str(body);
    while locator.found.len() < paths.len() {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) | Err(_) => break,
            Ok((event, mark)) => locator.on_event(event, mark),
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    (0..paths.len())
        .map(|i| {
            let (line, col) = locator.found.get(&i).copied()?;
            // A block sequence's item is placed at its `-`, as the syntax tree places it (the
            // loader marks the item's content, and a mapping's only after its first key).
            let item = matches!(paths[i].segments.last(), Some(Segment::Index(_)));
            let dash = lines.get(line.wrapping_sub(1)).and_then(|l| {
                let indent = l.len() - l.trim_start_matches([' ', '\u{feff}']).len();
                (indent < col && l[indent..].starts_with('-')).then_some(indent + 1)
            });
            Some(match dash {
                Some(dash) if item => (line, dash),
                _ => (line, col),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cst::Document;

    #[test]
    fn agrees_with_the_syntax_tree_on_keys() {
        let text = "# c\non: push\njobs:\n  build:\n    permissions: {contents: read}\n    steps:\n      - run: x\n        with: {a: [1, {b: 2}]}\n  \"q.k\": {}\n";
        let doc = Document::parse(text.to_string()).unwrap();
        let paths: Vec<Path> = [
            "on",
            "jobs",
            "jobs.build",
            "jobs.build.permissions",
            "jobs.build.steps[0].with",
            "jobs.build.steps[0]",
            "jobs.\"q.k\"",
        ]
        .iter()
        .map(|p| Path::parse(p).unwrap())
        .collect();
        let fast = locate(text, &paths);
        for (p, f) in paths.iter().zip(fast) {
            assert_eq!(f, Some(crate::rules::load::locate(&doc, p)), "{p}");
        }
        assert_eq!(locate(text, &[Path::parse("nope").unwrap()]), vec![None]);
    }
}
