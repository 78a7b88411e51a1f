//===- Handlers.cpp - one small handler per (ONNX op, since_version) ------===//
//
// Each handler checks its node's shapes and attributes (naming the node on
// any error) and builds qc / arith ops with the node's location. The table at
// the bottom maps (op type, since_version) to handlers; a model at opset N
// uses, for each op, the entry with the greatest since_version <= N, which is
// how ONNX itself versions operators.
//
//===----------------------------------------------------------------------===//
#include "ImporterImpl.h"

#include <algorithm>
#include <numeric>
#include <cstring>
#include <vector>

#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/IR/QCMathOps.h"
#include "quantc/Dialect/QC/IR/QCQuantOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

FailureOr<Value> quantc::onnx_import::emitTranspose(NodeContext &n, Value x,
                                                   ArrayRef<int64_t> perm) {
  FailureOr<qc::TransposeOp> op = n.build<qc::TransposeOp>(x, perm);
  if (failed(op))
    return failure();
  return op->getResult();
}

FailureOr<Value> quantc::onnx_import::emitReshape(NodeContext &n, Value x,
                                                 ArrayRef<int64_t> spec) {
  FailureOr<qc::ReshapeOp> op = n.build<qc::ReshapeOp>(x, spec);
  if (failed(op))
    return failure();
  return op->getResult();
}

FailureOr<Value> quantc::onnx_import::legacyBroadcastOperand(NodeContext &n,
                                                             Value a, Value b) {
  FailureOr<int64_t> broadcast = n.intAttr("broadcast", 0);
  if (failed(broadcast))
    return failure();
  ArrayRef<int64_t> as = shapeOf(a), bs = shapeOf(b);
  auto same = [](int64_t x, int64_t y) {
    return x == y || ShapedType::isDynamic(x) || ShapedType::isDynamic(y);
  };
  int64_t opset = n.opsetVersion;
  if (*broadcast == 0) {
    if (as.size() != bs.size() || !llvm::all_of(llvm::zip(as, bs), [&](auto p) {
          return same(std::get<0>(p), std::get<1>(p));
        })) {
      n.emitError() << "operand shapes " << qc::dimsStr(as) << " and "
                    << qc::dimsStr(bs) << " differ, and broadcast is not set "
                    << "(opset " << opset
                    << " broadcasts only with broadcast = 1)";
      return failure();
    }
    return b;
  }
  Value bb = b;
  if (n.attr("axis")) {
    FailureOr<int64_t> axisAttr = n.intAttr("axis", 0);
    if (failed(axisAttr))
      return failure();
    int64_t r = static_cast<int64_t>(as.size()), q = bs.size();
    int64_t axis = *axisAttr < 0 ? *axisAttr + r : *axisAttr;
    if (axis < 0 || axis + q > r) {
      n.emitError() << "axis " << *axisAttr << " does not place B of shape "
                    << qc::dimsStr(bs) << " inside A of shape "
                    << qc::dimsStr(as);
      return failure();
    }
    if (axis + q < r) {
      SmallVector<int64_t> spec(bs);
      for (int64_t &d : spec)
        if (ShapedType::isDynamic(d))
          d = 0; // copy it
      spec.append(r - axis - q, 1);
      FailureOr<Value> re = emitReshape(n, b, spec);
      if (failed(re))
        return failure();
      bb = *re;
    }
  }
  FailureOr<SmallVector<int64_t>> out = qc::broadcastShapes(as, shapeOf(bb));
  if (failed(out) || out->size() != as.size() ||
      !llvm::all_of(llvm::zip(*out, as), [&](auto p) {
        return same(std::get<0>(p), std::get<1>(p));
      })) {
    n.emitError() << "B of shape " << qc::dimsStr(bs)
                  << " does not broadcast to A's shape " << qc::dimsStr(as);
    return failure();
  }
  return bb;
}

FailureOr<Value> quantc::onnx_import::emitSplat(NodeContext &n,
                                               RankedTensorType type,
                                               double value) {
  Type et = type.getElementType();
  OpBuilder &b = n.builder();
  TypedAttr v;
  if (auto ft = dyn_cast<FloatType>(et))
    v = b.getFloatAttr(ft, value);
  else if (et.isInteger(1))
    v = b.getBoolAttr(value != 0);
  else if (isa<IntegerType>(et))
    v = b.getIntegerAttr(et, (int64_t)value);
  if (!v) {
    n.emitError() << "cannot build a constant of element type " << et;
    return failure();
  }
  return arith::ConstantOp::create(b, n.loc, SplatElementsAttr::get(type, v))
      .getResult();
}

