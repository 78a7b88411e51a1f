//===- PlanTest.cpp - the arena plan and launch arithmetic ----------------===//
#include "Package.h"
#include "Plan.h"
#include "TestPackage.h"

#include "gtest/gtest.h"

using namespace qcrt;
using namespace qcrt_test;

namespace {

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

class RuntimePlan : public ::testing::Test {
protected:
  void SetUp() override {
    t_.writeValid();
    Status s = loadPackage(t_.dir(), pkg_);
    ASSERT_TRUE(s.isOk()) << s.message();
  }
  TempPackage t_;
  Package pkg_;
};

TEST(RuntimePlanLinear, Eval) {
  int64_t v = 0;
  ASSERT_TRUE(evalLinear({2, 3, 0}, 5, v));
  EXPECT_EQ(v, 13);
  ASSERT_TRUE(evalLinear({2, 0, 256}, 5, v)); // ceil(10 / 256)
  EXPECT_EQ(v, 1);
  ASSERT_TRUE(evalLinear({256, 0, 256}, 3, v));
  EXPECT_EQ(v, 3);
  ASSERT_TRUE(evalLinear({257, 0, 256}, 3, v)); // ceil(771 / 256)
  EXPECT_EQ(v, 4);
  ASSERT_TRUE(evalLinear({1, 0, 32}, 0, v)); // empty batch: 0 blocks
  EXPECT_EQ(v, 0);
  ASSERT_TRUE(evalLinear({0, -7, 2}, 0, v)); // ceil(-3.5) = -3
  EXPECT_EQ(v, -3);
  EXPECT_FALSE(evalLinear({INT64_MAX / 2, 0, 0}, 3, v));
  EXPECT_FALSE(evalLinear({1, INT64_MAX, 0}, 1, v));
}

TEST(RuntimePlanLinear, TensorBytes) {
  uint64_t n = 0;
  ASSERT_TRUE(tensorBytes({-1, 64}, 4, 3, n));
  EXPECT_EQ(n, 768u);
  ASSERT_TRUE(tensorBytes({}, 8, 3, n)); // a scalar
  EXPECT_EQ(n, 8u);
  ASSERT_TRUE(tensorBytes({-1, 64}, 4, 0, n));
  EXPECT_EQ(n, 0u);
  EXPECT_FALSE(tensorBytes({-1, 1 << 30, 1 << 30}, 4, 1 << 30, n));
  EXPECT_FALSE(tensorBytes({-1}, 1, -5, n));
  EXPECT_EQ(concreteShape({-1, 3, -1}, 7), (std::vector<int64_t>{7, 3, 7}));
}

TEST_F(RuntimePlan, ArenaLayout) {
  ArenaLayout l;
  ASSERT_TRUE(planArena(pkg_.program, 5, l).isOk());
  EXPECT_EQ(l.batch, 5);
  // Slot 0 = max(x 5*64*4, y 5*16*4); 1 = max(codes 320, out 320);
  // 2 = scales 10; 3 = skip 320.
  EXPECT_EQ(l.slotBytes, (std::vector<uint64_t>{1280, 320, 10, 320}));
  EXPECT_EQ(l.slotOffsets, (std::vector<uint64_t>{0, 1280, 1792, 2048}));
  EXPECT_EQ(l.totalBytes, 2560u);
  EXPECT_EQ(l.valueBytes[3], 1024u); // weights are sized too
  EXPECT_EQ(l.valueBytes[4], 32u);
  for (uint64_t off : l.slotOffsets)
    EXPECT_EQ(off % 256, 0u);

  ASSERT_TRUE(planArena(pkg_.program, 0, l).isOk());
  EXPECT_EQ(l.totalBytes, 0u);

  // A larger alignment: every slot starts on it.
  Program p = pkg_.program;
  p.alignment = 4096;
  ASSERT_TRUE(planArena(p, 5, l).isOk());
  EXPECT_EQ(l.slotOffsets, (std::vector<uint64_t>{0, 4096, 8192, 12288}));
  EXPECT_EQ(l.totalBytes, 16384u);
  p.alignment = 1;
  ASSERT_TRUE(planArena(p, 5, l).isOk());
  EXPECT_EQ(l.totalBytes, 1280u + 320 + 10 + 320);

  Status s = planArena(pkg_.program, INT64_MAX / 4, l);
  EXPECT_EQ(s.code(), QCRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(s.message(), "value 0 ('x') is too large")) << s.message();
}

TEST_F(RuntimePlan, LiveRanges) {
  std::vector<LiveRange> r = liveRanges(pkg_.program);
  ASSERT_EQ(r.size(), 8u);
  auto eq = [](const LiveRange &l, int64_t a, int64_t b) {
    return l.first == a && l.last == b;
  };
  EXPECT_TRUE(eq(r[0], -1, 0)); // x: the inputs to step 0
  EXPECT_TRUE(eq(r[1], 0, 1));  // codes
  EXPECT_TRUE(eq(r[5], 1, 2));  // y
  EXPECT_TRUE(eq(r[6], -1, 2)); // skip
  EXPECT_TRUE(eq(r[7], 2, 3));  // out: to after the last step
  EXPECT_TRUE(checkSlotPlan(pkg_.program).isOk());

  // A temp no step names has no live range and conflicts with nothing.
  Program p = pkg_.program;
  qcrt::Value unused = p.values[1];
  unused.name = "unused";
  p.values.push_back(unused);
  p.values.push_back(unused);
  EXPECT_TRUE(liveRanges(p)[8].empty());
  EXPECT_TRUE(checkSlotPlan(p).isOk());
  // Touching ranges in one slot (last use == first use) overlap.
  p.values[5].slot = 1; // y [1,2] with codes [0,1]
  Status s = checkSlotPlan(p);
  EXPECT_FALSE(s.isOk());
  EXPECT_TRUE(contains(s.message(), "value 1 ('codes'")) << s.message();
  EXPECT_TRUE(contains(s.message(), "value 5 ('y'")) << s.message();
  // An overlap hidden behind a long range: skip [-1,2] spans both.
  p = pkg_.program;
  p.values[6].slot = 0; // slot 0: x [-1,0], skip [-1,2], y [1,2]
  s = checkSlotPlan(p);
  EXPECT_FALSE(s.isOk());
  EXPECT_TRUE(contains(s.message(), "slot 0 holds value 0 ('x'")) << s.message();
}

TEST_F(RuntimePlan, EvalStep) {
  StepLaunch l;
  const Step &q = pkg_.program.steps[0]; // grid ceil(2B/256), args i64 2B
  ASSERT_TRUE(evalStep(q, 300, l).isOk());
  EXPECT_FALSE(l.skip);
  EXPECT_EQ(l.grid[0], 3u);
  EXPECT_EQ(l.grid[1], 1u);
  EXPECT_EQ(l.grid[2], 1u);
  EXPECT_EQ(l.scalars[3], 600);
  EXPECT_EQ(l.scalars[4], 64);
  ASSERT_TRUE(evalStep(q, 0, l).isOk());
  EXPECT_TRUE(l.skip); // an empty batch launches nothing

  const Step &g = pkg_.program.steps[1]; // i32 M = batch
  ASSERT_TRUE(evalStep(g, 40, l).isOk());
  EXPECT_EQ(l.grid[0], 2u);
  EXPECT_EQ(l.scalars[5], 40);
  Status s = evalStep(g, int64_t(1) << 32, l);
  EXPECT_EQ(s.code(), QCRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(s.message(), "beyond the kernel's i32 parameter"))
      << s.message();
  Step big = q;
  big.grid[0] = {1, 0, 0};
  s = evalStep(big, int64_t(1) << 33, l);
  EXPECT_TRUE(contains(s.message(), "grid.x is 8589934592")) << s.message();
  big.grid[1] = {1, 0, 0};
  big.grid[0] = {0, 1, 0};
  s = evalStep(big, 70000, l);
  EXPECT_TRUE(contains(s.message(), "grid.y is 70000")) << s.message();
  // A statically empty value (a zero-size slice): 0 blocks at every batch.
  Step empty = q;
  empty.grid[0] = {0, 0, 256};
  ASSERT_TRUE(evalStep(empty, 300, l).isOk());
  EXPECT_TRUE(l.skip);
}

TEST_F(RuntimePlan, InputShapesAndBatch) {
  int64_t b = 0;
  int64_t x[] = {8, 64}, skip8[] = {8, 16};
  EXPECT_TRUE(checkInputShape(pkg_, 0, x, 2, b).isOk());
  EXPECT_EQ(b, 8);
  EXPECT_TRUE(checkInputShape(pkg_, 1, skip8, 2, b).isOk());
  EXPECT_EQ(b, -1);

  int64_t batch = 0;
  ASSERT_TRUE(runBatch(pkg_, {{8, 64}, {8, 16}}, batch).isOk());
  EXPECT_EQ(batch, 8);
  ASSERT_TRUE(runBatch(pkg_, {{0, 64}, {0, 16}}, batch).isOk());
  EXPECT_EQ(batch, 0);
  Status s = runBatch(pkg_, {{8, 64}, {4, 16}}, batch);
  EXPECT_EQ(s.code(), QCRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(s.message(), "input 1 ('skip'): dimension 0 is 4 but the batch "
                         "(input 0 ('x') dimension 0) is 8");

  // Without a batch, every shape is static and the batch is 1.
  Package p = pkg_;
  p.program.hasBatch = false;
  ASSERT_TRUE(runBatch(p, {{8, 64}, {8, 16}}, batch).isOk());
  EXPECT_EQ(batch, 1);
}

} // namespace

// Which code a device loads: cubins of its architecture ("a" first), the
// arch-specific PTX of exactly its architecture (JIT-compiled for it
// alone), then the highest generic PTX at or below it.
TEST(RuntimePlanCode, CandidatesInOrderOfPreference) {
  qcrt::Package pkg;
  auto file = [](const char *target, int sm, bool a, const char *cubin) {
    qcrt::KernelFile f;
    f.target = target;
    f.sm = sm;
    f.archSpecific = a;
    f.cubin = cubin;
    return f;
  };
  pkg.kernelFiles = {file("sm_90a", 90, true, ""), file("sm_89", 89, false, ""),
                     file("sm_120a", 120, true, "ELF"),
                     file("sm_90", 90, false, "ELF")};
  auto names = [&](int cc) {
    std::vector<std::string> out;
    for (const qcrt::CodeCandidate &c : qcrt::codeCandidates(pkg, cc))
      out.push_back((c.cubin ? "cubin " : "ptx ") + c.file->target);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(90), (V{"cubin sm_90", "ptx sm_90a", "ptx sm_90"}));
  EXPECT_EQ(names(120), (V{"cubin sm_120a", "ptx sm_120a", "ptx sm_90"}));
  EXPECT_EQ(names(100), (V{"ptx sm_90"}));
  EXPECT_EQ(names(89), (V{"ptx sm_89"}));
  EXPECT_EQ(names(80), V{});
  pkg.kernelFiles[0].cubin = "ELF";
  EXPECT_EQ(names(90),
            (V{"cubin sm_90a", "cubin sm_90", "ptx sm_90a", "ptx sm_90"}));
  // A datacenter-Blackwell package (the tcgen05 GEMM): its sm_100a code
  // runs on sm_100 devices only, its generic PTX anywhere newer.
  pkg.kernelFiles = {file("sm_100a", 100, true, "ELF"),
                     file("sm_90", 90, false, "")};
  EXPECT_EQ(names(100), (V{"cubin sm_100a", "ptx sm_100a", "ptx sm_90"}));
  EXPECT_EQ(names(120), (V{"ptx sm_90"}));
  EXPECT_EQ(names(90), (V{"ptx sm_90"}));
}
