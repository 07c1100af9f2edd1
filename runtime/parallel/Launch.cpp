//===- Launch.cpp - One process or one rank of an MPI job -----------------===//
#include "runtime/parallel/Launch.h"

#include <cstdlib>
#include <fmt/format.h>
#include <unistd.h>

namespace rnnc::parallel {

#if RNNC_WITH_MPI
std::unique_ptr<Collective> makeMpiCollective(); // MpiCollective.cpp
bool builtWithMpi() { return true; }
#else
bool builtWithMpi() { return false; }
#endif

namespace {
/// The job size an MPI launcher announced, or 0 when there was none.
long launcherJobSize() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char *value = std::getenv(name))
      return std::strtol(value, nullptr, 10);
  return std::getenv("PMIX_RANK") ? 1 : 0;
}
} // namespace

Expected<std::unique_ptr<Collective>> joinLaunchedJob() {
  long size = launcherJobSize();
  if (size == 0)
    return std::unique_ptr<Collective>(std::make_unique<SingleProcess>());
#if RNNC_WITH_MPI
  return makeMpiCollective();
#else
  if (size > 1)
    return Error(fmt::format(
        "started as one of {} MPI ranks, but this rnnc was built without MPI "
        "(install libopenmpi-dev and configure with -DRNNC_MPI=ON)",
        size));
  return std::unique_ptr<Collective>(std::make_unique<SingleProcess>());
#endif
}

} // namespace rnnc::parallel
