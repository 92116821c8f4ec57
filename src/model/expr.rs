//! Expressions of model files: numbers, `+ − * / **` (`**` right-associative and above unary
//! minus, as in Python), parentheses, names and function calls, each node with its byte span
//! inside the expression text so that errors can point at it.

use std::fmt;

/// A node of an expression and where it stands in the text: [start, end) in bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: (usize, usize),
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Name(String),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

/// A syntax error at byte `offset` of the expression.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64),
    Name(String),
    Plus,
    Minus,
    Star,
    Slash,
    Power,
    Open,
    Close,
    Comma,
    End,
}

fn describe(token: &Token) -> String {
    match token {
        Token::Number(x) => format!("the number {x}"),
        Token::Name(n) => format!("the name '{n}'"),
        Token::Plus => "'+'".into(),
        Token::Minus => "'-'".into(),
        Token::Star => "'*'".into(),
        Token::Slash => "'/'".into(),
        Token::Power => "'**'".into(),
        Token::Open => "'('".into(),
        Token::Close => "')'".into(),
        Token::Comma => "','".into(),
        Token::End => "the end of the expression".into(),
    }
}

/// A token and its byte span.
type Spanned = (Token, (usize, usize));

/// Splits `text` into tokens with their byte spans.
fn tokenize(text: &str) -> Result<Vec<Spanned>, SyntaxError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let token = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'+' => Token::Plus,
            b'-' => Token::Minus,
            b'*' if bytes.get(i + 1) == Some(&b'*') => {
                i += 1;
                Token::Power
            }
            b'*' => Token::Star,
            b'/' => Token::Slash,
            b'(' => Token::Open,
            b')' => Token::Close,
            b',' => Token::Comma,
            b'0'..=b'9' | b'.' => {
                while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                    i += 1;
                }
                if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                    let mut j = i + 1;
                    if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                        j += 1;
                    }
                    if j < bytes.len() && bytes[j].is_ascii_digit() {
                        i = j;
                        while i < bytes.len() && bytes[i].is_ascii_digit() {
                            i += 1;
                        }
                    }
                }
                let literal = &text[start..i];
                let value = literal.parse::<f64>().map_err(|_| SyntaxError {
                    offset: start,
                    message: format!("'{literal}' is not a number"),
                })?;
                tokens.push((Token::Number(value), (start, i)));
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                tokens.push((Token::Name(text[start..i].to_string()), (start, i)));
                continue;
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or('?');
                return Err(SyntaxError {
                    offset: start,
                    message: format!("unexpected character '{ch}'"),
                });
            }
        };
        i += 1;
        tokens.push((token, (start, i)));
    }
    tokens.push((Token::End, (text.len(), text.len())));
    Ok(tokens)
}

/// The deepest an expression may nest: in its tree (a sum of n terms is n levels deep, as
/// each `+` holds the sum before it) and in its text (parentheses, signs, calls). Every pass
/// over an expression recurses along its depth, so this bounds their stack; rate expressions
/// of published models are under 30 levels deep.
pub const MAX_DEPTH: usize = 256;

struct Parser {
    tokens: Vec<Spanned>,
    at: usize,
    /// How many parentheses, signs, calls and exponents enclose the token at `at`.
    nesting: usize,
}

