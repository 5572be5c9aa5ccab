//! The only module that knows ruff's Python AST: parses one registered `.py` file into a small
//! view (functions, their decorators, literal arguments). It never imports or runs the code.

use ruff_python_ast::statement_visitor::{StatementVisitor, walk_body};
use ruff_python_ast::{self as ast, Expr, Number, PySourceType, Stmt, UnaryOp};
use ruff_python_parser::parse_unchecked_source;
use ruff_text_size::{Ranged, TextRange};

use super::depth::{MAX_PY_DEPTH, check_depth};
use crate::diagnostic::{Code, Diagnostic, FileId, Span};

/// What k3s needs to know about one Python file.
#[derive(Debug)]
pub struct PyModule {
    /// Every `def`/`async def` in the file, in source order, nested ones included (flagged).
    pub functions: Vec<PyFunction>,
    /// Syntax errors in source order; when there are any, `functions` is empty.
    pub syntax_errors: Vec<PySyntaxError>,
    /// Why the file was not parsed at all (too large, nested too deep); then both are empty.
    pub refused: Option<Diagnostic>,
}

#[derive(Debug, Clone)]
pub struct PySyntaxError {
    pub message: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct PyFunction {
    pub name: String,
    /// The name after `def`.
    pub name_span: Span,
    pub is_async: bool,
    /// Directly in the module body, not inside a class, function, `if`, `try`, ...
    pub module_level: bool,
    /// In source order, top to bottom.
    pub decorators: Vec<PyDecorator>,
}

#[derive(Debug, Clone)]
pub struct PyDecorator {
    /// `serverless`, `k3sfn.serverless`; `None` when the callee is not a (dotted) name.
    pub callee: Option<String>,
    /// The expression after `@`.
    pub span: Span,
    /// `None` for a bare `@name` without parentheses.
    pub call: Option<PyCall>,
}

impl PyDecorator {
    /// The last segment of the dotted callee: `serverless` for `@k3sfn.serverless(...)`.
    pub fn short_name(&self) -> Option<&str> {
        let callee = self.callee.as_deref()?;
        Some(callee.rsplit('.').next().unwrap_or(callee))
    }
}

#[derive(Debug, Clone, Default)]
pub struct PyCall {
    /// Positional arguments (including `*args`, which is never a literal), in source order.
    pub positional: Vec<PyPositional>,
    /// `**kwargs` unpackings, by span.
    pub unpacked: Vec<Span>,
    /// `name=value` arguments in source order.
    pub keywords: Vec<PyKeyword>,
}

#[derive(Debug, Clone)]
pub struct PyPositional {
    pub span: Span,
    pub value: Result<PyValue, NotLiteral>,
}

#[derive(Debug, Clone)]
pub struct PyKeyword {
    pub name: String,
    pub name_span: Span,
    pub value: Result<PyValue, NotLiteral>,
}

/// A literal value and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct PyValue {
    pub literal: PyLiteral,
    pub span: Span,
}

/// The literal values k3s reads from decorator arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum PyLiteral {
    /// A string, with implicit concatenation (`"a" "b"`) applied.
    Str(String),
    Int(i64),
    /// An integer that does not fit in 64 bits, as written.
    BigInt(String),
    Float(f64),
    Bool(bool),
    None,
    /// A list or a tuple.
    List(Vec<PyValue>),
    Dict(Vec<(PyValue, PyValue)>),
}

impl PyLiteral {
    /// How a message names the value: `string "ten"`, `integer 10`, `a list`.
    pub fn describe(&self) -> String {
        match self {
            PyLiteral::Str(text) if text.chars().count() > 40 => {
                let head: String = text.chars().take(40).collect();
                format!("string \"{}…\"", head.escape_debug())
            }
            PyLiteral::Str(text) => format!("string {text:?}"),
            PyLiteral::Int(value) => format!("integer {value}"),
            PyLiteral::BigInt(text) => format!("integer {text}"),
            PyLiteral::Float(value) => format!("float {value:?}"),
            PyLiteral::Bool(true) => "boolean True".to_string(),
            PyLiteral::Bool(false) => "boolean False".to_string(),
            PyLiteral::None => "None".to_string(),
            PyLiteral::List(_) => "a list".to_string(),
            PyLiteral::Dict(_) => "a dict".to_string(),
        }
    }
}

