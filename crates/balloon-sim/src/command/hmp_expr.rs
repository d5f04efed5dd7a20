//! HMP's integer expressions, as QEMU's monitor evaluates the argument of `balloon` (type `M`
//! in hmp-commands.hx): monitor/hmp.c `get_expr` → `expr_sum` → `expr_logic` → `expr_prod` →
//! `expr_unary`, with `strtoull(…, 0)` numbers (decimal, `0x` hex, `0` octal), 64-bit
//! two's-complement arithmetic and QEMU's error strings.

/// Evaluates the expression at the start of `text`; returns its value and the unparsed rest
/// (what `monitor_parse_arguments` then calls "extraneous characters"), or QEMU's message.
pub fn eval(text: &str) -> Result<(i64, &str), String> {
    let mut p = Parser {
        s: text.trim_start().as_bytes(),
        i: 0,
        depth: 0,
    };
    let v = p.sum()?;
    let rest = &text.trim_start()[p.i..];
    Ok((v, rest))
}

/// Parentheses nest at most this deep: QEMU recurses without a bound, but a line that deep is
/// no target size, and the playground must not overflow its own stack on a pasted one.
const MAX_DEPTH: u32 = 64;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: u32,
}

impl Parser<'_> {
    fn peek(&self) -> u8 {
        self.s.get(self.i).copied().unwrap_or(0)
    }

    /// `next()`: past the operator and the spaces after it.
    fn next(&mut self) {
        if self.peek() != 0 {
            self.i += 1;
            self.skip_spaces();
        }
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn unary(&mut self) -> Result<i64, String> {
        match self.peek() {
            b'+' => {
                self.next();
                self.nested(Self::unary)
            }
            b'-' => {
                self.next();
                Ok(self.nested(Self::unary)?.wrapping_neg())
            }
            b'~' => {
                self.next();
                Ok(!self.nested(Self::unary)?)
            }
            b'(' => {
                self.next();
                let n = self.nested(Self::sum)?;
                if self.peek() != b')' {
                    return Err("')' expected".to_owned());
                }
                self.next();
                Ok(n)
            }
            b'\'' => {
                self.i += 1;
                let c = self.peek();
                if c == 0 {
                    return Err("character constant expected".to_owned());
                }
                self.i += 1;
                if self.peek() != b'\'' {
                    return Err("missing terminating ' character".to_owned());
                }
                self.next();
                Ok(i64::from(c))
            }
            // No CPU registers here: `$pc` and friends name nothing the balloon could use.
            b'$' => Err("unknown register".to_owned()),
            0 => Err("unexpected end of expression".to_owned()),
            c => {
                let n = self
                    .strtoull()
                    .ok_or_else(|| format!("invalid char '{}' in expression", char::from(c)))??;
                self.skip_spaces();
                Ok(n)
            }
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<i64, String>) -> Result<i64, String> {
        if self.depth >= MAX_DEPTH {
            return Err("expression nested too deeply".to_owned());
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// C's `strtoull(p, &end, 0)` from here: `None` when no digit was read (QEMU then says
    /// "invalid char"), `Some(Err)` on ERANGE ("number too large"). The value is reinterpreted
    /// as int64_t, as QEMU's assignment does.
    fn strtoull(&mut self) -> Option<Result<i64, String>> {
        let s = self.s;
        let (radix, digits_at) = match (s.get(self.i), s.get(self.i + 1), s.get(self.i + 2)) {
            (Some(b'0'), Some(b'x' | b'X'), Some(d)) if d.is_ascii_hexdigit() => (16, self.i + 2),
            (Some(b'0'), _, _) => (8, self.i),
            _ => (10, self.i),
        };
        let mut j = digits_at;
        let mut value: u64 = 0;
        let mut overflow = false;
        while let Some(d) = s.get(j).and_then(|&b| char::from(b).to_digit(radix)) {
            match value
                .checked_mul(u64::from(radix))
                .and_then(|v| v.checked_add(u64::from(d)))
            {
                Some(v) => value = v,
                None => overflow = true,
            }
            j += 1;
        }
        if j == digits_at {
            return None;
        }
        self.i = j;
        Some(if overflow {
            Err("number too large".to_owned())
        } else {
            Ok(value as i64)
        })
    }

    fn prod(&mut self) -> Result<i64, String> {
        let mut v = self.unary()?;
        loop {
            let op = self.peek();
            if !matches!(op, b'*' | b'/' | b'%') {
                return Ok(v);
            }
            self.next();
            let w = self.unary()?;
            v = match op {
                b'*' => v.wrapping_mul(w),
                _ if w == 0 => return Err("division by zero".to_owned()),
                b'/' => v.wrapping_div(w),
                _ => v.wrapping_rem(w),
            };
        }
    }

    fn logic(&mut self) -> Result<i64, String> {
        let mut v = self.prod()?;
        loop {
            let op = self.peek();
            if !matches!(op, b'&' | b'|' | b'^') {
                return Ok(v);
            }
            self.next();
            let w = self.prod()?;
            v = match op {
                b'&' => v & w,
                b'|' => v | w,
                _ => v ^ w,
            };
        }
    }

    fn sum(&mut self) -> Result<i64, String> {
        let mut v = self.logic()?;
        loop {
            let op = self.peek();
            if !matches!(op, b'+' | b'-') {
                return Ok(v);
            }
            self.next();
            let w = self.logic()?;
            v = if op == b'+' {
                v.wrapping_add(w)
            } else {
                v.wrapping_sub(w)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::eval;

    #[test]
    fn numbers_as_strtoull_reads_them() {
        assert_eq!(eval("512"), Ok((512, "")));
        assert_eq!(eval("0x200"), Ok((512, "")));
        assert_eq!(eval("010"), Ok((8, "")));
        assert_eq!(eval("0"), Ok((0, "")));
        // "0x" with no hex digit is the number 0 followed by "x".
        assert_eq!(eval("0x"), Ok((0, "x")));
        assert_eq!(eval("512M"), Ok((512, "M")));
        assert_eq!(eval("18446744073709551615"), Ok((-1, "")));
        assert_eq!(
            eval("99999999999999999999"),
            Err("number too large".to_owned())
        );
    }

    #[test]
    fn operators_with_c_precedence_and_qemu_errors() {
        assert_eq!(eval("256+256"), Ok((512, "")));
        assert_eq!(eval(" 256 + 2 * 128 "), Ok((512, "")));
        assert_eq!(eval("(1+1)*256"), Ok((512, "")));
        assert_eq!(
            eval("1|2&3"),
            Ok((3, "")),
            "& and | share one level, left to right"
        );
        assert_eq!(eval("-5"), Ok((-5, "")));
        assert_eq!(eval("~0"), Ok((-1, "")));
        assert_eq!(eval("'A'"), Ok((65, "")));
        assert_eq!(
            eval("abc"),
            Err("invalid char 'a' in expression".to_owned())
        );
        assert_eq!(eval(""), Err("unexpected end of expression".to_owned()));
        assert_eq!(eval("(1"), Err("')' expected".to_owned()));
        assert_eq!(eval("1/0"), Err("division by zero".to_owned()));
        assert_eq!(eval("$pc"), Err("unknown register".to_owned()));
        let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
        assert!(eval(&deep).is_err());
    }
}
