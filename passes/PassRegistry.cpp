//===- PassRegistry.cpp - Name -> pass lookup -----------------------------===//
#include "passes/Pass.h"
#include "passes/Passes.h"

namespace rnnc::passes {

namespace {
struct Entry {
  const char *name;
  std::unique_ptr<Pass> (*create)();
};
const Entry kPasses[] = {
#define RNNC_PASS(Name, Create) {Name, Create},
#include "passes/PassRegistry.def"
    {nullptr, nullptr}};
} // namespace

std::unique_ptr<Pass> createPass(const std::string &name) {
  for (const Entry &e : kPasses)
    if (e.name && name == e.name)
      return e.create();
  return nullptr;
}

std::vector<std::string> registeredPassNames() {
  std::vector<std::string> names;
  for (const Entry &e : kPasses)
    if (e.name)
      names.push_back(e.name);
  return names;
}

} // namespace rnnc::passes
