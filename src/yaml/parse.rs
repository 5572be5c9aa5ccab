//! Builds a [`Node`] tree from the YAML event stream (granit-parser, the parser serde-saphyr is
//! built on). Resolves anchors, aliases and `<<` merge keys, rejects duplicate keys, and bounds
//! nesting depth, alias expansion and file size so hostile input cannot exhaust memory or time.
//! Every step is linear in the size of the input: keys are checked for duplicates through a
//! hash index once a mapping has more than a few of them.

use std::collections::{HashMap, HashSet};

use serde_saphyr::granit_parser::{Event, Marker, Parser, ScalarStyle, Span as EventSpan, Tag};

use super::node::{Node, Style, Value};
use crate::diagnostic::{Code, Diagnostic, FileId, SourceFile, Span};

/// Deeper nesting than this is refused; real configuration stays far below it.
pub const MAX_DEPTH: usize = 64;
/// Nodes that alias expansion may create in one document (an "alias bomb" hits this at once).
pub const MAX_ALIAS_NODES: usize = 250_000;
/// Larger input files are refused before parsing (README "Reliability"): 64 MiB, about 110,000
/// apps. Everything below it is read in time and memory linear in its size.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;
/// Mappings with more keys than this get a hash index for the duplicate-key check; below it a
/// scan of the keys is faster than hashing.
const INDEX_FROM: usize = 16;

/// Reads and registers a file, then parses its single YAML document.
pub fn parse_file(display_path: &std::path::Path, text: String) -> Result<Node, Diagnostic> {
    let file = SourceFile::register(display_path, text);
    parse_registered(file)
}

/// Parses text that is not on disk (tests, `--set` snippets); registers it under `name`.
pub fn parse_str(name: &str, text: &str) -> Result<Node, Diagnostic> {
    parse_registered(SourceFile::register(name, text.to_string()))
}

/// Parses the single document of a registered file. An empty file is an empty mapping.
pub fn parse_registered(file: FileId) -> Result<Node, Diagnostic> {
    let source = file.source();
    check_size(file, source.text.len())?;
    let mut documents = Builder::new(file, &source.text).run()?;
    match documents.len() {
        0 => Ok(Node::map(Vec::new(), Span::new(file, 0, 0))),
        1 => Ok(documents.remove(0)),
        _ => Err(Diagnostic::error(
            Code::YamlSyntax,
            "expected a single YAML document, found several (`---`)",
        )
        .at(documents[1].span)),
    }
}

/// Refuses a file larger than [`MAX_INPUT_BYTES`], pointing at its first line.
pub fn check_size(file: FileId, len: usize) -> Result<(), Diagnostic> {
    if len <= MAX_INPUT_BYTES {
        return Ok(());
    }
    Err(Diagnostic::error(
        Code::InputTooLarge,
        format!(
            "the file is {:.1} MiB; k3s reads input files up to {} MiB",
            len as f64 / (1024.0 * 1024.0),
            MAX_INPUT_BYTES / (1024 * 1024)
        ),
    )
    .at(Span::new(file, 0, 0))
    .help("split it (compose `include`, several serverless entries), or keep generated data out of it"))
}

struct Builder<'a> {
    file: FileId,
    text: &'a str,
    /// Anchored nodes by anchor id, with their size in nodes.
    anchors: Vec<Option<(Node, usize)>>,
    alias_nodes: usize,
    stack: Vec<Frame>,
    documents: Vec<Node>,
}

enum Frame {
    Seq {
        start: usize,
        anchor: usize,
        tag: Option<Box<str>>,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        anchor: usize,
        tag: Option<Box<str>>,
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        /// Key text to the entry that has it, built once the mapping is large.
        index: Option<HashMap<Box<str>, usize>>,
    },
}