Value quantc::onnx_import::emitPositions(NodeContext &n, int64_t rank,
                                        int64_t axis, int64_t count) {
  SmallVector<int64_t> shape(rank, 1), vals(count);
  shape[axis] = count;
  std::iota(vals.begin(), vals.end(), int64_t(0));
  OpBuilder &b = n.builder();
  return arith::ConstantOp::create(
             b, n.loc,
             DenseElementsAttr::get(RankedTensorType::get(shape, b.getI64Type()),
                                    ArrayRef<int64_t>(vals)))
      .getResult();
}

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

Value scalarConstant(NodeContext &n, float value) {
  auto type = RankedTensorType::get({}, Float32Type::get(n.getContext()));
  return arith::ConstantOp::create(n.builder(), n.loc,
                                   DenseElementsAttr::get(type, value))
      .getResult();
}


/// qc.matmul of operands of rank >= 2 (the op checks the inner dimensions
/// and the batch broadcast).
FailureOr<Value> emitMatMul(NodeContext &n, Value lhs, Value rhs) {
  FailureOr<qc::MatMulOp> op = n.build<qc::MatMulOp>(lhs, rhs);
  if (failed(op))
    return failure();
  return op->getResult();
}

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

namespace {

/// The label of broadcast dim i of `...`: outside the ASCII letters the
/// equation may use.
char ellipsisLabel(int64_t i) { return char(0x80 + i); }

/// One operand's subscripts with `...` expanded to the labels of its
/// broadcast dims (right-aligned across operands, as numpy).
/// Empty optional (after the node's error) when malformed.
std::optional<std::string> expandEllipsis(NodeContext &n, StringRef term,
                                          int64_t rank, int64_t ellipsisDims) {
  std::string out;
  size_t dots = term.find("...");
  std::string letters = term.str();
  if (dots != StringRef::npos)
    letters.erase(dots, 3);
  if (!llvm::all_of(letters, [](char c) { return llvm::isAlpha(c); })) {
    n.emitError() << "subscripts '" << term
                  << "': only letters and one '...' are supported";
    return std::nullopt;
  }
  int64_t e = rank - (int64_t)letters.size();
  if ((dots == StringRef::npos && e != 0) || e < 0) {
    n.emitError() << "subscripts '" << term << "' do not match an operand of "
                  << "rank " << rank;
    return std::nullopt;
  }
  std::string ell;
  for (int64_t i = ellipsisDims - e; i < ellipsisDims; ++i)
    ell.push_back(ellipsisLabel(i));
  if (dots == StringRef::npos)
    return letters;
  return letters.substr(0, dots) + ell + letters.substr(dots);
}

/// qc.reduce_sum over the letters of `s` that `keep` lacks (updating s).
FailureOr<Value> sumOut(NodeContext &n, Value v, std::string &s,
                        llvm::function_ref<bool(char)> keep) {
  SmallVector<int64_t> axes;
  std::string rest;
  for (auto [i, c] : llvm::enumerate(s))
    (keep(c) ? rest.push_back(c) : axes.push_back(i));
  if (axes.empty())
    return v;
  OpBuilder &b = n.builder();
  auto r = n.build<qc::ReduceSumOp>(v, b.getDenseI64ArrayAttr(axes),
                                    b.getBoolAttr(false));
  if (failed(r))
    return failure();
  s = rest;
  return r->getResult();
}

/// `v` (subscripts `from`) transposed to the order of `to` (a permutation).
FailureOr<Value> permuteTo(NodeContext &n, Value v, StringRef from,
                           StringRef to) {
  if (from == to)
    return v;
  SmallVector<int64_t> perm;
  for (char c : to)
    perm.push_back(from.find(c));
  return emitTranspose(n, v, perm);
}

} // namespace

