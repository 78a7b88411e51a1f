//===- Plan.h - the arena plan and launch arithmetic (pure) -----*- C++ -*-===//
//
// Everything a run computes from the batch, without a GPU: value sizes,
// slot sizes and offsets (docs/Runtime.md "The memory plan"), linear
// expressions, grids and scalar arguments, the live-range check of the slot
// plan, and input-shape checks. The session calls these; unit tests call
// them directly. All arithmetic is overflow checked.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_RT_PLAN_H
#define QUANTC_RT_PLAN_H

#include "Package.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qcrt {

/// a·batch + c (ceil-divided by div when div > 0) into `out`; false on
/// int64 overflow.
bool evalLinear(const Linear &e, int64_t batch, int64_t &out);

/// The shape of `shape` with -1 replaced by `batch`.
std::vector<int64_t> concreteShape(const std::vector<int64_t> &shape,
                                   int64_t batch);

/// Elements x elementSize at `batch`; false on overflow (or a size above
/// 2^62 bytes, far beyond any device).
bool tensorBytes(const std::vector<int64_t> &shape, size_t elementSize,
                 int64_t batch, uint64_t &out);

struct ArenaLayout {
  int64_t batch = 0;
  std::vector<uint64_t> slotBytes;   // largest value of each slot, unrounded
  std::vector<uint64_t> slotOffsets; // byte offset of each slot
  std::vector<uint64_t> valueBytes;  // every value's size at this batch
  uint64_t totalBytes = 0;           // sum of the rounded slot sizes
};

/// The arena at `batch`: each slot as large as its largest value, rounded
/// up to the alignment, slots one after another.
Status planArena(const Program &p, int64_t batch, ArenaLayout &out);

/// Live range [first, last] of a value in step indices: inputs start at -1,
/// outputs end at steps.size(); a value no step names and that is neither
/// an input nor an output has none (first > last).
struct LiveRange {
  int64_t first = 1, last = 0;
  bool empty() const { return first > last; }
};
std::vector<LiveRange> liveRanges(const Program &p);

/// Error naming both values when two values of one slot are live at once.
Status checkSlotPlan(const Program &p);

/// The launch of one step at `batch`.
struct StepLaunch {
  bool skip = false; // a grid dimension is 0
  uint32_t grid[3] = {0, 0, 0};
  std::vector<int64_t> scalars; // per arg; unused for value args
};
Status evalStep(const Step &s, int64_t batch, StepLaunch &out);

/// The code a device of compute capability cc (90 for 9.0) can load, in
/// order of preference: the cubins of its architecture (the arch-specific
/// "a" one first), the arch-specific PTX of exactly its architecture
/// (sm_90a PTX JIT-compiles for 9.0 devices only), then the PTX of the
/// highest target <= cc that is not arch-specific. `cubin` false: the PTX.
struct CodeCandidate {
  const KernelFile *file;
  bool cubin;
};
std::vector<CodeCandidate> codeCandidates(const Package &pkg, int cc);

/// Checks `shape` against input `index` of the package (rank, static dims,
/// no negative dims) and returns in `batch` the batch it implies if this
/// input holds the batch dimension, else -1. Messages name the input.
Status checkInputShape(const Package &pkg, size_t index, const int64_t *shape,
                       int rank, int64_t &batch);

/// Given every input's bound shape, the run's batch (1 if the program has
/// none) and an error if a -1 dimension of some input differs from it.
Status runBatch(const Package &pkg,
                const std::vector<std::vector<int64_t>> &shapes,
                int64_t &batch);

} // namespace qcrt

#endif // QUANTC_RT_PLAN_H
