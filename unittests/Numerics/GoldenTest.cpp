//===- GoldenTest.cpp - encode/decode vs ml_dtypes golden vectors ---------===//
//
// F19 (docs/Formats.md): golden.bin is produced by gen_golden.py with
// ml_dtypes; see that script for the file layout.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <fstream>
#include <iterator>
#include <string>

#ifndef QUANTC_NUMERICS_GOLDEN
#error "QUANTC_NUMERICS_GOLDEN must name golden.bin"
#endif

using namespace quantc::numerics;
using namespace quantc::numerics::test;

namespace {

struct Reader {
  std::vector<uint8_t> buf;
  size_t pos = 0;
  bool ok = true;
  bool need(size_t n) {
    if (buf.size() - pos < n)
      ok = false;
    return ok;
  }
  uint32_t u32() {
    if (!need(4))
      return 0;
    uint32_t v = uint32_t(buf[pos]) | uint32_t(buf[pos + 1]) << 8 |
                 uint32_t(buf[pos + 2]) << 16 | uint32_t(buf[pos + 3]) << 24;
    pos += 4;
    return v;
  }
  uint8_t u8() { return need(1) ? buf[pos++] : 0; }
};

} // namespace

TEST(NumericsGolden, F19_MlDtypes) {
  std::ifstream in(QUANTC_NUMERICS_GOLDEN, std::ios::binary);
  ASSERT_TRUE(in.good()) << "cannot open " << QUANTC_NUMERICS_GOLDEN;
  Reader r;
  r.buf.assign(std::istreambuf_iterator<char>(in), {});
  const std::string magic = "QCGOLD1\n";
  ASSERT_GE(r.buf.size(), magic.size());
  ASSERT_EQ(std::string(r.buf.begin(), r.buf.begin() + 8), magic);
  r.pos = 8;
  uint32_t nsec = r.u32();
  EXPECT_EQ(nsec, 6u);
  int totalChecked = 0;
  for (uint32_t s = 0; s < nsec && r.ok; ++s) {
    uint8_t len = r.u8();
    ASSERT_TRUE(r.need(len));
    std::string name(r.buf.begin() + long(r.pos),
                     r.buf.begin() + long(r.pos + len));
    r.pos += len;
    std::optional<ElemFormat> f = parseElemFormat(name);
    ASSERT_TRUE(f.has_value()) << name;
    const FormatInfo &fi = getFormatInfo(*f);
    bool noNaN = !fi.hasNaN;
    uint32_t n = r.u32();
    ASSERT_TRUE(r.need(size_t(n) * 5));
    size_t xs = r.pos, cs = r.pos + size_t(n) * 4;
    r.pos += size_t(n) * 5;
    int checked = 0, skipped = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const uint8_t *p = &r.buf[xs + 4 * i];
      float x = floatOf(uint32_t(p[0]) | uint32_t(p[1]) << 8 |
                        uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24);
      uint8_t want = r.buf[cs + i];
      // F19 known differences: FP6/FP4 NaN; E8M0 +-0, and E8M0 f32
      // subnormals strictly between 2^-127 and the midpoint 1.5 * 2^-127,
      // which ml_dtypes rounds up.
      bool e8m0 = *f == ElemFormat::E8M0FNU;
      if ((noNaN && std::isnan(x)) || (e8m0 && x == 0.0f) ||
          (e8m0 && x > 0x1p-127f && x < 0x1.8p-127f)) {
        ++skipped;
        continue;
      }
      uint16_t got = encode(*f, x, /*saturate=*/false);
      ASSERT_EQ(got, want) << name << " x=" << x << " (0x" << std::hex
                           << bitsOf(x) << ")";
      ++checked;
    }
    EXPECT_LE(skipped, int(n / 50)) << name;
    EXPECT_GT(checked, 4000) << name;
    totalChecked += checked;
    // Decoded value of every code.
    uint32_t nd = r.u32();
    ASSERT_EQ(nd, 1u << fi.bits) << name;
    for (uint32_t c = 0; c < nd; ++c) {
      float want = floatOf(r.u32());
      ASSERT_TRUE(sameFloat(decode(*f, uint16_t(c)), want))
          << name << " code " << c;
    }
  }
  EXPECT_TRUE(r.ok) << "truncated golden file";
  EXPECT_EQ(r.pos, r.buf.size());
  EXPECT_GT(totalChecked, 30000);
}
