//! A read-only view of a loaded rule set, for embedders and tools: the
//! profile schema and the ids of the programs, referrals and warnings, in
//! the order [`Decision`](crate::Decision) indexes them. The checked IR
//! itself stays private, so the rule set's internals can change without
//! breaking a caller.

use crate::ir::{self, FieldType, Meta, Priority, Severity};
use crate::report::Kind;
use rust_decimal::Decimal;
use serde::Serialize;

/// The type of a profile field, as the schema declares it.
///
/// ```
/// let engine = careplan::reference().unwrap();
/// let kinds: Vec<_> = engine.fields().map(|f| (f.name(), f.kind())).collect();
/// assert_eq!(kinds[1], ("age", careplan::FieldKind::Integer));
/// assert_eq!(kinds[2], ("birth_date", careplan::FieldKind::Date));
/// assert_eq!(kinds[3], ("housing", careplan::FieldKind::OneOf));
/// assert_eq!(serde_json::to_string(&careplan::FieldKind::SetOfText).unwrap(), "\"set_of_text\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// `integer`: whole numbers.
    Integer,
    /// `decimal`: exact decimals.
    Decimal,
    /// `boolean`.
    Boolean,
    /// `text`: any string.
    Text,
    /// `one of {…}`: one of the listed values.
    OneOf,
    /// `set of text`: a list of strings.
    SetOfText,
    /// `set of {…}`: a list of the listed values.
    SetOf,
    /// `date`: a calendar day, `"YYYY-MM-DD"`.
    Date,
    /// A program id, or `none`.
    Program,
}

/// One field of the profile schema.
///
/// ```
/// let engine = careplan::reference().unwrap();
/// let age = engine.fields().find(|f| f.name() == "age").unwrap();
/// assert_eq!(age.kind(), careplan::FieldKind::Integer);
/// assert!(age.values().is_empty());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FieldView<'e>(pub(crate) &'e ir::Field);

