//===- TrainSema.cpp - Checks of settings: train block, initialisers ------===//
///
/// \file
/// Validates the `train` block and initialisers against fixed tables of
/// names and argument lists, reporting each problem at the offending value:
/// unknown settings, duplicates, wrong argument names or counts, and
/// out-of-range hyper-parameters (lr <= 0, batch 0, beta outside [0, 1)...).
///
//===----------------------------------------------------------------------===//
#include "frontend/TrainSema.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>

namespace rnnc::frontend {

namespace {

std::string formatNumber(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

std::string joinNames(const std::vector<std::string> &names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i)
      s += i + 1 == names.size() ? " or " : ", ";
    s += names[i];
  }
  return s;
}

/// A constant number: a literal, optionally negated.
std::optional<double> constantNumber(const ast::Expr &e) {
  if (e.kind == ast::ExprKind::Number)
    return e.number;
  if (e.kind == ast::ExprKind::Neg && e.operands[0]->kind == ast::ExprKind::Number)
    return -e.operands[0]->number;
  return std::nullopt;
}

std::optional<double> expectNumber(const ast::Expr &e, const std::string &what,
                                   DiagnosticEngine &diags) {
  auto v = constantNumber(e);
  if (!v)
    diags.error(e.loc, "expected a number for " + what);
  return v;
}

/// Binds a call's positional and named arguments to `names`. A plain name
/// (`sgd`) counts as a call without arguments. Null entries are missing.
std::optional<std::vector<const ast::Expr *>>
bindArguments(const ast::Expr &call, const std::vector<std::string> &names,
              DiagnosticEngine &diags) {
  std::vector<const ast::Expr *> bound(names.size(), nullptr);
  if (call.kind != ast::ExprKind::Call)
    return bound;
  size_t positional = 0;
  bool ok = true;
  for (size_t i = 0; i < call.operands.size(); ++i) {
    size_t slot;
    if (call.argNames[i].empty()) {
      if (positional >= names.size()) {
        diags.error(call.operands[i]->loc,
                    "'" + call.text + "' takes at most " +
                        std::to_string(names.size()) + " argument" +
                        (names.size() == 1 ? "" : "s") + ", got " +
                        std::to_string(call.operands.size()));
        return std::nullopt;
      }
      slot = positional++;
    } else {
      auto it = std::find(names.begin(), names.end(), call.argNames[i]);
      if (it == names.end()) {
        diags.error(call.argNameLocs[i],
                    "unknown argument '" + call.argNames[i] + "' for '" +
                        call.text + "'" +
                        (names.empty() ? " (it takes none)"
                                       : " (expected " + joinNames(names) + ")"));
        ok = false;
        continue;
      }
      slot = static_cast<size_t>(it - names.begin());
    }
    if (bound[slot]) {
      diags.error(call.argNameLocs[i],
                  "argument '" + names[slot] + "' given twice");
      ok = false;
      continue;
    }
    bound[slot] = call.operands[i].get();
  }
  if (!ok)
    return std::nullopt;
  return bound;
}

/// The value as a name or call head (`random`, `sgd(...)`), or "".
std::string headName(const ast::Expr &e) {
  return (e.kind == ast::ExprKind::Name || e.kind == ast::ExprKind::Call) ? e.text
                                                                          : "";
}

bool checkPositiveInteger(const ast::TrainItem &item, int64_t &out,
                          DiagnosticEngine &diags) {
  auto v = expectNumber(*item.value, "'" + item.key + "'", diags);
  if (!v)
    return false;
  if (*v < 1 || *v != std::floor(*v) || *v > 1e9) {
    diags.error(item.value->loc, item.key + " must be a positive integer, got " +
                                     formatNumber(*v));
    return false;
  }
  out = static_cast<int64_t>(*v);
  return true;
}

bool checkOptimizer(const ast::Expr &value, ir::TrainConfig &config,
                    DiagnosticEngine &diags) {
  std::string name = headName(value);
  std::vector<std::string> argNames;
  if (name == "sgd")
    argNames = {"lr"};
  else if (name == "adam")
    argNames = {"lr", "beta1", "beta2", "eps"};
  else {
    diags.error(value.loc, "unknown optimizer" +
                               (name.empty() ? std::string()
                                             : " '" + name + "'") +
                               ", expected sgd(lr = ...) or adam(lr = ...)");
    return false;
  }
  auto args = bindArguments(value, argNames, diags);
  if (!args)
    return false;
  config.optimizer = name;
  if (!(*args)[0]) {
    diags.error(value.loc, "'" + name + "' needs a learning rate: " + name +
                               "(lr = ...)");
    return false;
  }
  double *targets[] = {&config.lr, &config.beta1, &config.beta2, &config.eps};
  bool ok = true;
  for (size_t i = 0; i < argNames.size(); ++i) {
    const ast::Expr *arg = (*args)[i];
    if (!arg)
      continue;
    auto v = expectNumber(*arg, "'" + argNames[i] + "'", diags);
    if (!v) {
      ok = false;
      continue;
    }
    if (argNames[i] == "lr" && *v <= 0) {
      diags.error(arg->loc, "learning rate must be positive, got " + formatNumber(*v));
      ok = false;
    } else if ((argNames[i] == "beta1" || argNames[i] == "beta2") &&
               (*v < 0 || *v >= 1)) {
      diags.error(arg->loc, argNames[i] + " must be in [0, 1), got " + formatNumber(*v));
      ok = false;
    } else if (argNames[i] == "eps" && *v <= 0) {
      diags.error(arg->loc, "eps must be positive, got " + formatNumber(*v));
      ok = false;
    }
    *targets[i] = *v;
  }
  return ok;
}

bool checkTrainItem(const ast::TrainItem &item, ir::TrainConfig &config,
                    DiagnosticEngine &diags) {
  const ast::Expr &value = *item.value;
  const std::string &key = item.key;
  if (key == "loss") {
    if (value.kind != ast::ExprKind::Name || value.text != "cross_entropy") {
      diags.error(value.loc, "unknown loss" +
                                 (headName(value).empty()
                                      ? std::string()
                                      : " '" + headName(value) + "'") +
                                 ", expected cross_entropy");
      return false;
    }
    config.loss = value.text;
    return true;
  }
  if (key == "optimizer")
    return checkOptimizer(value, config, diags);
  if (key == "clip") {
    auto v = expectNumber(value, "'clip'", diags);
    if (!v)
      return false;
    if (*v < 0) {
      diags.error(value.loc, "clip must be >= 0 (0 disables clipping), got " +
                                 formatNumber(*v));
      return false;
    }
    config.clip = *v;
    return true;
  }
  if (key == "batch")
    return checkPositiveInteger(item, config.batch, diags);
  if (key == "seq_len")
    return checkPositiveInteger(item, config.seqLen, diags);
  if (key == "epochs")
    return checkPositiveInteger(item, config.epochs, diags);
  if (key == "sampling") {
    if (value.kind != ast::ExprKind::Name ||
        (value.text != "random" && value.text != "consecutive")) {
      diags.error(value.loc, "unknown sampling" +
                                 (headName(value).empty()
                                      ? std::string()
                                      : " '" + headName(value) + "'") +
                                 ", expected random or consecutive");
      return false;
    }
    config.sampling = value.text;
    return true;
  }
  diags.error(item.loc, "unknown train setting '" + key +
                            "' (expected loss, optimizer, clip, batch, "
                            "seq_len, epochs or sampling)");
  return false;
}

} // namespace

