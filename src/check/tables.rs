//! Tables: `table` blocks, lookup and decision tables. The declaration
//! (hit policy and outputs, so that expressions can read a table before it
//! is checked), each row's cells typed against the inputs and its outputs
//! against the outputs, and the analyses done at load: rows of a `unique`
//! table that overlap, rows of an `any` table that conflict, and inputs
//! that fall through every row (a warning).
//!
//! The analyses try every combination of candidate input values: each
//! literal a cell names, its neighbours (a whole number either side, or
//! the midpoints between literals), the ends of a field's schema range,
//! every value of an enumeration or boolean. Between two neighbouring
//! candidates no cell changes its answer, so what holds of the candidates
//! holds of every input.

use super::{Binding, Checker, attr_text};
use crate::decimal;
use crate::diagnostic::{Code, FileId, Report, Span, did_you_mean};
use crate::ir::{
    self, Agg, CellMatch, CellTest, Cmp, Elem, Expr, ExprKind, FieldType, Hit, Lit, Meta, Node,
    TableOutput, TableRow, TableVersion, Ty,
};
use crate::syntax::ast::{self, Cell, CellLit, OutputType, TablePart};
use rust_decimal::Decimal;

/// The most input combinations the analyses try; a table with more is
/// not analysed (it loads, unchecked for overlaps and gaps).
const MAX_COMBINATIONS: usize = 20_000;

/// What expressions need to know of a table before it is checked.
#[derive(Debug, Clone)]
pub(super) struct TableDecl {
    hit: Hit,
    outputs: Vec<TableOutput>,
}

impl TableDecl {
    /// The type an expression reading output `o` has: the output's own
    /// type for a single-result policy, a set of them for `collect`, a
    /// number for an aggregate.
    fn result_ty(&self, o: usize) -> Option<Ty> {
        let out = self.outputs.get(o)?;
        Some(match self.hit {
            Hit::Collect(Some(_)) => Ty::Num,
            Hit::Collect(None) | Hit::RuleOrder | Hit::OutputOrder => match out.ty {
                Ty::Num => Ty::Set(Elem::Num),
                Ty::Text => Ty::Set(Elem::Text),
                Ty::Enum(s) => Ty::Set(Elem::Enum(s)),
                _ => return None,
            },
            _ => out.ty,
        })
    }
}

impl Checker {
    /// First pass: the table's id, hit policy and outputs.
    pub(super) fn declare_table(&mut self, file: FileId, t: &ast::Table) {
        if let Some((pf, ps)) = self.table_ids.get(&t.id.name).copied() {
            let prev = self.place(pf, ps);
            self.err(
                Report::error(
                    Code::DuplicateId,
                    file,
                    t.id.span,
                    format!("table `{}` is defined twice", t.id.name),
                )
                .label("second definition")
                .help(format!("the first is at {prev}; ids must be unique")),
            );
            return;
        }
        if self.names.contains_key(&t.id.name) {
            self.err(
                Report::error(
                    Code::DuplicateId,
                    file,
                    t.id.span,
                    format!(
                        "`{}` already names a field, parameter or definition",
                        t.id.name
                    ),
                )
                .help("choose another name for the table"),
            );
            return;
        }
        self.check_reserved(file, &t.id);
        let ix = self.table_ids.len();
        self.table_ids.insert(t.id.name.clone(), (file, t.id.span));
        self.names.insert(t.id.name.clone(), Binding::Table(ix));
        let decl = self.table_decl(file, t);
        self.table_decls.push(decl);
    }