impl<'e> FieldView<'e> {
    /// Its name in the profile.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// assert_eq!(engine.fields().next().unwrap().name(), "id");
    /// ```
    pub fn name(&self) -> &'e str {
        &self.0.name
    }

    /// Its type.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let needs = engine.fields().find(|f| f.name() == "needs").unwrap();
    /// assert_eq!(needs.kind(), careplan::FieldKind::SetOf);
    /// ```
    pub fn kind(&self) -> FieldKind {
        match self.0.ty {
            FieldType::Integer => FieldKind::Integer,
            FieldType::Decimal => FieldKind::Decimal,
            FieldType::Boolean => FieldKind::Boolean,
            FieldType::Text => FieldKind::Text,
            FieldType::Date => FieldKind::Date,
            FieldType::Program => FieldKind::Program,
            FieldType::Enum(_) => FieldKind::OneOf,
            FieldType::SetOfText => FieldKind::SetOfText,
            FieldType::SetOfEnum(_) => FieldKind::SetOf,
        }
    }

    /// The allowed values of a `one of` or `set of {…}` field; empty for
    /// every other type.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let housing = engine.fields().find(|f| f.name() == "housing").unwrap();
    /// assert_eq!(housing.values(), ["stable", "unstable", "homeless"]);
    /// ```
    pub fn values(&self) -> &'e [String] {
        self.0.ty.values().unwrap_or_default()
    }

    /// The type in words, as error messages give it: `an integer`,
    /// `one of stable, unstable, homeless`.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let housing = engine.fields().find(|f| f.name() == "housing").unwrap();
    /// assert_eq!(housing.describe(), "one of stable, unstable, homeless");
    /// ```
    pub fn describe(&self) -> String {
        self.0.ty.describe()
    }

    /// The inclusive lower bound of a number field.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let phq9 = engine.fields().find(|f| f.name() == "phq9").unwrap();
    /// assert_eq!(phq9.min().map(|d| d.to_string()), Some("0".into()));
    /// ```
    pub fn min(&self) -> Option<Decimal> {
        self.0.min
    }

    /// The inclusive upper bound of a number field.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let phq9 = engine.fields().find(|f| f.name() == "phq9").unwrap();
    /// assert_eq!(phq9.max().map(|d| d.to_string()), Some("27".into()));
    /// let household_size = engine.fields().find(|f| f.name() == "household_size").unwrap();
    /// assert_eq!(household_size.max(), None);
    /// ```
    pub fn max(&self) -> Option<Decimal> {
        self.0.max
    }

    /// A profile without this field is rejected.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let id = engine.fields().find(|f| f.name() == "id").unwrap();
    /// let age = engine.fields().find(|f| f.name() == "age").unwrap();
    /// assert!(id.required() && !age.required());
    /// ```
    pub fn required(&self) -> bool {
        self.0.required
    }

    /// The description the schema gives it.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let age = engine.fields().find(|f| f.name() == "age").unwrap();
    /// assert_eq!(age.description(), Some("years"));
    /// ```
    pub fn description(&self) -> Option<&'e str> {
        self.0.doc.as_deref()
    }

    /// The value an absent or `null` field takes (`default … because …`),
    /// as a profile would give it; `None` without a default.
    ///
    /// ```
    /// let rules = "schema {\n  violence_risk: boolean default false because \"the intake form asks every client\"\n  \
    ///              age: integer\n}\n";
    /// let engine = careplan::load_sources(&[("s.rules", rules)], &Default::default()).unwrap();
    /// let risk = engine.fields().find(|f| f.name() == "violence_risk").unwrap();
    /// assert_eq!(risk.default(), Some(serde_json::json!(false)));
    /// assert_eq!(engine.fields().find(|f| f.name() == "age").unwrap().default(), None);
    /// ```
    pub fn default(&self) -> Option<serde_json::Value> {
        use ir::DefaultValue as D;
        use serde_json::Value as J;
        let d = self.0.default.as_ref()?;
        Some(match &d.value {
            D::Bool(b) => J::Bool(*b),
            // Exact: a whole number as an integer, any other through its
            // decimal text (the text itself if JSON cannot hold it).
            D::Num(x) => match crate::decimal::to_i64(*x) {
                Some(i) => J::from(i),
                None => {
                    let text = crate::decimal::show(*x);
                    serde_json::from_str::<J>(&text).unwrap_or(J::String(text))
                }
            },
            D::Text(t) => J::String(t.clone()),
            D::Enum(i) => J::String(self.values().get(*i).cloned().unwrap_or_default()),
            D::Set(members) => J::Array(members.iter().cloned().map(J::String).collect()),
            D::NoProgram => J::String("none".into()),
        })
    }

    /// Why the default is safe to assume: the text after `because`.
    ///
    /// ```
    /// let rules = "schema {\n  violence_risk: boolean default false because \"the intake form asks every client\"\n}\n";
    /// let engine = careplan::load_sources(&[("s.rules", rules)], &Default::default()).unwrap();
    /// let risk = engine.fields().next().unwrap();
    /// assert_eq!(risk.default_reason(), Some("the intake form asks every client"));
    /// ```
    pub fn default_reason(&self) -> Option<&'e str> {
        self.0.default.as_ref().map(|d| d.reason.as_str())
    }
}

impl Serialize for FieldView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Field", 9)?;
        st.serialize_field("name", self.name())?;
        st.serialize_field("type", &self.kind())?;
        if self.values().is_empty() {
            st.skip_field("values")?;
        } else {
            st.serialize_field("values", self.values())?;
        }
        for (key, bound) in [("min", self.min()), ("max", self.max())] {
            match bound {
                Some(d) => st.serialize_field(key, &crate::decimal::show(d))?,
                None => st.skip_field(key)?,
            }
        }
        st.serialize_field("required", &self.required())?;
        match (self.default(), self.default_reason()) {
            (Some(v), Some(r)) => {
                st.serialize_field("default", &v)?;
                st.serialize_field("default_reason", r)?;
            }
            _ => {
                st.skip_field("default")?;
                st.skip_field("default_reason")?;
            }
        }
        match self.description() {
            Some(d) => st.serialize_field("description", d)?,
            None => st.skip_field("description")?,
        }
        st.end()
    }
}

/// One program, referral or warning of a rule set, by its id.
///
/// ```
/// let engine = careplan::reference().unwrap();
/// let first = engine.programs().next().unwrap();
/// assert_eq!(first.kind(), careplan::Kind::Program);
/// assert!(!first.id().is_empty());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ItemView<'e>(pub(crate) Item<'e>);

