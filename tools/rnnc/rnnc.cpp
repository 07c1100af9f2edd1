//===- rnnc.cpp - The rnnc command-line tool ------------------------------===//
///
/// \file
/// Entry point: parses the command line with CLI11 and runs one subcommand.
/// Library code never exits; this is the only place exit codes are made.
///
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Commands.h"

#include "runtime/kernels/KernelIsa.h"
#include "runtime/kernels/Kernels.h"
#include "runtime/kernels/KernelsParallel.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <iostream>
#include <vector>

using namespace rnnc::tool;

namespace {

/// Flushes standard output and turns a failed write (a full disk, /dev/full,
/// a closed pipe) into an error: nothing a command printed is lost silently.
int finishOutput(int exitCode) {
  errno = 0;
  std::cout.flush();
  bool failed = !std::cout || std::fflush(stdout) != 0 || std::ferror(stdout);
  if (!failed)
    return exitCode;
  std::cerr << "rnnc: error: cannot write to standard output"
            << (errno ? std::string(": ") + std::strerror(errno) : "") << '\n';
  return exitCode == 0 ? 1 : exitCode;
}

/// "rnnc 0.1.0 (kernels: avx512; this CPU has scalar, avx2, avx512)": the
/// instruction set the runtime's vector kernels run (KernelIsa.h).
std::string versionText() {
  using namespace rnnc::runtime;
  std::string has;
  for (KernelIsa isa : kAllKernelIsas)
    if (checkKernelIsa(isa, hostCpuFeatures()))
      has += (has.empty() ? "" : ", ") + std::string(kernelIsaName(isa));
  return std::string("rnnc 0.1.0 (kernels: ") + kernelIsaName(kernelIsa()) +
         "; this CPU has " + has + ")";
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"rnnc: compile and train recurrent language models"};
  app.set_version_flag("--version", versionText());
  app.require_subcommand(1, 1);
  std::vector<Command> commands = {
      addCheckCommand(app),
      addEmitCommand(app),
      addOptCommand(app),
      addTrainCommand(app),
      addGenerateCommand(app),
      addEvalCommand(app),
      addCompileCommand(app),
      addPlotCommand(app),
  };
  // CLI11 reports an unknown subcommand as a missing one; name it instead.
  std::string known;
  bool isKnown = false;
  for (const Command &c : commands) {
    known += (known.empty() ? "" : ", ") + c.app->get_name();
    isKnown |= argc > 1 && c.app->get_name() == argv[1];
  }
  if (argc > 1 && argv[1][0] != '-' && !isKnown) {
    std::cerr << "rnnc: error: unknown subcommand '" << argv[1]
              << "' (expected one of: " << known << ")\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  // The environment variables the runtime reads, checked once here.
  if (rnnc::Expected<std::optional<int64_t>> arenaLimit =
          rnnc::runtime::readArenaLimitVariable();
      !arenaLimit) {
    std::cerr << "rnnc: error: " << arenaLimit.error().message() << '\n';
    return 2;
  }
  if (rnnc::Expected<std::optional<int>> threads = rnnc::runtime::readThreadsVariable();
      !threads) {
    std::cerr << "rnnc: error: " << threads.error().message() << '\n';
    return 2;
  }
  if (rnnc::Expected<std::optional<rnnc::runtime::KernelIsa>> isa =
          rnnc::runtime::readKernelIsaVariable();
      !isa) {
    std::cerr << "rnnc: error: " << isa.error().message() << '\n';
    return 2;
  }
  // A write past a file-size limit fails with EFBIG and is reported like a
  // full disk, instead of killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    for (Command &c : commands)
      if (c.app->parsed())
        return finishOutput(c.run());
  } catch (const std::bad_alloc &) {
    std::cerr << "rnnc: error: out of memory (an allocation failed; reduce "
                 "the sizes, --batch, --seq-len or --chars)\n";
    return 1;
  } catch (const std::length_error &) {
    std::cerr << "rnnc: error: out of memory (a size too large to allocate; "
                 "reduce the sizes, --batch, --seq-len or --chars)\n";
    return 1;
  } catch (const std::exception &e) {
    std::cerr << "rnnc: error: internal error: " << e.what() << '\n';
    return 1;
  }
  return 2;
}