    fn table_decl(&mut self, file: FileId, t: &ast::Table) -> Option<TableDecl> {
        let mut hit = Hit::Unique;
        let mut seen_hit = false;
        let mut outputs: Vec<TableOutput> = Vec::new();
        let mut ok = true;
        for part in &t.parts {
            match part {
                TablePart::Hit(word, _) => {
                    if seen_hit {
                        self.err(
                            Report::error(
                                Code::DuplicateClause,
                                file,
                                word.span,
                                format!("`hit` is given twice in table `{}`", t.id.name),
                            )
                            .help("keep one"),
                        );
                    }
                    seen_hit = true;
                    match Hit::from_word(&word.name) {
                        Some(h) => hit = h,
                        None => {
                            let mut r = Report::error(
                                Code::BadHit,
                                file,
                                word.span,
                                format!("`{}` is not a hit policy", word.name),
                            );
                            r = match did_you_mean(&word.name, Hit::WORDS.iter().copied()) {
                                Some(s) => r.help(format!("did you mean `{s}`?")),
                                None => r.help(format!("use one of {}", Hit::WORDS.join(", "))),
                            };
                            self.err(r);
                            ok = false;
                        }
                    }
                }
                TablePart::Output { name, ty, span } => {
                    let mut syms: Vec<usize> = Vec::new();
                    let (ty, values, date) = match ty {
                        OutputType::Scalar(s, _) => (
                            match s {
                                ast::ScalarType::Integer | ast::ScalarType::Decimal => Ty::Num,
                                ast::ScalarType::Boolean => Ty::Bool,
                                ast::ScalarType::Text => Ty::Text,
                                ast::ScalarType::Date => Ty::Date,
                            },
                            Vec::new(),
                            matches!(s, ast::ScalarType::Date),
                        ),
                        OutputType::Date(_) => (Ty::Date, Vec::new(), true),
                        OutputType::OneOf(words, _) => {
                            let mut values: Vec<String> = Vec::new();
                            for w in words {
                                if values.contains(&w.name) {
                                    self.err(Report::error(
                                        Code::DuplicateValue,
                                        file,
                                        w.span,
                                        format!("`{}` is listed twice", w.name),
                                    ));
                                    ok = false;
                                }
                                syms.push(self.symbols.insert_full(w.name.clone()).0);
                                self.table_words.insert(w.name.clone());
                                values.push(w.name.clone());
                            }
                            (Ty::Text, values, false)
                        }
                    };
                    let anonymous = outputs.iter().any(|o| o.name.is_none());
                    let clash = match name {
                        Some(n) => outputs.iter().any(|o| o.name.as_deref() == Some(&n.name)),
                        None => !outputs.is_empty(),
                    };
                    if clash || (anonymous && name.is_some()) {
                        self.err(
                            Report::error(
                                Code::BadTable,
                                file,
                                *span,
                                match name {
                                    Some(n) => format!("output `{}` cannot be added here", n.name),
                                    None => "a table has one anonymous output, or named ones"
                                        .to_string(),
                                },
                            )
                            .help("name every output, each once: `output points: integer`"),
                        );
                        ok = false;
                    }
                    outputs.push(TableOutput {
                        name: name.as_ref().map(|n| n.name.clone()),
                        ty,
                        values,
                        syms,
                        date,
                    });
                }
                _ => {}
            }
        }
        if outputs.is_empty() {
            outputs.push(TableOutput {
                name: None,
                ty: Ty::Num,
                values: Vec::new(),
                syms: Vec::new(),
                date: false,
            });
        }
        if hit == Hit::Priority && outputs.first().is_none_or(|o| o.values.is_empty()) {
            self.err(
                Report::error(
                    Code::BadTable,
                    file,
                    t.id.span,
                    format!("table `{}` has `hit: priority`, but its first output is not `one of {{…}}`", t.id.name),
                )
                .help("rows are ranked by the position of their first output in its `one of` list"),
            );
            ok = false;
        }
        let decl = TableDecl { hit, outputs };
        for (o, out) in decl.outputs.iter().enumerate() {
            let bad = match hit {
                Hit::Collect(Some(Agg::Count)) => false,
                Hit::Collect(Some(_)) => out.ty != Ty::Num,
                _ => decl.result_ty(o).is_none(),
            };
            if bad {
                self.err(
                    Report::error(
                        Code::BadTable,
                        file,
                        t.id.span,
                        format!(
                            "table `{}`: `hit: {}` cannot collect {} outputs",
                            t.id.name,
                            hit_word(hit),
                            self.ty_name(out.ty)
                        ),
                    )
                    .help("collect numbers or text; sum, min and max take numbers"),
                );
                ok = false;
            }
        }
        ok.then_some(decl)
    }