/// An argument value (or part of one) that is not a literal k3s can read without running code.
#[derive(Debug, Clone, PartialEq)]
pub struct NotLiteral {
    /// What was found instead, e.g. `a function call`, `a name (`MEMORY`)`.
    pub found: String,
    pub span: Span,
}

/// Parses a registered file; a file with syntax errors yields the errors and no functions. A
/// file too large or nested too deep to read safely is refused before ruff sees it.
pub fn parse(file: FileId) -> PyModule {
    let source = file.source();
    if let Some(refusal) = refusal(file, &source.text) {
        return PyModule {
            functions: Vec::new(),
            syntax_errors: Vec::new(),
            refused: Some(refusal),
        };
    }
    let parsed = parse_unchecked_source(&source.text, PySourceType::Python);
    let span = |range: TextRange| Span::new(file, range.start().to_usize(), range.end().to_usize());
    if parsed.has_syntax_errors() {
        let syntax_errors = parsed
            .errors()
            .iter()
            .map(|error| PySyntaxError {
                message: error.error.to_string(),
                span: span(error.location),
            })
            .collect();
        return PyModule {
            functions: Vec::new(),
            syntax_errors,
            refused: None,
        };
    }
    let mut collector = Collector {
        file,
        depth: 0,
        functions: Vec::new(),
    };
    collector.visit_body(parsed.suite());
    PyModule {
        functions: collector.functions,
        syntax_errors: Vec::new(),
        refused: None,
    }
}

/// The size and depth limits: the tree ruff builds is walked and dropped by recursive code.
fn refusal(file: FileId, text: &str) -> Option<Diagnostic> {
    if let Err(too_large) = crate::yaml::check_size(file, text.len()) {
        return Some(too_large);
    }
    let too_deep = check_depth(text, MAX_PY_DEPTH)?;
    let mut diagnostic = Diagnostic::error(
        Code::PythonTooDeep,
        format!(
            "nested more than {MAX_PY_DEPTH} levels deep (brackets, blocks and operator chains); \
             k3s refuses to read further"
        ),
    )
    .at(Span::new(file, too_deep.offset, too_deep.offset + 1))
    .help("decorator arguments are literals a few levels deep: write the value out flat");
    if let Some(field) = too_deep.field {
        diagnostic = diagnostic.field(field);
    }
    Some(diagnostic)
}

/// Walks every statement body, remembering how deep it is.
struct Collector {
    file: FileId,
    /// 1 while visiting the module body itself.
    depth: usize,
    functions: Vec<PyFunction>,
}

impl<'a> StatementVisitor<'a> for Collector {
    fn visit_body(&mut self, body: &'a [Stmt]) {
        self.depth += 1;
        walk_body(self, body);
        self.depth -= 1;
    }

    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if let Stmt::FunctionDef(function) = stmt {
            let function = self.function(function);
            self.functions.push(function);
        }
        ast::statement_visitor::walk_stmt(self, stmt);
    }
}

impl Collector {
    fn span(&self, range: TextRange) -> Span {
        Span::new(self.file, range.start().to_usize(), range.end().to_usize())
    }

    fn function(&self, function: &ast::StmtFunctionDef) -> PyFunction {
        PyFunction {
            name: function.name.id.as_str().to_string(),
            name_span: self.span(function.name.range),
            is_async: function.is_async,
            module_level: self.depth == 1,
            decorators: function
                .decorator_list
                .iter()
                .map(|decorator| self.decorator(&decorator.expression))
                .collect(),
        }
    }

    fn decorator(&self, expression: &Expr) -> PyDecorator {
        let (callee, call) = match expression {
            Expr::Call(call) => (dotted_name(&call.func), Some(self.call(&call.arguments))),
            other => (dotted_name(other), None),
        };
        PyDecorator {
            callee,
            span: self.span(expression.range()),
            call,
        }
    }

