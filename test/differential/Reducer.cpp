//===- Reducer.cpp - Shrinking a failing model while it still fails --------===//
///
/// \file
/// Candidates are whole models (cheap to copy at these sizes). Expression
/// nodes are addressed by their pre-order index inside one statement, so a
/// candidate is "copy the model, find node k of statement s, rewrite it".
/// Candidates may be invalid (a name used before its let, a dropped state
/// still read): the caller's front-end check rejects those, which keeps the
/// rewrites here simple.
///
//===----------------------------------------------------------------------===//
#include "test/differential/Reducer.h"

#include <chrono>

namespace rnnc::difftest {
namespace {

void preorder(Expr &e, std::vector<Expr *> &out) {
  out.push_back(&e);
  for (Expr &a : e.args)
    preorder(a, out);
}

Expr *nthNode(Expr &root, size_t k) {
  std::vector<Expr *> nodes;
  preorder(root, nodes);
  return k < nodes.size() ? nodes[k] : nullptr;
}

size_t countNodes(Expr &root) {
  std::vector<Expr *> nodes;
  preorder(root, nodes);
  return nodes.size();
}

Expr refTo(const std::string &name, const DimSum &dim) {
  Expr e;
  e.kind = Expr::Ref;
  e.name = name;
  e.dim = dim;
  return e;
}

/// Rewrites every reference to `name` in `e` with `with`.
void replaceRefs(Expr &e, const std::string &name, const Expr &with) {
  if (e.kind == Expr::Ref && e.name == name) {
    e = with;
    return;
  }
  for (Expr &a : e.args)
    replaceRefs(a, name, with);
}

void replaceRefsEverywhere(RandomModel &m, const std::string &name, const Expr &with) {
  for (Stmt &s : m.body)
    replaceRefs(s.value, name, with);
}

/// Names of batched values with dimension `d` a statement may read.
std::vector<std::string> namesOfDim(const RandomModel &m, const DimSum &d) {
  std::vector<std::string> names;
  for (const StateDecl &s : m.states)
    if (sameDim(s.dim, d))
      names.push_back(s.name);
  for (const Stmt &s : m.body)
    if (s.kind == Stmt::Let && sameDim(s.value.dim, d))
      names.push_back(s.name);
  if (sameDim(d, {"V"}))
    names.push_back("x");
  return names;
}

void embedToOnehot(Expr &e) {
  if (e.kind == Expr::Embed) {
    Expr table = refTo(e.name, e.dim);
    table.batched = false;
    Expr x = refTo("x", {"V"});
    Expr mm;
    mm.kind = Expr::MatMul;
    mm.dim = e.dim;
    mm.args = {x, table};
    e = mm;
    return;
  }
  for (Expr &a : e.args)
    embedToOnehot(a);
}

} // namespace

std::vector<RandomModel> shrinkCandidates(const RandomModel &m) {
  std::vector<RandomModel> out;
  // Drop a state: its assignment goes, its reads become another name.
  for (size_t i = 0; i < m.states.size() && m.states.size() > 1; ++i) {
    const StateDecl st = m.states[i];
    std::vector<std::string> alts{""}; // "": no reads left to replace
    for (const std::string &alt : namesOfDim(m, st.dim))
      if (alt != st.name)
        alts.push_back(alt);
    for (const std::string &alt : alts) {
      RandomModel c = m;
      c.states.erase(c.states.begin() + static_cast<long>(i));
      for (size_t s = 0; s < c.body.size(); ++s)
        if (c.body[s].kind == Stmt::Assign && c.body[s].name == st.name)
          c.body.erase(c.body.begin() + static_cast<long>(s--));
      if (!alt.empty())
        replaceRefsEverywhere(c, st.name, refTo(alt, st.dim));
      out.push_back(std::move(c));
    }
  }
  // Drop a statement (a let: inline it or read another name instead).
  for (size_t s = 0; s + 1 < m.body.size(); ++s) {
    const Stmt st = m.body[s];
    if (st.kind == Stmt::Assign) {
      RandomModel c = m;
      c.body.erase(c.body.begin() + static_cast<long>(s));
      out.push_back(std::move(c));
      continue;
    }
    for (const std::string &alt : namesOfDim(m, st.value.dim)) {
      if (alt == st.name)
        continue;
      RandomModel c = m;
      c.body.erase(c.body.begin() + static_cast<long>(s));
      replaceRefsEverywhere(c, st.name, refTo(alt, st.value.dim));
      out.push_back(std::move(c));
    }
    RandomModel c = m;
    c.body.erase(c.body.begin() + static_cast<long>(s));
    replaceRefsEverywhere(c, st.name, st.value);
    out.push_back(std::move(c));
  }
  // Replace an expression by an operand of the same shape or by a name.
  for (size_t s = 0; s < m.body.size(); ++s) {
    RandomModel probe = m;
    size_t n = countNodes(probe.body[s].value);
    for (size_t k = 0; k < n; ++k) {
      Expr *node = nthNode(probe.body[s].value, k);
      if (node->kind == Expr::Ref || node->kind == Expr::Num || node->kind == Expr::Embed)
        continue;
      for (size_t a = 0; a < node->args.size(); ++a) {
        const Expr &arg = node->args[a];
        if (!arg.batched || !sameDim(arg.dim, node->dim))
          continue;
        RandomModel c = m;
        Expr *target = nthNode(c.body[s].value, k);
        Expr keep = target->args[a];
        *target = keep;
        out.push_back(std::move(c));
      }
      if (node->kind == Expr::Slice && node->args[0].kind == Expr::Concat) {
        // slice(concat(a, b), 0, A) -> a, when the bounds pick one part.
        DimSum before;
        const Expr &cat = node->args[0];
        for (size_t part = 0; part < cat.args.size(); ++part) {
          DimSum after = before;
          after.insert(after.end(), cat.args[part].dim.begin(), cat.args[part].dim.end());
          if (sameDim(before, node->begin) && sameDim(after, node->end)) {
            RandomModel c = m;
            Expr *target = nthNode(c.body[s].value, k);
            Expr keep = target->args[0].args[part];
            *target = keep;
            out.push_back(std::move(c));
          }
          before = after;
        }
      }
      for (const std::string &alt : namesOfDim(m, node->dim)) {
        RandomModel c = m;
        *nthNode(c.body[s].value, k) = refTo(alt, node->dim);
        out.push_back(std::move(c));
      }
    }
  }
  // Smaller sizes, simpler input, no train block.
  auto shrunk = [&](int64_t v, int64_t floor) {
    std::vector<int64_t> sizes;
    for (int64_t c : {floor, v / 2, v - 1})
      if (c >= floor && c < v && (sizes.empty() || sizes.back() != c))
        sizes.push_back(c);
    return sizes;
  };
  for (size_t d = 0; d < m.dims.size(); ++d)
    for (int64_t v : shrunk(m.dims[d].second, 1)) {
      RandomModel c = m;
      c.dims[d].second = v;
      out.push_back(std::move(c));
    }
  for (int64_t v : shrunk(m.vocab, 2)) {
    RandomModel c = m;
    c.vocab = v;
    out.push_back(std::move(c));
  }
  for (int64_t v : shrunk(m.batch, 1)) {
    RandomModel c = m;
    c.batch = v;
    out.push_back(std::move(c));
  }
  for (int64_t v : shrunk(m.seqLen, 1)) {
    RandomModel c = m;
    c.seqLen = v;
    out.push_back(std::move(c));
  }
  if (m.tokenInput) {
    RandomModel c = m;
    c.tokenInput = false;
    for (Stmt &s : c.body)
      embedToOnehot(s.value);
    out.push_back(std::move(c));
  }
  if (m.hasTrainBlock) {
    RandomModel c = m;
    c.hasTrainBlock = false;
    out.push_back(std::move(c));
  }
  return out;
}

/// What the reducer minimises; every kept candidate lowers it, so it stops.
int64_t modelCost(const RandomModel &m) {
  int64_t cost = 200 * static_cast<int64_t>(m.states.size()) +
                 100 * static_cast<int64_t>(m.body.size()) + m.vocab + m.batch + m.seqLen +
                 5 * m.tokenInput + 5 * m.hasTrainBlock;
  for (const auto &d : m.dims)
    cost += d.second;
  for (const Stmt &s : m.body) {
    Expr copy = s.value;
    cost += 3 * static_cast<int64_t>(countNodes(copy));
  }
  return cost;
}

RandomModel reduceModel(const RandomModel &start,
                        const std::function<bool(const RandomModel &)> &stillFails,
                        double budgetSeconds, ReduceStats *stats) {
  using Clock = std::chrono::steady_clock;
  auto begin = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - begin).count(); };
  ReduceStats local;
  RandomModel current = start;
  bool progress = true;
  while (progress && elapsed() < budgetSeconds) {
    progress = false;
    int64_t currentCost = modelCost(current);
    for (RandomModel &candidate : shrinkCandidates(current)) {
      if (elapsed() >= budgetSeconds)
        break;
      if (modelCost(candidate) >= currentCost)
        continue;
      ++local.attempts;
      if (stillFails(candidate)) {
        ++local.accepted;
        current = std::move(candidate);
        progress = true;
        break;
      }
    }
  }
  local.seconds = elapsed();
  if (stats)
    *stats = local;
  return current;
}

} // namespace rnnc::difftest