/// What an [`ItemView`] shows.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Item<'e> {
    Program(&'e ir::Program),
    Referral(&'e ir::Referral),
    Warning(&'e ir::Warning),
}

impl<'e> ItemView<'e> {
    fn meta(&self) -> &'e Meta {
        match self.0 {
            Item::Program(p) => &p.meta,
            Item::Referral(r) => &r.meta,
            Item::Warning(w) => &w.meta,
        }
    }

    /// Program, referral or warning.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// assert!(engine.warnings().all(|w| w.kind() == careplan::Kind::Warning));
    /// ```
    pub fn kind(&self) -> Kind {
        match self.0 {
            Item::Program(_) => Kind::Program,
            Item::Referral(_) => Kind::Referral,
            Item::Warning(_) => Kind::Warning,
        }
    }

    /// Its id (a warning's code).
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// assert!(engine.warnings().any(|w| w.id() == "home_visit_safety"));
    /// ```
    pub fn id(&self) -> &'e str {
        &self.meta().id
    }

    /// Its title.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let item = engine.referrals().find(|i| i.id() == "food_assistance").unwrap();
    /// assert_eq!(item.title(), Some("Food assistance"));
    /// ```
    pub fn title(&self) -> Option<&'e str> {
        self.meta().title.as_deref()
    }

    /// Its evidence grade.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let item = engine.programs().find(|i| i.id() == "standard_case_management").unwrap();
    /// assert_eq!(item.evidence(), Some("expert_opinion"));
    /// ```
    pub fn evidence(&self) -> Option<&'e str> {
        self.meta().evidence.as_deref()
    }

    /// Where the rule comes from.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let item = engine.referrals().find(|i| i.id() == "behavioral_health").unwrap();
    /// assert!(item.source().unwrap().starts_with("PHQ-9"));
    /// ```
    pub fn source(&self) -> Option<&'e str> {
        self.meta().source.as_deref()
    }

    /// A program's caseload limit per case manager.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let limits: Vec<_> = engine.programs().map(|p| p.caseload_limit()).collect();
    /// // "fewer than 20" is at most 19
    /// assert_eq!(limits, [Some(10), Some(19), Some(15), Some(25), Some(30), Some(40), Some(10)]);
    /// assert!(engine.referrals().all(|r| r.caseload_limit().is_none()));
    /// ```
    pub fn caseload_limit(&self) -> Option<u64> {
        match self.0 {
            Item::Program(p) => p.caseload_limit,
            _ => None,
        }
    }

    /// A program's services; empty for referrals and warnings.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let item = engine.programs().find(|i| i.id() == "standard_case_management").unwrap();
    /// assert_eq!(item.services()[0], "needs_assessment");
    /// ```
    pub fn services(&self) -> &'e [String] {
        match self.0 {
            Item::Program(p) => &p.services,
            _ => &[],
        }
    }

    /// The priorities a referral can be made at, most urgent first; empty
    /// for programs and warnings.
    ///
    /// ```
    /// use careplan::Priority;
    /// let engine = careplan::reference().unwrap();
    /// let item = engine.referrals().find(|i| i.id() == "housing_services").unwrap();
    /// assert!(item.priorities().eq([Priority::Urgent, Priority::Routine]));
    /// ```
    pub fn priorities(&self) -> impl Iterator<Item = Priority> + 'e {
        let triggers: &'e [(Priority, ir::Expr)] = match self.0 {
            Item::Referral(r) => &r.triggers,
            _ => &[],
        };
        triggers.iter().map(|(p, _)| *p)
    }

    /// A warning's severity.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let item = engine.warnings().find(|i| i.id() == "caseload_exceeded").unwrap();
    /// assert_eq!(item.severity(), Some(careplan::Severity::Critical));
    /// assert!(engine.programs().all(|p| p.severity().is_none()));
    /// ```
    pub fn severity(&self) -> Option<Severity> {
        match self.0 {
            Item::Warning(w) => Some(w.severity),
            _ => None,
        }
    }
}

impl Serialize for ItemView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Item", 5)?;
        st.serialize_field("kind", &self.kind())?;
        st.serialize_field("id", self.id())?;
        for (key, v) in [
            ("title", self.title()),
            ("evidence", self.evidence()),
            ("source", self.source()),
        ] {
            match v {
                Some(v) => st.serialize_field(key, v)?,
                None => st.skip_field(key)?,
            }
        }
        st.end()
    }
}
