//===- Frontend.cpp - Placeholder until the DSL front end lands -----------===//
namespace rnnc::frontend {}