impl<'a> Builder<'a> {
    fn new(file: FileId, text: &'a str) -> Builder<'a> {
        Builder {
            file,
            text,
            anchors: Vec::new(),
            alias_nodes: 0,
            stack: Vec::new(),
            documents: Vec::new(),
        }
    }

    fn run(mut self) -> Result<Vec<Node>, Diagnostic> {
        let mut parser = Parser::new_from_str(self.text);
        while let Some(event) = parser.next_event() {
            let (event, span) = event.map_err(|e| {
                let offset = self.byte_offset(e.marker());
                let message = e.kind().to_string();
                let diagnostic = if message.contains("recursion limit") {
                    Diagnostic::error(
                        Code::YamlTooDeep,
                        format!("YAML nested more than {MAX_DEPTH} levels deep; refusing to read further"),
                    )
                } else {
                    Diagnostic::error(Code::YamlSyntax, format!("invalid YAML: {message}"))
                };
                diagnostic.at(Span::new(self.file, offset, offset + 1))
            })?;
            self.event(event, span)?;
        }
        Ok(self.documents)
    }

    fn byte_offset(&self, marker: &Marker) -> usize {
        marker.byte_offset().unwrap_or_else(|| {
            self.text
                .char_indices()
                .nth(marker.index())
                .map_or(self.text.len(), |(i, _)| i)
        })
    }

    fn span(&self, span: &EventSpan) -> Span {
        Span::new(
            self.file,
            self.byte_offset(&span.start),
            self.byte_offset(&span.end),
        )
    }

    fn event(&mut self, event: Event<'_>, event_span: EventSpan) -> Result<(), Diagnostic> {
        let span = self.span(&event_span);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(..) => Ok(()),
            Event::DocumentEnd => {
                self.anchors.clear();
                Ok(())
            }
            Event::Alias(id) => {
                let node = self.expand_alias(id, span)?;
                self.push_node(node)
            }
            Event::Scalar(text, style, anchor, tag) => {
                let node = Node {
                    value: Value::Scalar(super::node::Scalar {
                        text: text.into_owned(),
                        style: convert_style(style),
                    }),
                    span,
                    tag: tag.map(|t| tag_name(&t)),
                };
                self.remember_anchor(anchor, &node, 1);
                self.push_node(node)
            }
            Event::SequenceStart(_, anchor, tag) => self.open(Frame::Seq {
                start: span.start as usize,
                anchor,
                tag: tag.map(|t| tag_name(&t)),
                items: Vec::new(),
            }),
            Event::MappingStart(_, anchor, tag) => self.open(Frame::Map {
                start: span.start as usize,
                anchor,
                tag: tag.map(|t| tag_name(&t)),
                entries: Vec::new(),
                pending_key: None,
                index: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => self.close(span),
            // Anchor metadata and comments are not emitted with the options used here.
            _ => Ok(()),
        }
    }

    fn open(&mut self, frame: Frame) -> Result<(), Diagnostic> {
        if self.stack.len() >= MAX_DEPTH {
            let start = match &frame {
                Frame::Seq { start, .. } | Frame::Map { start, .. } => *start,
            };
            return Err(Diagnostic::error(
                Code::YamlTooDeep,
                format!("YAML nested more than {MAX_DEPTH} levels deep; refusing to read further"),
            )
            .at(Span::new(self.file, start, start + 1)));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn close(&mut self, end_span: Span) -> Result<(), Diagnostic> {
        let frame = self.stack.pop().expect("parser emits balanced events");
        let (node, anchor) = match frame {
            Frame::Seq {
                start,
                anchor,
                tag,
                items,
            } => {
                let end = items.last().map_or(end_span.end, |n| n.span.end);
                let node = Node {
                    value: Value::Seq(items),
                    span: Span::new(self.file, start, end as usize),
                    tag,
                };
                (node, anchor)
            }
            Frame::Map {
                start,
                anchor,
                tag,
                entries,
                ..
            } => {
                let end = entries.last().map_or(end_span.end, |(_, v)| v.span.end);
                let entries = apply_merge_keys(entries)?;
                let node = Node {
                    value: Value::Map(entries),
                    span: Span::new(self.file, start, end as usize),
                    tag,
                };
                (node, anchor)
            }
        };
        // Counting is only needed for anchored nodes (alias budget); counting every node on
        // close would cost depth × size.
        if anchor != 0 {
            let size = count_nodes(&node);
            self.remember_anchor(anchor, &node, size);
        }
        self.push_node(node)
    }

    fn remember_anchor(&mut self, anchor: usize, node: &Node, size: usize) {
        if anchor == 0 {
            return;
        }
        if self.anchors.len() <= anchor {
            self.anchors.resize(anchor + 1, None);
        }
        self.anchors[anchor] = Some((node.clone(), size));
    }

    fn expand_alias(&mut self, id: usize, span: Span) -> Result<Node, Diagnostic> {
        let Some(Some((node, size))) = self.anchors.get(id) else {
            return Err(Diagnostic::error(Code::YamlSyntax, "alias to an unknown anchor").at(span));
        };
        self.alias_nodes += size;
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(Diagnostic::error(
                Code::YamlAliasBomb,
                format!(
                    "aliases expand to more than {MAX_ALIAS_NODES} nodes; refusing to expand \
                     (is this an alias bomb?)"
                ),
            )
            .at(span));
        }
        Ok(node.clone())
    }

    fn push_node(&mut self, node: Node) -> Result<(), Diagnostic> {
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                index,
                ..
            }) => match pending_key.take() {
                None => {
                    if !matches!(node.value, Value::Scalar(_)) {
                        return Err(Diagnostic::error(
                            Code::YamlComplexKey,
                            "mapping keys must be plain values, not lists or mappings",
                        )
                        .at(node.span));
                    }
                    if let Some(first) = find_key(entries, index, &node) {
                        return Err(Diagnostic::error(
                            Code::DuplicateKey,
                            format!("duplicate key `{}`", node.as_str().unwrap_or_default()),
                        )
                        .at(node.span)
                        .label(first, "first defined here"));
                    }
                    *pending_key = Some(node);
                }
                Some(key) => entries.push((key, node)),
            },
        }
        Ok(())
    }
}