    /// An expression reading a table: `table` bare, or `table.output`.
    pub(super) fn table_ref(
        &mut self,
        file: FileId,
        span: Span,
        ix: usize,
        output: Option<&ast::Ident>,
    ) -> Option<Expr> {
        let decl = self.table_decls.get(ix)?.clone()?;
        let name = self.table_ids.get_index(ix)?.0.clone();
        let names: Vec<String> = decl.outputs.iter().filter_map(|o| o.name.clone()).collect();
        let o = match output {
            None if decl.outputs.len() == 1 => 0,
            None => {
                self.err(
                    Report::error(
                        Code::UnknownOutput,
                        file,
                        span,
                        format!("table `{name}` has several outputs"),
                    )
                    .help(format!(
                        "name one: {}",
                        names
                            .iter()
                            .map(|n| format!("`{name}.{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                return None;
            }
            Some(out) => match decl
                .outputs
                .iter()
                .position(|o| o.name.as_deref() == Some(&out.name))
            {
                Some(o) => o,
                None => {
                    let mut r = Report::error(
                        Code::UnknownOutput,
                        file,
                        out.span,
                        format!("table `{name}` has no output `{}`", out.name),
                    );
                    r = match did_you_mean(&out.name, names.iter().map(String::as_str)) {
                        Some(s) => r.help(format!("did you mean `{s}`?")),
                        None if names.is_empty() => {
                            r.help(format!("`{name}` has one output: write `{name}`"))
                        }
                        None => r.help(format!("its outputs are {}", names.join(", "))),
                    };
                    self.err(r);
                    return None;
                }
            },
        };
        let ty = decl.result_ty(o)?;
        Some(Self::mk(
            file,
            span,
            ty,
            ExprKind::Table {
                table: ix,
                output: o,
            },
        ))
    }

    /// `table.output` where `table` may be misspelt.
    pub(super) fn output_ref(
        &mut self,
        file: FileId,
        span: Span,
        table: &ast::Ident,
        output: &ast::Ident,
    ) -> Option<Expr> {
        if let Some(Binding::Table(ix)) = self.names.get(&table.name).copied() {
            return self.table_ref(file, span, ix, Some(output));
        }
        let mut r = Report::error(
            Code::UnknownName,
            file,
            table.span,
            format!("unknown table `{}`", table.name),
        )
        .label("no such table");
        if let Some(s) = did_you_mean(&table.name, self.table_ids.keys().map(String::as_str)) {
            r = r.help(format!("did you mean `{s}`?"));
        }
        self.err(r);
        None
    }

    /// Second pass: every table's inputs, rows and analyses.
    pub(super) fn check_tables(&mut self, files: &[(FileId, ast::File)]) {
        self.tables = vec![None; self.table_ids.len()];
        for (file, ast) in files {
            for item in &ast.items {
                if let ast::Item::Table(t) = item {
                    if self.stopped() {
                        return;
                    }
                    let ix = self
                        .table_ids
                        .get_full(&t.id.name)
                        .filter(|(_, _, (_, span))| *span == t.id.span)
                        .map(|(i, _, _)| i);
                    if let Some(ix) = ix {
                        let checked = self.table(*file, t, ix);
                        if let Some(slot) = self.tables.get_mut(ix) {
                            *slot = checked;
                        }
                    }
                }
            }
        }
    }

    fn table(&mut self, file: FileId, t: &ast::Table, ix: usize) -> Option<ir::Table> {
        let decl = self.table_decls.get(ix)?.clone()?;
        let mut meta = Meta {
            id: t.id.name.clone(),
            title: t.title.as_ref().map(|x| x.value.clone()),
            evidence: None,
            source: None,
            note: None,
            file,
            span: t.span,
        };
        let mut report = false;
        let mut inputs: Option<Vec<Expr>> = None;
        let mut input_seen = false;
        let mut versions: Vec<TableVersion> = Vec::new();
        let mut default: Option<(Vec<Lit>, Span)> = None;
        let mut raw_rows: Vec<(usize, &ast::Row)> = Vec::new();
        let mut dated = false;
        let mut ok = true;
        let mut seen_attrs: Vec<String> = Vec::new();
        for part in &t.parts {
            match part {
                TablePart::Input(exprs, span) => {
                    if input_seen {
                        self.err(
                            Report::error(
                                Code::DuplicateClause,
                                file,
                                *span,
                                format!("`input` is given twice in table `{}`", t.id.name),
                            )
                            .help("list every input in one clause: `input: a, b`"),
                        );
                        ok = false;
                        continue;
                    }
                    input_seen = true;
                    let mut typed = Vec::new();
                    for e in exprs {
                        match self.expr(file, e, None) {
                            Some(x) => {
                                if matches!(x.ty, Ty::Set(_)) {
                                    let msg = format!(
                                        "a table's input is a single value, but this is {}",
                                        self.ty_name(x.ty)
                                    );
                                    self.err(
                                        Report::error(Code::TypeMismatch, file, x.span, msg)
                                            .help("test a set in a condition: `x in s`"),
                                    );
                                    ok = false;
                                }
                                typed.push(x);
                            }
                            None => ok = false,
                        }
                    }
                    inputs = Some(typed);
                }
                TablePart::From(date, _) => {
                    let day = match crate::date::parse(&date.name) {
                        Ok(d) => crate::date::day_number(d),
                        Err(why) => {
                            self.err(
                                Report::error(
                                    Code::BadDate,
                                    file,
                                    date.span,
                                    format!("`{}` is {why}", date.name),
                                )
                                .help("write a real date as YYYY-MM-DD"),
                            );
                            ok = false;
                            continue;
                        }
                    };
                    if !dated && !raw_rows.is_empty() {
                        self.err(
                            Report::error(
                                Code::BadTable,
                                file,
                                date.span,
                                format!("table `{}` has rows before its first `from`", t.id.name),
                            )
                            .help("a table is wholly dated or undated: start with `from DATE:`"),
                        );
                        ok = false;
                    }
                    if let Some((prev, text)) = versions.last().and_then(|v| v.from.clone()) {
                        if day <= prev {
                            self.err(
                                Report::error(
                                    Code::BadTable,
                                    file,
                                    date.span,
                                    format!("`from {}` is not after `from {text}`", date.name),
                                )
                                .help("write the versions in ascending order of date"),
                            );
                            ok = false;
                        }
                    }
                    dated = true;
                    versions.push(TableVersion {
                        from: Some((day, date.name.clone())),
                        rows: Vec::new(),
                    });
                }
                TablePart::Row(row) => {
                    if versions.is_empty() {
                        versions.push(TableVersion {
                            from: None,
                            rows: Vec::new(),
                        });
                    }
                    raw_rows.push((versions.len() - 1, row));
                }
                TablePart::Default(outs, span) => {
                    if default.is_some() {
                        self.err(
                            Report::error(
                                Code::DuplicateClause,
                                file,
                                *span,
                                format!("`default` is given twice in table `{}`", t.id.name),
                            )
                            .help("keep one"),
                        );
                        ok = false;
                        continue;
                    }
                    if !decl.hit.single() {
                        self.err(
                            Report::error(
                                Code::BadTable,
                                file,
                                *span,
                                format!(
                                    "`default` does not apply under `hit: {}`",
                                    hit_word(decl.hit)
                                ),
                            )
                            .help("a default is the result when no row matches, for unique, any, first and priority"),
                        );
                        ok = false;
                        continue;
                    }
                    match self.outputs(file, *span, outs, &decl.outputs) {
                        Some(v) => default = Some((v, *span)),
                        None => ok = false,
                    }
                }
                TablePart::Attr(ast::Clause::Attr { key, value, span }) => {
                    if seen_attrs.contains(&key.name) {
                        self.err(
                            Report::error(
                                Code::DuplicateClause,
                                file,
                                *span,
                                format!("`{}` is given twice in table `{}`", key.name, t.id.name),
                            )
                            .help("keep one"),
                        );
                        continue;
                    }
                    seen_attrs.push(key.name.clone());
                    match key.name.as_str() {
                        "evidence" | "source" | "note" => {
                            self.metadata(file, &key.name, value, &mut meta)
                        }
                        "report" => match attr_text(value).as_str() {
                            "yes" => report = true,
                            "no" => report = false,
                            other => self.err(
                                Report::error(
                                    Code::BadClause,
                                    file,
                                    value.span(),
                                    format!("`report` takes `yes` or `no`, not `{other}`"),
                                )
                                .help("write `report: yes`"),
                            ),
                        },
                        other => {
                            let all = ["report", "evidence", "source", "note"];
                            let mut r = Report::error(
                                Code::BadClause,
                                file,
                                key.span,
                                format!("`{other}` does not belong in a table"),
                            );
                            r = match did_you_mean(other, all.iter().copied().chain(["input", "output", "hit"])) {
                                Some(s) => r.help(format!("did you mean `{s}`?")),
                                None => r.help("a table takes hit, input, output, rows, default, report, evidence, source, note"),
                            };
                            self.err(r);
                        }
                    }
                }
                TablePart::Hit(..) | TablePart::Output { .. } | TablePart::Attr(_) => {}
            }
        }
        let Some(inputs) = inputs else {
            self.err(
                Report::error(
                    Code::MissingClause,
                    file,
                    t.id.span,
                    format!("table `{}` has no input", t.id.name),
                )
                .help("add `input: field`"),
            );
            return None;
        };
        if raw_rows.is_empty() {
            self.err(
                Report::error(
                    Code::MissingClause,
                    file,
                    t.id.span,
                    format!("table `{}` has no rows", t.id.name),
                )
                .help("add a row: `1 -> 10`"),
            );
            return None;
        }
        if !ok {
            return None;
        }
        for (v, row) in raw_rows {
            match self.row(file, row, &inputs, &decl) {
                Some(r) => {
                    if let Some(version) = versions.get_mut(v) {
                        version.rows.push(r);
                    }
                }
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        for version in &mut versions {
            if !self.each_additional(file, version) {
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        let mut deps = Vec::new();
        for e in &inputs {
            super::ordering::collect_deps(e, &mut deps);
        }
        self.deps.insert(Node::Table(ix), deps);
        let table = ir::Table {
            meta,
            hit: decl.hit,
            inputs,
            outputs: decl.outputs,
            versions,
            default,
            report,
        };
        self.analyse(file, &table);
        Some(table)
    }

    /// One row: a cell per input, an output per output.
    fn row(
        &mut self,
        file: FileId,
        row: &ast::Row,
        inputs: &[Expr],
        decl: &TableDecl,
    ) -> Option<TableRow> {
        if row.cells.len() != inputs.len() {
            self.err(
                Report::error(
                    Code::BadTable,
                    file,
                    row.span,
                    format!(
                        "this row has {} cell{} but the table has {} input{}",
                        row.cells.len(),
                        plural(row.cells.len()),
                        inputs.len(),
                        plural(inputs.len())
                    ),
                )
                .help("write one cell per input, separated by `|`; `-` matches anything"),
            );
            return None;
        }
        let mut cells = Vec::new();
        let mut ok = true;
        let last = inputs.len().saturating_sub(1);
        for (i, (cell, input)) in row.cells.iter().zip(inputs).enumerate() {
            match cell {
                Cell::Any(_) => cells.push(CellMatch::Any),
                Cell::EachAdditional(span) => {
                    let integer = match &input.kind {
                        ExprKind::Field(slot) => self
                            .fields
                            .get(*slot)
                            .is_some_and(|f| f.ty == FieldType::Integer),
                        _ => input.ty == Ty::Num,
                    };
                    let single_number = decl.outputs.len() == 1
                        && decl
                            .outputs
                            .first()
                            .is_some_and(|o| o.ty == Ty::Num && !o.date);
                    if i != last || !integer || !single_number || !decl.hit.single() {
                        self.err(
                            Report::error(
                                Code::BadTable,
                                file,
                                *span,
                                "`each additional` does not apply here",
                            )
                            .help("it is the cell of the last input, an integer, in a table with one number output"),
                        );
                        ok = false;
                    }
                    cells.push(CellMatch::Each);
                }
                Cell::Not(tests, _) | Cell::Tests(tests, _) => {
                    let mut typed = Vec::new();
                    for test in tests {
                        match self.cell_test(file, test, input) {
                            Some(t) => typed.push(t),
                            None => ok = false,
                        }
                    }
                    cells.push(CellMatch::Tests {
                        negated: matches!(cell, Cell::Not(..)),
                        tests: typed,
                    });
                }
            }
        }
        let outputs = self.outputs(file, row.span, &row.outputs, &decl.outputs);
        if !ok {
            return None;
        }
        Some(TableRow {
            cells,
            outputs: outputs?,
            each: None,
            span: row.span,
        })
    }

    /// An `each additional` row counts from the largest explicit key of
    /// the rows with the same other cells.
    fn each_additional(&mut self, file: FileId, version: &mut TableVersion) -> bool {
        let mut ok = true;
        let explicit: Vec<(Vec<CellMatch>, Decimal, Decimal)> = version
            .rows
            .iter()
            .filter_map(|r| {
                let (last, rest) = r.cells.split_last()?;
                let CellMatch::Tests {
                    negated: false,
                    tests,
                } = last
                else {
                    return None;
                };
                let [CellTest::Cmp(Cmp::Eq, Lit::Num(k))] = tests.as_slice() else {
                    return None;
                };
                let Some(Lit::Num(v)) = r.outputs.first() else {
                    return None;
                };
                Some((rest.to_vec(), *k, *v))
            })
            .collect();
        for row in &mut version.rows {
            let Some((CellMatch::Each, rest)) = row.cells.split_last() else {
                continue;
            };
            let best = explicit
                .iter()
                .filter(|(cells, _, _)| cells.as_slice() == rest)
                .max_by(|a, b| decimal::cmp(&a.1, &b.1));
            match best {
                Some((_, m, v)) => row.each = Some((*m, *v)),
                None => {
                    self.err(
                        Report::error(
                            Code::BadTable,
                            file,
                            row.span,
                            "`each additional` has no row to count from",
                        )
                        .help("give the rows for the explicit keys first, with the same other cells: `contiguous | 1 -> 1_632`"),
                    );
                    ok = false;
                }
            }
        }
        ok
    }

    /// One test of a cell, typed against its input.
    fn cell_test(&mut self, file: FileId, test: &ast::CellTest, input: &Expr) -> Option<CellTest> {
        use ast::CellTest as T;
        let numeric = |this: &mut Self, l: &CellLit| -> Option<Decimal> {
            match this.cell_lit(file, l, input.ty, &[])? {
                Lit::Num(d) => Some(d),
                _ => None,
            }
        };
        if !matches!(input.ty, Ty::Num | Ty::Date)
            && !matches!(test, T::Is(_) | T::Cmp(ast::CmpOp::Eq | ast::CmpOp::Ne, _))
        {
            let span = match test {
                T::Is(l) | T::Cmp(_, l) | T::OrMore(l) | T::OrLess(l) => l.span(),
                T::To(a, b) | T::Interval { lo: a, hi: b, .. } => a.span().to(b.span()),
            };
            let msg = format!(
                "ranges and `<`, `>` compare numbers, but this input is {}",
                self.ty_name(input.ty)
            );
            self.err(
                Report::error(Code::TypeMismatch, file, span, msg)
                    .help("list the values the row takes: `a, b`"),
            );
            return None;
        }
        Some(match test {
            T::Is(l) => CellTest::Cmp(Cmp::Eq, self.cell_lit(file, l, input.ty, &[])?),
            T::Cmp(op, l) => {
                let op = match op {
                    ast::CmpOp::Lt => Cmp::Lt,
                    ast::CmpOp::Le => Cmp::Le,
                    ast::CmpOp::Gt => Cmp::Gt,
                    ast::CmpOp::Ge => Cmp::Ge,
                    ast::CmpOp::Eq => Cmp::Eq,
                    ast::CmpOp::Ne => Cmp::Ne,
                };
                CellTest::Cmp(op, self.cell_lit(file, l, input.ty, &[])?)
            }
            T::OrMore(l) => CellTest::Range {
                lo: Some((numeric(self, l)?, true)),
                hi: None,
            },
            T::OrLess(l) => CellTest::Range {
                lo: None,
                hi: Some((numeric(self, l)?, true)),
            },
            T::To(a, b) | T::Interval { lo: a, hi: b, .. } => {
                let (lo_closed, hi_closed) = match test {
                    T::Interval {
                        lo_closed,
                        hi_closed,
                        ..
                    } => (*lo_closed, *hi_closed),
                    _ => (true, true),
                };
                let lo = numeric(self, a);
                let hi = numeric(self, b);
                let (lo, hi) = (lo?, hi?);
                if decimal::cmp(&lo, &hi).is_gt() {
                    self.err(
                        Report::error(
                            Code::BadRange,
                            file,
                            a.span().to(b.span()),
                            format!(
                                "the range runs from {} down to {}",
                                decimal::show(lo),
                                decimal::show(hi)
                            ),
                        )
                        .help("write the smaller end first"),
                    );
                    return None;
                }
                CellTest::Range {
                    lo: Some((lo, lo_closed)),
                    hi: Some((hi, hi_closed)),
                }
            }
        })
    }

    /// A row's (or the default's) outputs, each typed against its output.
    fn outputs(
        &mut self,
        file: FileId,
        span: Span,
        lits: &[CellLit],
        outputs: &[TableOutput],
    ) -> Option<Vec<Lit>> {
        if lits.len() != outputs.len() {
            self.err(
                Report::error(
                    Code::BadTable,
                    file,
                    span,
                    format!(
                        "this row gives {} output{} but the table has {}",
                        lits.len(),
                        plural(lits.len()),
                        outputs.len()
                    ),
                )
                .help("write one value per output after `->`, separated by `,`"),
            );
            return None;
        }
        let mut out = Vec::new();
        for (l, o) in lits.iter().zip(outputs) {
            out.push(self.cell_lit(file, l, o.ty, &o.values)?);
        }
        Some(out)
    }

    /// A literal of a cell or an output, as a value of type `ty`; `words`
    /// are the values of a `one of` output (texts, interned).
    fn cell_lit(&mut self, file: FileId, l: &CellLit, ty: Ty, words: &[String]) -> Option<Lit> {
        let n = |this: &mut Self, n: &ast::NumberLit| this.number(file, n);
        let found = match (l, ty) {
            (CellLit::Number(x), Ty::Num) => return n(self, x).map(Lit::Num),
            (CellLit::Percent(x), Ty::Num) => {
                return n(self, x)?.checked_div(Decimal::ONE_HUNDRED).map(Lit::Num);
            }
            (CellLit::Date(d), Ty::Date) => match crate::date::parse(&d.name) {
                Ok(day) => return Some(Lit::Num(Decimal::from(crate::date::day_number(day)))),
                Err(why) => {
                    self.err(
                        Report::error(
                            Code::BadDate,
                            file,
                            d.span,
                            format!("`{}` is {why}", d.name),
                        )
                        .help("write a real date as YYYY-MM-DD"),
                    );
                    return None;
                }
            },
            (CellLit::Bool(b, _), Ty::Bool) => return Some(Lit::Bool(*b)),
            // A program input (`current_program`): a program id, or `none`.
            (CellLit::Word(w), Ty::Program) => {
                if w.name == "none" {
                    return Some(Lit::Program(None));
                }
                if let Some(i) = self.program_ids.get_index_of(w.name.as_str()) {
                    return Some(Lit::Program(Some(i)));
                }
                let ids: Vec<&str> = self.program_ids.keys().map(String::as_str).collect();
                let mut r = Report::error(
                    Code::UnknownValue,
                    file,
                    w.span,
                    format!("`{}` is not a program", w.name),
                );
                r = match did_you_mean(&w.name, ids.iter().copied()) {
                    Some(s) => r.help(format!("did you mean `{s}`?")),
                    None => r.help(format!("the programs are {}, or none", ids.join(", "))),
                };
                self.err(r);
                return None;
            }
            (CellLit::Word(w), Ty::Enum(slot)) => {
                return match self.enum_value(file, w.span, slot, &w.name, false)?.kind {
                    ExprKind::Lit(l) => Some(l),
                    _ => None,
                };
            }
            (CellLit::Text(t), Ty::Enum(slot)) => {
                return match self.enum_value(file, t.span, slot, &t.value, true)?.kind {
                    ExprKind::Lit(l) => Some(l),
                    _ => None,
                };
            }
            (CellLit::Word(w), Ty::Text) if !words.is_empty() => Some((w.name.clone(), w.span)),
            (CellLit::Text(t), Ty::Text) if !words.is_empty() => Some((t.value.clone(), t.span)),
            (CellLit::Text(t), Ty::Text) => {
                let (sym, _) = self.symbols.insert_full(t.value.clone());
                return Some(Lit::Text(sym));
            }
            // A word where text is expected: a value of a table's `one of`
            // output read as an input.
            (CellLit::Word(w), Ty::Text) if self.table_words.contains(&w.name) => {
                let (sym, _) = self.symbols.insert_full(w.name.clone());
                return Some(Lit::Text(sym));
            }
            _ => None,
        };
        if let Some((word, span)) = found {
            if words.contains(&word) {
                let (sym, _) = self.symbols.insert_full(word);
                return Some(Lit::Text(sym));
            }
            let mut r = Report::error(
                Code::UnknownValue,
                file,
                span,
                format!("`{word}` is not a value of this output"),
            );
            r = match did_you_mean(&word, words.iter().map(String::as_str)) {
                Some(s) => r.help(format!(
                    "did you mean `{s}`? the output is one of {}",
                    words.join(", ")
                )),
                None => r.help(format!("the output is one of {}", words.join(", "))),
            };
            self.err(r);
            return None;
        }
        let expected = if words.is_empty() {
            self.ty_name(ty)
        } else {
            format!("one of {}", words.join(", "))
        };
        let msg = format!("expected {expected}, found `{}`", lit_text(l));
        self.err(Report::error(Code::TypeMismatch, file, l.span(), msg));
        None
    }

    /// The load-time analyses: overlaps, conflicts, gaps.
    fn analyse(&mut self, file: FileId, t: &ir::Table) {
        let Some(candidates) = self.candidates(t) else {
            return;
        };
        let total = candidates
            .iter()
            .try_fold(1usize, |acc, c| acc.checked_mul(c.len()));
        let Some(total) = total.filter(|n| *n <= MAX_COMBINATIONS) else {
            return;
        };
        for version in &t.versions {
            let mut overlaps: Vec<(usize, usize)> = Vec::new();
            let mut gap: Option<Vec<Option<Lit>>> = None;
            for k in 0..total {
                // The k-th combination, the first input varying slowest.
                let mut combo: Vec<Option<Lit>> = Vec::with_capacity(candidates.len());
                let mut rest = k;
                for c in candidates.iter().rev() {
                    combo.push(c.get(rest % c.len()).cloned().flatten());
                    rest /= c.len().max(1);
                }
                combo.reverse();
                let hits: Vec<usize> = version
                    .rows
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| row_holds(r, &combo))
                    .map(|(i, _)| i)
                    .collect();
                if hits.is_empty() && gap.is_none() {
                    gap = Some(combo.clone());
                }
                if matches!(t.hit, Hit::Unique | Hit::Any) {
                    for (a_ix, &a) in hits.iter().enumerate() {
                        for &b in hits.iter().skip(a_ix + 1) {
                            let conflict = match t.hit {
                                Hit::Any => {
                                    let (ra, rb) = (version.rows.get(a), version.rows.get(b));
                                    ra.zip(rb).is_some_and(|(ra, rb)| {
                                        ra.values(combo.last().and_then(Option::as_ref))
                                            != rb.values(combo.last().and_then(Option::as_ref))
                                    })
                                }
                                _ => true,
                            };
                            if conflict && !overlaps.contains(&(a, b)) {
                                overlaps.push((a, b));
                                if overlaps.len() <= 3 {
                                    self.report_overlap(file, t, version, a, b, &combo);
                                }
                            }
                        }
                    }
                }
            }
            if let (Some(combo), true, None) = (gap, t.hit.single(), &t.default) {
                let span = version.rows.first().map_or(t.meta.span, |r| r.span);
                let values = self.combo_text(t, &combo);
                let during = version
                    .from
                    .as_ref()
                    .map(|(_, d)| format!(" (rows from {d})"))
                    .unwrap_or_default();
                self.warnings_found.push(
                    Report::warning(
                        Code::TableGap,
                        file,
                        span,
                        format!("no row of table `{}` matches {values}{during}", t.meta.id),
                    )
                    .label("rows start here")
                    .help("add a row for it, or a `default -> …` row"),
                );
            }
        }
    }

    fn report_overlap(
        &mut self,
        file: FileId,
        t: &ir::Table,
        version: &TableVersion,
        a: usize,
        b: usize,
        combo: &[Option<Lit>],
    ) {
        let (Some(ra), Some(rb)) = (version.rows.get(a), version.rows.get(b)) else {
            return;
        };
        let la = self.sources.locate(file, ra.span).line;
        let values = self.combo_text(t, combo);
        let (msg, help) = if t.hit == Hit::Any {
            (
                format!(
                    "rows of table `{}` at lines {la} and {} both match {values} with different outputs",
                    t.meta.id,
                    self.sources.locate(file, rb.span).line
                ),
                "under `hit: any` rows that match together must agree",
            )
        } else {
            (
                format!(
                    "rows of table `{}` at lines {la} and {} both match {values}",
                    t.meta.id,
                    self.sources.locate(file, rb.span).line
                ),
                "under `hit: unique` at most one row may match; narrow a row, or use `hit: first`",
            )
        };
        self.err(
            Report::error(Code::TableOverlap, file, rb.span, msg)
                .label("overlaps an earlier row")
                .help(help),
        );
    }

    /// `age = 17, housing = stable`
    fn combo_text(&self, t: &ir::Table, combo: &[Option<Lit>]) -> String {
        let src = self.sources.get(t.meta.file).map(|f| f.text.as_str());
        t.inputs
            .iter()
            .zip(combo)
            .map(|(e, v)| {
                let name = src
                    .and_then(|s| s.get(e.span.start..e.span.end))
                    .unwrap_or("input");
                let shown = match v {
                    None => "another text".to_string(),
                    Some(l) => self.lit_shown(l, e.ty),
                };
                format!("{name} = {shown}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn lit_shown(&self, l: &Lit, ty: Ty) -> String {
        match (l, ty) {
            (Lit::Num(d), _) => decimal::show(*d),
            (Lit::Bool(b), _) => b.to_string(),
            (Lit::Enum(i), Ty::Enum(slot)) => self
                .fields
                .get(slot)
                .and_then(|f| f.ty.values())
                .and_then(|v| v.get(*i))
                .cloned()
                .unwrap_or_default(),
            (Lit::Text(s), _) => format!("{:?}", self.symbols.get_index(*s).map_or("", |s| s)),
            (Lit::Program(None), _) => "none".into(),
            (Lit::Program(Some(i)), _) => self
                .program_ids
                .get_index(*i)
                .map(|(k, _)| k.clone())
                .unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// The candidate values of each input; `None` inside a list stands for
    /// a text no row names. `None` overall when an input's values cannot
    /// be listed (a program).
    fn candidates(&self, t: &ir::Table) -> Option<Vec<Vec<Option<Lit>>>> {
        let mut all = Vec::new();
        for (i, input) in t.inputs.iter().enumerate() {
            let cells = t
                .versions
                .iter()
                .flat_map(|v| v.rows.iter())
                .filter_map(|r| r.cells.get(i).map(|c| (c, r.each)));
            let list: Vec<Option<Lit>> = match input.ty {
                Ty::Bool => vec![Some(Lit::Bool(false)), Some(Lit::Bool(true))],
                Ty::Enum(slot) => {
                    let n = self.fields.get(slot)?.ty.values()?.len();
                    (0..n).map(|v| Some(Lit::Enum(v))).collect()
                }
                Ty::Text => {
                    let mut v: Vec<Option<Lit>> = vec![None];
                    for (c, _) in cells {
                        if let CellMatch::Tests { tests, .. } = c {
                            for t in tests {
                                if let CellTest::Cmp(_, l) = t {
                                    if !v.contains(&Some(l.clone())) {
                                        v.push(Some(l.clone()));
                                    }
                                }
                            }
                        }
                    }
                    v
                }
                Ty::Num | Ty::Date => {
                    let (min, max, integer) = match &input.kind {
                        ExprKind::Field(slot) => {
                            let f = self.fields.get(*slot)?;
                            (f.min, f.max, f.ty == FieldType::Integer)
                        }
                        _ => (None, None, input.ty == Ty::Date),
                    };
                    let mut points: Vec<Decimal> = Vec::new();
                    for (c, each) in cells {
                        match c {
                            CellMatch::Tests { tests, .. } => {
                                for t in tests {
                                    match t {
                                        CellTest::Cmp(_, Lit::Num(d)) => points.push(*d),
                                        CellTest::Range { lo, hi } => {
                                            points.extend(lo.iter().map(|x| x.0));
                                            points.extend(hi.iter().map(|x| x.0));
                                        }
                                        CellTest::Cmp(..) => {}
                                    }
                                }
                            }
                            CellMatch::Each => points.extend(each.map(|e| e.0)),
                            CellMatch::Any => {}
                        }
                    }
                    points.extend(min);
                    points.extend(max);
                    if points.is_empty() {
                        points.push(Decimal::ZERO);
                    }
                    points.sort_by(decimal::cmp);
                    points.dedup_by(|a, b| decimal::cmp(a, b).is_eq());
                    let mut cands: Vec<Decimal> = Vec::new();
                    for (k, p) in points.iter().enumerate() {
                        cands.push(*p);
                        if integer {
                            cands.extend(p.checked_sub(Decimal::ONE).map(|x| x.floor()));
                            cands.extend(p.checked_add(Decimal::ONE).map(|x| x.floor()));
                            cands.push(p.floor());
                            cands.push(p.ceil());
                        } else {
                            if let Some(next) = points.get(k + 1) {
                                let mid = p
                                    .checked_add(*next)
                                    .and_then(|s| s.checked_div(Decimal::TWO));
                                cands.extend(mid);
                            }
                            if k == 0 {
                                cands.extend(p.checked_sub(Decimal::ONE));
                            }
                            if k + 1 == points.len() {
                                cands.extend(p.checked_add(Decimal::ONE));
                            }
                        }
                    }
                    cands.retain(|c| {
                        min.is_none_or(|m| decimal::cmp(c, &m).is_ge())
                            && max.is_none_or(|m| decimal::cmp(c, &m).is_le())
                            && (!integer || c.fract().is_zero())
                    });
                    cands.sort_by(decimal::cmp);
                    cands.dedup_by(|a, b| decimal::cmp(a, b).is_eq());
                    cands
                        .into_iter()
                        .map(|d| Some(Lit::Num(d.normalize())))
                        .collect()
                }
                // A table about programs is read for an enrolled client:
                // `none` is not a gap (reading the table for it without a
                // row is an error naming the table, at run time).
                Ty::Program => (0..self.program_ids.len())
                    .map(|i| Some(Lit::Program(Some(i))))
                    .collect(),
                Ty::Set(_) => return None,
            };
            if list.is_empty() {
                return None;
            }
            all.push(list);
        }
        Some(all)
    }
}

/// Whether a row holds of known inputs.
fn row_holds(r: &TableRow, combo: &[Option<Lit>]) -> bool {
    r.cells
        .iter()
        .zip(combo)
        .all(|(c, v)| c.holds(v.as_ref(), r.each.map(|e| e.0)))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The word of a hit policy.
pub(crate) fn hit_word(h: Hit) -> &'static str {
    match h {
        Hit::Unique => "unique",
        Hit::Any => "any",
        Hit::First => "first",
        Hit::Priority => "priority",
        Hit::Collect(None) => "collect",
        Hit::Collect(Some(Agg::Sum)) => "collect sum",
        Hit::Collect(Some(Agg::Count)) => "collect count",
        Hit::Collect(Some(Agg::Min)) => "collect min",
        Hit::Collect(Some(Agg::Max)) => "collect max",
        Hit::RuleOrder => "rule order",
        Hit::OutputOrder => "output order",
    }
}

fn lit_text(l: &CellLit) -> String {
    match l {
        CellLit::Number(n) => n.text.clone(),
        CellLit::Percent(n) => format!("{}%", n.text),
        CellLit::Text(t) => format!("{:?}", t.value),
        CellLit::Bool(b, _) => b.to_string(),
        CellLit::Date(d) | CellLit::Word(d) => d.name.clone(),
    }
}
