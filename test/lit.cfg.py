import os
import shutil

import lit.formats

config.name = "quantc"
config.test_format = lit.formats.ShTest(not lit_config.isWindows)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.quantc_obj_root, "test")

path = [config.quantc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")]
config.environment["PATH"] = os.pathsep.join(path)

python = config.python_executable or os.path.join(config.quantc_src_root, ".venv", "bin", "python")
if not os.path.exists(python):
    python = shutil.which("python3")
config.substitutions.append(("%python", python))
config.substitutions.append(("%srcroot", config.quantc_src_root))

ptxas = config.ptxas_executable
if not ptxas or not os.path.exists(ptxas):
    ptxas = shutil.which("ptxas")
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

# cuobjdump (PyPI nvidia-cuda-cuobjdump, pinned in python/requirements.txt)
# reads the SASS of the cubins ptxas writes: the sm_90a kernel checks (QGMMA,
# no local-memory spills) need it.
import glob

cuobjdump = shutil.which("cuobjdump")
if not cuobjdump:
    found = sorted(glob.glob(os.path.join(
        config.quantc_src_root, ".venv", "lib", "python*", "site-packages",
        "nvidia", "cu*", "bin", "cuobjdump")))
    cuobjdump = found[-1] if found else None
if cuobjdump:
    config.available_features.add("cuobjdump")
    config.substitutions.append(("%cuobjdump", cuobjdump))
