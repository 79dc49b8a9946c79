//! The life of a vertex: expansion (adding every conjunct) and finalization (resolving
//! disjunctions, checking closedness and list lengths, finalizing the arcs, running struct and
//! list validators).
//!
//! A vertex moves through [`State`]s: `New`, `Expanding` (its conjuncts are being added; a read
//! of it now is a reference cycle, see `cycle.rs`), `Expanded`, `Finalizing` and `Done`.

use super::conjunct::{env_key, ConjunctKind, Embedded};
use super::vertex::{ArcType, Feature, State, VertexId};
use super::Eval;
use crate::ast::{Expr, ExprKind};
use crate::value::{Check, EvalError, Kinds, SpannedCheck};

impl<'a> Eval<'a> {
    pub(super) fn expand(&mut self, v: VertexId) {
        self.with_stack(|this| this.expand_inner(v))
    }

    pub(super) fn expand_inner(&mut self, v: VertexId) {
        if self.vertices[v].state != State::New {
            return;
        }
        self.vertices[v].state = State::Expanding;
        let (cycle_reads, provisional_from) = (self.cycle_reads.len(), self.provisional.len());
        self.expanding.push(v);
        self.expand_body(v);
        self.expanding.pop();
        // Plain fields evaluated during the expansion that waited for `v` saw only part of it:
        // they are evaluated again now that `v` is complete.
        for t in self.reset_provisional(v, provisional_from) {
            self.finalize(t);
        }
        if self.cycle_reads.len() != cycle_reads {
            if let Some(outermost) = self.outermost(&self.cycle_reads[cycle_reads..], v) {
                self.provisional.push((v, outermost));
            }
        }
    }

    /// Adds every conjunct of `v`. A conjunct that comes out incomplete because it read a vertex
    /// in progress is a reference cycle (`x: y + 1`, `y: x + 1`, `x: 1`): when the cycle closes
    /// on `v` (it read `v`), the conjunct is tried again once the others are in (`x: 1` then
    /// makes `y` 2, and `x` the conflict of 1 and 3, as CUE evaluates it), after the plain
    /// fields that waited for `v` are made new. When it waits for a vertex further out, a plain
    /// field leaves it pending: that vertex evaluates the field again when it is complete.
    pub(super) fn expand_body(&mut self, v: VertexId) {
        if self.enter() {
            let conjuncts = self.vertices[v].conjuncts.clone();
            let provisional_from = self.provisional.len();
            // Deferred conjuncts, by their index in `conjuncts` (copied again only then).
            let mut deferred = Vec::new();
            for (index, c) in conjuncts.into_iter().enumerate() {
                let Some(waits) = self.add_in_cycle(v, c) else {
                    continue;
                };
                let c = &self.vertices[v].conjuncts[index];
                let key = match c.kind {
                    ConjunctKind::Expr(e) if !matches!(e.kind, ExprKind::Struct(_)) => {
                        Some((e as *const Expr as usize, env_key(&c.env)))
                    }
                    _ => None,
                };
                match key {
                    Some(key) if waits == v => {
                        self.vertices[v].error = None;
                        self.vertices[v].seen.remove(&key);
                        deferred.push(index);
                    }
                    _ => self.leave_pending(v, waits),
                }
            }
            if !deferred.is_empty() {
                let reset = self.reset_provisional(v, provisional_from);
                for index in deferred {
                    let c = self.vertices[v].conjuncts[index].clone();
                    let outer = self.adding_deferred.replace(v);
                    let waits = self.add_in_cycle(v, c);
                    self.adding_deferred = outer;
                    if let Some(waits) = waits.filter(|&w| w != v) {
                        self.leave_pending(v, waits);
                    }
                }
                for t in reset {
                    self.finalize(t);
                }
            }
            self.run_comprehensions(v);
            // Computed embedded values read the struct's fields: evaluated now that every
            // other conjunct is in (what they add may embed more, and comprehensions). Added
            // last, such a value is still named first in a conflict, as CUE names it (a file
            // `6` validating the data `0`: "conflicting values 6 and 0").
            while !self.vertices[v].embedded_values.is_empty() {
                let values = std::mem::take(&mut self.vertices[v].embedded_values);
                for value in values {
                    match value {
                        Embedded::Computed { expr, env, group } => {
                            let outer = self.adding_deferred.replace(v);
                            self.add_computed(v, expr, env, group);
                            self.adding_deferred = outer;
                        }
                        Embedded::Field {
                            target,
                            group,
                            is_definition,
                            by_embedding,
                        } => {
                            self.add_vertex_conjuncts(v, target, group, by_embedding, is_definition)
                        }
                    }
                }
                self.run_comprehensions(v);
            }
            for p in 0..self.vertices[v].patterns.len() {
                let arcs = self.vertices[v].arcs.clone();
                for a in arcs {
                    self.apply_pattern(v, p, a);
                }
            }
        }
        self.leave();
        self.settle_weak_struct(v);
        self.vertices[v].state = State::Expanded;
    }

