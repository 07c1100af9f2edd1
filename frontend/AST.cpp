//===- AST.cpp - Printing the DSL syntax tree -----------------------------===//
///
/// \file
/// `rnnc emit --stage=ast`: one node per line, indented by depth, each with
/// its `line:col`, expressions as S-expressions. Stable, for FileCheck.
///
//===----------------------------------------------------------------------===//
#include "frontend/AST.h"

#include <ostream>

namespace rnnc::frontend::ast {

namespace {

std::string at(SourceLocation loc) {
  return "<" + std::to_string(loc.line) + ":" + std::to_string(loc.col) + ">";
}

void printExpr(const Expr &e, std::ostream &os) {
  switch (e.kind) {
  case ExprKind::Number:
    os << e.text;
    return;
  case ExprKind::Name:
    os << e.text;
    return;
  case ExprKind::Neg:
    os << "(neg ";
    printExpr(*e.operands[0], os);
    os << ')';
    return;
  case ExprKind::Binary:
    os << '(' << e.op << ' ';
    printExpr(*e.operands[0], os);
    os << ' ';
    printExpr(*e.operands[1], os);
    os << ')';
    return;
  case ExprKind::Call:
    os << '(' << e.text;
    for (size_t i = 0; i < e.operands.size(); ++i) {
      os << ' ';
      if (!e.argNames[i].empty())
        os << e.argNames[i] << '=';
      printExpr(*e.operands[i], os);
    }
    os << ')';
    return;
  }
}

void printDim(const DimRef &d, std::ostream &os) {
  if (d.name.empty())
    os << d.size;
  else
    os << d.name;
}

void printShape(const Shape &s, std::ostream &os) {
  os << '[';
  for (size_t i = 0; i < s.dims.size(); ++i) {
    if (i)
      os << ", ";
    printExpr(*s.dims[i], os);
  }
  os << ']';
}

void printVar(const char *what, const VarDecl &v, std::ostream &os) {
  os << "  " << what << ' ' << v.name << ' ' << at(v.loc) << ' ';
  printShape(v.shape, os);
  if (v.init) {
    os << " = ";
    printExpr(*v.init, os);
  }
  os << '\n';
}

} // namespace

void printProgram(const Program &program, std::ostream &os) {
  if (const Model *m = program.model.get()) {
    os << "Model " << m->name << ' ' << at(m->loc) << '\n';
    for (const ModelArg &a : m->args) {
      os << "  Dim " << a.name << ' ' << at(a.loc) << ' ';
      if (a.isVocab)
        os << ": " << a.kind << '\n';
      else
        os << "= " << a.defaultText << '\n';
    }
    for (const VarDecl &p : m->params)
      printVar("Param", p, os);
    for (const VarDecl &s : m->states)
      printVar("State", s, os);
    if (const StepDecl *s = m->step.get()) {
      os << "  Step " << at(s->loc) << " (" << s->inputName << ": "
         << s->inputKind << '[';
      printDim(s->vocabDim, os);
      os << "])";
      if (s->hasResultShape) {
        os << " -> ";
        printShape(s->resultShape, os);
      }
      os << '\n';
      for (const Stmt &st : s->body) {
        os << "    "
           << (st.kind == Stmt::Let      ? "Let " + st.name
               : st.kind == Stmt::Assign ? "Assign " + st.name
                                         : std::string("Return"))
           << ' ' << at(st.loc) << ' ';
        printExpr(*st.value, os);
        os << '\n';
      }
    }
  }
  if (const TrainBlock *t = program.train.get()) {
    os << "Train " << at(t->loc) << '\n';
    for (const TrainItem &item : t->items) {
      os << "  " << item.key << ' ' << at(item.loc) << " = ";
      printExpr(*item.value, os);
      os << '\n';
    }
  }
}

} // namespace rnnc::frontend::ast