/// A parsed node and the depth of its tree (1 for a leaf).
type Parsed = Result<(Expr, usize), SyntaxError>;

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.at].0
    }

    fn span(&self) -> (usize, usize) {
        self.tokens[self.at].1
    }

    fn next(&mut self) -> Spanned {
        let t = self.tokens[self.at].clone();
        if self.at + 1 < self.tokens.len() {
            self.at += 1;
        }
        t
    }

    fn error<T>(&self, expected: &str) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            offset: self.span().0,
            message: format!("expected {expected}, found {}", describe(self.peek())),
        })
    }

    fn too_deep<T>(offset: usize) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            offset,
            message: format!(
                "the expression nests deeper than {MAX_DEPTH} levels (parentheses, signs, calls, or a chain of more than {MAX_DEPTH} operators); split it with parameters or simplify it"
            ),
        })
    }

    /// Runs `inner` one nesting level deeper.
    fn nested(&mut self, inner: impl FnOnce(&mut Self) -> Parsed) -> Parsed {
        if self.nesting >= MAX_DEPTH {
            return Self::too_deep(self.span().0);
        }
        self.nesting += 1;
        let parsed = inner(self);
        self.nesting -= 1;
        parsed
    }

    fn sum(&mut self) -> Parsed {
        let mut left = self.product()?;
        loop {
            let op = match self.peek() {
                Token::Plus => BinOp::Add,
                Token::Minus => BinOp::Sub,
                _ => return Ok(left),
            };
            self.next();
            let right = self.product()?;
            left = binary(op, left, right)?;
        }
    }

    fn product(&mut self) -> Parsed {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Token::Star => BinOp::Mul,
                Token::Slash => BinOp::Div,
                _ => return Ok(left),
            };
            self.next();
            let right = self.unary()?;
            left = binary(op, left, right)?;
        }
    }

    fn unary(&mut self) -> Parsed {
        match self.peek() {
            Token::Minus => {
                let (_, (start, _)) = self.next();
                let (inner, depth) = self.nested(Self::unary)?;
                let end = inner.span.1;
                deeper(
                    Expr {
                        kind: ExprKind::Neg(Box::new(inner)),
                        span: (start, end),
                    },
                    depth,
                )
            }
            Token::Plus => {
                self.next();
                self.nested(Self::unary)
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Parsed {
        let base = self.atom()?;
        if *self.peek() == Token::Power {
            self.next();
            // Right-associative, and the exponent may carry a sign: 2 ** -x ** 2 = 2 ** (-(x ** 2)).
            let exponent = self.nested(Self::unary)?;
            return binary(BinOp::Pow, base, exponent);
        }
        Ok(base)
    }

    fn atom(&mut self) -> Parsed {
        let (token, span) = self.next();
        match token {
            Token::Number(x) => Ok((
                Expr {
                    kind: ExprKind::Number(x),
                    span,
                },
                1,
            )),
            Token::Name(name) => {
                if *self.peek() != Token::Open {
                    return Ok((
                        Expr {
                            kind: ExprKind::Name(name),
                            span,
                        },
                        1,
                    ));
                }
                self.next();
                let mut args = Vec::new();
                let mut depth = 0;
                if *self.peek() != Token::Close {
                    loop {
                        let (arg, d) = self.nested(Self::sum)?;
                        args.push(arg);
                        depth = depth.max(d);
                        match self.peek() {
                            Token::Comma => {
                                self.next();
                            }
                            Token::Close => break,
                            _ => return self.error("',' or ')'"),
                        }
                    }
                }
                let (_, (_, end)) = self.next();
                deeper(
                    Expr {
                        kind: ExprKind::Call(name, args),
                        span: (span.0, end),
                    },
                    depth,
                )
            }
            Token::Open => {
                let (inner, depth) = self.nested(Self::sum)?;
                if *self.peek() != Token::Close {
                    return self.error("')'");
                }
                let (_, (_, end)) = self.next();
                Ok((
                    Expr {
                        span: (span.0, end),
                        ..inner
                    },
                    depth,
                ))
            }
            other => Err(SyntaxError {
                offset: span.0,
                message: format!(
                    "expected a number, a name or '(', found {}",
                    describe(&other)
                ),
            }),
        }
    }
}

/// `node`, whose deepest child is `child_depth` deep, unless that makes it too deep.
fn deeper(node: Expr, child_depth: usize) -> Parsed {
    if child_depth >= MAX_DEPTH {
        return Parser::too_deep(node.span.0);
    }
    Ok((node, child_depth + 1))
}

fn binary(op: BinOp, (left, l): (Expr, usize), (right, r): (Expr, usize)) -> Parsed {
    let span = (left.span.0, right.span.1);
    deeper(
        Expr {
            kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
            span,
        },
        l.max(r),
    )
}

/// Parses one expression.
pub fn parse(text: &str) -> Result<Expr, SyntaxError> {
    let mut parser = Parser {
        tokens: tokenize(text)?,
        at: 0,
        nesting: 0,
    };
    if *parser.peek() == Token::End {
        return parser.error("an expression");
    }
    let (expr, _) = parser.sum()?;
    if *parser.peek() != Token::End {
        return parser.error("an operator or the end of the expression");
    }
    Ok(expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree as a fully parenthesised string, to check precedence and associativity.
    fn shape(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Number(x) => format!("{x}"),
            ExprKind::Name(n) => n.clone(),
            ExprKind::Neg(a) => format!("(-{})", shape(a)),
            ExprKind::Binary(op, a, b) => {
                let sym = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    BinOp::Mul => "*",
                    BinOp::Div => "/",
                    BinOp::Pow => "**",
                };
                format!("({} {sym} {})", shape(a), shape(b))
            }
            ExprKind::Call(f, args) => {
                let args: Vec<String> = args.iter().map(shape).collect();
                format!("{f}({})", args.join(", "))
            }
        }
    }

    #[test]
    fn precedence_and_associativity_follow_python() {
        let cases = [
            ("1 - 2 - 3", "((1 - 2) - 3)"),
            ("a / b / c", "((a / b) / c)"),
            ("-x ** 2", "(-(x ** 2))"),
            ("2 ** 3 ** 2", "(2 ** (3 ** 2))"),
            ("2 ** -x", "(2 ** (-x))"),
            ("a + b * c", "(a + (b * c))"),
            (
                "0.32 * (13 - v + VT) / (exp((13 - v + VT) / 4) - 1)",
                "((0.32 * ((13 - v) + VT)) / (exp((((13 - v) + VT) / 4)) - 1))",
            ),
            ("sigmoid(4, 40 + VT, 5)", "sigmoid(4, (40 + VT), 5)"),
            ("1.5e-3 * x", "(0.0015 * x)"),
        ];
        for (text, want) in cases {
            assert_eq!(shape(&parse(text).unwrap()), want, "{text}");
        }
    }

    #[test]
    fn syntax_errors_point_at_the_offending_token() {
        let cases = [
            ("1 +", 3, "expected a number, a name or '(', found the end"),
            ("(v + 1", 6, "expected ')'"),
            ("v $ 2", 2, "unexpected character '$'"),
            ("exp(v 2)", 6, "expected ',' or ')'"),
            ("v v", 2, "expected an operator or the end"),
            ("", 0, "expected an expression"),
            ("1..2", 0, "'1..2' is not a number"),
        ];
        for (text, offset, message) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.offset, offset, "{text}: {e}");
            assert!(e.message.contains(message), "{text}: {e}");
        }
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused_without_deep_recursion() {
        let chain = |op: &str, n: usize| vec!["x"; n].join(op);
        let just = MAX_DEPTH - 1;
        // Within the limit: a chain of MAX_DEPTH - 1 operators and as many parentheses.
        parse(&chain(" + ", just)).unwrap();
        parse(&format!("{}x{}", "(".repeat(just), ")".repeat(just))).unwrap();
        // Far beyond it (these overflowed the stack when nothing bounded them).
        for text in [
            format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000)),
            format!("{}x", "-".repeat(20_000)),
            chain(" ** ", 20_000),
            chain(" + ", 50_000),
            chain(" * ", 50_000),
            format!("{}x{}", "exp(".repeat(10_000), ")".repeat(10_000)),
        ] {
            let e = parse(&text).unwrap_err();
            assert!(e.message.contains("nests deeper than"), "{e}");
        }
    }

    #[test]
    fn spans_cover_their_text() {
        let text = "gNa * exp(-(v + 35) / 10)";
        let e = parse(text).unwrap();
        assert_eq!(e.span, (0, text.len()));
        let ExprKind::Binary(_, _, call) = &e.kind else {
            panic!("a product")
        };
        assert_eq!(&text[call.span.0..call.span.1], "exp(-(v + 35) / 10)");
    }
}