    /// A struct literal that only embeds values beside its definitions and hidden fields is a
    /// struct unless an embedded value made the vertex a scalar or a list, or is a builtin
    /// validator (`{json.Valid()}` is `json.Valid()`, which may accept any kind).
    fn settle_weak_struct(&mut self, v: VertexId) {
        let vertex = &self.vertices[v];
        let Some(span) = vertex.weak_struct else {
            return;
        };
        if vertex.struct_span.is_some() || vertex.list.is_some() || vertex.error.is_some() {
            return;
        }
        let validator = |c: &SpannedCheck| matches!(c.check, Check::Builtin { .. });
        if vertex.scalar.checks.iter().any(validator) {
            return;
        }
        if vertex.scalar.kinds.contains(Kinds::STRUCT) && vertex.scalar.value.is_none() {
            self.mark_struct(v, span);
        }
    }

    pub(crate) fn finalize(&mut self, v: VertexId) {
        self.with_stack(|this| this.finalize_inner(v))
    }

    pub(super) fn finalize_inner(&mut self, v: VertexId) {
        match self.vertices[v].state {
            State::Finalizing | State::Done => return,
            _ => {}
        }
        self.expand(v);
        if self.vertices[v].state != State::Expanded {
            return;
        }
        self.vertices[v].state = State::Finalizing;
        if let Some(err) = self.vertices[v].scalar.incompatible_bounds() {
            self.set_error(v, err);
        }
        if self.vertices[v].func.is_some() {
            self.check_func_alone(v);
        }
        if !self.enter() {
            self.leave();
            self.vertices[v].state = State::Done;
            return;
        }
        // A field its struct does not allow is that error, whatever its value: its
        // disjunction is not resolved (see `is_not_allowed`).
        if !self.vertices[v].disjunctions.is_empty() && !self.is_not_allowed(v) {
            self.resolve_disjunctions(v);
        } else {
            self.finish_list(v);
            let arcs = self.vertices[v].arcs.clone();
            let requirements = if arcs.is_empty() {
                Vec::new()
            } else {
                self.requirements(v)
            };
            for &a in &arcs {
                self.check_allowed(v, a, &requirements);
            }
            for &a in &arcs {
                let vertex = &self.vertices[a];
                let skip = vertex.arc_type == ArcType::Optional
                    || matches!(vertex.feature, Some(Feature::Definition(_)))
                    || self.is_settled(v, a);
                if !skip {
                    self.finalize(a);
                }
            }
            self.check_composite(v);
            self.check_schema_validators(v);
        }
        self.leave();
        self.vertices[v].state = State::Done;
    }

    pub(super) fn finish_list(&mut self, v: VertexId) {
        let Some(info) = &self.vertices[v].list else {
            return;
        };
        let length = info.length;
        if let Some(&(n, _)) = info.closed.iter().find(|(n, _)| *n != length) {
            let message = format!(
                "incompatible list lengths ({} and {})",
                n.min(length),
                n.max(length)
            );
            self.set_error(v, EvalError::new("LIST_LENGTH", message, vec![]));
            return;
        }
        let open = self.vertices[v].list_open.clone();
        for (start, constraint) in open {
            let Some(c) = constraint else { continue };
            for i in start..length {
                let a = self.arc(v, &Feature::Index(i));
                self.vertices[a].from_constraint = true;
                self.push_conjunct(a, c.clone());
            }
        }
    }

    /// Whether `v` is a definition or lies inside one (or inside a `-d` schema expression,
    /// which stands for one).
    pub(super) fn in_definition(&self, v: VertexId) -> bool {
        let mut current = Some(v);
        while let Some(c) = current {
            if matches!(self.vertices[c].feature, Some(Feature::Definition(_)))
                || self.expression_root == Some(c)
            {
                return true;
            }
            current = self.vertices[c].parent;
        }
        false
    }

    /// Validators on lists and structs (`list.MinItems(1)`) run once their elements are known.
    pub(super) fn check_composite(&mut self, v: VertexId) {
        if self.vertices[v].scalar.checks.is_empty() || self.vertices[v].scalar.value.is_some() {
            return;
        }
        if self.vertices[v].struct_span.is_none() && self.vertices[v].list.is_none() {
            return;
        }
        // In a definition, an open list (`[...#Item] & list.MinItems(1)`) is a schema for
        // lists, not the empty list: its validators wait for a value.
        if self.vertices[v]
            .list
            .as_ref()
            .is_some_and(|l| l.closed.is_empty())
            && self.in_definition(v)
        {
            return;
        }
        let Some(concrete) = self.concrete_value(v) else {
            return;
        };
        if let Some(err) = self.vertices[v].scalar.failed_validator(|| concrete) {
            self.set_error(v, err);
        }
    }

    pub(super) fn finish_list_arcs(&mut self, t: VertexId) {
        if self.vertices[t].state == State::Expanded {
            self.finalize(t);
        }
    }
}
