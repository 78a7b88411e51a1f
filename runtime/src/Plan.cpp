//===- Plan.cpp - the arena plan and launch arithmetic (pure) -------------===//
#include "Plan.h"

#include <algorithm>

using namespace qcrt;

static std::string shapeStr(const int64_t *d, size_t n) {
  std::string s = "[";
  for (size_t i = 0; i < n; ++i)
    s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

bool qcrt::evalLinear(const Linear &e, int64_t batch, int64_t &out) {
  int64_t ab, v;
  if (__builtin_mul_overflow(e.b, batch, &ab) ||
      __builtin_add_overflow(ab, e.c, &v))
    return false;
  if (e.div > 0) {
    // ceil for any sign: floor division corrected by the remainder.
    int64_t q = v / e.div, r = v % e.div;
    if (r != 0 && ((r > 0) == (e.div > 0)))
      ++q;
    v = q;
  }
  out = v;
  return true;
}

std::vector<int64_t> qcrt::concreteShape(const std::vector<int64_t> &shape,
                                         int64_t batch) {
  std::vector<int64_t> s(shape);
  for (int64_t &d : s)
    if (d == -1)
      d = batch;
  return s;
}

bool qcrt::tensorBytes(const std::vector<int64_t> &shape, size_t elementSize,
                       int64_t batch, uint64_t &out) {
  const uint64_t limit = uint64_t(1) << 62;
  uint64_t n = elementSize;
  for (int64_t d : shape) {
    int64_t v = d == -1 ? batch : d;
    if (v < 0)
      return false;
    if (__builtin_mul_overflow(n, (uint64_t)v, &n) || n > limit)
      return false;
  }
  out = n;
  return true;
}

Status qcrt::planArena(const Program &p, int64_t batch, ArenaLayout &out) {
  if (batch < 0)
    return invalidArgument("batch " + std::to_string(batch) +
                           " is negative");
  out = ArenaLayout();
  out.batch = batch;
  out.slotBytes.assign((size_t)p.slots, 0);
  out.valueBytes.assign(p.values.size(), 0);
  for (size_t i = 0; i < p.values.size(); ++i) {
    const Value &v = p.values[i];
    uint64_t n;
    if (!tensorBytes(v.shape, v.elementSize, batch, n))
      return invalidArgument("at batch " + std::to_string(batch) + ", value " +
                             std::to_string(i) + " ('" + v.name +
                             "') is too large");
    out.valueBytes[i] = n;
    if (v.slot >= 0)
      out.slotBytes[(size_t)v.slot] = std::max(out.slotBytes[(size_t)v.slot], n);
  }
  uint64_t total = 0, a = p.alignment ? p.alignment : 1;
  out.slotOffsets.reserve(out.slotBytes.size());
  for (uint64_t s : out.slotBytes) {
    out.slotOffsets.push_back(total);
    uint64_t rounded;
    if (__builtin_add_overflow(s, a - 1, &rounded))
      return invalidArgument("arena too large at batch " +
                             std::to_string(batch));
    rounded = rounded / a * a;
    if (__builtin_add_overflow(total, rounded, &total) ||
        total > (uint64_t(1) << 62))
      return invalidArgument("arena too large at batch " +
                             std::to_string(batch));
  }
  out.totalBytes = total;
  return Status::ok();
}

std::vector<LiveRange> qcrt::liveRanges(const Program &p) {
  std::vector<LiveRange> r(p.values.size());
  int64_t n = (int64_t)p.steps.size();
  for (size_t i = 0; i < p.values.size(); ++i)
    if (p.values[i].kind == ValueKind::Input)
      r[i] = {-1, -1};
  for (int64_t s = 0; s < n; ++s)
    for (const Arg &a : p.steps[(size_t)s].args) {
      if (a.kind != Arg::Kind::Value && a.kind != Arg::Kind::TensorMap)
        continue;
      LiveRange &lr = r[(size_t)a.value];
      if (lr.empty())
        lr = {s, s};
      else
        lr.last = std::max(lr.last, s);
    }
  for (size_t i = 0; i < p.values.size(); ++i)
    if (p.values[i].kind == ValueKind::Output) {
      if (r[i].empty())
        r[i] = {n, n};
      else
        r[i].last = n;
    }
  return r;
}

static std::string rangeStr(const LiveRange &r, size_t nSteps) {
  auto pt = [&](int64_t s) {
    if (s < 0)
      return std::string("the inputs");
    if ((size_t)s >= nSteps)
      return std::string("the outputs");
    return "step " + std::to_string(s);
  };
  return r.first == r.last ? pt(r.first) : pt(r.first) + " to " + pt(r.last);
}

Status qcrt::checkSlotPlan(const Program &p) {
  std::vector<LiveRange> live = liveRanges(p);
  std::vector<std::vector<size_t>> bySlot((size_t)p.slots);
  for (size_t i = 0; i < p.values.size(); ++i)
    if (p.values[i].slot >= 0 && !live[i].empty())
      bySlot[(size_t)p.values[i].slot].push_back(i);
  for (size_t s = 0; s < bySlot.size(); ++s) {
    std::vector<size_t> &vs = bySlot[s];
    std::sort(vs.begin(), vs.end(), [&](size_t a, size_t b) {
      return live[a].first != live[b].first ? live[a].first < live[b].first
                                            : a < b;
    });
    // Sorted by start, an overlap shows between a value and the one that
    // ends latest before it.
    size_t latest = 0;
    for (size_t k = 0; k < vs.size(); ++k) {
      if (k > 0 && live[vs[k]].first <= live[vs[latest]].last) {
        size_t a = vs[latest], b = vs[k];
        return invalidPackage(
            "program.arena: slot " + std::to_string(s) + " holds value " +
            std::to_string(a) + " ('" + p.values[a].name + "', live " +
            rangeStr(live[a], p.steps.size()) + ") and value " +
            std::to_string(b) + " ('" + p.values[b].name + "', live " +
            rangeStr(live[b], p.steps.size()) +
            ") whose live ranges overlap");
      }
      if (k == 0 || live[vs[k]].last > live[vs[latest]].last)
        latest = k;
    }
  }
  return Status::ok();
}

Status qcrt::evalStep(const Step &s, int64_t batch, StepLaunch &out) {
  out = StepLaunch();
  static const int64_t gridMax[3] = {2147483647, 65535, 65535};
  static const char *axis[3] = {"x", "y", "z"};
  for (int d = 0; d < 3; ++d) {
    int64_t g;
    if (!evalLinear(s.grid[d], batch, g))
      return invalidArgument("step '" + s.kernel + "': grid." + axis[d] +
                             " overflows at batch " + std::to_string(batch));
    if (g < 0 || g > gridMax[d])
      return invalidArgument("step '" + s.kernel + "': grid." + axis[d] +
                             " is " + std::to_string(g) + " at batch " +
                             std::to_string(batch) + " (limit " +
                             std::to_string(gridMax[d]) + ")");
    out.grid[d] = (uint32_t)g;
    if (g == 0)
      out.skip = true;
  }
  out.scalars.assign(s.args.size(), 0);
  for (size_t i = 0; i < s.args.size(); ++i) {
    const Arg &a = s.args[i];
    if (a.kind == Arg::Kind::Value || a.kind == Arg::Kind::TensorMap)
      continue;
    int64_t v;
    if (!evalLinear(a.expr, batch, v))
      return invalidArgument("step '" + s.kernel + "': args[" +
                             std::to_string(i) + "] overflows at batch " +
                             std::to_string(batch));
    if (a.kind == Arg::Kind::I32 && (v < INT32_MIN || v > INT32_MAX))
      return invalidArgument("step '" + s.kernel + "': args[" +
                             std::to_string(i) + "] is " + std::to_string(v) +
                             " at batch " + std::to_string(batch) +
                             ", beyond the kernel's i32 parameter");
    out.scalars[i] = v;
  }
  return Status::ok();
}

Status qcrt::checkInputShape(const Package &pkg, size_t index,
                             const int64_t *shape, int rank, int64_t &batch) {
  batch = -1;
  if (index >= pkg.inputs.size())
    return invalidArgument("input index " + std::to_string(index) +
                           " out of range (the package has " +
                           std::to_string(pkg.inputs.size()) + " inputs)");
  const TensorDesc &in = pkg.inputs[index];
  std::string what = "input " + std::to_string(index) + " ('" + in.name + "')";
  if (rank < 0 || rank > 8)
    return invalidArgument(what + ": rank " + std::to_string(rank) +
                           " is invalid");
  if (rank > 0 && !shape)
    return invalidArgument(what + ": shape is NULL");
  if ((size_t)rank != in.shape.size())
    return invalidArgument(what + ": rank " + std::to_string(rank) +
                           " given, the package expects rank " +
                           std::to_string(in.shape.size()) + " " +
                           shapeStr(in.shape.data(), in.shape.size()));
  for (int d = 0; d < rank; ++d) {
    if (shape[d] < 0)
      return invalidArgument(what + ": dimension " + std::to_string(d) +
                             " is negative (" + std::to_string(shape[d]) +
                             ")");
    if (in.shape[(size_t)d] != -1 && in.shape[(size_t)d] != shape[d])
      return invalidArgument(
          what + ": shape " + shapeStr(shape, (size_t)rank) +
          " does not match the package's " +
          shapeStr(in.shape.data(), in.shape.size()) + " in dimension " +
          std::to_string(d) + " (-1 = batch)");
  }
  const Program &p = pkg.program;
  if (pkg.hasProgram && p.hasBatch && (size_t)p.batchInput == index)
    batch = shape[p.batchDim];
  uint64_t bytes;
  if (!tensorBytes(std::vector<int64_t>(shape, shape + rank),
                   in.elementSize ? in.elementSize : 1, 0, bytes))
    return invalidArgument(what + ": shape " + shapeStr(shape, (size_t)rank) +
                           " is too large");
  return Status::ok();
}

Status qcrt::runBatch(const Package &pkg,
                      const std::vector<std::vector<int64_t>> &shapes,
                      int64_t &batch) {
  const Program &p = pkg.program;
  batch = 1;
  if (!p.hasBatch)
    return Status::ok();
  if ((size_t)p.batchInput >= shapes.size() ||
      shapes[(size_t)p.batchInput].size() <= (size_t)p.batchDim)
    return invalidArgument("the batch input is not bound");
  batch = shapes[(size_t)p.batchInput][(size_t)p.batchDim];
  const TensorDesc &bi = pkg.inputs[(size_t)p.batchInput];
  for (size_t i = 0; i < shapes.size() && i < pkg.inputs.size(); ++i) {
    const TensorDesc &in = pkg.inputs[i];
    for (size_t d = 0; d < in.shape.size() && d < shapes[i].size(); ++d)
      if (in.shape[d] == -1 && shapes[i][d] != batch)
        return invalidArgument(
            "input " + std::to_string(i) + " ('" + in.name + "'): dimension " +
            std::to_string(d) + " is " + std::to_string(shapes[i][d]) +
            " but the batch (input " + std::to_string(p.batchInput) + " ('" +
            bi.name + "') dimension " + std::to_string(p.batchDim) + ") is " +
            std::to_string(batch));
  }
  return Status::ok();
}

std::vector<CodeCandidate> qcrt::codeCandidates(const Package &p, int cc) {
  std::vector<CodeCandidate> cands;
  for (int wantA = 1; wantA >= 0; --wantA)
    for (const KernelFile &f : p.kernelFiles)
      if (f.sm == cc && f.archSpecific == (bool)wantA && !f.cubin.empty())
        cands.push_back({&f, true});
  for (const KernelFile &f : p.kernelFiles)
    if (f.sm == cc && f.archSpecific)
      cands.push_back({&f, false});
  const KernelFile *best = nullptr;
  for (const KernelFile &f : p.kernelFiles)
    if (!f.archSpecific && f.sm <= cc && (!best || f.sm > best->sm))
      best = &f;
  if (best)
    cands.push_back({best, false});
  return cands;
}