/// Einsum 12 with one or two operands (docs/Import.md): letters only in
/// one operand and not in the output are summed first; then a transpose
/// and reshape of each operand to [batch..., rows, k] and [batch..., k,
/// cols] make the contraction one qc.matmul (the batch letters broadcast
/// as MatMul's batch dims), reshaped and transposed to the output.
/// Repeated letters in one operand (diagonals) are refused.
LogicalResult importEinsum(NodeContext &n) {
  FailureOr<std::string> eqAttr = n.stringAttr("equation", "");
  if (failed(eqAttr))
    return failure();
  std::string eq;
  for (char c : *eqAttr)
    if (c != ' ')
      eq.push_back(c);
  int nIn = n.node.input_size();
  SmallVector<Value> ops;
  for (int i = 0; i < nIn; ++i) {
    FailureOr<Value> v = n.floatInput(i);
    if (failed(v))
      return failure();
    ops.push_back(*v);
  }
  StringRef lhs = eq, rhsTerm;
  bool explicitOut = StringRef(eq).contains("->");
  if (explicitOut)
    std::tie(lhs, rhsTerm) = StringRef(eq).split("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if ((int)terms.size() != nIn) {
    n.emitError() << "equation '" << *eqAttr << "' names " << terms.size()
                  << " operand(s), the node has " << nIn;
    return failure();
  }
  int64_t ellipsisDims = 0;
  for (auto [t, v] : llvm::zip(terms, ops))
    if (t.contains("..."))
      ellipsisDims = std::max<int64_t>(
          ellipsisDims, (int64_t)shapeOf(v).size() -
                            (int64_t)(t.size() - 3));
  if (ellipsisDims > 64) {
    n.emitError() << "'...' stands for " << ellipsisDims
                  << " dims; at most 64 are supported";
    return failure();
  }
  SmallVector<std::string> subs;
  for (auto [t, v] : llvm::zip(terms, ops)) {
    auto e = expandEllipsis(n, t, shapeOf(v).size(), ellipsisDims);
    if (!e)
      return failure();
    if (llvm::any_of(*e, [&](char c) { return llvm::count(*e, c) > 1; })) {
      n.emitError() << "subscripts '" << t
                    << "' repeat a letter (a diagonal): not supported yet";
      return failure();
    }
    subs.push_back(*e);
  }
  std::string out;
  if (explicitOut) {
    int64_t outRank = (int64_t)rhsTerm.size();
    if (rhsTerm.contains("..."))
      outRank += ellipsisDims - 3;
    auto e = expandEllipsis(n, rhsTerm, outRank, ellipsisDims);
    if (!e)
      return failure();
    out = *e;
  } else {
    // Implicit: the broadcast dims, then the letters used once, in ASCII
    // order (uppercase first), as numpy.
    for (int64_t i = 0; i < ellipsisDims; ++i)
      out.push_back(ellipsisLabel(i));
    std::string once;
    for (char c : StringRef("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")) {
      int count = 0;
      for (const std::string &s : subs)
        count += llvm::count(s, c);
      if (count == 1)
        once.push_back(c);
    }
    out += once;
  }
  for (char c : out)
    if (llvm::count(out, c) > 1 ||
        llvm::none_of(subs, [&](const std::string &s) {
          return s.find(c) != std::string::npos;
        })) {
      n.emitError() << "output subscripts '" << rhsTerm
                    << "' repeat a letter or name one no operand has";
      return failure();
    }
  auto inOut = [&](char c) { return out.find(c) != std::string::npos; };
  if (nIn == 1) {
    FailureOr<Value> r = sumOut(n, ops[0], subs[0], inOut);
    if (failed(r))
      return failure();
    FailureOr<Value> y = permuteTo(n, *r, subs[0], out);
    if (failed(y))
      return failure();
    n.setOutput(0, *y);
    return success();
  }
  // Letters only in one operand and not in the output are summed there.
  for (int i = 0; i < 2; ++i) {
    const std::string &other = subs[1 - i];
    FailureOr<Value> r = sumOut(n, ops[i], subs[i], [&](char c) {
      return inOut(c) || other.find(c) != std::string::npos;
    });
    if (failed(r))
      return failure();
    ops[i] = *r;
  }
  std::string batch, rows, cols, k;
  for (char c : subs[0]) {
    bool inB = subs[1].find(c) != std::string::npos;
    (inB ? (inOut(c) ? batch : k) : rows).push_back(c);
  }
  for (char c : subs[1])
    if (subs[0].find(c) == std::string::npos)
      cols.push_back(c);
  // Sizes of the letters that are flattened (rows, k, cols): static.
  llvm::StringMap<int64_t> size;
  for (int i = 0; i < 2; ++i)
    for (auto [j, c] : llvm::enumerate(subs[i])) {
      int64_t d = shapeOf(ops[i])[j];
      if (!rows.empty() || !cols.empty() || !k.empty())
        if (batch.find(c) == std::string::npos && ShapedType::isDynamic(d)) {
          n.emitError() << "the extent of '" << c
                        << "' must be static (only batch letters, in both "
                           "operands and the output, may be free)";
          return failure();
        }
      size[StringRef(&c, 1)] = d;
    }
  auto prod = [&](StringRef letters) {
    int64_t p = 1;
    for (char c : letters)
      p *= size[StringRef(&c, 1)];
    return p;
  };
  auto shaped = [&](Value v, StringRef from, StringRef order,
                    ArrayRef<int64_t> tail) -> FailureOr<Value> {
    FailureOr<Value> t = permuteTo(n, v, from, order);
    if (failed(t))
      return failure();
    SmallVector<int64_t> spec(batch.size(), 0);
    spec.append(tail.begin(), tail.end());
    return emitReshape(n, *t, spec);
  };
  // A zero extent among the flattened letters (which a reshape spec reads
  // as "copy"): the result is empty, or zeros when only k is; its shape
  // must then be static.
  if (prod(rows) == 0 || prod(k) == 0 || prod(cols) == 0) {
    SmallVector<int64_t> shape;
    for (char c : out) {
      int64_t d = size[StringRef(&c, 1)];
      if (batch.find(c) != std::string::npos) {
        int64_t d0 = shapeOf(ops[0])[subs[0].find(c)],
                d1 = shapeOf(ops[1])[subs[1].find(c)];
        d = d0 == 1 ? d1 : d0;
      }
      if (ShapedType::isDynamic(d)) {
        n.emitError() << "an empty contraction with a free batch is not "
                         "supported";
        return failure();
      }
      shape.push_back(d);
    }
    FailureOr<Value> y = emitSplat(
        n, RankedTensorType::get(shape, elementTypeOf(ops[0])), 0.0);
    if (failed(y))
      return failure();
    n.setOutput(0, *y);
    return success();
  }
  FailureOr<Value> a = shaped(ops[0], subs[0], batch + rows + k,
                              {prod(rows), prod(k)});
  FailureOr<Value> b = shaped(ops[1], subs[1], batch + k + cols,
                              {prod(k), prod(cols)});
  if (failed(a) || failed(b))
    return failure();
  FailureOr<Value> mm = emitMatMul(n, *a, *b);
  if (failed(mm))
    return failure();
  SmallVector<int64_t> spec(batch.size(), 0);
  for (char c : rows + cols)
    spec.push_back(size[StringRef(&c, 1)]);
  FailureOr<Value> r = emitReshape(n, *mm, spec);
  if (failed(r))
    return failure();
  FailureOr<Value> y = permuteTo(n, *r, batch + rows + cols, out);
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

//===----------------------------------------------------------------------===//
// MatMul, Gemm
//===----------------------------------------------------------------------===//

LogicalResult importMatMul(NodeContext &n) {
  FailureOr<Value> a = n.floatInput(0), b = n.floatInput(1);
  if (failed(a) || failed(b))
    return failure();
  Value lhs = *a, rhs = *b;
  SmallVector<int64_t> la(shapeOf(lhs)), lb(shapeOf(rhs));
  if (la.empty() || lb.empty()) {
    n.emitError() << "operands must have rank >= 1, got "
                  << qc::dimsStr(la) << " and " << qc::dimsStr(lb);
    return failure();
  }
  // numpy semantics for 1-D operands: promote to a matrix, then drop the
  // added dimension from the result.
  bool lhsVec = la.size() == 1, rhsVec = lb.size() == 1;
  // A dynamic or zero extent is given as -1 (ONNX Reshape reads 0 as "copy").
  auto dimOrInfer = [](int64_t d) {
    return ShapedType::isDynamic(d) || d == 0 ? -1 : d;
  };
  if (lhsVec && rhsVec && !ShapedType::isDynamic(la[0]) &&
      !ShapedType::isDynamic(lb[0]) && la[0] != lb[0]) {
    n.emitError() << "inner dimensions differ: the operands are "
                  << qc::dimsStr(la) << " and " << qc::dimsStr(lb);
    return failure();
  }
  FailureOr<Value> l = lhsVec ? emitReshape(n, lhs, {1, dimOrInfer(la[0])})
                              : lhs;
  FailureOr<Value> r = rhsVec ? emitReshape(n, rhs, {dimOrInfer(lb[0]), 1})
                              : rhs;
  if (failed(l) || failed(r))
    return failure();
  FailureOr<Value> y = emitMatMul(n, *l, *r);
  if (failed(y))
    return failure();
  if (lhsVec || rhsVec) {
    ArrayRef<int64_t> ys = shapeOf(*y);
    size_t batch = ys.size() - 2;
    SmallVector<int64_t> attr;
    for (size_t i = 0; i < batch; ++i)
      attr.push_back(ShapedType::isDynamic(ys[i]) ? 0 : ys[i]); // 0 copies
    if (!lhsVec) // keep M, which stays at index `batch`
      attr.push_back(ShapedType::isDynamic(ys[batch]) ? 0 : ys[batch]);
    if (!rhsVec) // keep N, which moves from index batch+1 to attr.size()
      attr.push_back(dimOrInfer(ys[batch + 1]));
    y = emitReshape(n, *y, attr);
    if (failed(y))
      return failure();
  }
  n.setOutput(0, *y);
  return success();
}

LogicalResult importGemm(NodeContext &n) {
  FailureOr<Value> a = n.floatInput(0), b = n.floatInput(1);
  FailureOr<int64_t> transA = n.intAttr("transA", 0),
                     transB = n.intAttr("transB", 0);
  FailureOr<float> alpha = n.floatAttr("alpha", 1.0f),
                   beta = n.floatAttr("beta", 1.0f);
  if (failed(a) || failed(b) || failed(transA) || failed(transB) ||
      failed(alpha) || failed(beta))
    return failure();
  if (shapeOf(*a).size() != 2 || shapeOf(*b).size() != 2) {
    n.emitError() << "A and B must be 2-D, got " << qc::dimsStr(shapeOf(*a))
                  << " and " << qc::dimsStr(shapeOf(*b));
    return failure();
  }
  FailureOr<Value> lhs = *transA ? emitTranspose(n, *a, {1, 0}) : *a;
  FailureOr<Value> rhs = *transB ? emitTranspose(n, *b, {1, 0}) : *b;
  if (failed(lhs) || failed(rhs))
    return failure();
  FailureOr<Value> y = emitMatMul(n, *lhs, *rhs);
  if (failed(y))
    return failure();
  Value out = *y;
  if (*alpha != 1.0f)
    out = qc::MulOp::create(n.builder(), n.loc, out.getType(), out,
                            scalarConstant(n, *alpha))
              .getResult();
  if (n.hasInput(2)) {
    Value c;
    const onnx::TensorProto *ct = n.constantInput(2);
    if (ct && isFloatDataType(ct->data_type())) {
      // Fold beta into a constant C.
      DenseElementsAttr attr = tensorToF32Attr(*n.getContext(), *ct);
      if (*beta != 1.0f) {
        SmallVector<float> scaled;
        for (float v : attr.getValues<float>())
          scaled.push_back(v * *beta);
        attr = DenseElementsAttr::get(attr.getType(),
                                      llvm::ArrayRef<float>(scaled));
      }
      c = arith::ConstantOp::create(n.builder(), n.loc, attr).getResult();
    } else {
      FailureOr<Value> cv = n.floatInput(2);
      if (failed(cv))
        return failure();
      c = *cv;
      if (*beta != 1.0f)
        c = qc::MulOp::create(n.builder(), n.loc, c.getType(), c,
                              scalarConstant(n, *beta))
                .getResult();
    }
    // (A FLOAT16 C of an f16 model imports as f32: cast back.)
    Type outElem = elementTypeOf(out);
    if (ct && elementTypeOf(c) != outElem &&
        onnxElementType(*n.getContext(), ct->data_type()) == outElem)
      c = qc::CastOp::create(n.builder(), n.loc,
                             RankedTensorType::get(shapeOf(c), outElem), c)
              .getResult();
    ArrayRef<int64_t> ys = shapeOf(out), cs = shapeOf(c);
    // Gemm-1 and Gemm-6 broadcast C only with broadcast = 1.
    FailureOr<int64_t> legacy = n.intAttr("broadcast", 0);
    if (failed(legacy))
      return failure();
    if (n.opsetVersion < 7 && *legacy == 0 && cs != ys) {
      n.emitError() << "C of shape " << qc::dimsStr(cs)
                    << " is not the result shape " << qc::dimsStr(ys)
                    << ", and broadcast is not set (opset " << n.opsetVersion
                    << " broadcasts only with broadcast = 1)";
      return failure();
    }
    FailureOr<SmallVector<int64_t>> sum = qc::broadcastShapes(ys, cs);
    bool unidirectional = succeeded(sum) && cs.size() <= 2;
    for (size_t i = 0; unidirectional && i < ys.size(); ++i)
      if (!ShapedType::isDynamic(ys[i]) && (*sum)[i] != ys[i])
        unidirectional = false;
    if (!unidirectional) {
      n.emitError() << "C of shape " << qc::dimsStr(cs)
                    << " does not broadcast to the result shape "
                    << qc::dimsStr(ys);
      return failure();
    }
    out = qc::AddOp::create(n.builder(), n.loc, out, c).getResult();
  }
  n.setOutput(0, out);
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <typename OpTy> LogicalResult importBinary(NodeContext &n) {
  // Floats, or int64/int32 shape and index arithmetic (one type, as ONNX
  // requires; integer constants are read as int64).
  FailureOr<Value> a = n.anyInput(0), b = n.anyInput(1);
  if (failed(a) || failed(b))
    return failure();
  matchConstantElementTypes(n, 0, *a, 1, *b);
  // Opset 1-6: the `broadcast` / `axis` attributes.
  if (n.opsetVersion < 7 && failed(b = legacyBroadcastOperand(n, *a, *b)))
    return failure();
  Type ea = cast<ShapedType>(a->getType()).getElementType();
  Type eb = cast<ShapedType>(b->getType()).getElementType();
  // Integers of every width wrap to it (docs/Import.md, "Element types").
  auto isArith = [](Type t) {
    unsigned w = isa<IntegerType>(t) ? t.getIntOrFloatBitWidth() : 0;
    return isa<Float32Type, Float16Type, BFloat16Type, Float64Type>(t) ||
           (isa<IntegerType>(t) && !t.isSignedInteger() &&
            (w == 8 || w == 16 || w == 32 || w == 64));
  };
  if (!isArith(ea) || !isArith(eb)) {
    n.emitError() << "operands have element types " << ea << " and " << eb
                  << "; this op takes float or integer (8 to 64 bits) "
                     "tensors";
    return failure();
  }
  // The op checks the element types and the broadcast, and infers its type.
  return n.setBuilt(n.build<OpTy>(*a, *b));
}

LogicalResult importRelu(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  if (failed(x))
    return failure();
  n.setOutput(0, qc::ReluOp::create(n.builder(), n.loc, *x).getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

LogicalResult reshapeTo(NodeContext &n, ArrayRef<int64_t> spec) {
  FailureOr<Value> x = n.anyInput(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y = emitReshape(n, *x, spec);
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

/// Reshape-1: the shape is an attribute.
LogicalResult importReshapeV1(NodeContext &n) {
  FailureOr<std::optional<SmallVector<int64_t>>> shape = n.intsAttr("shape");
  if (failed(shape))
    return failure();
  if (!*shape) {
    n.emitError() << "attribute 'shape' is required";
    return failure();
  }
  return reshapeTo(n, **shape);
}

/// Reshape-5 and later: the shape is a constant input; allowzero from 14.
LogicalResult importReshape(NodeContext &n) {
  if (n.hasInput(1) && !n.constantInput(1))
    return importDynamicReshape(n); // a computed shape (HandlersShape.cpp)
  FailureOr<SmallVector<int64_t>> shape = n.constIntsInput(1);
  FailureOr<int64_t> allowZero = n.intAttr("allowzero", 0);
  if (failed(shape) || failed(allowZero))
    return failure();
  const onnx::TensorProto *t = n.constantInput(1);
  if (t->dims_size() != 1) {
    n.emitError() << "the shape input must be 1-D, got rank "
                  << t->dims_size();
    return failure();
  }
  if (*allowZero && llvm::is_contained(*shape, 0)) {
    if (llvm::is_contained(*shape, -1)) {
      n.emitError() << "allowzero=1 with both 0 and -1 in the shape "
                    << intsStr(*shape) << " (ONNX forbids it)";
      return failure();
    }
    return importDynamicReshape(n); // a literal 0 dim (HandlersShape.cpp)
  }
  return reshapeTo(n, *shape);
}

LogicalResult importTranspose(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  FailureOr<std::optional<SmallVector<int64_t>>> permAttr =
      n.intsAttr("perm");
  if (failed(x) || failed(permAttr))
    return failure();
  int64_t rank = shapeOf(*x).size();
  SmallVector<int64_t> perm;
  if (*permAttr) {
    perm = **permAttr;
  } else {
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  }
  FailureOr<Value> y = emitTranspose(n, *x, perm);
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

LogicalResult importFlatten(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  FailureOr<int64_t> axisAttr = n.intAttr("axis", 1);
  if (failed(x) || failed(axisAttr))
    return failure();
  ArrayRef<int64_t> in = shapeOf(*x);
  int64_t rank = in.size(), axis = *axisAttr;
  int64_t lowest = n.opsetVersion >= 11 ? -rank : 0;
  if (axis < lowest || axis > rank) {
    n.emitError() << "axis " << axis << " is out of range [" << lowest << ", "
                  << rank << "] for an input of rank " << rank;
    return failure();
  }
  if (axis < 0)
    axis += rank;
  auto product = [&](ArrayRef<int64_t> dims) -> int64_t {
    int64_t p = 1;
    for (int64_t d : dims) {
      if (ShapedType::isDynamic(d))
        return ShapedType::kDynamic;
      p *= d; // no overflow: every type the importer builds passed
              // checkedElementCount
    }
    return p;
  };
  int64_t outer = product(in.take_front(axis));
  int64_t inner = product(in.drop_front(axis));
  // A zero extent cannot be spelled in a Reshape shape (0 copies a dim):
  // qc.flatten says it exactly.
  if (outer == 0 || inner == 0)
    return importDynamicFlatten(n, *x, axis);
  SmallVector<int64_t> spec;
  if (!ShapedType::isDynamic(outer))
    spec.push_back(outer);
  else if (axis == 1)
    spec.push_back(0); // the single outer dim is copied
  else
    spec.push_back(-1);
  if (!ShapedType::isDynamic(inner)) {
    spec.push_back(inner);
  } else if (spec[0] == -1) {
    return importDynamicFlatten(n, *x, axis); // qc.flatten (HandlersShape.cpp)
  } else {
    spec.push_back(-1);
  }
  FailureOr<Value> y = emitReshape(n, *x, spec);
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

LogicalResult importIdentity(NodeContext &n) {
  n.aliasOutput(0, 0);
  return success();
}

//===----------------------------------------------------------------------===//
// Constant
//===----------------------------------------------------------------------===//

LogicalResult importConstant(NodeContext &n) {
  if (n.node.attribute_size() != 1) {
    n.emitError() << "expects exactly one value attribute, got "
                  << n.node.attribute_size();
    return failure();
  }
  const onnx::AttributeProto &a = n.node.attribute(0);
  StringRef name = a.name();
  auto expectType = [&](onnx::AttributeProto::AttributeType type,
                        StringRef typeName) {
    if (a.type() == type)
      return true;
    n.emitError() << "attribute '" << name << "' must be " << typeName;
    return false;
  };
  if (name == "value") {
    if (!expectType(onnx::AttributeProto::TENSOR, "a TENSOR"))
      return failure();
    if (llvm::Error err = validateTensor(a.t())) {
      n.emitError() << "attribute 'value': "
                    << llvm::toString(std::move(err));
      return failure();
    }
    n.setConstantOutput(0, &a.t());
    return success();
  }
  onnx::TensorProto t;
  if (name == "value_float") {
    if (!expectType(onnx::AttributeProto::FLOAT, "a FLOAT"))
      return failure();
    t.set_data_type(onnx::TensorProto::FLOAT);
    t.add_float_data(a.f());
  } else if (name == "value_floats") {
    if (!expectType(onnx::AttributeProto::FLOATS, "FLOATS"))
      return failure();
    t.set_data_type(onnx::TensorProto::FLOAT);
    t.add_dims(a.floats_size());
    *t.mutable_float_data() = a.floats();
  } else if (name == "value_int") {
    if (!expectType(onnx::AttributeProto::INT, "an INT"))
      return failure();
    t.set_data_type(onnx::TensorProto::INT64);
    t.add_int64_data(a.i());
  } else if (name == "value_ints") {
    if (!expectType(onnx::AttributeProto::INTS, "INTS"))
      return failure();
    t.set_data_type(onnx::TensorProto::INT64);
    t.add_dims(a.ints_size());
    *t.mutable_int64_data() = a.ints();
  } else {
    n.emitError() << "attribute '" << name << "' is not supported";
    return failure();
  }
  n.setConstantOutput(0, n.ownTensor(std::move(t)));
  return success();
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

// Since-versions are those of onnx 1.23 (opset 28). A row per version keeps
// the table an honest list of what was checked: versions that only widen the
// type list share a handler. Legacy versions with different semantics
// (Add-1/6 with `broadcast`/`axis`, Gemm-1/6) have no row and are reported as
// unsupported.
const OnnxOpHandlerSpec kHandlers[] = {
    // opType, since_versions, minIn, maxIn, minOut, maxOut, handler
    {"Add", {1, 6, 7, 13, 14}, 2, 2, 1, 1, importBinary<qc::AddOp>},
    {"Constant",
     {1, 9, 11, 12, 13, 19, 21, 23, 24, 25},
     0,
     0,
     1,
     1,
     importConstant},
    {"Div", {1, 6, 7, 13, 14}, 2, 2, 1, 1, importBinary<qc::DivOp>},
    {"Einsum", {12}, 1, 2, 1, 1, importEinsum},
    {"Flatten", {1, 9, 11, 13, 21, 23, 24, 25}, 1, 1, 1, 1, importFlatten},
    {"Gemm", {1, 6, 7, 9}, 3, 3, 1, 1, importGemm},
    {"Gemm", {11, 13}, 2, 3, 1, 1, importGemm},
    {"Identity",
     {1, 13, 14, 16, 19, 21, 23, 24, 25},
     1,
     1,
     1,
     1,
     importIdentity},
    {"If", {1, 11, 13, 16, 19, 21, 23, 24, 25}, 1, 1, 1, 1 << 16, importIf},
    {"MatMul", {1, 9, 13}, 2, 2, 1, 1, importMatMul},
    {"Mul", {1, 6, 7, 13, 14}, 2, 2, 1, 1, importBinary<qc::MulOp>},
    {"Relu", {1, 6, 13, 14}, 1, 1, 1, 1, importRelu},
    {"Reshape", {1}, 1, 1, 1, 1, importReshapeV1},
    {"Reshape", {5, 13, 14, 19, 21, 23, 24, 25}, 2, 2, 1, 1, importReshape},
    {"Sub", {1, 6, 7, 13, 14}, 2, 2, 1, 1, importBinary<qc::SubOp>},
    {"Transpose", {1, 13, 21, 23, 24, 25}, 1, 1, 1, 1, importTranspose},
};

} // namespace

llvm::ArrayRef<OnnxOpHandlerSpec> quantc::onnx_import::getCoreOnnxOpHandlers() {
  return kHandlers;
}

llvm::ArrayRef<OnnxOpHandler> quantc::onnx_import::getOnnxOpHandlers() {
  static const std::vector<OnnxOpHandler> all = [] {
    std::vector<OnnxOpHandler> v;
    for (llvm::ArrayRef<OnnxOpHandlerSpec> family :
         {getCoreOnnxOpHandlers(), getQuantOnnxOpHandlers(),
          getMathOnnxOpHandlers(), getShapeOnnxOpHandlers(),
          getNNOnnxOpHandlers()})
      for (const OnnxOpHandlerSpec &h : family)
        for (int64_t since : h.sinceVersions)
          v.push_back({h.opType, since, h.minInputs, h.maxInputs, h.minOutputs,
                       h.maxOutputs, h.fn});
    std::stable_sort(v.begin(), v.end(),
                     [](const OnnxOpHandler &a, const OnnxOpHandler &b) {
                       int c = std::strcmp(a.opType, b.opType);
                       return c < 0 || (c == 0 && a.sinceVersion < b.sinceVersion);
                     });
    return v;
  }();
  return all;
}

const OnnxOpHandler *
quantc::onnx_import::lookupOnnxOpHandler(StringRef opType, int64_t opset) {
  const OnnxOpHandler *best = nullptr;
  for (const OnnxOpHandler &h : getOnnxOpHandlers())
    if (opType == h.opType && h.sinceVersion <= opset &&
        (!best || h.sinceVersion > best->sinceVersion))
      best = &h;
  return best;
}
