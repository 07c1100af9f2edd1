//===- AstBuilder.cpp - ANTLR parse tree -> AST ---------------------------===//
///
/// \file
/// One function per grammar rule, each copying names, numbers and `line:col`
/// locations out of ANTLR's contexts into the AST (ast::Expr keeps both the
/// start of an expression and, for a binary one, its operator). Recursive:
/// Parser.cpp has bounded the tree's depth before this runs.
///
//===----------------------------------------------------------------------===//
#include "frontend/AstBuilder.h"

#include "antlr4-runtime.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace rnnc::frontend {

using rnnc_antlr::RnncParser;

namespace {

SourceLocation locOf(const antlr4::Token *t) {
  if (!t)
    return {};
  return {static_cast<uint32_t>(t->getLine()),
          static_cast<uint32_t>(t->getCharPositionInLine() + 1)};
}

class AstBuilder {
public:
  explicit AstBuilder(DiagnosticEngine &diags) : diags_(diags) {}

  std::unique_ptr<ast::Program> build(RnncParser::ProgramContext *ctx) {
    auto program = std::make_unique<ast::Program>();
    for (auto *child : ctx->children) {
      if (auto *m = dynamic_cast<RnncParser::ModelContext *>(child)) {
        if (program->model) {
          diags_.error(locOf(m->getStart()), "only one model per file");
          diags_.note(program->model->loc, "the first model is here");
          continue;
        }
        program->model = buildModel(m);
      } else if (auto *t = dynamic_cast<RnncParser::TrainContext *>(child)) {
        if (program->train) {
          diags_.error(locOf(t->getStart()), "duplicate train block");
          diags_.note(program->train->loc, "the first train block is here");
          continue;
        }
        program->train = buildTrain(t);
      }
    }
    if (!program->model && !diags_.hasErrors())
      diags_.error(locOf(ctx->getStart()),
                   "no model declaration: expected 'model NAME(...) { ... }'");
    return program;
  }

private:
  double parseNumber(antlr4::Token *t) {
    std::string text = t->getText();
    errno = 0;
    double v = std::strtod(text.c_str(), nullptr);
    if (errno == ERANGE || !std::isfinite(v)) {
      diags_.error(locOf(t), "number '" + text + "' is out of range");
      return 0;
    }
    return v;
  }

  ast::DimRef buildDim(RnncParser::DimContext *ctx) {
    ast::DimRef d;
    d.loc = locOf(ctx->getStart());
    if (ctx->ID()) {
      d.name = ctx->ID()->getText();
      return d;
    }
    double v = parseNumber(ctx->NUMBER()->getSymbol());
    d.literalIsInteger = v == std::floor(v) && v <= 1e9 && v >= -1e9;
    d.size = d.literalIsInteger ? static_cast<int64_t>(v) : 0;
    return d;
  }

  ast::Shape buildShape(RnncParser::ShapeContext *ctx) {
    ast::Shape s;
    s.loc = locOf(ctx->getStart());
    for (auto *d : ctx->expr())
      s.dims.push_back(buildExpr(d));
    return s;
  }

  std::unique_ptr<ast::Expr> buildExpr(RnncParser::ExprContext *ctx) {
    auto e = std::make_unique<ast::Expr>();
    e->loc = e->begin = locOf(ctx->getStart());
    if (auto *p = dynamic_cast<RnncParser::ParenExprContext *>(ctx))
      return buildExpr(p->expr());
    if (auto *n = dynamic_cast<RnncParser::NumberExprContext *>(ctx)) {
      e->kind = ast::ExprKind::Number;
      e->text = n->NUMBER()->getText();
      e->number = parseNumber(n->NUMBER()->getSymbol());
    } else if (auto *n = dynamic_cast<RnncParser::NameExprContext *>(ctx)) {
      e->kind = ast::ExprKind::Name;
      e->text = n->ID()->getText();
    } else if (auto *n = dynamic_cast<RnncParser::NegExprContext *>(ctx)) {
      e->kind = ast::ExprKind::Neg;
      e->operands.push_back(buildExpr(n->expr()));
    } else if (auto *b = dynamic_cast<RnncParser::MulExprContext *>(ctx)) {
      buildBinary(*e, b->op, b->expr(0), b->expr(1));
    } else if (auto *b = dynamic_cast<RnncParser::AddExprContext *>(ctx)) {
      buildBinary(*e, b->op, b->expr(0), b->expr(1));
    } else if (auto *c = dynamic_cast<RnncParser::CallExprContext *>(ctx)) {
      e->kind = ast::ExprKind::Call;
      e->text = c->callee->getText();
      for (auto *a : c->arg()) {
        e->argNames.push_back(a->key ? a->key->getText() : "");
        e->argNameLocs.push_back(locOf(a->getStart()));
        e->operands.push_back(buildExpr(a->expr()));
      }
    }
    return e;
  }

