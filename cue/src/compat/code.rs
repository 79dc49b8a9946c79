//! The compatibility rules' codes: one variant per rule, with the stable id findings,
//! `check.allow` and the reference name it by, the sentence the reference prints, and the
//! [`Impact`] the rule gives its changes unless it decides each one. The walker runs one check
//! per code ([`RULES`](super::RULES)).

use super::Impact;

crate::diagnostic_codes! {
    /// One compatibility rule's code.
    pub enum CompatCode: Impact {
        /// A field the previous version declared is gone and the current struct is closed, so data
        /// carrying it is rejected.
        FieldRemoved = "FIELD_REMOVED" => Impact::BreaksBackward,
        /// A field data had to carry is gone, so data written with the current version may lack
        /// what the previous one requires.
        RequiredFieldRemoved = "REQUIRED_FIELD_REMOVED" => Impact::BreaksForward,
        /// An optional field is gone from an open struct, which now accepts any value there where
        /// the previous version constrained it.
        FieldRemovedFromOpenStruct = "FIELD_REMOVED_FROM_OPEN_STRUCT" => Impact::BreaksForward,
        /// A new field data must carry (required, or regular without a default), so data written
        /// with the previous version lacks it.
        RequiredFieldAdded = "REQUIRED_FIELD_ADDED" => Impact::BreaksBackward,
        /// A new field in a struct the previous version closed, so the previous version rejects
        /// data carrying it.
        FieldAdded = "FIELD_ADDED" => Impact::BreaksForward,
        /// A new optional field in a struct the previous version left open: previous data may carry
        /// that field with any value, which the current version constrains.
        FieldAddedToOpenStruct = "FIELD_ADDED_TO_OPEN_STRUCT" => Impact::BreaksBackward,
        /// A field data could omit must now be present (made required, or its default removed).
        OptionalBecameRequired = "OPTIONAL_BECAME_REQUIRED" => Impact::BreaksBackward,
        /// A field data had to carry may now be omitted, so data written with the current version
        /// may lack what the previous one requires.
        RequiredBecameOptional = "REQUIRED_BECAME_OPTIONAL" => Impact::BreaksForward,
        /// The value's type changed both ways (`int` to `string`): each version rejects values of
        /// the other's type.
        FieldTypeChanged = "FIELD_TYPE_CHANGED" => Impact::BreaksBoth,
        /// The value accepts fewer kinds (`number` to `int`, `string` to an enum, `_` to `string`).
        TypeNarrowed = "TYPE_NARROWED" => Impact::BreaksBackward,
        /// The value accepts more kinds (`int` to `number`, an enum to `string`), which the
        /// previous version rejects.
        TypeWidened = "TYPE_WIDENED" => Impact::BreaksForward,
        /// The value no longer accepts `null`.
        NullableRemoved = "NULLABLE_REMOVED" => Impact::BreaksBackward,
        /// The value now accepts `null`, which the previous version rejects.
        NullableAdded = "NULLABLE_ADDED" => Impact::BreaksForward,
        /// A value the previous version listed (an enum member, a constant) is no longer accepted.
        EnumValueRemoved = "ENUM_VALUE_REMOVED" => Impact::BreaksBackward,
        /// A value the current version lists (an enum member, a constant) is one the previous
        /// version rejects.
        EnumValueAdded = "ENUM_VALUE_ADDED" => Impact::BreaksForward,
        /// A bound on a number, a string's length or a struct's field count accepts less (`>=0` to
        /// `>=10`, a new `<=100`).
        BoundTightened = "BOUND_TIGHTENED" => Impact::BreaksBackward,
        /// A bound on a number, a string's length or a struct's field count accepts more, which the
        /// previous version rejects.
        BoundLoosened = "BOUND_LOOSENED" => Impact::BreaksForward,
        /// A list accepts fewer lengths (`list.MinItems` raised, elements fixed) or must now have
        /// unique items.
        ListConstraintTightened = "LIST_CONSTRAINT_TIGHTENED" => Impact::BreaksBackward,
        /// A list accepts more lengths or no longer needs unique items, which the previous version
        /// rejects.
        ListConstraintLoosened = "LIST_CONSTRAINT_LOOSENED" => Impact::BreaksForward,
        /// A string must now match a regular expression (`=~`, `!~`, `strings.HasPrefix`...) it did
        /// not have to.
        PatternAdded = "PATTERN_ADDED" => Impact::BreaksBackward,
        /// A string no longer has to match a regular expression, so it accepts strings the previous
        /// version rejects.
        PatternRemoved = "PATTERN_REMOVED" => Impact::BreaksForward,
        /// A string's regular expression was replaced by another: which strings each accepts that
        /// the other rejects is decided by automata (RE2 has no back-references).
        PatternChanged = "PATTERN_CHANGED" => Impact::Decided,
        /// A builtin validator or a data-dependent constraint (`time.Time`, `net.IP`,
        /// `math.MultipleOf`, `!=`) was added, removed or changed: decided for `!=`, otherwise by a
        /// counterexample or a warning.
        ValidatorChanged = "VALIDATOR_CHANGED" => Impact::Decided,
        /// A value that reads other fields of the data (`m: >=n`) or that only the data completes
        /// (`int + int`) was declared differently, or reads something that changed: a
        /// counterexample decides, else a warning.
        DependentConstraintChanged = "DEPENDENT_CONSTRAINT_CHANGED" => Impact::Undecided,
        /// A default was added, removed or changed: every value is still judged alike, but
        /// consumers that fill in defaults read absent fields differently.
        DefaultChanged = "DEFAULT_CHANGED" => Impact::Semantic,
        /// A struct that accepted any other field is now closed, so data carrying an undeclared
        /// field is rejected.
        StructClosed = "STRUCT_CLOSED" => Impact::BreaksBackward,
        /// A closed struct now accepts other fields, which the previous version rejects.
        StructOpened = "STRUCT_OPENED" => Impact::BreaksForward,
        /// A struct's pattern constraints have different label sets: which fields they admit are
        /// compared by counterexample (a pattern added to an open struct only narrows it).
        LabelPatternChanged = "LABEL_PATTERN_CHANGED" => Impact::Decided,
        /// Alternatives of a disjunction could not be paired between versions (a struct alternative
        /// no alternative of the other version accepts whole, different numbers of list variants,
        /// several constrained scalars of one kind): a counterexample decides, else a warning.
        DisjunctionUndecided = "DISJUNCTION_UNDECIDED" => Impact::Undecided,
    }
}

impl CompatCode {
    /// In which direction the rule's changes break compatibility.
    pub fn impact(self) -> Impact {
        self.info()
    }
}