bool checkTrainBlock(const ast::TrainBlock *train, ir::TrainConfig &config,
                     DiagnosticEngine &diags) {
  if (!train)
    return true;
  bool ok = true;
  std::map<std::string, SourceLocation> seen;
  for (const ast::TrainItem &item : train->items) {
    auto [it, fresh] = seen.emplace(item.key, item.loc);
    if (!fresh) {
      diags.error(item.loc, "duplicate train setting '" + item.key + "'");
      diags.note(it->second, "first set here");
      ok = false;
      continue;
    }
    ok &= checkTrainItem(item, config, diags);
  }
  return ok;
}

bool checkParamInit(const ast::VarDecl &param, ir::ParamInit &init,
                    DiagnosticEngine &diags) {
  if (!param.init) {
    diags.error(param.loc, "param '" + param.name +
                               "' needs an initialiser (zeros, ones, "
                               "normal(mean, std), uniform(lo, hi), xavier, "
                               "orthogonal(gain) or identity(scale))");
    return false;
  }
  const ast::Expr &e = *param.init;
  std::string name = headName(e);
  std::vector<std::string> argNames;
  if (name == "normal")
    argNames = {"mean", "std"};
  else if (name == "uniform")
    argNames = {"lo", "hi"};
  else if (name == "orthogonal")
    argNames = {"gain"};
  else if (name == "identity")
    argNames = {"scale"};
  else if (name != "zeros" && name != "ones" && name != "xavier") {
    diags.error(e.loc, "unknown initialiser" +
                           (name.empty() ? std::string() : " '" + name + "'") +
                           ", expected zeros, ones, normal(mean, std), "
                           "uniform(lo, hi), xavier, orthogonal(gain) or "
                           "identity(scale)");
    return false;
  }
  auto args = bindArguments(e, argNames, diags);
  if (!args)
    return false;
  init.kind = name;
  if (argNames.empty())
    return true;
  if (argNames.size() == 1) {
    // orthogonal(gain), identity(scale): one optional positive factor.
    init.a = 1;
    if (const ast::Expr *arg = (*args)[0]) {
      auto v = expectNumber(*arg, "'" + argNames[0] + "'", diags);
      if (!v)
        return false;
      if (!(*v > 0)) {
        diags.error(arg->loc, name + " " + argNames[0] + " must be > 0, got " +
                                  formatNumber(*v));
        return false;
      }
      init.a = *v;
    }
    return true;
  }
  double values[2];
  for (size_t i = 0; i < 2; ++i) {
    if (!(*args)[i]) {
      diags.error(e.loc, "'" + name + "' needs " + std::to_string(argNames.size()) +
                             " arguments: " + name + "(" + argNames[0] + ", " +
                             argNames[1] + ")");
      return false;
    }
    auto v = expectNumber(*(*args)[i], "'" + argNames[i] + "'", diags);
    if (!v)
      return false;
    values[i] = *v;
  }
  if (name == "normal" && values[1] < 0) {
    diags.error((*args)[1]->loc, "normal std must be >= 0, got " +
                                     formatNumber(values[1]));
    return false;
  }
  if (name == "uniform" && !(values[0] < values[1])) {
    diags.error(e.loc, "uniform needs lo < hi, got uniform(" +
                           formatNumber(values[0]) + ", " +
                           formatNumber(values[1]) + ")");
    return false;
  }
  init.a = values[0];
  init.b = values[1];
  return true;
}

bool checkParamInitShape(const ast::VarDecl &param, const ir::ParamInit &init,
                         size_t rank, bool square, const std::string &shapeText,
                         DiagnosticEngine &diags) {
  std::string need;
  if (init.kind == "orthogonal" && rank < 2)
    need = "orthogonal needs a parameter of at least 2 dimensions";
  else if (init.kind == "identity" && !(rank == 2 && square))
    need = "identity needs a square 2-D parameter";
  if (need.empty())
    return true;
  diags.error(param.init->loc, need + "; '" + param.name + "' is " + shapeText);
  return false;
}

bool checkStateInit(const ast::VarDecl &state, DiagnosticEngine &diags) {
  if (!state.init)
    return true;
  const ast::Expr &e = *state.init;
  if (e.kind == ast::ExprKind::Name && e.text == "zeros")
    return true;
  diags.error(e.loc, "a state starts at zeros (the runtime resets it); "
                     "use '= zeros' or leave it out");
  return false;
}

} // namespace rnnc::frontend