    fn call(&self, arguments: &ast::Arguments) -> PyCall {
        let mut call = PyCall {
            positional: arguments
                .args
                .iter()
                .map(|arg| PyPositional {
                    span: self.span(arg.range()),
                    value: self.literal(arg),
                })
                .collect(),
            ..PyCall::default()
        };
        for keyword in &arguments.keywords {
            match &keyword.arg {
                Some(name) => call.keywords.push(PyKeyword {
                    name: name.id.as_str().to_string(),
                    name_span: self.span(name.range),
                    value: self.literal(&keyword.value),
                }),
                None => call.unpacked.push(self.span(keyword.range)),
            }
        }
        call
    }

    /// The literal an expression denotes, or the first part of it that is not one.
    fn literal(&self, expr: &Expr) -> Result<PyValue, NotLiteral> {
        let span = self.span(expr.range());
        let literal = match expr {
            Expr::StringLiteral(string) => PyLiteral::Str(string.value.to_str().to_string()),
            Expr::NumberLiteral(number) => number_literal(&number.value, false)
                .ok_or_else(|| self.not_literal("a complex number", expr))?,
            Expr::UnaryOp(unary) if matches!(unary.op, UnaryOp::USub | UnaryOp::UAdd) => {
                let negative = unary.op == UnaryOp::USub;
                match &*unary.operand {
                    Expr::NumberLiteral(number) => number_literal(&number.value, negative)
                        .ok_or_else(|| self.not_literal("a complex number", expr))?,
                    _ => return Err(self.not_literal("an arithmetic expression", expr)),
                }
            }
            Expr::BooleanLiteral(boolean) => PyLiteral::Bool(boolean.value),
            Expr::NoneLiteral(_) => PyLiteral::None,
            Expr::List(list) => PyLiteral::List(self.literals(&list.elts)?),
            Expr::Tuple(tuple) => PyLiteral::List(self.literals(&tuple.elts)?),
            Expr::Dict(dict) => {
                let mut items = Vec::with_capacity(dict.items.len());
                for item in &dict.items {
                    let Some(key) = &item.key else {
                        return Err(self.not_literal("a `**` unpacking", &item.value));
                    };
                    items.push((self.literal(key)?, self.literal(&item.value)?));
                }
                PyLiteral::Dict(items)
            }
            other => return Err(self.not_literal(&describe_expression(other), other)),
        };
        Ok(PyValue { literal, span })
    }

    fn literals(&self, exprs: &[Expr]) -> Result<Vec<PyValue>, NotLiteral> {
        exprs.iter().map(|expr| self.literal(expr)).collect()
    }

    fn not_literal(&self, found: &str, expr: &Expr) -> NotLiteral {
        NotLiteral {
            found: found.to_string(),
            span: self.span(expr.range()),
        }
    }
}

/// `a.b.c` for a chain of names and attributes.
fn dotted_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(name) => Some(name.id.as_str().to_string()),
        Expr::Attribute(attribute) => {
            let base = dotted_name(&attribute.value)?;
            Some(format!("{base}.{}", attribute.attr.id.as_str()))
        }
        _ => None,
    }
}

fn number_literal(number: &Number, negative: bool) -> Option<PyLiteral> {
    match number {
        Number::Int(int) => Some(match int.as_i64() {
            Some(value) if negative => PyLiteral::Int(-value),
            Some(value) => PyLiteral::Int(value),
            None if negative => PyLiteral::BigInt(format!("-{int}")),
            None => PyLiteral::BigInt(int.to_string()),
        }),
        Number::Float(value) if negative => Some(PyLiteral::Float(-value)),
        Number::Float(value) => Some(PyLiteral::Float(*value)),
        Number::Complex { .. } => None,
    }
}

