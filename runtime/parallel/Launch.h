//===- Launch.h - One process or one rank of an MPI job ---------*- C++ -*-===//
///
/// \file
/// `rnnc train` asks here how it was started. A process started by an MPI
/// launcher (mpirun, mpiexec, srun with PMI: it finds OMPI_COMM_WORLD_SIZE,
/// PMI_SIZE or PMIX_RANK in its environment) joins the job through MPI; any
/// other process is one process and never touches MPI, so every command
/// runs unchanged outside MPI. A binary built without MPI refuses to run as
/// one of several ranks rather than train N copies that overwrite each
/// other's checkpoints.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "runtime/parallel/Collective.h"

#include <memory>

namespace rnnc::parallel {

/// Whether this rnnc was built with MPI (CMake option RNNC_MPI).
bool builtWithMpi();

/// The collective of this process: MPI's when an MPI launcher started it
/// (MPI is initialised here and finalised when the result is destroyed),
/// else SingleProcess.
Expected<std::unique_ptr<Collective>> joinLaunchedJob();

} // namespace rnnc::parallel
