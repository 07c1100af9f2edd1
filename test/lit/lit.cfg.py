# lit configuration: one small .rnn / .rnnir / .test file per behaviour.
import os
import lit.formats

config.name = "rnnc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".rnn", ".rnnir", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.rnnc_obj_root, "test", "lit")

tools = os.path.join(config.rnnc_obj_root, "tools", "rnnc")
config.environment["PATH"] = os.pathsep.join(
    [tools, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
config.substitutions.append(("%rnnc", os.path.join(tools, "rnnc")))
# `RNNC_KERNEL_ISA=avx2 ctest` runs every test with that instruction set.
if "RNNC_KERNEL_ISA" in os.environ:
    config.environment["RNNC_KERNEL_ISA"] = os.environ["RNNC_KERNEL_ISA"]
# kernel-avx2, kernel-avx512: the instruction sets this CPU runs (for REQUIRES).
import subprocess
try:
    version = subprocess.run([os.path.join(tools, "rnnc"), "--version"],
                             capture_output=True, text=True,
                             env={"PATH": os.environ.get("PATH", "")}).stdout
    has = version.split("this CPU has ")[-1].rstrip(")\n").split(", ")
    for isa in has:
        config.available_features.add("kernel-" + isa)
except OSError:
    pass
config.substitutions.append(("%examples", os.path.join(config.rnnc_src_root, "examples")))
config.substitutions.append(("%shared", config.shared_data_dir))
config.substitutions.append(("%python", "python3"))
# `rnnc compile` tests build C programs against the runtime library.
# %capi_link is everything after the objects on such a link line.
capi_lib = os.path.join(config.rnnc_obj_root, "runtime", "capi", "librnnc_capi.a")
config.substitutions.append(("%capi_link", capi_lib + " " + config.openblas_library +
                             " -lstdc++ -lm -lpthread"))
config.substitutions.append(("%capi_lib", capi_lib))
config.substitutions.append(("%capi_include", os.path.join(config.rnnc_src_root, "runtime", "capi")))
config.substitutions.append(("%cc", getattr(config, "c_compiler", "cc")))
config.substitutions.append(("%build_root", config.rnnc_obj_root))
# Data-parallel tests (REQUIRES: mpi) run where rnnc was built with MPI; they
# are reported UNSUPPORTED elsewhere. Loopback, more ranks than cores, and
# root allowed (CI runs as root).
if config.rnnc_mpi.upper() in ("ON", "1", "TRUE", "YES") and config.mpiexec:
    config.available_features.add("mpi")
    config.substitutions.append(("%mpirun", config.mpiexec +
                                 " --oversubscribe --allow-run-as-root"))
else:
    lit_config.note("rnnc was built without MPI: the data-parallel tests are skipped")
