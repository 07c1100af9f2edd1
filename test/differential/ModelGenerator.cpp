//===- ModelGenerator.cpp - Random valid models from a seed ----------------===//
///
/// \file
/// Typed generation: every expression is asked for with the last-axis
/// dimension it must have, so the model is well-shaped by construction. A
/// pool holds the batched values a step may read at each point (the input,
/// the states, the lets so far); `linear` projects any of them to the wanted
/// dimension with a fresh weight, the other forms combine or wrap values of
/// the wanted dimension. Depth is bounded so bodies stay short.
///
//===----------------------------------------------------------------------===//
#include "test/differential/ModelGenerator.h"

#include <random>

namespace rnnc::difftest {
namespace {

class Generator {
public:
  Generator(uint64_t seed, const GeneratorOptions &options) : rng_(seed), options_(options) {}
  RandomModel run();

private:
  std::mt19937_64 rng_;
  GeneratorOptions options_;
  RandomModel m_;
  std::vector<Expr> pool_; ///< batched values readable now
  Expr input_;             ///< x or embed(emb, x)
  int nextParam_ = 0, nextLet_ = 0;

  int64_t uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool coin(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  template <typename T> const T &pick(const std::vector<T> &v) {
    return v[static_cast<size_t>(uniform(0, static_cast<int64_t>(v.size()) - 1))];
  }

  std::string newParam(const std::string &prefix, std::vector<DimSum> shape) {
    std::string name = prefix + std::to_string(nextParam_++);
    m_.params.push_back({name, std::move(shape)});
    return name;
  }
  static Expr ref(const std::string &name, DimSum dim, bool batched = true) {
    Expr e;
    e.kind = Expr::Ref;
    e.name = name;
    e.dim = std::move(dim);
    e.batched = batched;
    return e;
  }
  static Expr num(double v) {
    Expr e;
    e.kind = Expr::Num;
    e.num = v;
    e.batched = false;
    return e;
  }
  static Expr node(Expr::Kind kind, std::vector<Expr> args, DimSum dim) {
    Expr e;
    e.kind = kind;
    e.args = std::move(args);
    e.dim = std::move(dim);
    return e;
  }
  static Expr binary(Expr::Kind kind, Expr a, Expr b) {
    DimSum d = a.kind == Expr::Num || !a.batched ? b.dim : a.dim;
    return node(kind, {std::move(a), std::move(b)}, d);
  }
  static Expr call(const std::string &fn, Expr a) {
    DimSum d = a.dim;
    Expr e = node(Expr::Call, {std::move(a)}, d);
    e.name = fn;
    return e;
  }
  Expr bias(const DimSum &d) { return ref(newParam("b", {d}), d, false); }
  Expr project(const Expr &src, const DimSum &target) {
    Expr w = ref(newParam("W", {src.dim, target}), target, false);
    return node(Expr::MatMul, {src, w}, target);
  }

  Expr source() { return pool_.empty() || coin(0.15) ? input_ : pick(pool_); }
  Expr linear(const DimSum &target);
  Expr leaf(const DimSum &target);
  Expr gen(const DimSum &target, int depth);
  Expr normalised(const DimSum &target, int depth);
  Expr transposed(const std::string &param) {
    Expr t = node(Expr::Call, {ref(param, {}, false)}, {});
    t.name = "transpose";
    t.batched = false;
    return t;
  }
  std::vector<Expr> slicesOf(const DimSum &target);
  DimSum someDim();
};

Expr Generator::linear(const DimSum &target) {
  Expr src = source();
  if (coin(0.2)) { // a concat feeding one matrix, as the GRU example does
    Expr other = source();
    src = node(Expr::Concat, {src, other}, {});
    src.dim = src.args[0].dim;
    src.dim.insert(src.dim.end(), other.dim.begin(), other.dim.end());
  }
  Expr sum = project(src, target);
  if (coin(0.2) && options_.repeats) { // the same product twice: CSE makes it one value
    sum = binary(Expr::Add, sum, sum);
  } else if (coin(0.4)) {
    sum = binary(Expr::Add, sum, project(source(), target));
  }
  if (coin(0.5))
    sum = binary(Expr::Add, sum, bias(target));
  return sum;
}

std::vector<Expr> Generator::slicesOf(const DimSum &target) {
  std::vector<Expr> out;
  for (const Expr &v : pool_) {
    if (v.dim.size() < 2)
      continue;
    for (size_t b = 0; b < v.dim.size(); ++b)
      for (size_t e = b + 1; e <= v.dim.size(); ++e) {
        DimSum mid(v.dim.begin() + b, v.dim.begin() + e);
        if (mid.size() == v.dim.size() || !sameDim(mid, target))
          continue;
        Expr s = node(Expr::Slice, {v}, target);
        s.begin = DimSum(v.dim.begin(), v.dim.begin() + b);
        s.end = DimSum(v.dim.begin(), v.dim.begin() + e);
        out.push_back(s);
      }
  }
  return out;
}

Expr Generator::leaf(const DimSum &target) {
  std::vector<Expr> same;
  for (const Expr &v : pool_)
    if (sameDim(v.dim, target))
      same.push_back(v);
  if (!same.empty() && coin(0.6))
    return pick(same);
  std::vector<Expr> slices = slicesOf(target);
  if (!slices.empty() && coin(0.5))
    return pick(slices);
  return linear(target);
}

DimSum Generator::someDim() {
  std::vector<std::string> names{"V"};
  for (const auto &[n, v] : m_.dims)
    names.push_back(n);
  return {pick(names)};
}

Expr Generator::gen(const DimSum &target, int depth) {
  if (depth <= 0)
    return leaf(target);
  auto sub = [&] { return gen(target, depth - 1); };
  if (options_.normalisation && coin(0.15))
    return normalised(target, depth);
  int64_t form = uniform(0, 13);
  if (!options_.repeats && (form == 8 || form == 9 || form == 10))
    form = 0;
  switch (form) {
  case 0:
  case 1:
    return linear(target);
  case 2:
    return call(pick(std::vector<std::string>{"tanh", "sigmoid", "relu"}), sub());
  case 3: {
    Expr::Kind k = pick(std::vector<Expr::Kind>{Expr::Add, Expr::Sub, Expr::Mul});
    return binary(k, sub(), sub());
  }
  case 4: { // broadcasting a suffix shape or a scalar literal, either side
    Expr other = coin(0.5) ? bias(target) : num(pick(std::vector<double>{0.5, 2, 1.5, 3}));
    Expr::Kind k = pick(std::vector<Expr::Kind>{Expr::Add, Expr::Sub, Expr::Mul});
    return coin(0.5) ? binary(k, sub(), other) : binary(k, other, sub());
  }
  case 5:
    return node(Expr::Neg, {sub()}, target);
  case 6: { // denominators kept at >= 1
    Expr den = coin(0.5) ? binary(Expr::Add, num(1), call("sigmoid", sub()))
                         : binary(Expr::Add, num(2), call("relu", sub()));
    return binary(Expr::Div, sub(), den);
  }
  case 7:
    switch (uniform(0, 2)) {
    case 0:
      return call("exp", call("tanh", sub()));
    case 1:
      return call("exp", node(Expr::Neg, {call("relu", sub())}, target));
    default:
      return call("log", binary(Expr::Add, num(1), call("sigmoid", sub())));
    }
  case 8: { // 0.5 * tanh(a) + 0.5 * tanh(a)
    Expr half = binary(Expr::Mul, num(0.5), call("tanh", sub()));
    return binary(Expr::Add, half, half);
  }
  case 9: { // sigmoid(q) * c + (1 - sigmoid(q)) * h
    Expr gate = call("sigmoid", sub());
    return binary(Expr::Add, binary(Expr::Mul, gate, sub()),
                  binary(Expr::Mul, binary(Expr::Sub, num(1), gate), sub()));
  }
  case 10: { // a whole subexpression twice
    Expr s = sub();
    return binary(Expr::Add, s, s);
  }
  case 11:
    if (target.size() >= 2) {
      size_t cut = static_cast<size_t>(uniform(1, static_cast<int64_t>(target.size()) - 1));
      DimSum a(target.begin(), target.begin() + cut), b(target.begin() + cut, target.end());
      return node(Expr::Concat, {gen(a, depth - 1), gen(b, depth - 1)}, target);
    }
    [[fallthrough]];
  case 12: { // slice of a concat, bounds written with dimension names
    DimSum other = someDim();
    bool first = coin(0.5);
    Expr inner = first ? gen(target, depth - 1) : gen(other, depth - 1);
    Expr second = first ? gen(other, depth - 1) : gen(target, depth - 1);
    DimSum all = inner.dim;
    all.insert(all.end(), second.dim.begin(), second.dim.end());
    Expr cat = node(Expr::Concat, {inner, second}, all);
    Expr s = node(Expr::Slice, {cat}, target);
    s.begin = first ? DimSum{} : inner.dim;
    s.end = all;
    if (first)
      s.end = inner.dim;
    return s;
  }
  default: { // dropout of a batched value (a train-step-only op)
    if (!coin(0.4))
      return leaf(target);
    Expr x = sub();
    if (!x.batched)
      return x;
    Expr e = call("dropout", std::move(x));
    e.args.push_back(num(pick(std::vector<double>{0.1, 0.25, 0.5})));
    return e;
  }
  }
}

/// The normalisation functions; every reduction keeps a [.., 1] axis that
/// broadcasts back against the row it came from. Denominators stay >= 1.
Expr Generator::normalised(const DimSum &target, int depth) {
  auto sub = [&] { return gen(target, depth - 1); };
  auto reduce = [&](const char *fn, Expr a) {
    Expr r = call(fn, std::move(a));
    r.dim = target;
    return r;
  };
  switch (uniform(0, 5)) {
  case 0: { // layer_norm(a, g, b)
    Expr e = node(Expr::Call, {sub(), bias(target), bias(target)}, target);
    e.name = "layer_norm";
    return e;
  }
  case 1: { // a - mean(a)
    Expr a = sub();
    return binary(Expr::Sub, a, reduce("mean", a));
  }
  case 2: { // a / sqrt(mean(a * a) + 1)
    Expr a = sub();
    Expr ms = reduce("mean", binary(Expr::Mul, a, a));
    return binary(Expr::Div, a, call("sqrt", binary(Expr::Add, ms, num(1))));
  }
  case 3: { // softmax: exp(a - max(a)) / sum(exp(a - max(a)))
    Expr a = sub();
    Expr e = call("exp", binary(Expr::Sub, a, reduce("max", a)));
    return binary(Expr::Div, e, reduce("sum", e));
  }
  case 4: // sqrt(1 + abs(a))
    return call("sqrt", binary(Expr::Add, num(1), call("abs", sub())));
  default: { // src @ transpose(W), W: [target, src]
    Expr src = source();
    return node(Expr::MatMul, {src, transposed(newParam("W", {target, src.dim}))}, target);
  }
  }
}

RandomModel Generator::run() {
  m_.vocab = uniform(3, 9);
  m_.batch = uniform(1, 4);
  m_.seqLen = uniform(1, 5);
  auto dimSize = [&] {
    double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (r < 0.25)
      return m_.batch;
    if (r < 0.35)
      return m_.seqLen;
    if (r < 0.45)
      return std::min<int64_t>(m_.vocab, 8);
    return uniform(1, 8);
  };
  const char *stateDims[] = {"H", "G", "K"};
  const char *stateNames[] = {"h", "c", "s"};
  int numStates = static_cast<int>(uniform(1, 3));
  for (int i = 0; i < numStates; ++i) {
    if (i > 0 && coin(0.3)) { // shares the previous state's dimension
      m_.states.push_back({stateNames[i], m_.states.back().dim});
      continue;
    }
    m_.dims.push_back({stateDims[i], dimSize()});
    m_.states.push_back({stateNames[i], {stateDims[i]}});
  }
  m_.tokenInput = coin(0.5);
  if (m_.tokenInput) {
    m_.dims.push_back({"E", dimSize()});
    input_ = node(Expr::Embed, {}, {"E"});
    input_.name = newParam("emb", {{"V"}, {"E"}});
  } else {
    input_ = ref("x", {"V"});
  }
  if (coin(0.3)) // a dimension only lets use
    m_.dims.push_back({"D", dimSize()});
  m_.hasTrainBlock = coin(0.5);
  m_.consecutive = coin(0.5);

  for (const StateDecl &s : m_.states)
    pool_.push_back(ref(s.name, s.dim));
  int depth = static_cast<int>(uniform(1, 3));
  for (size_t i = 0; i < m_.states.size(); ++i) {
    const StateDecl &st = m_.states[i];
    for (int64_t n = uniform(0, 2); n > 0; --n) {
      DimSum d = coin(0.3) ? DimSum{someDim()[0], st.dim[0]} : someDim();
      Stmt let{Stmt::Let, "t" + std::to_string(nextLet_++), gen(d, depth)};
      pool_.push_back(ref(let.name, let.value.dim));
      m_.body.push_back(std::move(let));
    }
    Expr value = gen(st.dim, depth);
    if (i == 0) // the input always reaches the first state
      value = binary(Expr::Add, project(input_, st.dim), value);
    if (coin(0.2) && options_.repeats) { // a leaky update, the gate written twice
      Expr gate = call("sigmoid", gen(st.dim, 1));
      value = binary(Expr::Add, binary(Expr::Mul, gate, ref(st.name, st.dim)),
                     binary(Expr::Mul, binary(Expr::Sub, num(1), gate), call("tanh", value)));
    } else if (coin(0.7))
      value = call(coin(0.7) ? "tanh" : "sigmoid", value);
    m_.body.push_back({Stmt::Assign, st.name, std::move(value)});
  }
  Expr out = coin(0.5) ? linear({"V"}) : gen({"V"}, depth);
  if (options_.normalisation && m_.tokenInput && coin(0.4)) // tied embeddings
    out = binary(Expr::Add, out,
                 node(Expr::MatMul, {gen({"E"}, depth), transposed(input_.name)}, {"V"}));
  m_.body.push_back({Stmt::Return, "", std::move(out)});
  return m_;
}

} // namespace

RandomModel generateModel(uint64_t seed, const GeneratorOptions &options) {
  return Generator(seed, options).run();
}

} // namespace rnnc::difftest