  void buildBinary(ast::Expr &e, antlr4::Token *op, RnncParser::ExprContext *l,
                   RnncParser::ExprContext *r) {
    e.kind = ast::ExprKind::Binary;
    e.op = op->getText()[0];
    e.loc = locOf(op); // errors about an operator point at the operator
    e.operands.push_back(buildExpr(l));
    e.operands.push_back(buildExpr(r));
  }

  ast::VarDecl buildVar(antlr4::Token *name, RnncParser::ShapeContext *shape,
                        RnncParser::ExprContext *init) {
    ast::VarDecl v;
    v.name = name->getText();
    v.loc = locOf(name);
    v.shape = buildShape(shape);
    if (init)
      v.init = buildExpr(init);
    return v;
  }

  std::unique_ptr<ast::StepDecl> buildStep(RnncParser::StepDeclContext *s) {
    auto step = std::make_unique<ast::StepDecl>();
    step->loc = locOf(s->getStart());
    step->inputName = s->input->getText();
    step->inputLoc = locOf(s->input);
    step->inputKind = s->kind->getText();
    step->inputKindLoc = locOf(s->kind);
    step->vocabDim = buildDim(s->vocab);
    if (s->shape()) {
      step->hasResultShape = true;
      step->resultShape = buildShape(s->shape());
    }
    step->closeLoc = locOf(s->close);
    for (auto *st : s->stmt()) {
      ast::Stmt stmt;
      if (auto *l = dynamic_cast<RnncParser::LetStmtContext *>(st)) {
        stmt.kind = ast::Stmt::Let;
        stmt.name = l->name->getText();
        stmt.loc = locOf(l->name);
        stmt.value = buildExpr(l->expr());
      } else if (auto *a = dynamic_cast<RnncParser::AssignStmtContext *>(st)) {
        stmt.kind = ast::Stmt::Assign;
        stmt.name = a->name->getText();
        stmt.loc = locOf(a->name);
        stmt.value = buildExpr(a->expr());
      } else if (auto *r = dynamic_cast<RnncParser::ReturnStmtContext *>(st)) {
        stmt.kind = ast::Stmt::Return;
        stmt.loc = locOf(r->getStart());
        stmt.value = buildExpr(r->expr());
      }
      step->body.push_back(std::move(stmt));
    }
    return step;
  }

  std::unique_ptr<ast::Model> buildModel(RnncParser::ModelContext *ctx) {
    auto model = std::make_unique<ast::Model>();
    model->name = ctx->name->getText();
    model->loc = locOf(ctx->name);
    model->closeLoc = locOf(ctx->close);
    for (auto *a : ctx->modelArg()) {
      ast::ModelArg arg;
      if (auto *v = dynamic_cast<RnncParser::VocabArgContext *>(a)) {
        arg.name = v->name->getText();
        arg.loc = locOf(v->name);
        arg.isVocab = true;
        arg.kind = v->kind->getText();
        arg.kindLoc = locOf(v->kind);
      } else if (auto *i = dynamic_cast<RnncParser::IntDimArgContext *>(a)) {
        arg.name = i->name->getText();
        arg.loc = locOf(i->name);
        arg.defaultText = i->value->getText();
        arg.defaultValue = parseNumber(i->value);
        arg.kindLoc = locOf(i->value);
      }
      model->args.push_back(std::move(arg));
    }
    for (auto *m : ctx->member()) {
      if (auto *p = dynamic_cast<RnncParser::ParamDeclContext *>(m)) {
        model->params.push_back(buildVar(p->name, p->shape(), p->expr()));
      } else if (auto *s = dynamic_cast<RnncParser::StateDeclContext *>(m)) {
        model->states.push_back(buildVar(s->name, s->shape(), s->expr()));
      } else if (auto *st = dynamic_cast<RnncParser::StepDeclContext *>(m)) {
        if (model->step) {
          diags_.error(locOf(st->getStart()), "a model has exactly one step");
          diags_.note(model->step->loc, "the first step is here");
          continue;
        }
        model->step = buildStep(st);
      }
    }
    return model;
  }

  std::unique_ptr<ast::TrainBlock> buildTrain(RnncParser::TrainContext *ctx) {
    auto train = std::make_unique<ast::TrainBlock>();
    train->loc = locOf(ctx->getStart());
    for (auto *item : ctx->trainItem()) {
      ast::TrainItem ti;
      ti.key = item->key->getText();
      ti.loc = locOf(item->key);
      ti.value = buildExpr(item->expr());
      train->items.push_back(std::move(ti));
    }
    return train;
  }

  DiagnosticEngine &diags_;
};

} // namespace

std::unique_ptr<ast::Program> buildAst(RnncParser::ProgramContext *tree,
                                       DiagnosticEngine &diags) {
  return AstBuilder(diags).build(tree);
}

} // namespace rnnc::frontend