/// The span of an earlier key with the same text as `key` (merge keys excepted), and records
/// `key` as the next entry's. A scan while the mapping is small, a hash index after.
fn find_key(
    entries: &[(Node, Node)],
    index: &mut Option<HashMap<Box<str>, usize>>,
    key: &Node,
) -> Option<Span> {
    if is_merge_key(key) {
        return None;
    }
    let text = key.as_str().unwrap_or_default();
    if index.is_none() && entries.len() >= INDEX_FROM {
        let mut built = HashMap::with_capacity(entries.len() * 2);
        for (i, (k, _)) in entries.iter().enumerate() {
            if !is_merge_key(k) {
                built
                    .entry(k.as_str().unwrap_or_default().into())
                    .or_insert(i);
            }
        }
        *index = Some(built);
    }
    match index {
        Some(index) => match index.get(text) {
            Some(&i) => Some(entries[i].0.span),
            None => {
                index.insert(text.into(), entries.len());
                None
            }
        },
        None => entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(text) && !is_merge_key(k))
            .map(|(k, _)| k.span),
    }
}

fn convert_style(style: ScalarStyle) -> Style {
    match style {
        ScalarStyle::SingleQuoted => Style::SingleQuoted,
        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
        ScalarStyle::Literal => Style::Literal,
        ScalarStyle::Folded => Style::Folded,
        _ => Style::Plain,
    }
}

fn tag_name(tag: &Tag) -> Box<str> {
    if tag.is_yaml_core_schema() {
        format!("!!{}", tag.suffix()).into()
    } else {
        format!("{}{}", tag.handle(), tag.suffix()).into()
    }
}

fn is_merge_key(key: &Node) -> bool {
    key.as_str() == Some("<<")
        && matches!(&key.value, Value::Scalar(s) if s.style == Style::Plain)
        && key.tag.as_deref().is_none_or(|t| t == "!!merge")
}

