//! scratch

#[cfg(test)]
mod scratch {
    #[test]
    fn spans() {
        let text = "program a {\n  when x and y # c\n   # d\n  value: 1 + 2 # e\n\n  services: a, b # f\n}\n";
        let f = crate::syntax::parse(
            crate::diagnostic::FileId(0),
            text,
            &crate::Limits::default(),
        );
        let f = f.ok().unwrap_or_default();
        for it in &f.items {
            if let crate::syntax::ast::Item::Block(b) = it {
                for c in &b.clauses {
                    let s = match c {
                        crate::syntax::ast::Clause::When {
                            span, condition, ..
                        } => {
                            println!("cond {:?}", &text[condition.span.start..condition.span.end]);
                            *span
                        }
                        crate::syntax::ast::Clause::Value { span, value } => {
                            println!("val {:?}", &text[value.span.start..value.span.end]);
                            *span
                        }
                        crate::syntax::ast::Clause::Services { span, .. } => *span,
                        _ => continue,
                    };
                    println!("{:?}", &text[s.start..s.end]);
                }
            }
        }
    }
}
