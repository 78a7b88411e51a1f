//===- Package.h - a checked model.qcpkg in memory --------------*- C++ -*-===//
//
// loadPackage reads manifest.json, checks every rule of docs/Runtime.md's
// package contract (format 2) and returns the program in a form the session
// can run without further checks: value and kernel indices in range, linear
// expressions well formed, weights inside weights.bin, the slot plan free of
// overlapping live ranges, every kernel present in every kernel file. No GPU
// is needed. Kernel files (PTX text, cubin bytes) are read here and kept.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_RT_PACKAGE_H
#define QUANTC_RT_PACKAGE_H

#include "Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qcrt {

/// Bytes per element of a manifest dtype; 0 if the runtime does not know it.
size_t dtypeSize(const std::string &dtype);
/// Whether weights.bin packs `dtype` two per byte (4-bit codes; in the
/// arena they take a byte each).
bool isPacked4(const std::string &dtype);

/// a·batch + c, ceil-divided by `div` when div > 0.
struct Linear {
  int64_t b = 0, c = 0, div = 0;
};

struct TensorDesc {
  std::string name, dtype;
  size_t elementSize = 0; // 0: dtype unknown to the runtime
  std::vector<int64_t> shape; // -1 = batch
};

enum class ValueKind { Input, Output, Weight, Temp };

struct Value {
  std::string name, dtype;
  size_t elementSize = 0;
  std::vector<int64_t> shape; // -1 = batch
  ValueKind kind = ValueKind::Temp;
  int64_t index = -1;  // into inputs/outputs (Input/Output)
  int64_t slot = -1;   // arena slot (Input/Output/Temp)
  uint64_t offset = 0; // byte offset in weights.bin (Weight)
};

struct Arg {
  /// TensorMap: a pointer to a CUtensorMap of value `value` that the
  /// session encodes (cuTensorMapEncodeTiled) and keeps in device memory.
  enum class Kind { Value, I32, I64, TensorMap } kind = Kind::Value;
  int64_t value = 0; // Kind::Value / TensorMap: index into Program::values
  Linear expr;       // Kind::I32 / I64
  // Kind::TensorMap: the value seen as [rows, last dim] bytes of its
  // elements, boxes of box[0] rows x box[1] elements (outermost first),
  // the swizzle span in bytes (0, 32, 64, 128), and the map's index among
  // the program's maps (Program::tensorMaps).
  uint32_t box[2] = {0, 0};
  uint32_t swizzle = 0;
  int64_t map = -1;
};

struct Step {
  std::string kernel, layer;
  int kernelIndex = 0; // into Program::kernels
  std::vector<Arg> args;
  Linear grid[3];
  unsigned block[3] = {1, 1, 1};
  uint64_t sharedBytes = 0;
};

struct Program {
  bool hasBatch = false;
  int64_t batchInput = 0, batchDim = 0;
  uint64_t alignment = 256;
  int64_t slots = 0;
  std::vector<Value> values;
  std::vector<Step> steps;
  std::vector<std::string> kernels; // distinct kernel names, first use order
  std::vector<int64_t> inputValue;  // per manifest input: value index or -1
  std::vector<int64_t> outputValue; // per manifest output: value index
  int64_t tensorMaps = 0; // tensor_map arguments over all steps
};

struct KernelFile {
  std::string target; // "sm_89", "sm_120a"
  int sm = 0;         // 89, 120
  bool archSpecific = false; // the "a" suffix
  std::string ptxPath, cubinPath; // relative to the package; cubin optional
  std::string ptx;                // the text (no NUL)
  std::string cubin;              // the bytes; empty when there is none
  std::vector<std::string> kernels;
};

struct Package {
  std::string dir;      // as given to loadPackage
  std::string manifestPath; // dir + "/manifest.json"
  int formatVersion = 0;
  std::vector<TensorDesc> inputs, outputs;
  bool hasProgram = false;
  Program program;
  std::vector<std::pair<std::string, int64_t>> gpuUnsupported;
  std::vector<KernelFile> kernelFiles;
  std::vector<std::string> targets;
  std::string weightsPath; // full path
  uint64_t weightsSize = 0;
};

/// Reads and checks the package in directory `dir`.
Status loadPackage(const std::string &dir, Package &out);

/// Joins a package directory and a relative path.
std::string joinPath(const std::string &dir, const std::string &rel);

/// Reads a whole file (at most `maxBytes`); IO errors name the file.
Status readFile(const std::string &path, std::string &out, uint64_t maxBytes);

} // namespace qcrt

#endif // QUANTC_RT_PACKAGE_H