/// YAML 1.1 merge keys, as docker compose files use them: explicit keys win over merged ones,
/// and earlier merge sources win over later ones.
fn apply_merge_keys(entries: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, Diagnostic> {
    if !entries.iter().any(|(k, _)| is_merge_key(k)) {
        return Ok(entries);
    }
    let mut explicit = Vec::new();
    let mut sources = Vec::new();
    for (key, value) in entries {
        if is_merge_key(&key) {
            match value.value {
                Value::Map(_) => sources.push(value),
                Value::Seq(items) => sources.extend(items),
                _ => {
                    return Err(Diagnostic::error(
                        Code::YamlMerge,
                        "`<<` must be followed by a mapping or a list of mappings",
                    )
                    .at(value.span));
                }
            }
        } else {
            explicit.push((key, value));
        }
    }
    let mut present: HashSet<String> = explicit
        .iter()
        .filter_map(|(k, _)| k.as_str().map(str::to_string))
        .collect();
    for source in sources {
        let Value::Map(source_entries) = source.value else {
            return Err(Diagnostic::error(
                Code::YamlMerge,
                "`<<` must be followed by a mapping or a list of mappings",
            )
            .at(source.span));
        };
        for (key, value) in source_entries {
            let text = key.as_str().unwrap_or_default();
            if !present.contains(text) {
                present.insert(text.to_string());
                explicit.push((key, value));
            }
        }
    }
    Ok(explicit)
}

fn count_nodes(node: &Node) -> usize {
    match &node.value {
        Value::Scalar(_) => 1,
        Value::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count_nodes(k) + count_nodes(v))
                .sum::<usize>()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Node, Diagnostic> {
        parse_str("test.yaml", text)
    }

    #[test]
    fn scalars_keep_their_spelling_and_quoting() {
        let node = parse("a: 012\nb: '1.10'\nc: yes\n").unwrap();
        assert_eq!(node.get("a").unwrap().as_str(), Some("012"));
        assert_eq!(node.get("b").unwrap().as_str(), Some("1.10"));
        let Value::Scalar(c) = &node.get("c").unwrap().value else {
            panic!()
        };
        assert_eq!((c.text.as_str(), c.style), ("yes", Style::Plain));
    }

    #[test]
    fn spans_point_at_values() {
        let node = parse("apps:\n  - name: web\n").unwrap();
        let name = &node.get("apps").unwrap().as_seq().unwrap()[0];
        let span = name.get("name").unwrap().span;
        assert_eq!(span.location(), "test.yaml:2:11");
        assert_eq!(span.text(), "web");
    }

    #[test]
    fn duplicate_keys_are_refused_with_both_places() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.code, Code::DuplicateKey);
        assert_eq!(err.span.unwrap().location(), "test.yaml:3:1");
        assert_eq!(err.labels[0].0.location(), "test.yaml:1:1");
    }

    #[test]
    fn duplicate_keys_in_large_mappings_are_found_through_the_index() {
        let mut text: String = (0..1_000).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("<<: {k5: merged, extra: 1}\n");
        let node = parse(&text).unwrap();
        assert_eq!(node.get("k5").unwrap().as_str(), Some("5"));
        assert_eq!(node.get("extra").unwrap().as_str(), Some("1"));
        text.push_str("'k999': again\n");
        let err = parse(&text).unwrap_err();
        assert_eq!(err.code, Code::DuplicateKey);
        assert_eq!(err.span.unwrap().location(), "test.yaml:1002:1");
        assert_eq!(err.labels[0].0.location(), "test.yaml:1000:1");
    }

    #[test]
    fn files_over_the_size_limit_are_refused_before_parsing() {
        let file = SourceFile::register("big.yaml", String::new());
        assert!(check_size(file, MAX_INPUT_BYTES).is_ok());
        let err = check_size(file, MAX_INPUT_BYTES + 1).unwrap_err();
        assert_eq!(err.code, Code::InputTooLarge);
        assert_eq!(err.span.unwrap().location(), "big.yaml:1:1");
        assert!(err.message.contains("64 MiB"), "{}", err.message);
    }

    #[test]
    fn merge_keys_expand_with_explicit_keys_winning() {
        let node = parse("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n").unwrap();
        let used = node.get("use").unwrap();
        assert_eq!(used.get("x").unwrap().as_str(), Some("1"));
        assert_eq!(used.get("y").unwrap().as_str(), Some("3"));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                std::iter::repeat_n(prev.as_str(), 10)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let err = parse(&text).unwrap_err();
        assert_eq!(err.code, Code::YamlAliasBomb);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let err = parse(&text).unwrap_err();
        assert_eq!(err.code, Code::YamlTooDeep);
    }

    #[test]
    fn syntax_errors_are_located() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(err.code, Code::YamlSyntax);
        assert!(err.span.is_some());
    }

    #[test]
    fn empty_documents_are_empty_mappings() {
        let node = parse("# nothing\n").unwrap();
        assert_eq!(node.as_map().map(<[_]>::len), Some(0));
    }
}