/// How an error names an expression that is not a literal.
fn describe_expression(expr: &Expr) -> String {
    match expr {
        Expr::Call(_) => "a function call".to_string(),
        Expr::Name(name) => format!("a variable (`{}`)", name.id.as_str()),
        Expr::Attribute(_) => "an attribute access".to_string(),
        Expr::FString(_) => "an f-string".to_string(),
        Expr::TString(_) => "a t-string".to_string(),
        Expr::BytesLiteral(_) => "a bytes literal".to_string(),
        Expr::EllipsisLiteral(_) => "`...`".to_string(),
        Expr::BinOp(_) | Expr::UnaryOp(_) => "an arithmetic expression".to_string(),
        Expr::BoolOp(_) | Expr::Compare(_) => "a logical expression".to_string(),
        Expr::If(_) => "a conditional expression".to_string(),
        Expr::Lambda(_) => "a lambda".to_string(),
        Expr::Set(_) => "a set".to_string(),
        Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) | Expr::Generator(_) => {
            "a comprehension".to_string()
        }
        Expr::Subscript(_) => "a subscript".to_string(),
        Expr::Starred(_) => "a `*` unpacking".to_string(),
        _ => "an expression".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceFile;

    fn parse_text(text: &str) -> PyModule {
        parse(SourceFile::register("t.py", text.to_string()))
    }

    fn keyword_values(text: &str) -> Vec<(String, Result<PyLiteral, String>)> {
        let module = parse_text(text);
        assert!(
            module.syntax_errors.is_empty(),
            "{:?}",
            module.syntax_errors
        );
        let call = module.functions[0].decorators[0].call.clone().unwrap();
        call.keywords
            .into_iter()
            .map(|k| (k.name, k.value.map(|v| v.literal).map_err(|e| e.found)))
            .collect()
    }

    #[test]
    fn reads_functions_decorators_and_literals() {
        let module = parse_text(
            "import numpy\n\n@k3sfn.serverless(memory=\"256Mi\", timeout=-3, ratio=0.5, on=True, \
             none=None, xs=[\"GET\", (1, 2)], env={\"A\": \"b\"})\n@other\nasync def hello(r):\n    pass\n",
        );
        let function = &module.functions[0];
        assert_eq!(function.name, "hello");
        assert!(function.is_async && function.module_level);
        assert_eq!(function.name_span.location(), "t.py:5:11");
        let decorator = &function.decorators[0];
        assert_eq!(decorator.callee.as_deref(), Some("k3sfn.serverless"));
        assert_eq!(decorator.short_name(), Some("serverless"));
        assert!(function.decorators[1].call.is_none());
        let call = decorator.call.as_ref().unwrap();
        let timeout = call.keywords[1].value.as_ref().unwrap();
        assert_eq!(timeout.literal, PyLiteral::Int(-3));
        assert_eq!(timeout.span.text(), "-3");
        assert_eq!(call.keywords[0].name_span.text(), "memory");
        let values: Vec<_> = call
            .keywords
            .iter()
            .map(|k| k.value.clone().unwrap().literal)
            .collect();
        assert_eq!(values[2], PyLiteral::Float(0.5));
        assert_eq!(values[3], PyLiteral::Bool(true));
        assert_eq!(values[4], PyLiteral::None);
        let PyLiteral::List(items) = &values[5] else {
            panic!("{values:?}")
        };
        assert_eq!(items[0].literal, PyLiteral::Str("GET".into()));
        assert!(matches!(items[1].literal, PyLiteral::List(_)));
        assert!(matches!(&values[6], PyLiteral::Dict(items) if items.len() == 1));
    }

    #[test]
    fn non_literals_are_named_and_located() {
        let values = keyword_values(
            "@serverless(a=os.environ[\"X\"], b=f\"{x}\", c=size(), d=1 + 1, e=MEMORY, \
             f=[1, g()], g=b\"x\", h={**base}, i=1j, j=\"a\" \"b\", k=10**30)\ndef f(): pass\n",
        );
        let found: Vec<_> = values.iter().map(|(_, v)| v.clone()).collect();
        assert_eq!(found[0], Err("a subscript".into()));
        assert_eq!(found[1], Err("an f-string".into()));
        assert_eq!(found[2], Err("a function call".into()));
        assert_eq!(found[3], Err("an arithmetic expression".into()));
        assert_eq!(found[4], Err("a variable (`MEMORY`)".into()));
        assert_eq!(found[5], Err("a function call".into()));
        assert_eq!(found[6], Err("a bytes literal".into()));
        assert_eq!(found[7], Err("a `**` unpacking".into()));
        assert_eq!(found[8], Err("a complex number".into()));
        assert_eq!(found[9], Ok(PyLiteral::Str("ab".into())));
        assert_eq!(found[10], Err("an arithmetic expression".into()));
    }

    #[test]
    fn not_literal_points_at_the_offending_part() {
        let module = parse_text("@serverless(xs=[1, g()])\ndef f(): pass\n");
        let call = module.functions[0].decorators[0].call.clone().unwrap();
        let error = call.keywords[0].value.clone().unwrap_err();
        assert_eq!(error.span.text(), "g()");
        assert_eq!(error.span.location(), "t.py:1:20");
    }

    #[test]
    fn big_integers_are_kept_as_written() {
        let values = keyword_values(
            "@s(a=99999999999999999999, b=-99999999999999999999, c=0x10)\ndef f(): pass\n",
        );
        assert_eq!(
            values[0].1,
            Ok(PyLiteral::BigInt("99999999999999999999".into()))
        );
        assert_eq!(
            values[1].1,
            Ok(PyLiteral::BigInt("-99999999999999999999".into()))
        );
        assert_eq!(values[2].1, Ok(PyLiteral::Int(16)));
    }

    #[test]
    fn positional_and_unpacked_arguments_are_kept_apart() {
        let module = parse_text("@serverless(\"256Mi\", *xs, **opts, cpu=\"1\")\ndef f(): pass\n");
        let call = module.functions[0].decorators[0].call.clone().unwrap();
        let positional: Vec<_> = call.positional.iter().map(|p| p.span.text()).collect();
        assert_eq!(positional, ["\"256Mi\"", "*xs"]);
        assert_eq!(
            call.positional[0].value.clone().map(|v| v.literal),
            Ok(PyLiteral::Str("256Mi".into()))
        );
        assert_eq!(
            call.positional[1].value.clone().map_err(|e| e.found),
            Err("a `*` unpacking".into())
        );
        assert_eq!(call.unpacked[0].text(), "**opts");
        assert_eq!(call.keywords[0].name, "cpu");
    }

    #[test]
    fn nested_functions_are_flagged() {
        let module = parse_text(
            "class A:\n    def m(self): pass\nif True:\n    def g(): pass\ndef f():\n    def inner(): pass\n",
        );
        let seen: Vec<_> = module
            .functions
            .iter()
            .map(|f| (f.name.as_str(), f.module_level))
            .collect();
        assert_eq!(
            seen,
            [("m", false), ("g", false), ("f", true), ("inner", false)]
        );
    }

    #[test]
    fn syntax_errors_are_located_and_yield_no_functions() {
        let module = parse_text("def ok(): pass\n\ndef broken(:\n    pass\n");
        assert!(module.functions.is_empty());
        let first = &module.syntax_errors[0];
        assert_eq!(first.span.location(), "t.py:3:12");
        assert!(!first.message.is_empty());
    }

    #[test]
    fn deep_arguments_are_refused_with_their_place_not_a_crash() {
        for depth in [10_000, 100_000] {
            let text = format!(
                "@serverless(memory={}{})\ndef f(): pass\n",
                "[".repeat(depth),
                "]".repeat(depth)
            );
            let module = parse_text(&text);
            let refused = module.refused.expect("refused");
            assert_eq!(refused.code, Code::PythonTooDeep);
            assert_eq!(refused.span.unwrap().location(), "t.py:1:219");
            assert_eq!(refused.field.as_deref(), Some("f.@serverless.memory"));
        }
        // Chains without brackets nest the tree as deeply.
        for text in [
            format!("x = 1{}\n", "+1".repeat(100_000)),
            format!("x = {}1\n", "-".repeat(100_000)),
            format!("@a{}\ndef f(): pass\n", ".b".repeat(100_000)),
        ] {
            assert_eq!(parse_text(&text).refused.unwrap().code, Code::PythonTooDeep);
        }
        // Just below the limit parses, walks and drops.
        let text = format!(
            "@serverless(memory={}1{})\ndef f(): pass\n",
            "[".repeat(195),
            "]".repeat(195)
        );
        let module = parse_text(&text);
        assert!(module.refused.is_none());
        assert!(
            module.functions[0].decorators[0]
                .call
                .as_ref()
                .unwrap()
                .keywords[0]
                .value
                .is_ok()
        );
    }

    #[test]
    fn decorators_that_are_not_names() {
        let module = parse_text("@routes[0]\n@(lambda f: f)\ndef f(): pass\n");
        assert!(
            module.functions[0]
                .decorators
                .iter()
                .all(|d| d.callee.is_none())
        );
    }
}
