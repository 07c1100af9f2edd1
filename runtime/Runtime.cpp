//===- Runtime.cpp - Placeholder until the runtime pieces land ------------===//
namespace rnnc::runtime {
const char *runtimeVersion() { return "0.1.0"; }
} // namespace rnnc::runtime
